"""An aid shipment's manifest and packing list, as a PDF and as XLSX.

- The manifest is the record of what was sent: every line with its donor, the totals by
  category in tonnes, the clearance checklist (and an override's reason), and, once the
  shipment is handed over, what arrived: per line and in total, beside what was dispatched.
- The packing list is what the loaders and the receivers work from: the lines grouped by
  category with their pallet and weight subtotals, cold chain marked, no donors, and boxes
  for the signatures of who loaded and who received.

Both formats read the shipment once (`_read`) and take their tables from the columns declared
here (`_LINE_COLUMNS`, `_TOTAL_COLUMNS`), so a PDF and a spreadsheet of the same shipment never
disagree. Totals come from `tonnage.totals_of` over the exact kilograms, converted to tonnes
once: never summed from rounded line values.

The consignee's contact phone and email are personal data, encrypted at rest: no export
carries them, nor the contact's name. Every export is audited (`aid.exported`).
"""

import io
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from django.core.exceptions import PermissionDenied
from django.template.loader import get_template
from django.utils import timezone, translation
from django.utils.formats import date_format, number_format
from django.utils.translation import get_language_bidi, gettext, pgettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from crisisdesk.accounts.permissions import Permission, has_permission
from crisisdesk.aid.lines import FIELDS
from crisisdesk.aid.models import DELIVERED, Category, ClearanceItem, Handover, ManifestLine, Shipment
from crisisdesk.aid.selectors import handover_of, line_figures
from crisisdesk.aid.tonnage import LineFigures, ShipmentTotals, Totals, tonnes, totals_of
from crisisdesk.common.audit import audit_record
from crisisdesk.common.models import AuditEvent
from crisisdesk.common.origin import Origin
from crisisdesk.common.spreadsheets import spreadsheet_safe
from crisisdesk.sitrep.render import data_only_url_fetcher

__all__ = ["manifest_pdf", "manifest_xlsx", "packing_list_pdf", "packing_list_xlsx"]

PDF_TYPE = "application/pdf"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MANIFEST = "manifest"
PACKING_LIST = "packing_list"
FILE_STEMS = {MANIFEST: "manifest", PACKING_LIST: "packing-list"}
TEMPLATES = {MANIFEST: "aid/pdf/manifest.html", PACKING_LIST: "aid/pdf/packing_list.html"}

ROUNDING_NOTE = _("Weights in kg to the gram; tonnes rounded half up to the kilogram.")
DELIVERED_NOTE = _(
    "Delivered = dispatched − short − damaged + over. A line's missing (short and damaged) and over "
    "weights are its gross weight in proportion to their quantities, rounded half up to the gram; its "
    "delivered weight is the gross weight less the missing weight plus the over weight."
)
COLD_CHAIN_MARK = pgettext_lazy("packing list marker", "COLD CHAIN")


class Kind(StrEnum):
    """What a cell holds: how the PDF writes it and which number format the XLSX gives it."""

    TEXT = "text"
    FLAG = "flag"  # text, shown only when set (cold chain)
    COUNT = "count"
    QUANTITY = "quantity"
    KG = "kg"
    TONNES = "tonnes"
    PALLETS = "pallets"
    M3 = "m3"
    DATE = "date"
    MOMENT = "moment"


FIGURES = frozenset({Kind.COUNT, Kind.QUANTITY, Kind.KG, Kind.TONNES, Kind.PALLETS, Kind.M3})
# Decimal places as stored (models.py): kilograms and cubic metres to three, pallets to two.
PLACES = {Kind.COUNT: 0, Kind.KG: 3, Kind.TONNES: 3, Kind.PALLETS: 2, Kind.M3: 3}
EXCEL_FORMATS = {
    Kind.COUNT: "#,##0",
    Kind.KG: "#,##0.000",
    Kind.TONNES: '#,##0.000" t"',  # a number, shown with its unit as in the PDF
    Kind.PALLETS: "#,##0.00",
    Kind.M3: "#,##0.000",
    Kind.DATE: "yyyy-mm-dd",
    Kind.MOMENT: "yyyy-mm-dd hh:mm",
}


@dataclass(frozen=True, slots=True)
class Column:
    title: str
    kind: Kind
    value: Callable[[object], object]
    width: int  # in the spreadsheet, in characters
    blank_zero: bool = False  # the PDF leaves a zero out (no discrepancy), the XLSX writes 0


def _flag(on: bool, label) -> str:
    return str(label) if on else ""


# Over a line's figures (tonnage.LineFigures).
_LINE_COLUMNS = {
    "number": Column(_("No."), Kind.COUNT, lambda f: f.line.line_number, 6),
    "item": Column(_("Item"), Kind.TEXT, lambda f: f.line.item, 40),
    "category": Column(_("Category"), Kind.TEXT, lambda f: f.line.get_category_display(), 17),
    "quantity": Column(_("Quantity"), Kind.QUANTITY, lambda f: f.line.quantity, 11),
    "unit": Column(_("Unit"), Kind.TEXT, lambda f: f.line.get_unit_display(), 10),
    "gross_weight_kg": Column(_("Gross weight (kg)"), Kind.KG, lambda f: f.line.gross_weight_kg, 16),
    "pallets": Column(_("Pallets"), Kind.PALLETS, lambda f: f.line.pallets, 9),
    "volume_m3": Column(_("Volume (m³)"), Kind.M3, lambda f: f.line.volume_m3, 12),
    "lot": Column(_("Lot"), Kind.TEXT, lambda f: f.line.lot, 14),
    "expiry_date": Column(_("Expiry"), Kind.DATE, lambda f: f.line.expiry_date, 12),
    "cold_chain": Column(_("Cold chain"), Kind.FLAG, lambda f: _flag(f.line.cold_chain, _("Yes")), 11),
    "cold_chain_mark": Column(_("Cold chain"), Kind.FLAG, lambda f: _flag(f.line.cold_chain, COLD_CHAIN_MARK), 14),
    "donor": Column(_("Donor"), Kind.TEXT, lambda f: f.line.donor, 28),
    "short": Column(_("Short"), Kind.QUANTITY, lambda f: f.short, 10, blank_zero=True),
    "damaged": Column(_("Damaged"), Kind.QUANTITY, lambda f: f.damaged, 10, blank_zero=True),
    "over": Column(_("Over"), Kind.QUANTITY, lambda f: f.over, 10, blank_zero=True),
    "delivered": Column(_("Delivered quantity"), Kind.QUANTITY, lambda f: f.delivered, 12),
    "delivered_kg": Column(_("Delivered weight (kg)"), Kind.KG, lambda f: f.delivered_kg, 16),
    "difference_kg": Column(
        _("Difference (kg)"), Kind.KG, lambda f: f.delivered_kg - f.line.gross_weight_kg, 15, blank_zero=True
    ),
}
# Every field of a line (lines.FIELDS), after its number.
MANIFEST_LINES = ("number", *FIELDS)
DELIVERY = ("short", "damaged", "over", "delivered", "delivered_kg", "difference_kg")
# The PDF shows what arrived in a table of its own, beside what was sent.
PDF_DELIVERY = ("number", "item", "quantity", "unit", *DELIVERY[:4], "gross_weight_kg", *DELIVERY[4:])
# The spreadsheet keeps the manifest's column order, so the two files line up; the PDF groups
# by category instead of repeating it on every line.
XLSX_PACKING_LINES = tuple(
    "cold_chain_mark" if key == "cold_chain" else key for key in MANIFEST_LINES if key != "donor"
)
PDF_PACKING_LINES = tuple(key for key in XLSX_PACKING_LINES if key != "category")

# Over (label, tonnage.Totals) rows: a category, or the whole shipment.
_TOTAL_COLUMNS = {
    "group": Column(_("Category"), Kind.TEXT, lambda row: row[0], 22),
    "lines": Column(_("Lines"), Kind.COUNT, lambda row: row[1].lines, 8),
    "pallets": Column(_("Pallets"), Kind.PALLETS, lambda row: row[1].pallets, 10),
    "volume_m3": Column(_("Volume (m³)"), Kind.M3, lambda row: row[1].volume_m3, 12),
    "weight_kg": Column(_("Gross weight (kg)"), Kind.KG, lambda row: row[1].dispatched_kg, 17),
    "weight_t": Column(_("Gross weight (t)"), Kind.TONNES, lambda row: row[1].dispatched_t, 16),
    "dispatched_t": Column(_("Dispatched (t)"), Kind.TONNES, lambda row: row[1].dispatched_t, 15),
    "delivered_t": Column(_("Delivered (t)"), Kind.TONNES, lambda row: row[1].delivered_t, 15),
    "difference_t": Column(_("Difference (t)"), Kind.TONNES, lambda row: tonnes(row[1].difference_kg), 15),
}
MANIFEST_TOTALS = ("group", "lines", "pallets", "volume_m3", "dispatched_t")
DELIVERED_TOTALS = ("delivered_t", "difference_t")
PACKING_TOTALS = ("group", "lines", "pallets", "weight_kg", "weight_t", "volume_m3")


# --- the public functions -------------------------------------------------------------------


def manifest_pdf(*, actor, origin: Origin, shipment: Shipment) -> tuple[str, str, bytes]:
    """The manifest as an A4 landscape PDF, in the active language (right to left in Hebrew)."""
    return _export(actor=actor, origin=origin, shipment=shipment, document=MANIFEST, file_format="pdf")


def packing_list_pdf(*, actor, origin: Origin, shipment: Shipment) -> tuple[str, str, bytes]:
    """The packing list as an A4 portrait PDF, with boxes for the loaders' and receivers' signatures."""
    return _export(actor=actor, origin=origin, shipment=shipment, document=PACKING_LIST, file_format="pdf")


def manifest_xlsx(*, actor, origin: Origin, shipment: Shipment) -> tuple[str, str, bytes]:
    """The manifest as a workbook: a "Manifest" sheet (header block, then the lines) and a
    "Totals" sheet by category in tonnes."""
    return _export(actor=actor, origin=origin, shipment=shipment, document=MANIFEST, file_format="xlsx")


def packing_list_xlsx(*, actor, origin: Origin, shipment: Shipment) -> tuple[str, str, bytes]:
    """The packing list as a workbook: its lines by category, and a "Totals" sheet."""
    return _export(actor=actor, origin=origin, shipment=shipment, document=PACKING_LIST, file_format="xlsx")


def _export(*, actor, origin: Origin, shipment: Shipment, document: str, file_format: str) -> tuple[str, str, bytes]:
    reading = _read(actor=actor, shipment=shipment)
    content = RENDERERS[document, file_format](reading)
    audit_record(
        actor=actor,
        origin=origin,
        action=AuditEvent.Action.AID_EXPORTED,
        target=reading.shipment,
        changes={"format": file_format, "document": document},
    )
    name = f"{FILE_STEMS[document]}-{reading.shipment.reference}.{file_format}"
    return name, PDF_TYPE if file_format == "pdf" else XLSX_TYPE, content


def _manifest_pdf(reading: "_Reading") -> bytes:
    return _pdf(MANIFEST, _manifest_context(reading))


def _packing_list_pdf(reading: "_Reading") -> bytes:
    return _pdf(PACKING_LIST, _packing_context(reading))


def _manifest_xlsx(reading: "_Reading") -> bytes:
    return _workbook(
        reading,
        title=gettext("Manifest"),
        facts=_manifest_sheet_facts(reading),
        lines=MANIFEST_LINES + (DELIVERY if reading.delivered else ()),
        totals=MANIFEST_TOTALS + (DELIVERED_TOTALS if reading.delivered else ()),
        notes=_notes(reading),
        figures=reading.figures,
    )


def _packing_list_xlsx(reading: "_Reading") -> bytes:
    return _workbook(
        reading,
        title=gettext("Packing list"),
        facts=_packing_facts(reading),
        lines=XLSX_PACKING_LINES,
        totals=PACKING_TOTALS,
        notes=[str(ROUNDING_NOTE)],
        figures=[figure for _label, figures, _totals in reading.figures_by_category() for figure in figures],
    )


RENDERERS = {
    (MANIFEST, "pdf"): _manifest_pdf,
    (PACKING_LIST, "pdf"): _packing_list_pdf,
    (MANIFEST, "xlsx"): _manifest_xlsx,
    (PACKING_LIST, "xlsx"): _packing_list_xlsx,
}


# --- reading the shipment -------------------------------------------------------------------


@dataclass
class _Reading:
    shipment: Shipment
    figures: list[LineFigures]
    totals: ShipmentTotals
    clearances: list[ClearanceItem]
    handover: Handover | None
    generated_at: datetime = field(default_factory=timezone.now)

    @property
    def delivered(self) -> bool:
        """Once handed over, what arrived is known and the manifest shows it beside what was sent."""
        return self.shipment.status in DELIVERED

    @staticmethod
    def category_order(category: str) -> int:
        return Category.values.index(category) if category in Category.values else len(Category.values)

    def categories(self) -> list[str]:
        """The categories on this manifest, in the order of the category list."""
        return sorted(self.totals.by_category, key=self.category_order)

    def category_rows(self) -> list[tuple[str, Totals]]:
        return [(_category_label(category), self.totals.by_category[category]) for category in self.categories()]

    def total_row(self) -> tuple[str, Totals]:
        return (gettext("Total"), self.totals.total)

    def figures_by_category(self) -> list[tuple[str, list[LineFigures], Totals]]:
        return [
            (
                _category_label(category),
                [figure for figure in self.figures if figure.line.category == category],
                self.totals.by_category[category],
            )
            for category in self.categories()
        ]

    @property
    def cold_chain_lines(self) -> int:
        return sum(1 for f in self.figures if f.line.cold_chain)


def _category_label(category: str) -> str:
    return str(dict(Category.choices).get(category, category))


def _read(*, actor, shipment: Shipment) -> _Reading:
    if not has_permission(actor, Permission.AID_VIEW):
        raise PermissionDenied
    shipment = Shipment.objects.select_related("consignee", "receiving_post", "clearance_override_by").get(
        pk=shipment.pk
    )
    figures = line_figures(ManifestLine.objects.filter(shipment=shipment).order_by("line_number"))
    return _Reading(
        shipment=shipment,
        figures=figures,
        totals=totals_of(figures),  # once, over the exact kilograms
        clearances=list(shipment.clearances.select_related("updated_by").order_by("id")),
        handover=handover_of(shipment),
    )


# A fact is (label, value, kind). Times and weights come first: the spreadsheet puts the first
# half of the facts where a date fits (see _write_facts).
def _time_facts(shipment: Shipment, *, actual: bool = True) -> list[tuple[str, object, Kind]]:
    facts = [
        (gettext("Planned departure"), shipment.planned_departure, Kind.MOMENT),
        (gettext("Planned arrival"), shipment.planned_arrival, Kind.MOMENT),
    ]
    if actual:
        facts += [
            (gettext("Departed at"), shipment.actual_departure, Kind.MOMENT),
            (gettext("Arrived at"), shipment.actual_arrival, Kind.MOMENT),
        ]
    return facts


def _route_facts(shipment: Shipment) -> list[tuple[str, object, Kind]]:
    return [
        (gettext("Mode"), shipment.get_mode_display(), Kind.TEXT),
        (gettext("Carrier"), shipment.carrier, Kind.TEXT),
        (gettext("Flight or vehicle number"), shipment.vehicle_number, Kind.TEXT),
        (pgettext("shipment route", "From"), shipment.origin, Kind.TEXT),
        (pgettext("shipment route", "To"), shipment.destination, Kind.TEXT),
        (gettext("Consignee"), shipment.consignee.name, Kind.TEXT),
        (gettext("Receiving post"), str(shipment.receiving_post) if shipment.receiving_post else "", Kind.TEXT),
    ]


def _receipt_label(handover: Handover) -> str:
    if handover.signature_key and handover.receipt_key:
        return gettext("Signature drawn on screen and signed receipt on file")
    if handover.signature_key:
        return gettext("Signature drawn on screen, on file")
    return gettext("Signed receipt on file")


def _handover_facts(reading: _Reading) -> list[tuple[str, object, Kind]]:
    handover = reading.handover
    if handover is None:
        return []
    return [
        (gettext("Handed over at"), handover.handed_over_at, Kind.MOMENT),
        (gettext("Received by"), f"{handover.receiver_name}, {handover.receiver_organisation}", Kind.TEXT),
        (gettext("Receipt"), _receipt_label(handover), Kind.TEXT),
    ]


def _clearance_text(item: ClearanceItem) -> str:
    parts = [item.get_state_display(), item.date.isoformat() if item.date else "", item.reference_number]
    return " · ".join(part for part in parts if part)


def _clearance_facts(reading: _Reading) -> list[tuple[str, object, Kind]]:
    facts = [(item.get_kind_display(), _clearance_text(item), Kind.TEXT) for item in reading.clearances]
    if reading.shipment.clearance_override_reason:
        facts.append((gettext("Clearance overridden"), _override_text(reading.shipment), Kind.TEXT))
    return facts


def _override_text(shipment: Shipment) -> str:
    by = shipment.clearance_override_by
    if by is None:
        return shipment.clearance_override_reason
    return gettext("%(reason)s (by %(person)s)") % {
        "reason": shipment.clearance_override_reason,
        "person": by.get_username(),
    }


def _weight_facts(reading: _Reading) -> list[tuple[str, object, Kind]]:
    facts = [(gettext("Dispatched"), reading.totals.total.dispatched_t, Kind.TONNES)]
    if reading.delivered:
        facts.append((gettext("Delivered"), reading.totals.total.delivered_t, Kind.TONNES))
    return facts


def _manifest_header(reading: _Reading) -> list[tuple[str, object, Kind]]:
    shipment = reading.shipment
    status = (gettext("Status"), shipment.get_status_display(), Kind.TEXT)
    return [*_time_facts(shipment), *_weight_facts(reading), status, *_route_facts(shipment)]


def _manifest_sheet_facts(reading: _Reading) -> list[tuple[str, object, Kind]]:
    """The spreadsheet's header block: the PDF's header, and what the PDF gives sections of
    their own (the handover, the clearance checklist)."""
    handover = _handover_facts(reading) if reading.delivered else []
    return [*handover[:1], *_manifest_header(reading), *handover[1:], *_clearance_facts(reading)]


def _packing_facts(reading: _Reading) -> list[tuple[str, object, Kind]]:
    # Not the status nor the actual times: the list travels with the goods.
    return [
        *_time_facts(reading.shipment, actual=False),
        (gettext("Gross weight"), reading.totals.total.dispatched_t, Kind.TONNES),
        (gettext("Pallets"), reading.totals.total.pallets, Kind.PALLETS),
        (gettext("Cold-chain lines"), reading.cold_chain_lines, Kind.COUNT),
        *_route_facts(reading.shipment),
    ]


def _notes(reading: _Reading) -> list[str]:
    return [str(ROUNDING_NOTE), *([str(DELIVERED_NOTE)] if reading.delivered else [])]


# --- PDF ------------------------------------------------------------------------------------


def _places(value: Decimal) -> int:
    """A quantity as precise as it was given: 120 boxes, 12.5 litres."""
    exponent = Decimal(value).normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def _shown(kind: Kind, value: object, *, blank_zero: bool = False) -> str:
    """A cell as the PDF writes it, in the active language."""
    if value is None or value == "" or (blank_zero and value == 0):
        return ""
    if kind == Kind.DATE:
        return value.isoformat()  # unambiguous in every language, as on the packaging
    if kind == Kind.MOMENT:
        return date_format(timezone.localtime(value), "Y-m-d H:i T")
    if kind not in FIGURES:
        return str(value)
    places = _places(value) if kind == Kind.QUANTITY else PLACES[kind]
    text = number_format(value, decimal_pos=places, force_grouping=True)
    return gettext("%(tonnes)s t") % {"tonnes": text} if kind == Kind.TONNES else text


def _direction(kind: Kind, text: str) -> str:
    """The direction a cell's text reads in. Figures, dates and times always left to right (a
    Hebrew page would otherwise write "2.000 t" as "t 2.000"); words by their first strong
    character (Unicode's rule P2), so that a Latin item reads left to right on a Hebrew page."""
    if kind in FIGURES or kind in (Kind.DATE, Kind.MOMENT):
        return "ltr"
    for char in text:
        strong = unicodedata.bidirectional(char)
        if strong == "L":
            return "ltr"
        if strong in ("R", "AL"):
            return "rtl"
    return ""


@dataclass(frozen=True, slots=True)
class _Cell:
    text: str
    css: str = ""
    dir: str = ""


def _fact_cells(facts) -> list[tuple[str, _Cell]]:
    cells = []
    for label, value, kind in facts:
        text = _shown(kind, value)
        if text:
            cells.append((label, _Cell(text, dir=_direction(kind, text))))
    return cells


@dataclass(frozen=True, slots=True)
class _Row:
    cells: list[_Cell]
    css: str = ""


@dataclass
class _Table:
    columns: list[_Cell]
    rows: list[_Row] = field(default_factory=list)
    footer: list[_Row] = field(default_factory=list)


def _css(key: str, column: Column, text: str = "") -> str:
    classes = [f"col-{key}", f"kind-{column.kind}"]
    if column.kind in FIGURES:
        classes.append("figure")
    if column.kind == Kind.FLAG and text:
        classes.append("on")
    return " ".join(classes)


def _pdf_table(
    columns: dict[str, Column],
    keys: Sequence[str],
    items: Sequence,
    *,
    footer: Sequence[dict[str, object]] = (),
    row_css: Callable[[object], str] = lambda item: "",
) -> _Table:
    """A table for the template: each item through the columns named by `keys`. A footer row
    gives values by column key; the columns it leaves out are empty."""

    def cell(key: str, value: object) -> _Cell:
        column = columns[key]
        text = _shown(column.kind, value, blank_zero=column.blank_zero)
        return _Cell(text, _css(key, column, text), _direction(column.kind, text))

    return _Table(
        columns=[_Cell(str(columns[key].title), _css(key, columns[key])) for key in keys],
        rows=[_Row([cell(key, columns[key].value(item)) for key in keys], row_css(item)) for item in items],
        footer=[_Row([cell(key, values.get(key)) for key in keys], "total") for values in footer],
    )


def _line_footer(totals: Totals) -> dict[str, object]:
    """The lines' total row: the weights, pallets and volume (quantities in different units do not add up)."""
    return {
        "item": gettext("Total"),
        "gross_weight_kg": totals.dispatched_kg,
        "pallets": totals.pallets,
        "volume_m3": totals.volume_m3,
        "delivered_kg": totals.delivered_kg,
        "difference_kg": totals.difference_kg,
    }


def _page_context(reading: _Reading, *, title: str, facts, notes: list[str]) -> dict:
    rtl = get_language_bidi()
    shown = _fact_cells(facts)
    half = (len(shown) + 1) // 2
    return {
        "language": translation.get_language(),
        "direction": "rtl" if rtl else "ltr",
        # Margin boxes are named by physical side: right-to-left swaps them.
        "start": "right" if rtl else "left",
        "end": "left" if rtl else "right",
        "title": title,
        "reference": reading.shipment.reference,
        "facts_halves": (shown[:half], shown[half:]),
        "generated": _shown(Kind.MOMENT, reading.generated_at),
        "notes": notes,
    }


def _manifest_context(reading: _Reading) -> dict:
    delivered = reading.delivered
    totals_keys = MANIFEST_TOTALS + (DELIVERED_TOTALS if delivered else ())
    return {
        **_page_context(reading, title=gettext("Manifest"), facts=_manifest_header(reading), notes=_notes(reading)),
        "lines": _pdf_table(
            _LINE_COLUMNS, MANIFEST_LINES, reading.figures, footer=[_line_footer(reading.totals.total)]
        ),
        "totals": _pdf_table(
            _TOTAL_COLUMNS, totals_keys, reading.category_rows(), footer=[_total_footer(reading, totals_keys)]
        ),
        "delivery": _pdf_table(
            _LINE_COLUMNS, PDF_DELIVERY, reading.figures, footer=[_line_footer(reading.totals.total)]
        )
        if delivered
        else None,
        "handover": _fact_cells(_handover_facts(reading)) if delivered else [],
        "clearances": [
            {
                "kind": item.get_kind_display(),
                "state": item.get_state_display(),
                "done": item.done,
                "date": _shown(Kind.DATE, item.date),
                "reference_number": item.reference_number,
            }
            for item in reading.clearances
        ],
        "override": _override_text(reading.shipment) if reading.shipment.clearance_override_reason else "",
    }


def _total_footer(reading: _Reading, keys: Sequence[str]) -> dict[str, object]:
    row = reading.total_row()
    return {key: _TOTAL_COLUMNS[key].value(row) for key in keys}


def _packing_context(reading: _Reading) -> dict:
    def cold(figure: LineFigures) -> str:
        return "cold" if figure.line.cold_chain else ""

    groups = [
        {
            "title": label,
            "table": _pdf_table(
                _LINE_COLUMNS,
                PDF_PACKING_LINES,
                figures,
                footer=[{**_line_footer(totals), "item": gettext("Subtotal: %(category)s") % {"category": label}}],
                row_css=cold,
            ),
        }
        for label, figures, totals in reading.figures_by_category()
    ]
    return {
        **_page_context(
            reading, title=gettext("Packing list"), facts=_packing_facts(reading), notes=[str(ROUNDING_NOTE)]
        ),
        "groups": groups,
        "totals": _pdf_table(
            _TOTAL_COLUMNS, PACKING_TOTALS, reading.category_rows(), footer=[_total_footer(reading, PACKING_TOTALS)]
        ),
        "cold_chain_lines": reading.cold_chain_lines,
        "signatures": [gettext("Loaded by"), gettext("Received by")],
    }


def _pdf(document: str, context: dict) -> bytes:
    """Laid out by WeasyPrint, fetching nothing: the font is the system's DejaVu Sans, and the
    sitrep's fetcher refuses every URL that is not a data: URL."""
    from weasyprint import HTML  # imports Pango through cffi: only the PDF needs it

    html = get_template(TEMPLATES[document]).render(context)
    return HTML(string=html, url_fetcher=data_only_url_fetcher()).write_pdf()


# --- XLSX -----------------------------------------------------------------------------------


def _put(sheet, row: int, column: int, value: object, kind: Kind, *, bold: bool = False):
    """One cell: text through `spreadsheet_safe` (no formula ever runs from a donor's name),
    figures as numbers with their format, dates as dates."""
    from openpyxl.styles import Font

    cell = sheet.cell(row=row, column=column)
    if bold:
        cell.font = Font(bold=True)
    if value is None or value == "":
        return cell
    if kind in (Kind.TEXT, Kind.FLAG):
        cell.value = spreadsheet_safe(value)
        return cell
    cell.value = value
    if kind == Kind.MOMENT:
        # Excel has no time zones: the local time, the zone written after it by the format.
        cell.value = timezone.localtime(value).replace(tzinfo=None)
        cell.number_format = f'{EXCEL_FORMATS[kind]}" {timezone.get_current_timezone_name()}"'
    elif kind == Kind.QUANTITY:
        cell.number_format = "#,##0" if _places(value) == 0 else "#,##0.0##"
    else:
        cell.number_format = EXCEL_FORMATS[kind]
    return cell


# The header block's facts stand in two halves side by side, so that freezing the table's
# header row keeps few rows on screen: the first half under the item column (its labels) and
# the category column (its values, where a date fits); the second half from the lot column on,
# where text runs on into the empty cells to its right.
FACTS_COLUMNS = ((2, 3), (9, 11))


def _write_facts(sheet, facts, *, first_row: int) -> int:
    half = (len(facts) + 1) // 2
    for side, chunk in enumerate((facts[:half], facts[half:])):
        label_column, value_column = FACTS_COLUMNS[side]
        for offset, (label, value, kind) in enumerate(chunk):
            _put(sheet, first_row + offset, label_column, str(label), Kind.TEXT, bold=True)
            _put(sheet, first_row + offset, value_column, value, kind)
    return first_row + half


def _write_table(sheet, columns: dict[str, Column], keys, items, *, header_row: int, footer=()) -> None:
    """A header row, a row per item, then the footer rows (values by column key); the
    columns sized to their content's usual width."""
    from openpyxl.styles import PatternFill
    from openpyxl.utils import get_column_letter

    chosen = [(key, columns[key]) for key in keys]
    for index, (_key, column) in enumerate(chosen, start=1):
        header = _put(sheet, header_row, index, str(column.title), Kind.TEXT, bold=True)
        header.fill = PatternFill("solid", fgColor="DDE4EE")
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    row = header_row
    for row, item in enumerate(items, start=header_row + 1):
        for index, (_key, column) in enumerate(chosen, start=1):
            _put(sheet, row, index, column.value(item), column.kind)
    if items:
        last = get_column_letter(len(chosen))
        sheet.auto_filter.ref = f"A{header_row}:{last}{row}"
    for footer_row, values in enumerate(footer, start=row + 1):
        for index, (key, column) in enumerate(chosen, start=1):
            _put(sheet, footer_row, index, values.get(key), column.kind, bold=True)


def _workbook(reading: _Reading, *, title: str, facts, lines, totals, notes, figures) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    main = workbook.active
    main.title = _sheet_title(title)
    sheets = (main, workbook.create_sheet(_sheet_title(gettext("Totals"))))
    if get_language_bidi():
        for sheet in sheets:
            sheet.sheet_view.rightToLeft = True

    heading = _put(main, 1, 1, f"{title} {reading.shipment.reference}", Kind.TEXT)
    heading.font = Font(bold=True, size=14)
    header_row = _write_facts(main, facts, first_row=2) + 1
    _write_table(
        main,
        _LINE_COLUMNS,
        lines,
        figures,
        header_row=header_row,
        footer=[_line_footer(reading.totals.total)],
    )
    main.freeze_panes = main.cell(row=header_row + 1, column=1)

    totals_sheet = sheets[1]
    rows = reading.category_rows()
    _write_table(totals_sheet, _TOTAL_COLUMNS, totals, rows, header_row=1, footer=[_total_footer(reading, totals)])
    # Below the header, the categories and the total row, after a blank row.
    for row, note in enumerate(notes, start=len(rows) + 4):
        _put(totals_sheet, row, 1, note, Kind.TEXT)
    totals_sheet.freeze_panes = "A2"

    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _sheet_title(title: str) -> str:
    """Sheet names are at most 31 characters and may not hold []:*?/\\."""
    return "".join(char for char in title if char not in "[]:*?/\\")[:31] or "Sheet"
