"""An aid shipment in Chromium, from planning to distribution: the logistics officer plans a
cargo flight Tel Aviv → Rzeszów, types a line, imports a manifest file with a broken row and
corrects it on the page, works the clearance checklist (uploading the landing permit), moves
the flight through loading, clearance and departure to arrival, records a line short,
takes the receiver's signature on the screen, hands it over and marks it distributed, and
downloads the manifest as a PDF. The overview then shows what was dispatched and delivered,
and nothing breaks the CSP."""

import io
import re

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from crisisdesk.aid.models import Shipment, ShipmentEvent, Status
from crisisdesk.common.testing.browser import (  # noqa: F401 - imported fixtures are registered by name
    allow_async_unsafe,
    browser_problems,
    chromium,
    login_through_form,
    new_browser_context,
    screenshot,
)

MANIFEST_CSV = (
    "Item;Category;Qty;Unit;Gross weight (kg);Pallets;Lot;Expiry;Cold chain;Donor\n"
    "Insulin, rapid-acting;medical;60;box;186,5;1;INS-2207A;2031-07-31;yes;Ministry of Health\n"
    "Thermal blankets;winter;3000;pcs;1350;6;;;no;IsraAID\n"
    "Diesel generators 5 kVA;generators;24;pcs;2088;12;;;no;Ministry of Energy\n"
    "Mystery crates;toys;10;box;100;1;;;no;\n"
)


def _submit(page, form: str) -> None:
    with page.expect_navigation():
        page.click(f"[data-testid={form}] button[type=submit]")


def _move(page, status: str) -> None:
    page.select_option("#id_move-to_status", status)
    _submit(page, "move-form")
    expect(page.locator("[data-testid=shipment-status]")).to_have_attribute("data-status", status)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_planning_to_distribution_with_the_manifest_pdf(users, tmp_path, new_browser_context, browser_problems):  # noqa: F811
    page = new_browser_context().new_page()
    login_through_form(page, user=users["logistics_officer"])
    expect(page).to_have_url(re.compile(r"/staff/aid/$"))

    # plan the flight, with a new consignee
    with page.expect_navigation():
        page.click("[data-testid=aid-new]")
    page.select_option("#id_mode", "cargo_flight")
    page.fill("#id_carrier", "El Al Cargo")
    page.fill("#id_vehicle_number", "LY5101")
    page.fill("#id_origin", "Tel Aviv (TLV)")
    page.fill("#id_destination", "Rzeszów (RZE)")
    page.fill("#id_new_consignee", "Podkarpackie humanitarian hub")
    _submit(page, "shipment-form")
    reference = page.locator("[data-testid=shipment-reference]").inner_text()
    shipment = Shipment.objects.get(reference=reference)

    # a line typed in
    page.click("[data-testid=line-details] summary")
    page.fill("#id_line-item", "First-aid kits")
    page.select_option("#id_line-category", "medical")
    page.fill("#id_line-quantity", "2400")
    page.select_option("#id_line-unit", "kit")
    page.fill("#id_line-gross_weight_kg", "1440")
    _submit(page, "line-form")
    expect(page.locator("[data-testid=manifest-line]")).to_have_count(1)

    # a manifest file, one row of it broken, corrected on the page
    manifest = tmp_path / "manifest LY5101.csv"
    manifest.write_text(MANIFEST_CSV, encoding="utf-8")
    page.set_input_files("#id_import-file", str(manifest))
    _submit(page, "import-form")
    expect(page.locator("[data-testid=manifest-line]")).to_have_count(4)
    row = page.locator("[data-testid=rejected-row]")
    expect(row).to_have_count(1)
    expect(row.locator("[data-testid=row-errors]")).to_contain_text("Unknown category")
    row.locator("input[name$='-category']").fill("shelter")
    with page.expect_navigation():
        row.locator("button[type=submit]").click()
    expect(page.locator("[data-testid=manifest-line]")).to_have_count(5)
    expect(page.locator("[data-testid=rejected-row]")).to_have_count(0)
    # 1440 + 186.5 + 1350 + 2088 + 100 kg
    expect(page.locator("[data-testid=total-dispatched]")).to_have_text("5.165")

    # loading; clearing is refused while the checklist is open
    _move(page, "loading")
    page.select_option("#id_move-to_status", "cleared")
    _submit(page, "move-form")
    expect(page.locator("[data-testid=move-error]")).to_contain_text("clearance checklist is not complete")
    permit = tmp_path / "landing permit.pdf"
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    buffer = io.BytesIO()
    writer.write(buffer)
    permit.write_bytes(buffer.getvalue())
    for kind in ("export_declaration", "destination_clearance", "landing_permit"):
        item = page.locator(f"[data-testid=clearance][data-kind={kind}]")
        item.locator("summary").click()
        item.locator("select[name$='-state']").select_option("granted")
        if kind == "landing_permit":
            item.locator("input[type=file]").set_input_files(str(permit))
        with page.expect_navigation():
            item.locator("button[type=submit]").click()
        expect(page.locator(f"[data-testid=clearance][data-kind={kind}]")).to_have_attribute("data-state", "granted")
    expect(page.locator("[data-testid=clearance-complete]")).to_be_visible()
    expect(page.locator("[data-testid=clearance-document]")).to_contain_text("landing permit.pdf")

    _move(page, "cleared")
    _move(page, "departed")
    expect(page.locator("[data-testid=line-form]")).to_have_count(0)  # the manifest is fixed now
    page.goto("/staff/aid/")
    expect(page.locator(f"[data-testid=aid-in-transit] [data-reference='{reference}']")).to_be_visible()
    page.goto(f"/staff/aid/{shipment.pk}/")
    _move(page, "arrived")

    # 300 blankets short (135 kg of 1,350), recorded on arrival
    page.select_option("#id_discrepancy-line", label="3. Thermal blankets")
    page.select_option("#id_discrepancy-kind", "short")
    page.fill("#id_discrepancy-quantity", "300")
    _submit(page, "discrepancy-form")

    # the receiver signs on the screen
    page.fill("#id_handover-receiver_name", "Hub duty coordinator")
    page.fill("#id_handover-receiver_organisation", "Podkarpackie humanitarian hub")
    pad = page.locator("[data-testid=signature-pad]")
    pad.scroll_into_view_if_needed()
    box = pad.bounding_box()
    page.mouse.move(box["x"] + 20, box["y"] + 100)
    page.mouse.down()
    for step in range(1, 12):
        page.mouse.move(box["x"] + 20 + step * 25, box["y"] + 100 - (step % 2) * 60)
    page.mouse.up()
    expect(page.locator("#id_handover-signature")).to_have_value(re.compile(r"^data:image/png;base64,"))
    _submit(page, "handover-form")
    expect(page.locator("[data-testid=shipment-status]")).to_have_attribute("data-status", "handed_over")
    expect(page.locator("[data-testid=handover]")).to_contain_text("Hub duty coordinator")
    # 135 kg of blankets short: 5.165 t sent, 5.030 t delivered, both shown
    expect(page.locator("[data-testid=total-dispatched]")).to_have_text("5.165")
    expect(page.locator("[data-testid=total-delivered]")).to_have_text("5.030")
    _move(page, "distributed")
    screenshot(page, "aid-distributed")

    # the manifest, as a PDF
    with page.expect_download() as download:
        page.click("[data-testid=export-manifest-pdf]")
    path = tmp_path / download.value.suggested_filename
    download.value.save_as(path)
    assert path.name == f"manifest-{reference}.pdf"
    text = "".join(page_.extract_text() for page_ in PdfReader(str(path)).pages)
    assert reference in text and "Thermal blankets" in text and "5.165" in text and "5.030" in text

    # the overview: dispatched and delivered
    page.goto("/staff/aid/")
    row = page.locator(f"[data-testid=aid-shipment-row][data-reference='{reference}']")
    expect(row.locator("[data-testid=row-dispatched]")).to_have_text("5.165")
    expect(row.locator("[data-testid=row-delivered]")).to_have_text("5.030")
    screenshot(page, "aid-overview")

    shipment.refresh_from_db()
    assert shipment.status == Status.DISTRIBUTED and shipment.handover.signature_key
    kinds = list(shipment.events.order_by("at", "id").values_list("kind", flat=True))
    assert kinds.count(ShipmentEvent.Kind.STATUS_CHANGED) == 5 and ShipmentEvent.Kind.HANDED_OVER in kinds
    assert not browser_problems, browser_problems.report()
