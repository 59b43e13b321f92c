"""One manifest line's values checked in one place (aid/lines.py `line_parse`): the form, the
import and the correction of a rejected row all accept exactly the same lines.

Pure: no database. `today` is passed explicitly, so "expired" does not depend on the clock."""

from datetime import date, datetime
from decimal import Decimal

import pytest

from crisisdesk.aid.lines import (
    FIELDS,
    LINE_MESSAGES,
    LineError,
    LineInput,
    LineInvalid,
    line_error_messages,
    line_parse,
)
from crisisdesk.aid.models import Category, Unit

TODAY = date(2022, 3, 14)


def _row(**values) -> dict:
    return {
        "item": "Insulin pens",
        "category": "medical",
        "quantity": "120",
        "unit": "box",
        "gross_weight_kg": "48.5",
        **values,
    }


def _errors(**values) -> dict[str, list[str]]:
    with pytest.raises(LineInvalid) as raised:
        line_parse(_row(**values), today=TODAY)
    return raised.value.errors


def test_a_complete_line_is_accepted_with_its_defaults():
    line = line_parse(_row(), today=TODAY)
    assert line == LineInput(
        item="Insulin pens",
        category=Category.MEDICAL,
        quantity=Decimal("120"),
        unit=Unit.BOX,
        gross_weight_kg=Decimal("48.5"),
    )
    assert (line.pallets, line.volume_m3, line.lot, line.expiry_date, line.cold_chain, line.donor) == (
        0,
        0,
        "",
        None,
        False,
        "",
    )


def test_every_field_is_read():
    line = line_parse(
        _row(
            pallets="0.5",
            volume_m3="0.72",
            lot="  LOT-2203-17 ",
            expiry_date="2023-09-30",
            cold_chain="yes",
            donor="Magen David Adom",
        ),
        today=TODAY,
    )
    assert (line.pallets, line.volume_m3, line.lot, line.expiry_date, line.cold_chain, line.donor) == (
        Decimal("0.5"),
        Decimal("0.72"),
        "LOT-2203-17",
        date(2023, 9, 30),
        True,
        "Magen David Adom",
    )


def test_the_line_as_cell_text_parses_back_to_itself():
    """A rejected row's correction form is filled from `as_values`; it must round-trip."""
    line = line_parse(_row(expiry_date="2023-09", cold_chain="x", lot="L1", pallets="1.25"), today=TODAY)
    assert set(line.as_values()) == set(FIELDS)
    assert line_parse(line.as_values(), today=TODAY) == line


# --- numbers ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12,5", "12.5"),  # decimal comma (European sheets)
        ("1,234.5", "1234.5"),  # comma groups thousands when there is a point
        ("1,234,567", "1234567"),  # several commas: thousands
        ("1 234,5", "1234.5"),  # space grouping, decimal comma
        ("1\u00a0234,5", "1234.5"),  # no-break space, as spreadsheets export it
        ("1\u202f234,5", "1234.5"),  # narrow no-break space (French locale)
        ("1'234.5", "1234.5"),  # Swiss grouping
        ("  48.5 ", "48.5"),
        ("0,001", "0.001"),
    ],
)
def test_numbers_are_read_as_spreadsheets_write_them(text, expected):
    assert line_parse(_row(gross_weight_kg=text), today=TODAY).gross_weight_kg == Decimal(expected)


@pytest.mark.parametrize("text", ["12,500", "1,250", "999,999"])
def test_a_comma_before_three_digits_is_refused_as_ambiguous(text):
    """Twelve thousand five hundred in an English or Israeli sheet, twelve and a half in a
    European one: a thousandfold error either way, so the row is refused, not guessed."""
    with pytest.raises(LineInvalid) as refused:
        line_parse(_row(gross_weight_kg=text), today=TODAY)

    assert refused.value.errors == {"gross_weight_kg": [LineError.AMBIGUOUS.value]}


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        (12, "12"),
        (12.5, "12.5"),
        (12.0, "12"),
        (0.1, "0.1"),  # the float 0.1 is read as the 0.1 the cell shows, not 0.1000000000000000055…
        (Decimal("48.500"), "48.5"),
    ],
)
def test_numeric_cells_from_xlsx_are_read_exactly(cell, expected):
    assert line_parse(_row(gross_weight_kg=cell), today=TODAY).gross_weight_kg == Decimal(expected)


@pytest.mark.parametrize(
    ("field", "text", "code"),
    [
        ("quantity", "twelve", LineError.NOT_A_NUMBER),
        ("quantity", "NaN", LineError.NOT_A_NUMBER),
        ("quantity", "Infinity", LineError.NOT_A_NUMBER),
        ("quantity", "1.2.3", LineError.NOT_A_NUMBER),
        ("quantity", "0", LineError.NOT_POSITIVE),
        ("quantity", "-5", LineError.NOT_POSITIVE),
        ("gross_weight_kg", "0", LineError.NOT_POSITIVE),
        ("pallets", "-1", LineError.NEGATIVE),
        ("volume_m3", "-0.5", LineError.NEGATIVE),
        # too many decimals: the column keeps grams, hundredths of a pallet
        ("gross_weight_kg", "12.3456", LineError.TOO_PRECISE),
        ("quantity", "0,0001", LineError.TOO_PRECISE),
        ("pallets", "1.255", LineError.TOO_PRECISE),
        ("volume_m3", "0.0005", LineError.TOO_PRECISE),
        # too large for the column: refused, not cut
        ("gross_weight_kg", "1000000000", LineError.TOO_LARGE),
        ("quantity", "1e12", LineError.TOO_LARGE),
        ("pallets", "100000", LineError.TOO_LARGE),
        ("volume_m3", "1000000", LineError.TOO_LARGE),
    ],
)
def test_a_bad_number_is_refused_with_its_reason(field, text, code):
    assert _errors(**{field: text}) == {field: [code]}


def test_the_largest_values_the_columns_hold_are_accepted():
    line = line_parse(
        _row(quantity="999999999.999", gross_weight_kg="999,999,999.999", pallets="99999.99", volume_m3="999999.999"),
        today=TODAY,
    )
    assert line.gross_weight_kg == Decimal("999999999.999")
    assert line.pallets == Decimal("99999.99")


def test_trailing_zeros_are_not_extra_precision():
    assert line_parse(_row(gross_weight_kg="12.50000"), today=TODAY).gross_weight_kg == Decimal("12.5")


# --- required fields and texts --------------------------------------------------------------------


@pytest.mark.parametrize("field", ["item", "category", "quantity", "unit", "gross_weight_kg"])
@pytest.mark.parametrize("blank", ["", "   ", None])
def test_required_fields(field, blank):
    assert _errors(**{field: blank}) == {field: [LineError.REQUIRED]}


def test_a_missing_key_is_a_missing_value():
    row = _row()
    del row["gross_weight_kg"]
    with pytest.raises(LineInvalid) as raised:
        line_parse(row, today=TODAY)
    assert raised.value.errors == {"gross_weight_kg": [LineError.REQUIRED]}


@pytest.mark.parametrize(("field", "limit"), [("item", 200), ("lot", 60), ("donor", 200)])
def test_texts_longer_than_their_column_are_refused(field, limit):
    assert line_parse(_row(**{field: "x" * limit}), today=TODAY)
    assert _errors(**{field: "x" * (limit + 1)}) == {field: [LineError.TOO_LONG]}


def test_whitespace_inside_a_text_is_collapsed():
    assert line_parse(_row(item="Blankets,\n  wool\t 150x200"), today=TODAY).item == "Blankets, wool 150x200"


# --- categories and units ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("word", "category"),
    [
        *((choice.value, choice.value) for choice in Category),
        ("MEDICAL", Category.MEDICAL),
        ("Medicines", Category.MEDICAL),
        ("medical supplies", Category.MEDICAL),
        ("Winterisation", Category.WINTER),
        ("winterization", Category.WINTER),
        ("Generators", Category.POWER),
        ("energy", Category.POWER),
        ("NFI  shelter", Category.SHELTER),
    ],
)
def test_categories_and_their_synonyms(word, category):
    assert line_parse(_row(category=word), today=TODAY).category == category


@pytest.mark.parametrize(
    ("word", "unit"),
    [
        *((choice.value, choice.value) for choice in Unit),
        ("PCS", Unit.PIECE),
        ("pcs.", Unit.PIECE),
        ("ea", Unit.PIECE),
        ("Cartons", Unit.BOX),
        ("ctn.", Unit.BOX),
        ("plt", Unit.PALLET),
        ("KGS", Unit.KILOGRAM),
        ("liters", Unit.LITRE),
        ("ltr", Unit.LITRE),
        ("kits", Unit.KIT),
        ("sets", Unit.SET),
    ],
)
def test_units_and_their_synonyms(word, unit):
    assert line_parse(_row(unit=word), today=TODAY).unit == unit


@pytest.mark.parametrize(
    ("field", "word", "code"),
    [("category", "toys", LineError.UNKNOWN_CATEGORY), ("unit", "bags", LineError.UNKNOWN_UNIT)],
)
def test_unknown_categories_and_units_are_refused(field, word, code):
    assert _errors(**{field: word}) == {field: [code]}


# --- expiry ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2023-09-30", date(2023, 9, 30)),
        ("30.09.2023", date(2023, 9, 30)),
        ("30/09/2023", date(2023, 9, 30)),
        ("2023/09/30", date(2023, 9, 30)),
        (date(2023, 9, 30), date(2023, 9, 30)),
        (datetime(2023, 9, 30, 0, 0), date(2023, 9, 30)),  # how openpyxl reads a date cell
    ],
)
def test_expiry_dates_in_the_formats_sheets_use(text, expected):
    assert line_parse(_row(expiry_date=text), today=TODAY).expiry_date == expected


@pytest.mark.parametrize(
    ("text", "end_of_month"),
    [
        ("03/2023", date(2023, 3, 31)),
        ("2023-04", date(2023, 4, 30)),
        ("02/2024", date(2024, 2, 29)),  # leap year
        ("2023-02", date(2023, 2, 28)),
        ("12/2023", date(2023, 12, 31)),  # into next year and back
    ],
)
def test_a_month_only_expiry_is_the_end_of_that_month(text, end_of_month):
    """Packaging prints "EXP 03/2023": usable through the last day of March."""
    assert line_parse(_row(expiry_date=text), today=TODAY).expiry_date == end_of_month


def test_the_current_month_has_not_expired():
    assert line_parse(_row(expiry_date="03/2022"), today=TODAY).expiry_date == date(2022, 3, 31)


def test_expiring_today_is_still_shipped():
    assert line_parse(_row(expiry_date=TODAY.isoformat()), today=TODAY).expiry_date == TODAY


@pytest.mark.parametrize("text", ["2022-03-13", "02/2022", "2021-12", "13.03.2022"])
def test_expired_goods_are_refused(text):
    assert _errors(expiry_date=text) == {"expiry_date": [LineError.EXPIRED]}


@pytest.mark.parametrize("text", ["soon", "31.02.2023", "2023-13", "13/2023", "2023-9-31x"])
def test_a_non_date_is_refused(text):
    assert _errors(expiry_date=text) == {"expiry_date": [LineError.NOT_A_DATE]}


# --- cold chain: yes or no, in the languages of the mission -------------------------------------


@pytest.mark.parametrize(
    "word",
    ["yes", "Y", "TRUE", "1", "x", "✓", "כן", "так", "Да", 1],
    ids=repr,
)
def test_yes_words_in_english_hebrew_ukrainian_and_russian(word):
    assert line_parse(_row(cold_chain=word), today=TODAY).cold_chain is True


@pytest.mark.parametrize(
    "word",
    ["no", "N", "false", "0", "", None, "לא", "ні", "НЕТ", 0],
    ids=repr,
)
def test_no_words_in_english_hebrew_ukrainian_and_russian(word):
    assert line_parse(_row(cold_chain=word), today=TODAY).cold_chain is False


@pytest.mark.parametrize("word", ["maybe", "2", "oui"])
def test_cold_chain_is_yes_or_no(word):
    assert _errors(cold_chain=word) == {"cold_chain": [LineError.NOT_YES_NO]}


# --- every error at once -------------------------------------------------------------------------


def test_all_errors_of_a_row_are_reported_at_once():
    """The officer fixes the row once, not field by field."""
    errors = _errors(
        item="",
        category="toys",
        quantity="lots",
        unit="bags",
        gross_weight_kg="12.3456",
        pallets="-1",
        volume_m3="1000000",
        lot="L" * 61,
        expiry_date="01/2020",
        cold_chain="maybe",
        donor="D" * 201,
    )
    assert errors == {
        "item": [LineError.REQUIRED],
        "category": [LineError.UNKNOWN_CATEGORY],
        "quantity": [LineError.NOT_A_NUMBER],
        "unit": [LineError.UNKNOWN_UNIT],
        "gross_weight_kg": [LineError.TOO_PRECISE],
        "pallets": [LineError.NEGATIVE],
        "volume_m3": [LineError.TOO_LARGE],
        "lot": [LineError.TOO_LONG],
        "expiry_date": [LineError.EXPIRED],
        "cold_chain": [LineError.NOT_YES_NO],
        "donor": [LineError.TOO_LONG],
    }


def test_errors_are_codes_with_a_message_for_each():
    assert set(LINE_MESSAGES) == set(LineError)
    messages = line_error_messages({"quantity": [LineError.NOT_A_NUMBER.value], "lot": [LineError.TOO_LONG.value]})
    assert messages == {
        "quantity": [str(LINE_MESSAGES[LineError.NOT_A_NUMBER])],
        "lot": [str(LINE_MESSAGES[LineError.TOO_LONG])],
    }
