"""Staff pages of aid shipments: who may open each (collected from the URL conf), and the
forms that carry the guards' refusals back to the page.

Personas: `logistics_officer` (and `admin`) write; `desk_chief` reads every page and file
but changes nothing; everyone else may open none of them."""

import io
import re

import pytest
from django.urls import URLPattern, reverse

from crisisdesk.aid import urls as aid_urls
from crisisdesk.aid.errors import MESSAGES, AidError
from crisisdesk.aid.models import ClearanceItem, ManifestLine, Shipment, Status
from crisisdesk.aid.services import clearance_update
from crisisdesk.common.origin import SYSTEM
from crisisdesk.common.testing.personas import ALL_PERSONAS

pytestmark = pytest.mark.django_db

WRITERS = {"admin", "logistics_officer"}
READERS = {*WRITERS, "desk_chief"}
# Pages and files a reader opens; every other URL of the module changes something.
READ_PAGES = {
    "aid:overview",
    "aid:detail",
    "aid:clearance_document",
    "aid:handover_file",
    "aid:import_errors",
    "aid:export",
}
PATH_KEYWORDS = {"shipment_id", "item_id", "line_id", "import_id", "row_id", "which", "document", "file_format"}


def _patterns() -> list[tuple[str, str]]:
    return [
        (f"aid:{entry.name}", str(entry.pattern)) for entry in aid_urls.urlpatterns if isinstance(entry, URLPattern)
    ]


PATTERNS = _patterns()


def _keywords(route: str) -> list[str]:
    return re.findall(r"<(?:\w+:)?(\w+)>", route)


def _csv(rows: list[list[str]]) -> bytes:
    return "\n".join(",".join(row) for row in rows).encode()


@pytest.fixture
def world(users, plan_shipment, walk_shipment, signed_receipt_pdf):
    """A shipment handed over (signature), with a clearance paper, and an import that left a
    rejected row."""
    from crisisdesk.aid.manifest_import import manifest_import

    officer = users["logistics_officer"]
    shipment = plan_shipment()
    manifest_import(
        actor=officer,
        origin=SYSTEM,
        shipment=shipment,
        file_name="manifest.csv",
        content=_csv(
            [
                ["Item", "Category", "Quantity", "Unit", "Gross weight (kg)"],
                ["Blankets", "winter", "100", "pcs", "45"],
                ["Mystery", "toys", "1", "pcs", "1"],
            ]
        ),
    )
    item = shipment.clearances.get(kind=ClearanceItem.Kind.EXPORT_DECLARATION)
    clearance_update(
        actor=officer,
        origin=SYSTEM,
        item=item,
        state=ClearanceItem.State.GRANTED,
        document_name="declaration.pdf",
        document_content=signed_receipt_pdf,
    )
    shipment = walk_shipment(shipment, Status.HANDED_OVER)
    return {"shipment": shipment, "item": item}


def _kwargs(route: str, world) -> dict:
    shipment = world["shipment"]
    values = {
        "shipment_id": shipment.pk,
        "item_id": world["item"].pk,
        "line_id": shipment.lines.first().pk,
        "import_id": shipment.imports.get().pk,
        "row_id": shipment.imports.get().rejected_rows.get().pk,
        "which": "signature",
        "document": "manifest",
        "file_format": "pdf",
    }
    return {keyword: values[keyword] for keyword in _keywords(route)}


def _request(client, url: str):
    response = client.get(url)
    if response.status_code == 405:
        response = client.post(url, {})
    return response


def test_the_matrix_sees_the_whole_module():
    assert len(PATTERNS) >= 17
    assert READ_PAGES <= {name for name, _route in PATTERNS}
    assert {keyword for _name, route in PATTERNS for keyword in _keywords(route)} <= PATH_KEYWORDS


@pytest.mark.parametrize("persona", ALL_PERSONAS)
@pytest.mark.parametrize(("url_name", "route"), PATTERNS, ids=[name for name, _route in PATTERNS])
def test_permission_matrix(world, as_persona, url_name, route, persona):
    url = reverse(url_name, kwargs=_kwargs(route, world))

    response = _request(as_persona(persona), url)

    allowed = READERS if url_name in READ_PAGES else WRITERS
    if persona in allowed:
        assert response.status_code in {200, 302}, response.status_code
    elif persona == "anonymous":
        assert response.status_code == 302 and "/login/" in response["Location"]
    else:
        assert response.status_code == 403


@pytest.mark.parametrize("url_name", ["aid:detail", "aid:move", "aid:export"])
def test_a_missing_shipment_is_404(world, as_persona, url_name):
    route = dict(PATTERNS)[url_name]
    kwargs = _kwargs(route, world)
    kwargs["shipment_id"] += 1000

    assert _request(as_persona("logistics_officer"), reverse(url_name, kwargs=kwargs)).status_code == 404


def test_a_new_shipment_with_a_new_consignee(as_persona):
    client = as_persona("logistics_officer")

    response = client.post(
        reverse("aid:shipment_new"),
        {
            "mode": "truck",
            "origin": "Rzeszów",
            "destination": "Lviv",
            "new_consignee": "Lviv city humanitarian centre",
            "consignee_contact": "Warehouse manager",
            "consignee_phone": "+380 32 000 0000",
        },
    )

    shipment = Shipment.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("aid:detail", args=[shipment.pk])
    assert shipment.consignee.name == "Lviv city humanitarian centre"
    # a truck needs no landing permit
    landing = shipment.clearances.get(kind=ClearanceItem.Kind.LANDING_PERMIT)
    assert landing.state == ClearanceItem.State.NOT_REQUIRED


def test_moving_on_without_clearance_is_refused_on_the_form(plan_shipment, as_persona):
    shipment = plan_shipment()
    client = as_persona("logistics_officer")
    client.post(reverse("aid:move", args=[shipment.pk]), {"move-to_status": "loading"})

    response = client.post(reverse("aid:move", args=[shipment.pk]), {"move-to_status": "cleared"})

    assert response.status_code == 200
    assert str(MESSAGES[AidError.CLEARANCE_INCOMPLETE]) in response.content.decode()
    shipment.refresh_from_db()
    assert shipment.status == Status.LOADING


def test_a_line_with_errors_says_each_and_adds_nothing(plan_shipment, as_persona):
    shipment = plan_shipment()

    response = as_persona("logistics_officer").post(
        reverse("aid:line_add", args=[shipment.pk]),
        {
            "line-item": "Insulin",
            "line-category": "medical",
            "line-quantity": "ten",
            "line-unit": "box",
            "line-gross_weight_kg": "-3",
            "line-expiry_date": "2001-01-01",
        },
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert "Not a number." in page and "Must be more than zero." in page and "Already expired" in page
    assert not ManifestLine.objects.exists()


def test_a_line_typed_with_a_decimal_comma_is_added(plan_shipment, as_persona):
    shipment = plan_shipment()

    as_persona("logistics_officer").post(
        reverse("aid:line_add", args=[shipment.pk]),
        {
            "line-item": "Blankets",
            "line-category": "winter",
            "line-quantity": "300",
            "line-unit": "pcs",
            "line-gross_weight_kg": "1234,5",
        },
    )

    line = ManifestLine.objects.get()
    assert (line.line_number, str(line.gross_weight_kg)) == (1, "1234.500")
    page = as_persona("desk_chief").get(reverse("aid:detail", args=[shipment.pk])).content.decode()
    assert 'data-testid="total-dispatched">1.235<' in page or 'data-testid="total-dispatched">1,235<' in page
    assert 'data-testid="line-form"' not in page  # the desk chief reads only


def test_a_rejected_row_is_corrected_on_the_page(world, as_persona):
    shipment = Shipment.objects.create(
        reference="AID-FRESH1", mode="truck", origin="A", destination="B", consignee=world["shipment"].consignee
    )
    from crisisdesk.aid.manifest_import import manifest_import

    client = as_persona("logistics_officer")
    batch = manifest_import(
        actor=world["shipment"].created_by,
        origin=SYSTEM,
        shipment=shipment,
        file_name="m.csv",
        content=_csv(
            [["Item", "Category", "Quantity", "Unit", "Gross weight (kg)"], ["Tents", "housing", "5", "pcs", "80"]]
        ),
    )
    row = batch.rejected_rows.get()
    page = client.get(reverse("aid:detail", args=[shipment.pk])).content.decode()
    assert 'data-testid="rejected-row"' in page and "Unknown category" in page

    response = client.post(
        reverse("aid:row_correct", args=[shipment.pk, row.pk]),
        {f"row-{row.pk}-{name}": value for name, value in {**row.values, "category": "shelter"}.items()},
    )

    assert response.status_code == 302
    row.refresh_from_db()
    assert row.resolved_line.category == "shelter" and row.resolved_line.source_row == row.row_number


def test_files_are_attachments_and_never_cached(world, as_persona):
    response = as_persona("desk_chief").get(reverse("aid:handover_file", args=[world["shipment"].pk, "signature"]))

    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert response["Cache-Control"] == "no-store"
    from PIL import Image

    assert Image.open(io.BytesIO(response.content)).format == "PNG"


def test_a_file_without_its_columns_is_refused_on_the_form_with_the_missing_ones(plan_shipment, as_persona):
    from django.core.files.uploadedfile import SimpleUploadedFile

    shipment = plan_shipment()
    upload = SimpleUploadedFile("m.csv", _csv([["Item", "Qty"], ["Blankets", "3"]]), content_type="text/csv")

    response = as_persona("logistics_officer").post(
        reverse("aid:import_upload", args=[shipment.pk]), {"import-file": upload}
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert str(MESSAGES[AidError.IMPORT_COLUMNS_MISSING]) in page and "gross_weight_kg" in page
    assert not ManifestLine.objects.exists()
