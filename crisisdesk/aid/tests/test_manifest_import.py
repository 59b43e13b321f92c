"""The manifest import (aid/manifest_import.py): a CSV or XLSX file's valid rows become lines
with their provenance, its invalid rows are kept with their reasons, nothing is lost; files
that are not manifests are refused whole and write nothing; rejected rows are corrected or
downloaded with their reasons, safe to open in a spreadsheet.

Files are real, built in each test (csv and openpyxl), in the encodings they name."""

import csv
import hashlib
import io
import json
import zipfile
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone, translation
from django.utils.translation import pgettext

from crisisdesk.aid.errors import AidError, AidValidationError
from crisisdesk.aid.lines import LINE_MESSAGES, LineError, line_error_messages
from crisisdesk.aid.manifest_import import (
    MANIFEST_MAX_BYTES,
    MAX_COLUMNS,
    MAX_ROWS,
    XLSX_MAX_UNPACKED_BYTES,
    column_field,
    manifest_import,
    rejected_row_correct,
    rejected_rows_csv,
)
from crisisdesk.aid.models import ManifestImport, ManifestLine, RejectedRow, ShipmentEvent, Status
from crisisdesk.aid.services import line_add
from crisisdesk.common.models import AuditEvent
from crisisdesk.common.origin import SYSTEM
from crisisdesk.common.spreadsheets import FORMULA_PREFIXES

HEADER = [
    "Item",
    "Category",
    "Qty",
    "UoM",
    "Gross weight (kg)",
    "Pallets",
    "CBM",
    "Batch",
    "Expiry date",
    "Cold chain",
    "Donor",
    "Notes",
]
LINE, BLANK = "line", "blank"


def _broken_manifest(*, typed: bool) -> tuple[list[list], dict[int, object]]:
    """A manifest with good rows and broken ones, and what each row (by its spreadsheet
    number, the header being 1) should become: LINE, BLANK, or its errors per field. With
    `typed`, cells are what a spreadsheet stores (numbers, dates, booleans), otherwise text."""
    in_a_year = timezone.localdate() + timedelta(days=365)
    rows = [
        HEADER,
        # 2: a good medical line
        [
            "Paracetamol 500 mg, boxes of 20",
            "medical",
            200 if typed else "200",
            "box",
            480.0 if typed else "480",
            2 if typed else "2",
            3.6 if typed else "3.6",
            "L2291",
            datetime.combine(in_a_year, datetime.min.time()) if typed else in_a_year.isoformat(),
            True if typed else "yes",
            "Magen David Adom",
            "",
        ],
        # 3: decimal commas, as a European sheet writes them
        ["Wool blankets", "winter", "500", "pcs", "1250,5", "2,5", "", "", "", "no", "Keren Hayesod", "decimal comma"],
        # 4: no quantity
        ["Insulin pens", "medical", "", "box", "15", "", "", "B77", in_a_year.isoformat(), "yes", "", ""],
        # 5: a category the manifest does not have, and a formula in a column it does not use
        ["Teddy bears", "toys", "40", "pcs", "30", "", "", "", "", "", "", "=cmd()"],
        # 6: a negative weight and negative pallets, a formula in the donor
        ["Canned tuna", "food", "800", "box", -40 if typed else "-40", "-5", "", "", "", "", "@SUM(A1)", ""],
        # 7: wholly blank
        [None if typed else ""] * len(HEADER),
        # 8: expired medicine
        [
            "Amoxicillin 250 mg",
            "medical",
            "120",
            "box",
            "60",
            "",
            "",
            "A12",
            date(2020, 1, 31) if typed else "2020-01-31",
            "yes",
            "",
            "",
        ],
        # 9: not a date
        ["Chlorine tablets", "hygiene", "50", "box", "25", "", "", "", "31/13/2026", "", "", ""],
        # 10: an item longer than a line holds
        ["Tent " + "x" * 200, "shelter", "10", "pcs", "500", "", "", "", "", "", "", ""],
        # 11: a good line with the spreadsheet word for the category
        [
            "Diesel generator 5 kVA",
            "generators",
            "6",
            "pcs",
            "540",
            "3",
            4.2 if typed else "4,2",
            "",
            "",
            "no",
            "Israel Electric",
            "",
        ],
    ]
    expected = {
        2: LINE,
        3: LINE,
        4: {"quantity": [LineError.REQUIRED]},
        5: {"category": [LineError.UNKNOWN_CATEGORY]},
        6: {"gross_weight_kg": [LineError.NOT_POSITIVE], "pallets": [LineError.NEGATIVE]},
        7: BLANK,
        8: {"expiry_date": [LineError.EXPIRED]},
        9: {"expiry_date": [LineError.NOT_A_DATE]},
        10: {"item": [LineError.TOO_LONG]},
        11: LINE,
    }
    return rows, expected


@pytest.fixture
def officer(users):
    return users["logistics_officer"]


@pytest.fixture
def broken_file(manifest_csv, manifest_xlsx):
    """`broken_file("csv")` / `broken_file("xlsx")`: (file name, content, expected by row)."""

    def build(file_format: str):
        rows, expected = _broken_manifest(typed=file_format == "xlsx")
        content = manifest_csv(rows) if file_format == "csv" else manifest_xlsx(rows)
        return f"manifest.{file_format}", content, expected

    return build


@pytest.fixture
def imported(officer, shipment, broken_file):
    """The broken CSV imported into the shipment: (the import, expected by row)."""
    name, content, expected = broken_file("csv")
    batch = manifest_import(actor=officer, origin=SYSTEM, shipment=shipment, file_name=name, content=content)
    return batch, expected


def _good_rows(count: int) -> list[list[str]]:
    return [
        ["Item", "Category", "Quantity", "Unit", "Gross weight (kg)"],
        *([f"Water, 6 x 1.5 l, pack {n}", "food", "10", "box", "92"] for n in range(count)),
    ]


def _refused(code: AidError, **call) -> AidValidationError:
    with pytest.raises(AidValidationError) as caught:
        manifest_import(**call)
    assert caught.value.code == code
    return caught.value


def _nothing_written(shipment, version: int) -> None:
    shipment.refresh_from_db()
    assert shipment.version == version
    assert not ManifestImport.objects.filter(shipment=shipment).exists()
    assert not RejectedRow.objects.filter(manifest_import__shipment=shipment).exists()
    assert not shipment.events.filter(kind=ShipmentEvent.Kind.IMPORTED).exists()


def _import_audits(shipment):
    return AuditEvent.objects.filter(
        action=AuditEvent.Action.AID_SHIPMENT_CHANGED, target_type="aid.shipment", target_id=str(shipment.pk)
    ).filter(changes__has_key="imported")


# --- rows: lines or rejected, nothing lost --------------------------------------------------


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_valid_rows_become_lines_after_the_last_and_broken_rows_are_kept_with_their_reasons(
    officer, shipment, typed_line, broken_file, file_format
):
    # given a shipment with one line typed in
    line_add(actor=officer, origin=SYSTEM, shipment=shipment, line=typed_line())
    shipment.refresh_from_db()
    version = shipment.version
    name, content, expected = broken_file(file_format)

    # when the file is imported
    batch = manifest_import(actor=officer, origin=SYSTEM, shipment=shipment, file_name=name, content=content)

    # then every non-blank row is a line or a rejected row, never both, never neither
    good = sorted(number for number, outcome in expected.items() if outcome == LINE)
    bad = {number: outcome for number, outcome in expected.items() if isinstance(outcome, dict)}
    batch.refresh_from_db()
    assert (batch.file_format, batch.sha256) == (file_format, hashlib.sha256(content).hexdigest())
    assert (batch.rows_total, batch.rows_imported, batch.rows_rejected) == (len(good) + len(bad), len(good), len(bad))
    assert batch.rows_imported + batch.rows_rejected == batch.rows_total
    lines = list(ManifestLine.objects.filter(source_import=batch).order_by("line_number"))
    assert [line.source_row for line in lines] == good
    assert [line.line_number for line in lines] == list(range(2, 2 + len(good)))  # after the typed line
    rejected = {row.row_number: row.errors for row in batch.rejected_rows.all()}
    assert rejected == {
        number: {field: [str(c) for c in codes] for field, codes in errors.items()} for number, errors in bad.items()
    }
    blank = [number for number, outcome in expected.items() if outcome == BLANK]
    assert not set(blank) & ({line.source_row for line in lines} | set(rejected))
    # and the shipment has changed once, on its timeline and in the audit log, without row content
    shipment.refresh_from_db()
    assert shipment.version == version + 1
    event = shipment.events.get(kind=ShipmentEvent.Kind.IMPORTED)
    assert (event.data["imported"], event.data["rejected"], event.data["import"]) == (len(good), len(bad), batch.pk)
    (audit,) = _import_audits(shipment)
    assert audit.changes == {"imported": len(good), "rejected": len(bad), "file": batch.sha256[:12]}
    assert "Paracetamol" not in json.dumps(audit.changes)


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_lines_carry_the_values_as_the_spreadsheet_shows_them(officer, shipment, broken_file, file_format):
    name, content, _expected = broken_file(file_format)
    batch = manifest_import(actor=officer, origin=SYSTEM, shipment=shipment, file_name=name, content=content)

    by_row = {line.source_row: line for line in batch.lines.all()}
    medicine, blankets, generator = by_row[2], by_row[3], by_row[11]
    assert (medicine.category, medicine.unit, medicine.quantity) == ("medical", "box", Decimal("200"))
    assert (medicine.gross_weight_kg, medicine.volume_m3, medicine.lot) == (Decimal("480"), Decimal("3.6"), "L2291")
    assert medicine.expiry_date == timezone.localdate() + timedelta(days=365)
    assert (medicine.cold_chain, medicine.donor) == (True, "Magen David Adom")
    assert (blankets.gross_weight_kg, blankets.pallets, blankets.cold_chain) == (
        Decimal("1250.5"),
        Decimal("2.5"),
        False,
    )
    assert (generator.category, generator.volume_m3) == ("power", Decimal("4.2"))


def test_a_rejected_row_keeps_every_cell_as_read_including_columns_the_manifest_does_not_use(imported):
    batch, _expected = imported

    row = batch.rejected_rows.get(row_number=5)

    assert row.values["category"] == "toys" and row.values["item"] == "Teddy bears"
    assert row.values["Notes"] == "=cmd()"
    assert row.resolved_line is None


def test_cells_beyond_the_header_and_columns_without_one_are_kept_by_their_letter(officer, shipment, manifest_csv):
    rows = [
        ["Item", "Category", "Quantity", "Unit", "Gross weight (kg)", ""],
        ["Cots", "furniture", "20", "pcs", "300", "folding", "extra"],
    ]

    batch = manifest_import(
        actor=officer, origin=SYSTEM, shipment=shipment, file_name="m.csv", content=manifest_csv(rows)
    )

    row = batch.rejected_rows.get()
    assert (row.values["F"], row.values["G"]) == ("folding", "extra")


@pytest.mark.parametrize(
    "case",
    [
        ("utf-8", ",", ["Item", "Category", "Qty", "Unit", "Weight kg"], ["Ковдри вовняні", "שמיכות צמר"]),
        (
            "cp1251",
            ";",
            ["Найменування", "Категорія", "Кількість", "Одиниця", "Вага брутто, кг"],
            ["Ковдри вовняні", "Генератор дизельний"],
        ),
        (
            "koi8-u",
            ";",
            ["Наименование", "Категория", "Количество", "Единица", "Вес брутто, кг"],
            ["Одеяла шерстяные", "Генератор дизельный"],
        ),
        ("iso-8859-8", ",", ["פריט", "קטגוריה", "כמות", "יחידה", 'משקל ק"ג'], ["שמיכות צמר", "תרופות"]),
    ],
)
def test_manifests_in_the_desks_languages_import_whatever_their_encoding(officer, shipment, manifest_csv, case):
    """The reading itself is tested in common/tests/test_spreadsheets.py; here, headers in
    Ukrainian, Russian and Hebrew, and decimal commas in a semicolon file, make lines."""
    encoding, delimiter, header, items = case
    rows = [header, *([item, "winter", "12,5" if delimiter != "," else "12.5", "kg", "13"] for item in items)]
    content = manifest_csv(rows, delimiter=delimiter, encoding=encoding)

    batch = manifest_import(actor=officer, origin=SYSTEM, shipment=shipment, file_name="m.csv", content=content)

    assert batch.rows_rejected == 0
    assert [line.item for line in batch.lines.order_by("line_number")] == items
    assert {line.quantity for line in batch.lines.all()} == {Decimal("12.5")}


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("Item", "item"),
        ("Description", "item"),
        ("Qty", "quantity"),
        ("Quantity", "quantity"),
        ("Unit", "unit"),
        ("UoM", "unit"),
        ("Gross weight (kg)", "gross_weight_kg"),
        ("Weight kg", "gross_weight_kg"),
        ("GW kg", "gross_weight_kg"),
        ("gross_weight_kg", "gross_weight_kg"),
        ("Pallets", "pallets"),
        ("Volume (m3)", "volume_m3"),
        ("Volume (m³)", "volume_m3"),
        ("CBM", "volume_m3"),
        ("Lot", "lot"),
        ("Batch", "lot"),
        ("Expiry", "expiry_date"),
        ("Expiry date", "expiry_date"),
        ("Exp", "expiry_date"),
        ("Cold chain", "cold_chain"),
        ("Donor", "donor"),
        ("CATEGORY", "category"),
        ("Gross weight (t)", None),  # tonnes are not kilograms: never read as them
        ("Weight", None),
        ("Remarks", None),
    ],
)
def test_headers_map_to_line_fields_by_name_and_synonym(header, field):
    assert column_field(header) == field


# --- files refused whole --------------------------------------------------------------------


def test_a_file_without_the_required_columns_is_refused_and_writes_nothing(officer, shipment, manifest_csv):
    shipment.refresh_from_db()
    rows = [["Item", "Category", "Qty", "Gross weight (t)"], ["Blankets", "winter", "100", "0.5"]]

    error = _refused(
        AidError.IMPORT_COLUMNS_MISSING,
        actor=officer,
        origin=SYSTEM,
        shipment=shipment,
        file_name="m.csv",
        content=manifest_csv(rows),
    )

    assert error.details == {"missing": ["unit", "gross_weight_kg"]}
    _nothing_written(shipment, shipment.version)
    assert not shipment.lines.exists()


def test_two_columns_for_one_field_are_refused_rather_than_one_guessed(officer, shipment, manifest_csv):
    shipment.refresh_from_db()
    rows = [
        ["Item", "Category", "Qty", "Unit", "Weight kg", "GW kg"],
        ["Blankets", "winter", "100", "pcs", "45", "450"],
    ]

    error = _refused(
        AidError.IMPORT_COLUMNS_DUPLICATE,
        actor=officer,
        origin=SYSTEM,
        shipment=shipment,
        file_name="m.csv",
        content=manifest_csv(rows),
    )

    assert error.details == {"duplicated": {"gross_weight_kg": ["Weight kg", "GW kg"]}}
    _nothing_written(shipment, shipment.version)


def test_the_same_file_twice_is_refused_and_adds_nothing_but_another_shipment_may_take_it(
    officer, shipment, plan_shipment, broken_file
):
    name, content, _expected = broken_file("csv")
    first = manifest_import(actor=officer, origin=SYSTEM, shipment=shipment, file_name=name, content=content)
    shipment.refresh_from_db()
    version, lines = shipment.version, shipment.lines.count()

    _refused(
        AidError.IMPORT_ALREADY, actor=officer, origin=SYSTEM, shipment=shipment, file_name="again.csv", content=content
    )

    shipment.refresh_from_db()
    assert (shipment.version, shipment.lines.count()) == (version, lines)
    assert list(ManifestImport.objects.filter(shipment=shipment)) == [first]
    assert RejectedRow.objects.filter(manifest_import__shipment=shipment).count() == first.rows_rejected
    other = manifest_import(actor=officer, origin=SYSTEM, shipment=plan_shipment(), file_name=name, content=content)
    assert other.rows_imported == first.rows_imported


def test_a_shipment_that_has_left_takes_no_import(officer, shipment, walk_shipment, broken_file):
    shipment = walk_shipment(shipment, Status.DEPARTED)
    version, lines = shipment.version, shipment.lines.count()
    name, content, _expected = broken_file("csv")

    _refused(AidError.MANIFEST_LOCKED, actor=officer, origin=SYSTEM, shipment=shipment, file_name=name, content=content)

    _nothing_written(shipment, version)
    assert shipment.lines.count() == lines


def test_a_cancelled_shipment_takes_no_import(officer, shipment, broken_file):
    from crisisdesk.aid.services import shipment_move

    shipment = shipment_move(
        actor=officer, origin=SYSTEM, shipment=shipment, to_status=Status.CANCELLED, note="No aircraft"
    )
    name, content, _expected = broken_file("csv")

    _refused(AidError.MANIFEST_LOCKED, actor=officer, origin=SYSTEM, shipment=shipment, file_name=name, content=content)


def _with_member(content: bytes, name: str, data: bytes) -> bytes:
    patched = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(content)) as source, zipfile.ZipFile(patched, "w", zipfile.ZIP_DEFLATED) as target:
        for member in source.infolist():
            target.writestr(member, source.read(member))
        target.writestr(name, data)
    return patched.getvalue()


@pytest.fixture
def refused_file(manifest_csv, manifest_xlsx, signed_receipt_pdf):
    """`refused_file(kind)`: a file the reading refuses, with the aid code and details it gets
    (the reading's own tests are in common/tests/test_spreadsheets.py)."""

    def build(kind: str) -> tuple[bytes, AidError, dict]:
        if kind == "empty":
            return b"", AidError.FILE_EMPTY, {}
        if kind == "header-only":
            return b"Item,Category,Quantity,Unit,Gross weight (kg)\n,,,,\n", AidError.FILE_EMPTY, {}
        if kind == "pdf":
            return signed_receipt_pdf, AidError.IMPORT_FILE_UNREADABLE, {}
        if kind == "over-size":
            content = b"Item,Category,Quantity,Unit,Gross weight (kg)\n" + b"x" * MANIFEST_MAX_BYTES
            return content, AidError.FILE_TOO_LARGE, {"max_bytes": MANIFEST_MAX_BYTES}
        if kind == "zip-bomb":
            padding = bytes(XLSX_MAX_UNPACKED_BYTES + 1)
            return (
                _with_member(manifest_xlsx(_good_rows(2)), "xl/media/padding.bin", padding),
                AidError.FILE_TOO_LARGE,
                {},
            )
        if kind == "too-many-rows":
            return manifest_csv(_good_rows(MAX_ROWS + 1)), AidError.IMPORT_TOO_LARGE, {"max_rows": MAX_ROWS}
        if kind == "too-many-columns":
            header, *rows = _good_rows(1)
            wide = [header + [f"Note {n}" for n in range(MAX_COLUMNS)], *rows]
            return manifest_csv(wide), AidError.IMPORT_TOO_LARGE, {"max_columns": MAX_COLUMNS}
        raise AssertionError(kind)

    return build


@pytest.mark.parametrize(
    "kind", ["empty", "header-only", "pdf", "over-size", "zip-bomb", "too-many-rows", "too-many-columns"]
)
def test_a_file_refused_whole_gets_its_aid_code_and_writes_nothing(officer, shipment, refused_file, kind):
    shipment.refresh_from_db()
    content, code, details = refused_file(kind)

    error = _refused(code, actor=officer, origin=SYSTEM, shipment=shipment, file_name="manifest.csv", content=content)

    assert (error.field, error.details) == ("file", details)
    _nothing_written(shipment, shipment.version)
    assert not shipment.lines.exists()


def test_the_file_name_is_kept_without_its_path_and_with_what_the_file_is(officer, shipment, manifest_xlsx):
    batch = manifest_import(
        actor=officer,
        origin=SYSTEM,
        shipment=shipment,
        file_name="C:\\Users\\x\\..\\manifest\u202e.csv",
        content=manifest_xlsx(_good_rows(1)),
    )

    assert batch.file_name == "manifest.xlsx"


# --- who may ---------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["logistics_officer", "admin"])
def test_those_who_manage_aid_may_import(users, shipment, broken_file, persona):
    name, content, _expected = broken_file("csv")

    batch = manifest_import(actor=users[persona], origin=SYSTEM, shipment=shipment, file_name=name, content=content)

    assert batch.imported_by == users[persona]


@pytest.mark.parametrize("persona", ["desk_chief", "consul", "diplomat", "border_officer", "case_officer"])
def test_others_may_not_import(users, shipment, broken_file, persona):
    shipment.refresh_from_db()
    name, content, _expected = broken_file("csv")

    with pytest.raises(PermissionDenied):
        manifest_import(actor=users[persona], origin=SYSTEM, shipment=shipment, file_name=name, content=content)

    _nothing_written(shipment, shipment.version)


# --- correcting a rejected row ---------------------------------------------------------------


def test_a_corrected_row_becomes_a_line_with_its_provenance(officer, shipment, imported):
    batch, _expected = imported
    row = batch.rejected_rows.get(row_number=4)  # the quantity was missing
    shipment.refresh_from_db()
    version, last = shipment.version, shipment.lines.order_by("line_number").last().line_number

    line = rejected_row_correct(actor=officer, origin=SYSTEM, row=row, values={**row.values, "quantity": "40"})

    row.refresh_from_db()
    assert row.resolved_line == line
    assert (line.source_import, line.source_row, line.line_number) == (batch, 4, last + 1)
    assert (line.item, line.quantity, line.cold_chain) == ("Insulin pens", Decimal("40"), True)
    assert row.values["quantity"] == ""  # the row still says what the file said
    shipment.refresh_from_db()
    assert shipment.version == version + 1
    event = shipment.events.filter(kind=ShipmentEvent.Kind.LINES_CHANGED).get()
    assert event.data == {"added": line.line_number, "import": batch.pk, "row": 4}
    assert AuditEvent.objects.filter(target_id=str(shipment.pk), changes__corrected_row=4).exists()


def test_a_correction_still_wrong_is_refused_with_its_errors_and_changes_nothing(officer, shipment, imported):
    batch, _expected = imported
    row = batch.rejected_rows.get(row_number=6)
    shipment.refresh_from_db()
    version, lines = shipment.version, shipment.lines.count()

    with pytest.raises(AidValidationError) as caught:
        rejected_row_correct(actor=officer, origin=SYSTEM, row=row, values={**row.values, "pallets": "5"})

    assert caught.value.code == AidError.LINE_INVALID
    assert caught.value.details == {"gross_weight_kg": [LineError.NOT_POSITIVE]}
    row.refresh_from_db()
    shipment.refresh_from_db()
    assert (row.resolved_line, shipment.version, shipment.lines.count()) == (None, version, lines)


def test_a_row_is_corrected_once(officer, imported):
    batch, _expected = imported
    row = batch.rejected_rows.get(row_number=5)
    rejected_row_correct(actor=officer, origin=SYSTEM, row=row, values={**row.values, "category": "winter"})

    with pytest.raises(AidValidationError) as caught:
        rejected_row_correct(actor=officer, origin=SYSTEM, row=row, values={**row.values, "category": "winter"})

    assert caught.value.code == AidError.ROW_RESOLVED
    assert ManifestLine.objects.filter(source_import=batch, source_row=5).count() == 1


def test_a_row_is_not_corrected_into_a_manifest_that_has_left(officer, shipment, imported, walk_shipment):
    batch, _expected = imported
    shipment = walk_shipment(shipment, Status.DEPARTED)
    row = batch.rejected_rows.get(row_number=5)
    lines = shipment.lines.count()

    with pytest.raises(AidValidationError) as caught:
        rejected_row_correct(actor=officer, origin=SYSTEM, row=row, values={**row.values, "category": "winter"})

    assert caught.value.code == AidError.MANIFEST_LOCKED
    row.refresh_from_db()
    assert (row.resolved_line, shipment.lines.count()) == (None, lines)


@pytest.mark.parametrize("persona", ["desk_chief", "consul", "diplomat"])
def test_others_may_not_correct_a_row(users, imported, persona):
    batch, _expected = imported
    row = batch.rejected_rows.get(row_number=5)

    with pytest.raises(PermissionDenied):
        rejected_row_correct(actor=users[persona], origin=SYSTEM, row=row, values={**row.values, "category": "winter"})

    row.refresh_from_db()
    assert row.resolved_line is None


# --- the file of rejected rows ---------------------------------------------------------------


def _read_csv(content: bytes) -> list[dict[str, str]]:
    assert content.startswith(b"\xef\xbb\xbf")  # Excel reads it as UTF-8
    return list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"), newline="")))


def test_the_rejected_rows_file_gives_each_row_with_its_reasons_in_the_readers_language(users, imported):
    batch, expected = imported

    for language in ("en", "uk"):
        with translation.override(language):
            rows = _read_csv(rejected_rows_csv(actor=users["desk_chief"], origin=SYSTEM, manifest_import=batch))
            # the file's own two columns are named in the reader's language too
            row_label, errors_label = (pgettext("rejected rows file", name) for name in ("row", "errors"))
            by_number = {int(row[row_label]): {**row, "errors": row[errors_label]} for row in rows}
            assert set(by_number) == {number for number, outcome in expected.items() if isinstance(outcome, dict)}
            for number, errors in expected.items():
                if isinstance(errors, dict):
                    messages = line_error_messages(
                        {field: [str(code) for code in codes] for field, codes in errors.items()}
                    )
                    for texts in messages.values():
                        assert all(text in by_number[number]["errors"] for text in texts)
            assert by_number[4]["item"] == "Insulin pens"
            assert str(LINE_MESSAGES[LineError.EXPIRED]) in by_number[8]["errors"]


def test_the_rejected_rows_file_never_carries_a_formula(users, imported):
    batch, _expected = imported

    rows = _read_csv(rejected_rows_csv(actor=users["desk_chief"], origin=SYSTEM, manifest_import=batch))

    by_number = {int(row["row"]): row for row in rows}
    assert by_number[5]["Notes"] == "'=cmd()"
    assert by_number[6]["donor"] == "'@SUM(A1)"
    assert by_number[6]["gross_weight_kg"] == "'-40"
    assert not any(cell.startswith(FORMULA_PREFIXES) for row in rows for cell in row.values())


def test_the_rejected_rows_file_leaves_out_corrected_rows_and_is_audited(users, imported):
    batch, _expected = imported
    row = batch.rejected_rows.get(row_number=5)
    rejected_row_correct(
        actor=users["logistics_officer"], origin=SYSTEM, row=row, values={**row.values, "category": "winter"}
    )

    rows = _read_csv(rejected_rows_csv(actor=users["desk_chief"], origin=SYSTEM, manifest_import=batch))

    assert 5 not in {int(row["row"]) for row in rows}
    audit = AuditEvent.objects.filter(action=AuditEvent.Action.AID_EXPORTED, actor=users["desk_chief"]).get()
    assert audit.changes == {"rejected_rows": batch.rows_rejected - 1}


def test_the_rejected_rows_file_fixed_in_a_spreadsheet_imports_back(officer, shipment, imported):
    batch, _expected = imported
    rows = _read_csv(rejected_rows_csv(actor=officer, origin=SYSTEM, manifest_import=batch))
    fixes = {4: {"quantity": "40"}, 5: {"category": "winter"}, 6: {"gross_weight_kg": "40", "pallets": "5"}}
    fixed = [{**row, **fixes[int(row["row"])]} for row in rows if int(row["row"]) in fixes]
    buffer = io.StringIO(newline="")
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(fixed)

    again = manifest_import(
        actor=officer,
        origin=SYSTEM,
        shipment=shipment,
        file_name="fixed.csv",
        content=buffer.getvalue().encode("utf-8-sig"),
    )

    assert (again.rows_imported, again.rows_rejected) == (3, 0)
    assert set(again.lines.values_list("item", flat=True)) == {"Insulin pens", "Teddy bears", "Canned tuna"}


@pytest.mark.parametrize("persona", ["consul", "diplomat", "border_officer"])
def test_others_may_not_download_the_rejected_rows(users, imported, persona):
    batch, _expected = imported

    with pytest.raises(PermissionDenied):
        rejected_rows_csv(actor=users[persona], origin=SYSTEM, manifest_import=batch)
