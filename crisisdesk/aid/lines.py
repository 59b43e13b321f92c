"""A manifest line as typed or as read from a spreadsheet row, checked in one place.

The line form, the import and the correction of a rejected row all call `line_parse`, so a
row is accepted by the import exactly when the same values typed into the form would be.
Errors are codes per field (`LineError`), kept as codes on a rejected row and shown in the
reader's language."""

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crisisdesk.aid.models import Category, Unit

FIELDS = (
    "item",
    "category",
    "quantity",
    "unit",
    "gross_weight_kg",
    "pallets",
    "volume_m3",
    "lot",
    "expiry_date",
    "cold_chain",
    "donor",
)
REQUIRED = ("item", "category", "quantity", "unit", "gross_weight_kg")
LENGTHS = {"item": 200, "lot": 60, "donor": 200}
# The largest values the columns hold (models.py): a row beyond them is refused, not cut.
LIMITS = {
    "quantity": Decimal("999999999.999"),
    "gross_weight_kg": Decimal("999999999.999"),
    "pallets": Decimal("99999.99"),
    "volume_m3": Decimal("999999.999"),
}
PLACES = {"quantity": 3, "gross_weight_kg": 3, "pallets": 2, "volume_m3": 3}


class LineError(StrEnum):
    REQUIRED = "required"
    NOT_A_NUMBER = "not_a_number"
    NOT_POSITIVE = "not_positive"
    NEGATIVE = "negative"
    TOO_LARGE = "too_large"
    TOO_PRECISE = "too_precise"
    TOO_LONG = "too_long"
    UNKNOWN_CATEGORY = "unknown_category"
    UNKNOWN_UNIT = "unknown_unit"
    NOT_A_DATE = "not_a_date"
    EXPIRED = "expired"
    NOT_YES_NO = "not_yes_no"
    AMBIGUOUS = "ambiguous"


LINE_MESSAGES = {
    LineError.REQUIRED: _("Required."),
    LineError.NOT_A_NUMBER: _("Not a number."),
    LineError.NOT_POSITIVE: _("Must be more than zero."),
    LineError.NEGATIVE: _("Cannot be negative."),
    LineError.TOO_LARGE: _("Too large."),
    LineError.TOO_PRECISE: _("Too many decimal places."),
    LineError.TOO_LONG: _("Too long."),
    LineError.UNKNOWN_CATEGORY: _("Unknown category: use medical, food, shelter, hygiene, winter or power."),
    LineError.UNKNOWN_UNIT: _("Unknown unit: use pcs, box, pallet, kg, l, kit or set."),
    LineError.NOT_A_DATE: _("Not a date: write it as 2022-03-31."),
    LineError.EXPIRED: _("Already expired: expired goods are not shipped."),
    LineError.NOT_YES_NO: _("Write yes or no."),
    LineError.AMBIGUOUS: _("Ambiguous: write 12500 or 12.5, not 12,500."),
}

# Codes, and the English words spreadsheets use for them.
_CATEGORY_WORDS = {
    **{choice.value: choice.value for choice in Category},
    "medicine": Category.MEDICAL,
    "medicines": Category.MEDICAL,
    "medical supplies": Category.MEDICAL,
    "winterisation": Category.WINTER,
    "winterization": Category.WINTER,
    "generators": Category.POWER,
    "energy": Category.POWER,
    "nfi shelter": Category.SHELTER,
}
_UNIT_WORDS = {
    **{choice.value: choice.value for choice in Unit},
    "pc": Unit.PIECE,
    "piece": Unit.PIECE,
    "pieces": Unit.PIECE,
    "units": Unit.PIECE,
    "unit": Unit.PIECE,
    "ea": Unit.PIECE,
    "boxes": Unit.BOX,
    "carton": Unit.BOX,
    "cartons": Unit.BOX,
    "ctn": Unit.BOX,
    "pallets": Unit.PALLET,
    "plt": Unit.PALLET,
    "kgs": Unit.KILOGRAM,
    "kilogram": Unit.KILOGRAM,
    "kilograms": Unit.KILOGRAM,
    "litre": Unit.LITRE,
    "liter": Unit.LITRE,
    "litres": Unit.LITRE,
    "liters": Unit.LITRE,
    "ltr": Unit.LITRE,
    "kits": Unit.KIT,
    "sets": Unit.SET,
}
_YES = {"yes", "y", "true", "1", "x", "✓", "כן", "так", "да"}
_NO = {"no", "n", "false", "0", "", "לא", "ні", "нет"}
_DATE_FORMATS = ("%Y-%m-%d", "%d.%m.%Y", "%d/%m/%Y", "%Y/%m/%d", "%m/%Y", "%Y-%m")


@dataclass(frozen=True, slots=True)
class LineInput:
    item: str
    category: str
    quantity: Decimal
    unit: str
    gross_weight_kg: Decimal
    pallets: Decimal = Decimal("0")
    volume_m3: Decimal = Decimal("0")
    lot: str = ""
    expiry_date: date | None = None
    cold_chain: bool = False
    donor: str = ""

    def as_values(self) -> dict[str, str]:
        """The line as cell text, as an import row would carry it."""
        values = {name: str(getattr(self, name)) for name in FIELDS}
        values["expiry_date"] = self.expiry_date.isoformat() if self.expiry_date else ""
        values["cold_chain"] = "yes" if self.cold_chain else "no"
        return values


class LineInvalid(Exception):
    def __init__(self, errors: dict[str, list[str]]):
        super().__init__(", ".join(sorted(errors)))
        self.errors = errors


def _text(raw: object) -> str:
    if raw is None:
        return ""
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    return re.sub(r"\s+", " ", str(raw)).strip()


def _decimal(raw: object, name: str) -> Decimal:
    if isinstance(raw, (int, Decimal)) and not isinstance(raw, bool):
        value = Decimal(raw)
    elif isinstance(raw, float):
        value = Decimal(repr(raw))
    else:
        text = _text(raw).replace("\u00a0", "").replace("\u202f", "").replace(" ", "").replace("'", "")
        # One comma and no point is a decimal comma (European sheets: 12,5); with a point too,
        # commas group thousands (1,234.5). "12,500" could be either, a thousandfold apart:
        # refused rather than guessed.
        if re.fullmatch(r"-?[1-9]\d{0,2},\d{3}", text):
            raise ValueError(LineError.AMBIGUOUS)
        text = text.replace(",", ".") if text.count(",") == 1 and "." not in text else text.replace(",", "")
        try:
            value = Decimal(text)
        except InvalidOperation:
            raise ValueError(LineError.NOT_A_NUMBER) from None
    if not value.is_finite():
        raise ValueError(LineError.NOT_A_NUMBER)
    if value > LIMITS[name]:
        raise ValueError(LineError.TOO_LARGE)
    if value != value.quantize(Decimal(1).scaleb(-PLACES[name])):
        raise ValueError(LineError.TOO_PRECISE)
    return value


def _date(raw: object) -> date | None:
    if isinstance(raw, datetime):
        return raw.date()
    if isinstance(raw, date):
        return raw
    text = _text(raw)
    if not text:
        return None
    for pattern in _DATE_FORMATS:
        try:
            parsed = datetime.strptime(text, pattern).date()
        except ValueError:
            continue
        if pattern in ("%m/%Y", "%Y-%m"):
            # A month-only expiry ("03/2023") means the end of that month, as on packaging.
            next_month = parsed.replace(year=parsed.year + parsed.month // 12, month=parsed.month % 12 + 1)
            return date.fromordinal(next_month.toordinal() - 1)
        return parsed
    raise ValueError(LineError.NOT_A_DATE)


def line_parse(raw: Mapping[str, object], *, today: date | None = None) -> LineInput:
    """Check one line's values (cell text or typed values) and return it, or raise
    `LineInvalid` with every field's errors at once."""
    today = today or timezone.localdate()
    errors: dict[str, list[str]] = {}
    values: dict[str, object] = {}

    def fail(name: str, code: LineError) -> None:
        errors.setdefault(name, []).append(code.value)

    for name in FIELDS:
        text = _text(raw.get(name))
        if name in REQUIRED and not text:
            fail(name, LineError.REQUIRED)
            continue
        if name in LENGTHS:
            if len(text) > LENGTHS[name]:
                fail(name, LineError.TOO_LONG)
            values[name] = text
        elif name == "category":
            values[name] = _CATEGORY_WORDS.get(text.lower()) or fail(name, LineError.UNKNOWN_CATEGORY)
        elif name == "unit":
            values[name] = _UNIT_WORDS.get(text.lower().rstrip(".")) or fail(name, LineError.UNKNOWN_UNIT)
        elif name in LIMITS:
            if not text:
                values[name] = Decimal("0")
                continue
            try:
                number = _decimal(raw.get(name), name)
            except ValueError as error:
                fail(name, error.args[0])
                continue
            if name in ("quantity", "gross_weight_kg") and number <= 0:
                fail(name, LineError.NOT_POSITIVE)
            elif number < 0:
                fail(name, LineError.NEGATIVE)
            values[name] = number
        elif name == "expiry_date":
            try:
                values[name] = _date(raw.get(name))
            except ValueError as error:
                fail(name, error.args[0])
                continue
            if values[name] is not None and values[name] < today:
                fail(name, LineError.EXPIRED)
        elif name == "cold_chain":
            word = text.lower()
            if word in _YES:
                values[name] = True
            elif word in _NO:
                values[name] = False
            else:
                fail(name, LineError.NOT_YES_NO)
    if errors:
        raise LineInvalid(errors)
    return LineInput(**values)


def line_error_messages(errors: Mapping[str, list[str]]) -> dict[str, list[str]]:
    """A rejected row's codes as messages in the reader's language."""
    return {name: [str(LINE_MESSAGES.get(LineError(code), code)) for code in codes] for name, codes in errors.items()}
