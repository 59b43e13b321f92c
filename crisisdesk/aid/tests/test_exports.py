"""The manifest and the packing list, as PDF and XLSX (aid/exports.py).

The shipment is `export_shipment` (conftest.py): a flight built through the services, arrived,
with five lines; `export_delivered` is the same flight with its discrepancies, signed for.
Every expected figure is computed here from the lines' own weights, by the rule the footnote
states, never copied from the export. WeasyPrint is slow: seven PDFs in all.
"""

import io
import re
import socket
from collections import defaultdict
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import translation
from openpyxl import load_workbook
from pypdf import PdfReader

from crisisdesk.aid.exports import manifest_pdf, manifest_xlsx, packing_list_pdf, packing_list_xlsx
from crisisdesk.aid.models import Category, Mode, Status
from crisisdesk.aid.services import clearance_override, line_add, shipment_move
from crisisdesk.common.models import AuditEvent
from crisisdesk.common.origin import SYSTEM

pytestmark = pytest.mark.django_db

EXPORTS = [manifest_pdf, packing_list_pdf, manifest_xlsx, packing_list_xlsx]
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ROUNDING_NOTE = "Weights in kg to the gram; tonnes rounded half up to the kilogram."


# --- the arithmetic, done here by hand ------------------------------------------------------


def tonnes_text(kilograms: Decimal) -> str:
    """1 t = 1,000 kg, rounded half up to the kilogram, written as the English PDF does."""
    return f"{(kilograms / 1000).quantize(Decimal('0.001'), rounding=ROUND_HALF_UP):,.3f} t"


def kg_text(kilograms: Decimal) -> str:
    return f"{kilograms:,.3f}"


def dispatched_kg_by_category(lines) -> dict[str, Decimal]:
    sums = defaultdict(Decimal)
    for line in lines:
        sums[line.category] += line.gross_weight_kg
    return dict(sums)


def delivered_kg_by_line(lines, discrepancies) -> list[Decimal]:
    """Each line's delivered weight, by the rule the manifest's note states: the gross weight
    less the missing (short and damaged) weight plus the over weight, each of those the gross
    weight in proportion to its quantity, rounded half up to the gram."""

    def share(line, quantity: Decimal) -> Decimal:
        return (line.gross_weight_kg * quantity / line.quantity).quantize(Decimal("0.001"), rounding=ROUND_HALF_UP)

    delivered = []
    for number, line in enumerate(lines, start=1):
        on_line = [(kind, Decimal(quantity)) for n, kind, quantity in discrepancies if n == number]
        missing = sum((quantity for kind, quantity in on_line if kind != "over"), start=Decimal(0))
        over = sum((quantity for kind, quantity in on_line if kind == "over"), start=Decimal(0))
        delivered.append(line.gross_weight_kg - share(line, missing) + share(line, over))
    return delivered


# --- reading the files ----------------------------------------------------------------------


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def x_positions(page, fragment: str) -> list[float]:
    """Where on the page (points from the left edge) each piece of text holding `fragment` starts."""
    positions = []

    def visit(text, cm, tm, _font, _size):
        if fragment in text:
            positions.append(tm[4] * cm[0] + cm[4])

    page.extract_text(visitor_text=visit)
    assert positions, fragment
    return positions


def workbook(content: bytes):
    return load_workbook(io.BytesIO(content))


def all_cell_values(book) -> list:
    return [cell.value for sheet in book.worksheets for row in sheet.iter_rows() for cell in row if cell.value]


def table(sheet, first_header: str = "No.") -> tuple[int, list[str], list[list]]:
    """The sheet's table: its header row's number, its column titles and its rows, up to the
    first row without a line number (the total row)."""
    header_row = next(row[0].row for row in sheet.iter_rows() if row[0].value == first_header)
    titles = [cell.value for cell in sheet[header_row]]
    rows = []
    for row in sheet.iter_rows(min_row=header_row + 1, values_only=True):
        if not isinstance(row[0], int):
            break
        rows.append(list(row))
    return header_row, titles, rows


def totals_rows(sheet) -> dict[str, list]:
    """The Totals sheet, by its first column's label."""
    return {row[0]: list(row) for row in sheet.iter_rows(min_row=2, values_only=True) if row[0]}


def assert_no_contact_details(text: str, consignee) -> None:
    """The consignee contact's phone and email are encrypted personal data: never exported."""
    assert consignee.contact_phone and consignee.contact_email  # the fixture has them
    assert consignee.contact_phone not in text
    assert consignee.contact_email not in text
    assert consignee.contact_phone.replace(" ", "") not in text.replace(" ", "")


@pytest.fixture
def no_network(monkeypatch):
    """Every connection attempt, recorded instead of made."""
    attempts = []
    monkeypatch.setattr(socket.socket, "connect", lambda sock, address: attempts.append(address))
    return attempts


# --- PDF ------------------------------------------------------------------------------------


def test_manifest_pdf_has_the_header_every_line_and_the_tonnes_by_category(
    users, export_shipment, export_lines, no_network
):
    """A desk chief (who only reads) exports the manifest of a flight on the ground: the
    header, each line with its donor, and the totals in tonnes from the exact kilograms."""
    # when
    name, content_type, content = manifest_pdf(actor=users["desk_chief"], origin=SYSTEM, shipment=export_shipment)

    # then
    assert name == f"manifest-{export_shipment.reference}.pdf"
    assert re.fullmatch(r"manifest-AID-[0-9A-Z]{6}\.pdf", name)
    assert content_type == "application/pdf"
    assert content.startswith(b"%PDF")
    text = pdf_text(content)
    for fact in [export_shipment.reference, "Challenge Airlines", "5C-801", "Tel Aviv (TLV)", "Rzeszów (RZE)"]:
        assert fact in text
    assert export_shipment.consignee.name in text
    assert "Rzeszów forward team" in text
    assert "2022-03-07 06:00" in text  # the planned departure, in the active time zone
    for line in export_lines[:3]:
        assert line.item in text
        assert kg_text(line.gross_weight_kg) in text
    assert "Magen David Adom" in text and "Sheba Medical Center" in text
    assert "TK-2201" in text and "2030-06-30" in text

    by_category = dispatched_kg_by_category(export_lines)
    assert tonnes_text(by_category[Category.MEDICAL]) == "2.000 t"  # 1,234.5 + 765.5 kg
    for kilograms in by_category.values():
        assert tonnes_text(kilograms) in text
    total_kg = sum(by_category.values())
    assert tonnes_text(total_kg) in text
    page = PdfReader(io.BytesIO(content)).pages[0]
    assert all(
        x < float(page.mediabox.width) / 2 for x in x_positions(page, export_shipment.reference)
    )  # left to right
    rounded_lines = sum(Decimal(tonnes_text(line.gross_weight_kg)[:-2]) for line in export_lines)
    assert f"{rounded_lines:,.3f} t" != tonnes_text(total_kg)  # the case where summing rounded lines is wrong
    assert ROUNDING_NOTE in text

    # the clearance checklist, and nothing delivered yet
    assert text.count("Granted") == 3
    assert "CLR-001" in text
    assert "Delivered (t)" not in text
    assert_no_contact_details(text, export_shipment.consignee)
    assert no_network == []  # the donor's <img> is drawn as text, not fetched
    assert '<img src="http://' in text


def test_manifest_pdf_after_handover_puts_delivered_beside_dispatched(
    users, export_delivered, export_lines, export_discrepancies
):
    """Handed over, the manifest shows each line's discrepancies and delivered quantity and
    weight, and the delivered totals beside the dispatched ones."""
    _name, _type, content = manifest_pdf(actor=users["logistics_officer"], origin=SYSTEM, shipment=export_delivered)

    text = pdf_text(content)
    delivered = delivered_kg_by_line(export_lines, export_discrepancies)
    dispatched_total = sum(line.gross_weight_kg for line in export_lines)
    delivered_total = sum(delivered)
    assert delivered_total != dispatched_total
    assert "Delivered (t)" in text
    assert tonnes_text(dispatched_total) in text
    assert tonnes_text(delivered_total) in text
    for number in (2, 3, 4):  # the lines with a discrepancy
        assert kg_text(delivered[number - 1]) in text
    assert kg_text(delivered_total) in text
    assert "Marek Zieliński, Polski Czerwony Krzyż" in text
    assert "2022-03-07 12:15" in text
    assert ROUNDING_NOTE in text
    assert_no_contact_details(text, export_delivered.consignee)


def test_packing_list_pdf_groups_by_category_marks_cold_chain_and_leaves_out_donors(
    users, export_shipment, export_lines
):
    """The loaders' and receivers' list: per category with pallet and weight subtotals, cold
    chain marked, signature boxes, and no donor."""
    name, content_type, content = packing_list_pdf(actor=users["desk_chief"], origin=SYSTEM, shipment=export_shipment)

    assert name == f"packing-list-{export_shipment.reference}.pdf"
    assert content_type == "application/pdf"
    text = pdf_text(content)
    assert export_shipment.reference in text
    for line in export_lines[:3]:
        assert line.item in text
    for line in export_lines:
        assert line.donor not in text
    assert "COLD CHAIN" in text
    assert "1 line needs the cold chain" in text
    assert "INS-77" in text and "2029-01-31" in text
    headings = [label for label in ("Medical", "Food", "Winter", "Power") if label in text]
    assert headings == ["Medical", "Food", "Winter", "Power"]
    assert text.index("Medical") < text.index("Food") < text.index("Winter") < text.index("Power")
    for category, kilograms in dispatched_kg_by_category(export_lines).items():
        pallets = sum(line.pallets for line in export_lines if line.category == category)
        subtotal = next(row for row in text.splitlines() if row.startswith(f"Subtotal: {Category(category).label}"))
        assert kg_text(kilograms) in subtotal
        assert f"{pallets:,.2f}" in subtotal
    assert "Loaded by" in text and "Received by" in text
    assert_no_contact_details(text, export_shipment.consignee)


def test_manifest_pdf_in_hebrew_renders_right_to_left(users, export_shipment, export_lines):
    """With Hebrew active the manifest is laid out right to left and its Hebrew item is
    drawn: WeasyPrint produces a PDF whose text pypdf can read."""
    with translation.override("he"):
        name, _type, content = manifest_pdf(actor=users["desk_chief"], origin=SYSTEM, shipment=export_shipment)

    assert name == f"manifest-{export_shipment.reference}.pdf"
    assert content.startswith(b"%PDF")
    text = pdf_text(content)
    assert export_shipment.reference in text
    assert "שמיכות צמר" in text
    assert tonnes_text(dispatched_kg_by_category(export_lines)[Category.MEDICAL]) in text  # "2.000 t", not "t 2.000"
    page = PdfReader(io.BytesIO(content)).pages[0]
    # The heading and the page header stand at the right of the page, where a Hebrew page starts.
    assert all(x > float(page.mediabox.width) / 2 for x in x_positions(page, export_shipment.reference))


# --- XLSX -----------------------------------------------------------------------------------


def test_manifest_xlsx_has_a_typed_table_and_totals_in_tonnes(users, export_shipment, export_lines):
    """The Manifest sheet's table holds numbers as numbers and dates as dates, with its header
    row frozen; the Totals sheet gives the tonnes by category from the exact kilograms."""
    name, content_type, content = manifest_xlsx(actor=users["desk_chief"], origin=SYSTEM, shipment=export_shipment)

    assert name == f"manifest-{export_shipment.reference}.xlsx"
    assert content_type == XLSX_TYPE
    book = workbook(content)
    assert book.sheetnames == ["Manifest", "Totals"]
    sheet = book["Manifest"]
    header_row, titles, rows = table(sheet)
    assert sheet.freeze_panes == f"A{header_row + 1}"
    assert titles[:6] == ["No.", "Item", "Category", "Quantity", "Unit", "Gross weight (kg)"]
    assert "Donor" in titles and "Delivered quantity" not in titles
    assert [row[0] for row in rows] == [1, 2, 3, 4, 5]
    weight, expiry = titles.index("Gross weight (kg)"), titles.index("Expiry")
    for row, line in zip(rows, export_lines, strict=True):
        assert isinstance(row[weight], (int, float))
        assert Decimal(str(row[weight])) == line.gross_weight_kg
        assert Decimal(str(row[titles.index("Pallets")])) == line.pallets
    assert isinstance(rows[0][expiry], datetime) and rows[0][expiry].date() == date(2030, 6, 30)
    assert sheet.cell(row=header_row + 1, column=weight + 1).number_format == "#,##0.000"
    assert sheet.cell(row=header_row + 1, column=expiry + 1).number_format == "yyyy-mm-dd"
    assert sheet.column_dimensions["B"].width >= 30  # the item column is wide enough to read
    # the header block: the reference, and the planned departure as a date with its time zone
    assert sheet["A1"].value == f"Manifest {export_shipment.reference}"
    departure = next(cell for row in sheet.iter_rows(max_row=header_row) for cell in row if cell.is_date)
    assert departure.value == datetime(2022, 3, 7, 6, 0)
    assert departure.number_format == 'yyyy-mm-dd hh:mm" UTC"'
    values = all_cell_values(book)

    totals = totals_rows(book["Totals"])
    by_category = dispatched_kg_by_category(export_lines)
    for category, kilograms in by_category.items():
        assert f"{Decimal(str(totals[Category(category).label][-1])):,.3f} t" == tonnes_text(kilograms)
    assert f"{Decimal(str(totals['Total'][-1])):,.3f} t" == tonnes_text(sum(by_category.values()))
    assert totals["Total"][1] == len(export_lines)
    assert ROUNDING_NOTE in values


def test_manifest_xlsx_after_handover_has_the_delivered_columns_and_totals(
    users, export_delivered, export_lines, export_discrepancies
):
    _name, _type, content = manifest_xlsx(actor=users["logistics_officer"], origin=SYSTEM, shipment=export_delivered)

    book = workbook(content)
    _header_row, titles, rows = table(book["Manifest"])
    delivered = delivered_kg_by_line(export_lines, export_discrepancies)
    column = titles.index("Delivered weight (kg)")
    assert [Decimal(str(row[column])) for row in rows] == delivered
    assert rows[2][titles.index("Short")] == 10
    assert rows[3][titles.index("Damaged")] == 50
    assert rows[1][titles.index("Over")] == 10
    assert rows[1][titles.index("Delivered quantity")] == 410
    totals = totals_rows(book["Totals"])
    header = [cell.value for cell in book["Totals"][1]]
    dispatched_t, delivered_t = header.index("Dispatched (t)"), header.index("Delivered (t)")
    assert f"{Decimal(str(totals['Total'][dispatched_t])):,.3f} t" == tonnes_text(
        sum(line.gross_weight_kg for line in export_lines)
    )
    assert f"{Decimal(str(totals['Total'][delivered_t])):,.3f} t" == tonnes_text(sum(delivered))
    assert "Marek Zieliński, Polski Czerwony Krzyż" in all_cell_values(book)


def test_packing_list_xlsx_lists_lines_by_category_without_donors(users, export_shipment, export_lines):
    name, content_type, content = packing_list_xlsx(
        actor=users["logistics_officer"], origin=SYSTEM, shipment=export_shipment
    )

    assert name == f"packing-list-{export_shipment.reference}.xlsx"
    assert content_type == XLSX_TYPE
    book = workbook(content)
    assert book.sheetnames == ["Packing list", "Totals"]
    sheet = book["Packing list"]
    header_row, titles, rows = table(sheet)
    assert sheet.freeze_panes == f"A{header_row + 1}"
    assert "Donor" not in titles
    categories = [row[titles.index("Category")] for row in rows]
    assert categories == ["Medical", "Medical", "Food", "Winter", "Power"]
    assert [row[titles.index("Cold chain")] for row in rows].count("COLD CHAIN") == 1
    values = all_cell_values(book)
    for line in export_lines:
        assert line.donor not in values
    totals = totals_rows(book["Totals"])
    header = [cell.value for cell in book["Totals"][1]]
    kilograms, pallets = header.index("Gross weight (kg)"), header.index("Pallets")
    for category, weight in dispatched_kg_by_category(export_lines).items():
        row = totals[Category(category).label]
        assert Decimal(str(row[kilograms])) == weight
        assert Decimal(str(row[pallets])) == sum(line.pallets for line in export_lines if line.category == category)


@pytest.mark.parametrize("export", [manifest_xlsx, packing_list_xlsx])
def test_xlsx_in_hebrew_has_right_to_left_sheets(users, export_shipment, export):
    with translation.override("he"):
        _name, _type, content = export(actor=users["desk_chief"], origin=SYSTEM, shipment=export_shipment)

    book = workbook(content)
    assert all(sheet.sheet_view.rightToLeft for sheet in book.worksheets)
    assert "שמיכות צמר" in all_cell_values(book)


@pytest.mark.parametrize("export", [manifest_xlsx, packing_list_xlsx])
def test_xlsx_neutralises_a_cell_that_would_run_as_a_formula(users, export_shipment, export_lines, export):
    """An item typed as "=HYPERLINK(...)" is written as text that no spreadsheet runs."""
    _name, _type, content = export(actor=users["logistics_officer"], origin=SYSTEM, shipment=export_shipment)

    book = workbook(content)
    cells = [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row if cell.value]
    hostile = export_lines[4].item
    assert hostile.startswith("=")
    matching = [cell for cell in cells if isinstance(cell.value, str) and hostile in cell.value]
    assert matching
    for cell in matching:
        assert cell.data_type == "s"
        assert not cell.value.startswith("=")
    assert not any(cell.data_type == "f" for cell in cells)


@pytest.mark.parametrize("export", [manifest_xlsx, packing_list_xlsx])
def test_xlsx_never_carries_the_consignee_contact(users, export_delivered, export):
    _name, _type, content = export(actor=users["logistics_officer"], origin=SYSTEM, shipment=export_delivered)

    text = "\n".join(str(value) for value in all_cell_values(workbook(content)))
    assert_no_contact_details(text, export_delivered.consignee)


def test_manifest_states_the_checklist_and_an_override_reason(users, plan_shipment, export_lines):
    """A truck cleared by a logistics officer's override: the manifest says what was pending
    and why it left anyway."""
    officer = users["logistics_officer"]
    shipment = plan_shipment(mode=Mode.TRUCK, vehicle_number="WR 12345")
    line_add(actor=officer, origin=SYSTEM, shipment=shipment, line=export_lines[0])
    shipment_move(actor=officer, origin=SYSTEM, shipment=shipment, to_status=Status.LOADING)
    clearance_override(actor=officer, origin=SYSTEM, shipment=shipment, reason="Customs confirmed by phone")
    shipment_move(actor=officer, origin=SYSTEM, shipment=shipment, to_status=Status.CLEARED)

    _name, _type, spreadsheet = manifest_xlsx(actor=users["desk_chief"], origin=SYSTEM, shipment=shipment)
    _name, _type, pdf = manifest_pdf(actor=users["desk_chief"], origin=SYSTEM, shipment=shipment)

    values = all_cell_values(workbook(spreadsheet))
    reason = "Customs confirmed by phone (by logistics_officer)"
    assert reason in values
    assert "Export declaration" in values
    assert "Pending" in values
    assert "Not required" in values  # a truck needs no landing permit
    text = pdf_text(pdf)
    assert reason in text
    assert text.count("Pending") == 2
    assert "Not required" in text


# --- who may export, and the audit ----------------------------------------------------------


@pytest.mark.parametrize("persona", ["consul", "diplomat", "border_officer"])
@pytest.mark.parametrize("export", EXPORTS)
def test_those_without_aid_view_may_not_export(users, export_shipment, persona, export):
    before = AuditEvent.objects.filter(action=AuditEvent.Action.AID_EXPORTED).count()

    with pytest.raises(PermissionDenied):
        export(actor=users[persona], origin=SYSTEM, shipment=export_shipment)

    assert AuditEvent.objects.filter(action=AuditEvent.Action.AID_EXPORTED).count() == before


@pytest.mark.parametrize("persona", ["logistics_officer", "desk_chief"])
@pytest.mark.parametrize("export", [manifest_xlsx, packing_list_xlsx])
def test_the_logistics_officer_and_the_desk_chief_may_export(users, export_shipment, persona, export):
    name, _type, content = export(actor=users[persona], origin=SYSTEM, shipment=export_shipment)

    assert name.endswith(f"-{export_shipment.reference}.xlsx")
    assert workbook(content).sheetnames[1] == "Totals"


def test_every_export_writes_one_audit_row(users, export_shipment):
    """One row per file, naming the shipment, the document and the format."""
    actor = users["desk_chief"]

    for export in EXPORTS:
        export(actor=actor, origin=SYSTEM, shipment=export_shipment)

    rows = AuditEvent.objects.filter(action=AuditEvent.Action.AID_EXPORTED).order_by("id")
    assert [(row.changes["document"], row.changes["format"]) for row in rows] == [
        ("manifest", "pdf"),
        ("packing_list", "pdf"),
        ("manifest", "xlsx"),
        ("packing_list", "xlsx"),
    ]
    for row in rows:
        assert row.actor == actor
        assert (row.target_type, row.target_id) == ("aid.shipment", str(export_shipment.pk))
