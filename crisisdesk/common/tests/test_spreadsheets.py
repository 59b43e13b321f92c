"""`common/spreadsheets.py`: a CSV or XLSX file read into a header and rows of text, by its
content, in its encoding and delimiter, within the caller's limits; files that are not
spreadsheets, zip bombs and XML entities refused whole; cells written safe from formulas.

Files are real, built in each test (csv and openpyxl), in the encodings they name. Nothing
here needs the database."""

import csv
import io
import zipfile
from datetime import date, datetime

import pytest
from django.utils import translation

from crisisdesk.common.spreadsheets import (
    CSV,
    FORMULA_PREFIXES,
    SHEET_MESSAGES,
    XLSX,
    Sheet,
    SheetError,
    SheetRejected,
    header_key,
    sheet_read,
    spreadsheet_safe,
)

MAX_BYTES = 5 * 1024 * 1024


def _csv(rows, *, delimiter=",", encoding="utf-8") -> bytes:
    buffer = io.StringIO(newline="")
    csv.writer(buffer, delimiter=delimiter).writerows(rows)
    return buffer.getvalue().encode(encoding)


def _xlsx(rows) -> bytes:
    """The rows as a workbook's first sheet, cells keeping their Python types; a second sheet
    that is not to be read."""
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(list(row))
    workbook.create_sheet("Notes").append(["This sheet is not read"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _read(content: bytes, **limits) -> Sheet:
    return sheet_read(content, **{"max_bytes": MAX_BYTES, "max_rows": 1000, **limits})


def _rejected(content: bytes, code: SheetError, **limits) -> SheetRejected:
    with pytest.raises(SheetRejected) as caught:
        _read(content, **limits)
    assert (caught.value.code, caught.value.field) == (code, "file")
    return caught.value


def _with_member(content: bytes, name: str, data: bytes, *, replace: bool = False) -> bytes:
    patched = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(content)) as source, zipfile.ZipFile(patched, "w", zipfile.ZIP_DEFLATED) as target:
        for member in source.infolist():
            if not (replace and member.filename == name):
                target.writestr(member, source.read(member))
        target.writestr(name, data)
    return patched.getvalue()


# --- CSV: encodings and delimiters -----------------------------------------------------------


@pytest.mark.parametrize(
    ("encoding", "delimiter", "rows", "detected"),
    [
        ("utf-8", ",", [["Item", "Name"], ["Ковдри вовняні", "שמיכות צמר"]], "utf-8"),
        ("utf-8-sig", ";", [["Item", "Name"], ["Ковдри вовняні", "Koce wełniane"]], "utf-8-sig"),
        ("utf-16", "\t", [["Item", "Name"], ["שמיכות צמר", "Ковдри"]], "utf-16"),
        ("utf-32", ",", [["Item", "Name"], ["שמיכות צמר", "Ковдри"]], "utf-32"),
        ("cp1251", ";", [["Прізвище", "Ім'я"], ["Коваленко", "Олена"]], "cp1251"),
        ("koi8-u", ";", [["Прізвище", "Ім'я"], ["Коваленко", "Олена"]], "koi8-u"),
        ("cp1255", ",", [["שם משפחה", "שם פרטי"], ["כהן", "אברהם ₪"]], "cp1255"),
        # ‗ (0xDF) is a byte Windows-1255 lacks: only ISO-8859-8 reads it
        ("iso-8859-8", ",", [["שם משפחה", "שם פרטי"], ["לוי", "שרה ‗"]], "iso-8859-8"),
    ],
)
def test_csv_files_are_read_in_their_encoding_and_delimiter_and_say_which(encoding, delimiter, rows, detected):
    sheet = _read(_csv(rows, delimiter=delimiter, encoding=encoding))

    assert (sheet.file_format, sheet.encoding, sheet.delimiter) == (CSV, detected, delimiter)
    assert sheet.header == tuple(rows[0])
    assert [row.cells for row in sheet.rows] == [tuple(row) for row in rows[1:]]


def test_a_hebrew_file_without_windows_1255_bytes_reads_alike_in_both_hebrew_encodings():
    # ISO-8859-8 and Windows-1255 read every Hebrew letter alike: Windows-1255 is named.
    content = _csv([["פריט", "כמות"], ['משקל ק"ג', "12"]], encoding="iso-8859-8")

    sheet = _read(content)

    assert (sheet.header, sheet.rows[0].cells, sheet.encoding) == (("פריט", "כמות"), ('משקל ק"ג', "12"), "cp1255")


# Real sentences, names and headers, as registrations and manifests hold them.
UKRAINIAN = [
    ["Прізвище", "Ім'я", "По батькові", "Дата народження", "Примітка"],
    ["Коваленко", "Олена", "Петрівна", "1984-03-12", "Їде до сестри у Львів, має з собою документи."],
    ["Шевченко", "Тарас", "Григорович", "1990-01-01", "Шукає сина, востаннє бачив його біля вокзалу."],
]
RUSSIAN = [
    ["Фамилия", "Имя", "Отчество", "Примечание"],
    ["Иванов", "Сергей", "Петрович", "Съешь же ещё этих мягких французских булок, да выпей чаю."],
    ["Смирнова", "Анна", "Юрьевна", "Просит связаться с ней по телефону после обеда."],
]
UKRAINIAN_CAPITALS = [["ПРІЗВИЩЕ", "ІМ'Я"], ["КОВАЛЕНКО", "ОЛЕНА"], ["ШЕВЧЕНКО", "ТАРАС"]]
RUSSIAN_CAPITALS = [["ФАМИЛИЯ", "ИМЯ"], ["ИВАНОВ", "СЕРГЕЙ"], ["СМИРНОВА", "АННА"]]
LOWERCASE = [["товар", "кількість"], ["ковдри вовняні", "200"], ["генератор дизельний", "6"]]
ONE_NAME = [["Олена"]]


@pytest.mark.parametrize("encoding", ["cp1251", "koi8-u"])
@pytest.mark.parametrize(
    "rows",
    [UKRAINIAN, RUSSIAN, UKRAINIAN_CAPITALS, RUSSIAN_CAPITALS, LOWERCASE, ONE_NAME],
    ids=["ukrainian", "russian", "ukrainian-capitals", "russian-capitals", "lowercase", "one-name"],
)
def test_ukrainian_and_russian_read_right_in_windows_1251_and_in_koi8_u(rows, encoding):
    """The same bytes read in the other encoding are Cyrillic too, with the cases swapped and
    the letters shuffled: the letters tell which reading is the text."""
    sheet = _read(_csv(rows, delimiter=";", encoding=encoding))

    assert sheet.encoding == encoding
    assert [sheet.header, *(row.cells for row in sheet.rows)] == [tuple(row) for row in rows]


HEBREW = [
    ["שם משפחה", "שם פרטי", "הערה"],
    ["כהן", "אברהם", "מחפש את בנו, ראה אותו לאחרונה ליד התחנה המרכזית."],
    ["לוי", "שרה", "נוסעת לאחותה בחיפה עם כל המסמכים."],
]


@pytest.mark.parametrize("encoding", ["cp1255", "iso-8859-8"])
def test_hebrew_is_not_taken_for_cyrillic(encoding):
    sheet = _read(_csv(HEBREW, encoding=encoding))

    assert sheet.encoding in ("cp1255", "iso-8859-8")
    assert [sheet.header, *(row.cells for row in sheet.rows)] == [tuple(row) for row in HEBREW]


def test_a_byte_order_mark_that_lies_is_refused_with_the_encoding_it_claimed():
    rejected = _rejected(b"\xff\xfeI\x00t\x00\x00\xd8", SheetError.UNREADABLE)  # a lone surrogate

    assert rejected.details == {"encoding": "utf-16"}


def test_the_delimiter_is_the_one_that_splits_the_header_and_the_rows_alike():
    # a semicolon file with decimal commas: its rows split on commas too, its header does not
    rows = [["Item", "Quantity", "Weight kg"], ["Blankets", "12,5", "13,2"], ["Tents", "3", "250,75"]]

    sheet = _read(_csv(rows, delimiter=";"))

    assert sheet.delimiter == ";"
    assert [row.cells for row in sheet.rows] == [tuple(row) for row in rows[1:]]


def test_blank_rows_are_skipped_and_rows_keep_their_numbers_in_the_file():
    content = b"\r\n  ,  \r\nName,Phone,,\r\nOlena,+380501234567\r\n,,\r\nTaras,+380671112233\r\n"

    sheet = _read(content)

    assert sheet.header == ("Name", "Phone")  # formatted but empty columns at the right dropped
    assert [(row.number, row.cells) for row in sheet.rows] == [
        (4, ("Olena", "+380501234567")),
        (6, ("Taras", "+380671112233")),
    ]


def test_a_header_with_nothing_under_it_is_a_sheet_without_rows():
    sheet = _read(b"Name,Phone\n,\n")

    assert (sheet.header, sheet.rows) == (("Name", "Phone"), [])


# --- XLSX ------------------------------------------------------------------------------------


def test_an_xlsx_file_is_its_first_sheet_with_cells_as_the_spreadsheet_shows_them():
    """12 not 12.0, 0.3 not 0.30000000000000004, dates as ISO dates; rows end at their last
    non-empty cell."""
    rows = [
        ["Name", "Born", "Seen", "Count", "Weight", "Sum", "Registered", None],
        ["Олена", date(1984, 3, 12), datetime(2026, 3, 1, 14, 30), 12, 12.0, 0.1 + 0.2, True, None],
        [None, None, None, None, None, None, None, None],
        ["אברהם", datetime(1990, 1, 1), None, -5, 1250.5, None, False, None],
    ]

    sheet = _read(_xlsx(rows))

    assert (sheet.file_format, sheet.encoding, sheet.delimiter) == (XLSX, "", "")
    assert sheet.header == ("Name", "Born", "Seen", "Count", "Weight", "Sum", "Registered")
    assert [(row.number, row.cells) for row in sheet.rows] == [
        (2, ("Олена", "1984-03-12", "2026-03-01 14:30", "12", "12", "0.3", "TRUE")),
        (4, ("אברהם", "1990-01-01", "", "-5", "1250.5", "", "FALSE")),
    ]


def test_an_xlsx_file_whose_declared_size_is_too_small_is_read_to_its_last_row():
    content = _xlsx([["Name"], *([f"Person {n}"] for n in range(10))])
    patched = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(content)) as source, zipfile.ZipFile(patched, "w", zipfile.ZIP_DEFLATED) as target:
        for member in source.infolist():
            data = source.read(member)
            if member.filename == "xl/worksheets/sheet1.xml":
                assert b'<dimension ref="A1:A11"' in data
                data = data.replace(b'<dimension ref="A1:A11"', b'<dimension ref="A1:XFD3"')
            target.writestr(member, data)

    sheet = _read(patched.getvalue())

    assert len(sheet.rows) == 10
    assert sheet.rows[-1].cells == ("Person 9",)


def test_an_xlsx_with_an_xml_entity_is_refused_unparsed():
    content = _xlsx([["Name", "Count"], ["Olena", 92]])
    with zipfile.ZipFile(io.BytesIO(content)) as source:
        sheet = source.read("xl/worksheets/sheet1.xml")
    hostile = sheet.replace(
        b"<worksheet",
        b'<!DOCTYPE worksheet [<!ENTITY secret SYSTEM "file:///etc/passwd">]><worksheet',
        1,
    ).replace(b"<v>92</v>", b"<v>&secret;</v>", 1)

    _rejected(_with_member(content, "xl/worksheets/sheet1.xml", hostile, replace=True), SheetError.UNREADABLE)


def test_an_xlsx_that_unpacks_to_more_than_the_limit_is_refused_unopened():
    limit = 4 * 1024 * 1024
    bomb = _with_member(_xlsx([["Name"], ["Olena"]]), "xl/media/padding.bin", bytes(limit + 1))
    assert len(bomb) < 64 * 1024  # small on the wire

    _rejected(bomb, SheetError.TOO_LARGE, max_unpacked_bytes=limit)
    assert _read(bomb, max_unpacked_bytes=2 * limit).rows[0].cells == ("Olena",)


def test_a_zip_that_is_not_a_workbook_is_refused():
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as target:
        target.writestr("word/document.xml", "<document/>")

    _rejected(archive.getvalue(), SheetError.UNREADABLE)


# --- files that are not spreadsheets ---------------------------------------------------------


def _pdf() -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" * 64, id="exe"),
        pytest.param(b"\x7fELF\x02\x01\x01" + bytes(200), id="elf"),
        pytest.param(bytes(range(256)) * 8, id="binary"),
        pytest.param(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(500), id="old-xls"),
        pytest.param(b"PK\x03\x04 not really a zip", id="broken-zip"),
        pytest.param(b"Name,Phone\nOlena,\x01\x02\x03\n", id="control-characters"),
        pytest.param(_pdf(), id="pdf"),
    ],
)
def test_a_file_that_is_not_csv_or_xlsx_is_refused(content):
    _rejected(content, SheetError.UNREADABLE)


# --- limits ----------------------------------------------------------------------------------


@pytest.mark.parametrize("content", [b"", b"\r\n\r\n , ,\r\n", b"\xef\xbb\xbf"])
def test_an_empty_file_is_refused(content):
    _rejected(content, SheetError.EMPTY)


def test_a_file_over_the_byte_limit_is_refused():
    rejected = _rejected(b"Name\n" + b"x" * 100, SheetError.TOO_LARGE, max_bytes=100)

    assert rejected.details == {"max_bytes": 100}


@pytest.mark.parametrize("build", [_csv, _xlsx], ids=["csv", "xlsx"])
def test_more_data_rows_than_the_limit_are_refused_and_blank_rows_do_not_count(build):
    rows = [["Name"], *([f"Person {n}"] for n in range(10))]
    spaced = [rows[0]]
    for row in rows[1:]:
        spaced.extend([row, [""]])

    assert len(_read(build(spaced), max_rows=10).rows) == 10
    rejected = _rejected(build([*rows, ["One more"]]), SheetError.TOO_MANY_ROWS, max_rows=10)
    assert rejected.details == {"max_rows": 10}


@pytest.mark.parametrize("build", [_csv, _xlsx], ids=["csv", "xlsx"])
def test_more_columns_than_the_limit_are_refused(build):
    header = [f"Column {n}" for n in range(6)]

    assert len(_read(build([header[:5], ["x"] * 5]), max_columns=5).header) == 5
    rejected = _rejected(build([header, ["x"] * 6]), SheetError.TOO_MANY_COLUMNS, max_columns=5)
    assert rejected.details == {"max_columns": 5}


def test_an_xlsx_row_wider_than_the_limit_is_refused_even_under_a_narrow_header():
    content = _xlsx([["Name"], ["Olena", *([None] * 4), "far right"]])

    _rejected(content, SheetError.TOO_MANY_COLUMNS, max_columns=5)


def test_every_refusal_has_a_translatable_message():
    assert set(SHEET_MESSAGES) == set(SheetError)
    with translation.override("uk"):
        assert SheetRejected(SheetError.EMPTY).message != "The file is empty."
    assert SheetRejected(SheetError.UNREADABLE).message == str(SHEET_MESSAGES[SheetError.UNREADABLE])


# --- header names ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("Gross Weight (kg)", "gross weight kg"),
        ("gross_weight_kg", "gross weight kg"),
        ("GROSS WEIGHT, KG", "gross weight kg"),
        ("Volume (m³)", "volume m3"),
        ("  Дата   народження ", "дата народження"),
        ("Ім'я", "ім я"),
        ('משקל ק"ג', "משקל ק ג"),
    ],
)
def test_header_names_are_matched_by_their_normalised_text(text, key):
    assert header_key(text) == key


# --- writing: cells safe from formulas -------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "safe"),
    [
        ("=cmd()", "'=cmd()"),
        ("+1", "'+1"),
        ("-5", "'-5"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("Blankets", "Blankets"),
        ("a=b", "a=b"),
        (12, "12"),
        (None, ""),
    ],
)
def test_spreadsheet_safe_neutralises_what_a_spreadsheet_would_run(value, safe):
    assert spreadsheet_safe(value) == safe
    assert not spreadsheet_safe(value).startswith(FORMULA_PREFIXES)
