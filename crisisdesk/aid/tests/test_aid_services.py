"""The writes to aid shipments (aid/services.py): the status guards, the manifest lock, the
clearance checklist, the handover and its receipt, discrepancies, the timeline and the audit
trail, and who may write at all.

Personas: `logistics_officer` writes (and may override a clearance); `desk_chief` reads
only; `admin` may do everything; everyone else, and no one logged in, may do nothing here."""

import io
import itertools
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.utils import timezone

from crisisdesk.aid.errors import AidError, AidValidationError
from crisisdesk.aid.models import (
    STATUS_ORDER,
    ClearanceItem,
    Consignee,
    Handover,
    LineDiscrepancy,
    ManifestLine,
    Mode,
    Shipment,
    ShipmentEvent,
    ShipmentEventError,
    Status,
)
from crisisdesk.aid.services import (
    ShipmentInput,
    clearance_override,
    clearance_update,
    consignee_create,
    discrepancy_add,
    handover_record,
    line_add,
    line_remove,
    shipment_create,
    shipment_move,
    shipment_update,
)
from crisisdesk.common.models import AuditEvent
from crisisdesk.common.origin import SYSTEM

pytestmark = pytest.mark.django_db

Granted, Pending = ClearanceItem.State.GRANTED, ClearanceItem.State.PENDING


def _code(raised) -> str:
    return raised.value.code


def _move(users, shipment, to_status, persona="logistics_officer", **extra):
    return shipment_move(actor=users[persona], origin=SYSTEM, shipment=shipment, to_status=to_status, **extra)


def _grant_all(users, shipment):
    for item in shipment.clearances.all():
        if not item.done:
            clearance_update(actor=users["logistics_officer"], origin=SYSTEM, item=item, state=Granted)


def _handover(users, shipment, persona="logistics_officer", **extra):
    values = {"receiver_name": "Agnieszka Nowak", "receiver_organisation": "Polski Czerwony Krzyż", **extra}
    return handover_record(actor=users[persona], origin=SYSTEM, shipment=shipment, **values)


def _stored_files(settings) -> list:
    root = settings.CRISISDESK_DOCUMENT_ROOT
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []


# --- the chain, step by step ------------------------------------------------------------------


def test_a_shipment_moves_through_every_status_in_order(users, plan_shipment, typed_line, drawn_signature_png):
    """planned → loading → cleared → departed → arrived → handed over → distributed, each
    step taken by the logistics officer once its guard is met."""
    officer = users["logistics_officer"]
    shipment = plan_shipment()
    assert shipment.status == Status.PLANNED

    shipment = _move(users, shipment, Status.LOADING)
    assert shipment.status == Status.LOADING
    _grant_all(users, shipment)
    shipment = _move(users, shipment, Status.CLEARED)
    assert shipment.status == Status.CLEARED
    line_add(actor=officer, origin=SYSTEM, shipment=shipment, line=typed_line())
    shipment = _move(users, shipment, Status.DEPARTED)
    assert shipment.status == Status.DEPARTED
    shipment = _move(users, shipment, Status.ARRIVED)
    assert shipment.status == Status.ARRIVED
    _handover(users, shipment, signature_png=drawn_signature_png)
    shipment.refresh_from_db()
    assert shipment.status == Status.HANDED_OVER
    shipment = _move(users, shipment, Status.DISTRIBUTED)

    assert Shipment.objects.get(pk=shipment.pk).status == Status.DISTRIBUTED
    steps = list(
        ShipmentEvent.objects.filter(shipment=shipment)
        .exclude(to_status="")
        .order_by("at", "id")
        .values_list("from_status", "to_status")
    )
    assert steps == [("", Status.PLANNED), *itertools.pairwise(STATUS_ORDER)]


@pytest.mark.parametrize(
    ("start", "target"),
    [
        (Status.PLANNED, Status.CLEARED),
        (Status.PLANNED, Status.DEPARTED),
        (Status.PLANNED, Status.DISTRIBUTED),
        (Status.LOADING, Status.DEPARTED),
        (Status.CLEARED, Status.ARRIVED),
        (Status.DEPARTED, Status.HANDED_OVER),
        (Status.ARRIVED, Status.DISTRIBUTED),
        # backwards, and standing still, are no steps either
        (Status.LOADING, Status.PLANNED),
        (Status.ARRIVED, Status.DEPARTED),
        (Status.LOADING, Status.LOADING),
    ],
)
def test_a_status_cannot_be_skipped_nor_gone_back_to(users, plan_shipment, walk_shipment, start, target):
    shipment = walk_shipment(plan_shipment(), start)
    version = shipment.version

    with pytest.raises(AidValidationError) as raised:
        _move(users, shipment, target)

    assert _code(raised) == AidError.STATUS_NOT_NEXT
    shipment.refresh_from_db()
    assert (shipment.status, shipment.version) == (start, version)


def test_an_unknown_status_is_refused(users, plan_shipment):
    with pytest.raises(AidValidationError) as raised:
        _move(users, plan_shipment(), "in_the_air")
    assert _code(raised) == AidError.STATUS_NOT_NEXT


# --- clearance ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "incomplete",
    [ClearanceItem.State.PENDING, ClearanceItem.State.REQUESTED, ClearanceItem.State.REFUSED],
)
def test_cleared_is_refused_while_any_checklist_item_is_not_done(users, plan_shipment, incomplete):
    """Two items granted, the landing permit still pending, requested or refused: no clearance."""
    shipment = _move(users, plan_shipment(mode=Mode.CARGO_FLIGHT), Status.LOADING)
    for item in shipment.clearances.all():
        state = incomplete if item.kind == ClearanceItem.Kind.LANDING_PERMIT else Granted
        clearance_update(actor=users["logistics_officer"], origin=SYSTEM, item=item, state=state)

    with pytest.raises(AidValidationError) as raised:
        _move(users, shipment, Status.CLEARED)

    assert _code(raised) == AidError.CLEARANCE_INCOMPLETE
    assert Shipment.objects.get(pk=shipment.pk).status == Status.LOADING


def test_cleared_is_allowed_once_every_item_is_granted_or_not_required(users, plan_shipment):
    shipment = _move(users, plan_shipment(mode=Mode.CARGO_FLIGHT), Status.LOADING)
    export, destination, landing = (shipment.clearances.get(kind=kind) for kind in ClearanceItem.Kind.values)
    officer = users["logistics_officer"]
    clearance_update(actor=officer, origin=SYSTEM, item=export, state=Granted, reference_number="IL-EX-2201")
    clearance_update(actor=officer, origin=SYSTEM, item=destination, state=Granted)
    # A permit the destination airport waives for humanitarian flights.
    clearance_update(actor=officer, origin=SYSTEM, item=landing, state=ClearanceItem.State.NOT_REQUIRED)

    assert _move(users, shipment, Status.CLEARED).status == Status.CLEARED


def test_an_override_with_a_reason_lets_an_incomplete_checklist_clear(users, plan_shipment):
    """A permit promised by phone: the logistics officer overrides, on the record, and it clears."""
    officer = users["logistics_officer"]
    shipment = _move(users, plan_shipment(), Status.LOADING)
    missing = sorted(item.kind for item in shipment.clearances.all() if not item.done)

    shipment = clearance_override(
        actor=officer, origin=SYSTEM, shipment=shipment, reason="Landing permit confirmed by phone by RZE tower."
    )
    shipment = _move(users, shipment, Status.CLEARED)

    assert shipment.status == Status.CLEARED
    assert shipment.clearance_override_by == officer
    assert shipment.clearance_override_reason == "Landing permit confirmed by phone by RZE tower."
    override = ShipmentEvent.objects.get(shipment=shipment, kind=ShipmentEvent.Kind.OVERRIDE)
    assert (override.actor, override.note) == (officer, shipment.clearance_override_reason)
    assert sorted(override.data["missing"]) == missing
    assert AuditEvent.objects.filter(
        target_type="aid.shipment", target_id=str(shipment.pk), changes__override=True
    ).exists()


@pytest.mark.parametrize("reason", ["", "   ", "\n\t"])
def test_an_override_needs_a_reason(users, plan_shipment, reason):
    shipment = plan_shipment()
    with pytest.raises(AidValidationError) as raised:
        clearance_override(actor=users["logistics_officer"], origin=SYSTEM, shipment=shipment, reason=reason)
    assert _code(raised) == AidError.REASON_REQUIRED
    shipment.refresh_from_db()
    assert shipment.clearance_override_reason == ""


def test_the_desk_chief_cannot_override_a_clearance(users, plan_shipment):
    """The desk chief reads aid shipments; overriding is a logistics officer's decision."""
    shipment = plan_shipment()
    with pytest.raises(PermissionDenied):
        clearance_override(actor=users["desk_chief"], origin=SYSTEM, shipment=shipment, reason="The plane waits.")
    shipment.refresh_from_db()
    assert shipment.clearance_override_by is None


def test_an_override_is_refused_once_the_shipment_has_left(users, plan_shipment, walk_shipment):
    shipment = walk_shipment(plan_shipment(), Status.DEPARTED)
    with pytest.raises(AidValidationError) as raised:
        clearance_override(actor=users["logistics_officer"], origin=SYSTEM, shipment=shipment, reason="Late.")
    assert _code(raised) == AidError.STATUS_NOT_NEXT


def test_a_clearance_update_keeps_its_document_encrypted_and_on_the_timeline(users, plan_shipment, signed_receipt_pdf):
    shipment = plan_shipment()
    item = shipment.clearances.get(kind=ClearanceItem.Kind.EXPORT_DECLARATION)

    item = clearance_update(
        actor=users["logistics_officer"],
        origin=SYSTEM,
        item=item,
        state=Granted,
        on=timezone.localdate(),
        document_name="../../export declaration.pdf",
        document_content=signed_receipt_pdf,
    )

    item.refresh_from_db()
    assert (item.state, item.document_type, item.document_name) == (
        Granted,
        "application/pdf",
        "export declaration.pdf",
    )
    event = ShipmentEvent.objects.filter(shipment=shipment, kind=ShipmentEvent.Kind.CLEARANCE).get()
    assert event.data == {"kind": item.kind, "from": Pending, "to": Granted, "document": True}


# --- departure and arrival ---------------------------------------------------------------------


def test_departed_is_refused_with_an_empty_manifest(users, plan_shipment, walk_shipment):
    shipment = walk_shipment(plan_shipment(), Status.CLEARED)
    assert not shipment.lines.exists()

    with pytest.raises(AidValidationError) as raised:
        _move(users, shipment, Status.DEPARTED)

    assert _code(raised) == AidError.MANIFEST_EMPTY
    shipment.refresh_from_db()
    assert (shipment.status, shipment.actual_departure) == (Status.CLEARED, None)


def test_departure_and_arrival_record_their_actual_times(users, plan_shipment, walk_shipment, typed_line):
    shipment = walk_shipment(plan_shipment(), Status.CLEARED)
    line_add(actor=users["logistics_officer"], origin=SYSTEM, shipment=shipment, line=typed_line())
    wheels_up = timezone.now() - timedelta(hours=4)
    landed = wheels_up + timedelta(hours=3, minutes=40)

    shipment = _move(users, shipment, Status.DEPARTED, at=wheels_up)
    assert (shipment.actual_departure, shipment.actual_arrival) == (wheels_up, None)
    shipment = _move(users, shipment, Status.ARRIVED, at=landed)

    shipment.refresh_from_db()
    assert (shipment.actual_departure, shipment.actual_arrival) == (wheels_up, landed)
    times = dict(
        ShipmentEvent.objects.filter(shipment=shipment, kind=ShipmentEvent.Kind.STATUS_CHANGED).values_list(
            "to_status", "at"
        )
    )
    assert (times[Status.DEPARTED], times[Status.ARRIVED]) == (wheels_up, landed)


def test_departure_without_a_time_is_now(users, plan_shipment, walk_shipment, typed_line):
    shipment = walk_shipment(plan_shipment(), Status.CLEARED)
    line_add(actor=users["logistics_officer"], origin=SYSTEM, shipment=shipment, line=typed_line())
    before = timezone.now()

    shipment = _move(users, shipment, Status.DEPARTED)

    assert before <= shipment.actual_departure <= timezone.now()


# --- the handover ------------------------------------------------------------------------------


def test_moving_to_handed_over_needs_the_handover_with_its_receipt(users, plan_shipment, walk_shipment):
    shipment = walk_shipment(plan_shipment(), Status.ARRIVED)

    with pytest.raises(AidValidationError) as raised:
        _move(users, shipment, Status.HANDED_OVER)

    assert _code(raised) == AidError.RECEIPT_REQUIRED
    assert Shipment.objects.get(pk=shipment.pk).status == Status.ARRIVED
    assert not Handover.objects.filter(shipment=shipment).exists()


def test_a_handover_signed_on_screen_hands_the_shipment_over(
    users, plan_shipment, walk_shipment, drawn_signature_png, settings
):
    officer = users["logistics_officer"]
    shipment = walk_shipment(plan_shipment(), Status.ARRIVED)
    signed_at = timezone.now() - timedelta(minutes=20)

    handover = _handover(users, shipment, signature_png=drawn_signature_png, handed_over_at=signed_at)

    shipment.refresh_from_db()
    assert shipment.status == Status.HANDED_OVER
    assert (handover.receiver_name, handover.receiver_organisation) == ("Agnieszka Nowak", "Polski Czerwony Krzyż")
    assert handover.signature_key and not handover.receipt_key
    assert (handover.recorded_by, handover.handed_over_at) == (officer, signed_at)
    event = ShipmentEvent.objects.get(shipment=shipment, kind=ShipmentEvent.Kind.HANDED_OVER)
    assert (event.from_status, event.to_status, event.actor, event.at) == (
        Status.ARRIVED,
        Status.HANDED_OVER,
        officer,
        signed_at,
    )
    assert event.data == {"signature": True, "receipt": False}
    assert len(_stored_files(settings)) == 1


def test_a_handover_with_an_uploaded_signed_receipt_hands_the_shipment_over(
    users, plan_shipment, walk_shipment, signed_receipt_pdf
):
    shipment = walk_shipment(plan_shipment(), Status.ARRIVED)

    handover = _handover(users, shipment, receipt_name="receipt RZE.pdf", receipt_content=signed_receipt_pdf)

    assert Shipment.objects.get(pk=shipment.pk).status == Status.HANDED_OVER
    assert (handover.receipt_name, handover.receipt_type) == ("receipt RZE.pdf", "application/pdf")
    assert handover.receipt_key and not handover.signature_key


@pytest.mark.parametrize(
    ("missing", "values"),
    [
        ("receiver_name", {"receiver_name": "  "}),
        ("receiver_organisation", {"receiver_organisation": ""}),
        ("signature", {}),
    ],
)
def test_a_handover_needs_a_receiver_an_organisation_and_a_receipt(  # noqa: PLR0917 - parametrised
    users, plan_shipment, walk_shipment, drawn_signature_png, missing, values
):
    shipment = walk_shipment(plan_shipment(), Status.ARRIVED)
    receipt = {} if missing == "signature" else {"signature_png": drawn_signature_png}

    with pytest.raises(AidValidationError) as raised:
        _handover(users, shipment, **values, **receipt)

    assert (_code(raised), raised.value.field) == (AidError.RECEIPT_REQUIRED, missing)
    assert Shipment.objects.get(pk=shipment.pk).status == Status.ARRIVED


def _png(image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def _jpeg_signature() -> bytes:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (200, 80), "white")
    ImageDraw.Draw(image).line([(10, 60), (190, 20)], fill="black", width=3)
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG")
    return buffer.getvalue()


def _one_colour_png() -> bytes:
    from PIL import Image

    return _png(Image.new("RGB", (300, 120), "white"))


def _opaque_white_blank_png() -> bytes:
    from PIL import Image

    return _png(Image.new("RGBA", (300, 120), (255, 255, 255, 255)))


@pytest.mark.parametrize(
    "signature",
    [
        pytest.param(_jpeg_signature, id="jpeg"),
        pytest.param(lambda: b"%PDF-1.4 not a signature", id="pdf-bytes"),
        pytest.param(lambda: b"\x89PNG\r\n\x1a\n" + b"\0" * 40, id="broken-png"),
        pytest.param(lambda: b"<svg onload=alert(1)>", id="svg"),
        pytest.param(_one_colour_png, id="one-colour"),
        pytest.param(_opaque_white_blank_png, id="opaque-white-canvas"),
    ],
)
def test_a_signature_that_is_not_a_drawn_png_is_refused(users, plan_shipment, walk_shipment, signature, settings):
    shipment = walk_shipment(plan_shipment(), Status.ARRIVED)
    stored_before = len(_stored_files(settings))

    with pytest.raises(AidValidationError) as raised:
        _handover(users, shipment, signature_png=signature())

    assert _code(raised) == AidError.SIGNATURE_INVALID
    assert Shipment.objects.get(pk=shipment.pk).status == Status.ARRIVED
    assert len(_stored_files(settings)) == stored_before


def test_a_blank_transparent_canvas_is_refused(users, plan_shipment, walk_shipment, blank_canvas_png):
    shipment = walk_shipment(plan_shipment(), Status.ARRIVED)
    with pytest.raises(AidValidationError) as raised:
        _handover(users, shipment, signature_png=blank_canvas_png)
    assert _code(raised) == AidError.SIGNATURE_INVALID


def test_a_signature_on_an_opaque_white_canvas_is_accepted(users, plan_shipment, walk_shipment):
    """Signature pads that paint a white background send RGBA with every pixel opaque: the
    strokes, not the transparency, show that someone signed."""
    from PIL import Image, ImageDraw

    canvas = Image.new("RGBA", (300, 120), (255, 255, 255, 255))
    ImageDraw.Draw(canvas).line([(20, 90), (80, 20), (150, 90), (280, 30)], fill=(0, 0, 0, 255), width=4)
    shipment = walk_shipment(plan_shipment(), Status.ARRIVED)

    handover = _handover(users, shipment, signature_png=_png(canvas))

    assert handover.signature_key
    assert Shipment.objects.get(pk=shipment.pk).status == Status.HANDED_OVER


def test_a_failed_handover_leaves_no_file_behind(users, plan_shipment, walk_shipment, signed_receipt_pdf, settings):
    """The receipt is stored before the status is checked; a refused handover discards it."""
    shipment = walk_shipment(plan_shipment(), Status.DEPARTED)

    with pytest.raises(AidValidationError) as raised:
        _handover(users, shipment, receipt_name="receipt.pdf", receipt_content=signed_receipt_pdf)

    assert _code(raised) == AidError.NOT_ARRIVED
    assert _stored_files(settings) == []


@pytest.mark.parametrize("status", [Status.PLANNED, Status.CLEARED, Status.DEPARTED])
def test_a_handover_before_arrival_is_refused(users, plan_shipment, walk_shipment, drawn_signature_png, status):
    shipment = walk_shipment(plan_shipment(), status)
    with pytest.raises(AidValidationError) as raised:
        _handover(users, shipment, signature_png=drawn_signature_png)
    assert _code(raised) == AidError.NOT_ARRIVED
    assert not Handover.objects.filter(shipment=shipment).exists()


def test_a_shipment_is_handed_over_once(users, plan_shipment, walk_shipment, drawn_signature_png, signed_receipt_pdf):
    shipment = walk_shipment(plan_shipment(), Status.HANDED_OVER)
    first = Handover.objects.get(shipment=shipment)

    with pytest.raises(AidValidationError) as raised:
        _handover(
            users, shipment, receiver_name="Someone Else", receipt_name="r.pdf", receipt_content=signed_receipt_pdf
        )

    assert _code(raised) == AidError.ALREADY_HANDED_OVER
    assert list(Handover.objects.filter(shipment=shipment)) == [first]
    assert Handover.objects.get(shipment=shipment).receiver_name == first.receiver_name


def test_distributed_follows_the_handover(users, plan_shipment, walk_shipment):
    shipment = walk_shipment(plan_shipment(), Status.HANDED_OVER)
    assert _move(users, shipment, Status.DISTRIBUTED).status == Status.DISTRIBUTED


# --- cancelling and closed shipments -----------------------------------------------------------


@pytest.mark.parametrize("status", [Status.PLANNED, Status.LOADING, Status.CLEARED])
def test_a_shipment_is_cancelled_before_departure_with_a_reason(users, plan_shipment, walk_shipment, status):
    shipment = walk_shipment(plan_shipment(), status)

    shipment = _move(users, shipment, Status.CANCELLED, note="Airspace closed; goods go by truck instead.")

    assert shipment.status == Status.CANCELLED
    event = ShipmentEvent.objects.filter(shipment=shipment, to_status=Status.CANCELLED).get()
    assert (event.from_status, event.note) == (status, "Airspace closed; goods go by truck instead.")


@pytest.mark.parametrize("note", ["", "   "])
def test_cancelling_needs_a_reason(users, plan_shipment, note):
    shipment = plan_shipment()
    with pytest.raises(AidValidationError) as raised:
        _move(users, shipment, Status.CANCELLED, note=note)
    assert _code(raised) == AidError.REASON_REQUIRED
    assert Shipment.objects.get(pk=shipment.pk).status == Status.PLANNED


@pytest.mark.parametrize("status", [Status.DEPARTED, Status.ARRIVED, Status.HANDED_OVER])
def test_a_shipment_that_has_left_cannot_be_cancelled(users, plan_shipment, walk_shipment, status):
    """Once the goods have left they exist somewhere and must be accounted for."""
    shipment = walk_shipment(plan_shipment(), status)
    with pytest.raises(AidValidationError) as raised:
        _move(users, shipment, Status.CANCELLED, note="Changed our minds.")
    assert _code(raised) == AidError.STATUS_NOT_NEXT
    assert Shipment.objects.get(pk=shipment.pk).status == status


@pytest.mark.parametrize("target", [*STATUS_ORDER, Status.CANCELLED])
def test_nothing_moves_after_cancelled(users, plan_shipment, target):
    shipment = _move(users, plan_shipment(), Status.CANCELLED, note="Donor withdrew.")
    with pytest.raises(AidValidationError) as raised:
        _move(users, shipment, target, note="Again.")
    assert _code(raised) == AidError.CLOSED


@pytest.mark.parametrize("target", [*STATUS_ORDER, Status.CANCELLED])
def test_nothing_moves_after_distributed(users, plan_shipment, walk_shipment, target):
    shipment = walk_shipment(plan_shipment(), Status.DISTRIBUTED)
    with pytest.raises(AidValidationError) as raised:
        _move(users, shipment, target, note="Again.")
    assert _code(raised) == AidError.CLOSED


# --- stale forms -------------------------------------------------------------------------------


def test_a_move_from_a_stale_page_is_refused(users, plan_shipment, typed_line):
    """Two officers have the shipment open; the first adds a line, the second's move is refused."""
    shipment = plan_shipment()
    seen_version = shipment.version
    line_add(actor=users["logistics_officer"], origin=SYSTEM, shipment=shipment, line=typed_line())

    with pytest.raises(AidValidationError) as raised:
        _move(users, shipment, Status.LOADING, expected_version=seen_version)

    assert _code(raised) == AidError.STALE
    assert Shipment.objects.get(pk=shipment.pk).status == Status.PLANNED


def test_a_move_with_the_current_version_is_applied_and_bumps_it(users, plan_shipment):
    shipment = plan_shipment()
    moved = _move(users, shipment, Status.LOADING, expected_version=shipment.version)
    assert (moved.status, moved.version) == (Status.LOADING, shipment.version + 1)


@pytest.mark.parametrize("write", ["line_add", "clearance_override", "shipment_update", "handover_record"])
def test_other_writes_from_a_stale_page_are_refused(  # noqa: PLR0917 - parametrised
    users, plan_shipment, walk_shipment, typed_line, drawn_signature_png, polish_red_cross, write
):
    officer = users["logistics_officer"]
    shipment = walk_shipment(plan_shipment(), Status.ARRIVED if write == "handover_record" else Status.PLANNED)
    stale = shipment.version - 1
    calls = {
        "line_add": lambda: line_add(
            actor=officer, origin=SYSTEM, shipment=shipment, line=typed_line(), expected_version=stale
        ),
        "clearance_override": lambda: clearance_override(
            actor=officer, origin=SYSTEM, shipment=shipment, reason="Waiting plane.", expected_version=stale
        ),
        "shipment_update": lambda: shipment_update(
            actor=officer,
            origin=SYSTEM,
            shipment=shipment,
            data=ShipmentInput(mode=Mode.TRUCK, origin="Haifa", destination="Przemyśl", consignee=polish_red_cross),
            expected_version=stale,
        ),
        "handover_record": lambda: _handover(
            users, shipment, signature_png=drawn_signature_png, expected_version=stale
        ),
    }

    with pytest.raises(AidValidationError) as raised:
        calls[write]()

    assert _code(raised) == AidError.STALE
    assert Shipment.objects.get(pk=shipment.pk).version == shipment.version


# --- the timeline and the audit trail ----------------------------------------------------------


def test_every_transition_leaves_an_event_and_an_audit_row(users, plan_shipment, walk_shipment):
    officer = users["logistics_officer"]
    shipment = walk_shipment(plan_shipment(), Status.DISTRIBUTED)

    transitions = ShipmentEvent.objects.filter(shipment=shipment).exclude(from_status="")
    assert [(event.from_status, event.to_status) for event in transitions] == list(itertools.pairwise(STATUS_ORDER))
    assert {(event.actor, event.actor_label) for event in transitions} == {(officer, officer.username)}
    audited = [
        tuple(row.changes["status"])
        for row in AuditEvent.objects.filter(
            target_type="aid.shipment", target_id=str(shipment.pk), action=AuditEvent.Action.AID_SHIPMENT_CHANGED
        ).order_by("id")
        if "status" in row.changes
    ]
    assert audited == list(itertools.pairwise(STATUS_ORDER))
    assert set(
        AuditEvent.objects.filter(target_type="aid.shipment", target_id=str(shipment.pk)).values_list(
            "actor", flat=True
        )
    ) == {officer.pk}
    assert AuditEvent.objects.filter(
        target_type="aid.shipment", target_id=str(shipment.pk), action=AuditEvent.Action.AID_SHIPMENT_CREATED
    ).exists()


def test_a_refused_move_leaves_no_event_and_no_audit_row(users, plan_shipment):
    shipment = plan_shipment()
    events, audits = ShipmentEvent.objects.count(), AuditEvent.objects.count()

    with pytest.raises(AidValidationError):
        _move(users, shipment, Status.DEPARTED)

    assert (ShipmentEvent.objects.count(), AuditEvent.objects.count()) == (events, audits)


def test_the_timeline_cannot_be_rewritten(users, plan_shipment):
    shipment = _move(users, plan_shipment(), Status.LOADING)
    event = ShipmentEvent.objects.filter(shipment=shipment).last()

    event.note = "It never happened."
    with pytest.raises(ShipmentEventError):
        event.save()
    with pytest.raises(ShipmentEventError):
        event.delete()
    with pytest.raises(ShipmentEventError):
        ShipmentEvent.objects.filter(shipment=shipment).update(note="Rewritten.")
    with pytest.raises(ShipmentEventError):
        ShipmentEvent.objects.filter(shipment=shipment).delete()

    assert ShipmentEvent.objects.get(pk=event.pk).note == ""


# --- the manifest --------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [Status.DEPARTED, Status.ARRIVED, Status.HANDED_OVER, Status.DISTRIBUTED])
def test_the_manifest_is_locked_once_the_shipment_has_left(users, plan_shipment, walk_shipment, typed_line, status):
    officer = users["logistics_officer"]
    shipment = walk_shipment(plan_shipment(), status)
    sent = list(shipment.lines.values_list("pk", "line_number", "gross_weight_kg"))

    with pytest.raises(AidValidationError) as added:
        line_add(actor=officer, origin=SYSTEM, shipment=shipment, line=typed_line(item="Extra generator"))
    with pytest.raises(AidValidationError) as removed:
        line_remove(actor=officer, origin=SYSTEM, line=shipment.lines.first())

    assert _code(added) == _code(removed) == AidError.MANIFEST_LOCKED
    assert list(shipment.lines.values_list("pk", "line_number", "gross_weight_kg")) == sent


def test_a_cancelled_shipments_manifest_is_locked(users, plan_shipment, typed_line):
    officer = users["logistics_officer"]
    shipment = plan_shipment()
    line = line_add(actor=officer, origin=SYSTEM, shipment=shipment, line=typed_line())
    _move(users, shipment, Status.CANCELLED, note="Donor withdrew.")

    with pytest.raises(AidValidationError) as raised:
        line_remove(actor=officer, origin=SYSTEM, line=line)
    assert _code(raised) == AidError.MANIFEST_LOCKED


def test_line_numbers_continue_after_a_removal(users, plan_shipment, typed_line):
    """Removing line 2 leaves 1 and 3 as they were, and the next line is 4, not 2 again."""
    officer = users["logistics_officer"]
    shipment = plan_shipment()
    added = [
        line_add(actor=officer, origin=SYSTEM, shipment=shipment, line=typed_line(item=item))
        for item in ("Insulin pens", "Field tents", "Diesel generators 20 kVA")
    ]
    assert [line.line_number for line in added] == [1, 2, 3]

    line_remove(actor=officer, origin=SYSTEM, line=added[1])
    fourth = line_add(actor=officer, origin=SYSTEM, shipment=shipment, line=typed_line(item="Blankets"))

    assert list(shipment.lines.values_list("line_number", "item")) == [
        (1, "Insulin pens"),
        (3, "Diesel generators 20 kVA"),
        (4, "Blankets"),
    ]
    assert fourth.line_number == 4
    removal = ShipmentEvent.objects.get(shipment=shipment, data__removed=2)
    assert (removal.kind, removal.data["item"], removal.actor) == (
        ShipmentEvent.Kind.LINES_CHANGED,
        "Field tents",
        officer,
    )


def test_a_line_keeps_what_was_typed(users, plan_shipment, typed_line):
    shipment = plan_shipment()
    typed = typed_line(
        gross_weight_kg="1 234,5", lot="LOT-22-0317", expiry_date="2099-03", cold_chain="так", donor="Magen David Adom"
    )

    line = line_add(actor=users["logistics_officer"], origin=SYSTEM, shipment=shipment, line=typed)

    stored = ManifestLine.objects.get(pk=line.pk)
    assert stored.gross_weight_kg == typed.gross_weight_kg == Decimal("1234.5")
    assert (stored.lot, stored.expiry_date, stored.cold_chain, stored.donor) == (
        typed.lot,
        typed.expiry_date,
        True,
        "Magen David Adom",
    )


# --- the landing permit follows the mode ------------------------------------------------------


@pytest.mark.parametrize(
    ("mode", "landing"),
    [
        (Mode.CARGO_FLIGHT, ClearanceItem.State.PENDING),
        (Mode.TRUCK, ClearanceItem.State.NOT_REQUIRED),
        (Mode.SHIP, ClearanceItem.State.NOT_REQUIRED),
    ],
)
def test_a_new_shipment_has_its_checklist(plan_shipment, mode, landing):
    shipment = plan_shipment(mode=mode)
    states = dict(shipment.clearances.values_list("kind", "state"))
    assert states == {
        ClearanceItem.Kind.EXPORT_DECLARATION: Pending,
        ClearanceItem.Kind.DESTINATION_CLEARANCE: Pending,
        ClearanceItem.Kind.LANDING_PERMIT: landing,
    }


def _route(consignee, mode, **extra) -> ShipmentInput:
    return ShipmentInput(mode=mode, origin="Tel Aviv (TLV)", destination="Rzeszów (RZE)", consignee=consignee, **extra)


@pytest.mark.parametrize(
    ("first", "then", "landing"),
    [
        (Mode.CARGO_FLIGHT, Mode.TRUCK, ClearanceItem.State.NOT_REQUIRED),
        (Mode.TRUCK, Mode.CARGO_FLIGHT, ClearanceItem.State.PENDING),
        (Mode.SHIP, Mode.CARGO_FLIGHT, ClearanceItem.State.PENDING),
    ],
)
def test_changing_the_mode_before_departure_updates_the_landing_permit(  # noqa: PLR0917 - parametrised
    users, plan_shipment, polish_red_cross, first, then, landing
):
    shipment = plan_shipment(mode=first)

    shipment_update(
        actor=users["logistics_officer"], origin=SYSTEM, shipment=shipment, data=_route(polish_red_cross, then)
    )

    shipment.refresh_from_db()
    assert shipment.mode == then
    assert shipment.clearances.get(kind=ClearanceItem.Kind.LANDING_PERMIT).state == landing


def test_a_granted_landing_permit_is_kept_when_the_mode_changes(users, plan_shipment, polish_red_cross):
    """A permit already granted is a fact, not a default: switching modes does not forget it."""
    shipment = plan_shipment(mode=Mode.CARGO_FLIGHT)
    landing = shipment.clearances.get(kind=ClearanceItem.Kind.LANDING_PERMIT)
    clearance_update(actor=users["logistics_officer"], origin=SYSTEM, item=landing, state=Granted)

    shipment_update(
        actor=users["logistics_officer"], origin=SYSTEM, shipment=shipment, data=_route(polish_red_cross, Mode.TRUCK)
    )

    landing.refresh_from_db()
    assert landing.state == Granted


def test_the_mode_no_longer_changes_once_the_shipment_has_left(users, plan_shipment, walk_shipment, polish_red_cross):
    shipment = walk_shipment(plan_shipment(mode=Mode.CARGO_FLIGHT), Status.DEPARTED)

    shipment_update(
        actor=users["logistics_officer"], origin=SYSTEM, shipment=shipment, data=_route(polish_red_cross, Mode.TRUCK)
    )

    shipment.refresh_from_db()
    assert shipment.mode == Mode.CARGO_FLIGHT


def test_a_cancelled_shipment_is_not_updated(users, plan_shipment, polish_red_cross):
    shipment = _move(users, plan_shipment(), Status.CANCELLED, note="Donor withdrew.")
    with pytest.raises(AidValidationError) as raised:
        shipment_update(
            actor=users["logistics_officer"],
            origin=SYSTEM,
            shipment=shipment,
            data=_route(polish_red_cross, Mode.TRUCK),
        )
    assert _code(raised) == AidError.CLOSED


@pytest.mark.parametrize(
    ("data", "code"),
    [
        ({"origin": " "}, AidError.ROUTE_REQUIRED),
        ({"destination": ""}, AidError.ROUTE_REQUIRED),
        ({"mode": "zeppelin"}, AidError.ROUTE_REQUIRED),
        ({"consignee": None}, AidError.CONSIGNEE_REQUIRED),
    ],
)
def test_a_shipment_needs_a_route_a_mode_and_a_consignee(users, polish_red_cross, data, code):
    values = {"mode": Mode.TRUCK, "origin": "Haifa", "destination": "Przemyśl", "consignee": polish_red_cross, **data}
    with pytest.raises(AidValidationError) as raised:
        shipment_create(actor=users["logistics_officer"], origin=SYSTEM, data=ShipmentInput(**values))
    assert _code(raised) == code
    assert not Shipment.objects.exists()


def test_a_planned_arrival_before_the_departure_is_refused(users, polish_red_cross):
    monday = timezone.now() + timedelta(days=3)
    with pytest.raises(AidValidationError) as raised:
        shipment_create(
            actor=users["logistics_officer"],
            origin=SYSTEM,
            data=_route(
                polish_red_cross,
                Mode.CARGO_FLIGHT,
                planned_departure=monday,
                planned_arrival=monday - timedelta(hours=1),
            ),
        )
    assert _code(raised) == AidError.ARRIVAL_BEFORE_DEPARTURE


# --- discrepancies ------------------------------------------------------------------------------


def _arrived_with_line(users, plan_shipment, walk_shipment, typed_line, **line_values):
    shipment = plan_shipment()
    line = line_add(actor=users["logistics_officer"], origin=SYSTEM, shipment=shipment, line=typed_line(**line_values))
    return walk_shipment(shipment, Status.ARRIVED), line


def _report(users, line, kind, quantity, persona="logistics_officer"):
    return discrepancy_add(actor=users[persona], origin=SYSTEM, line=line, kind=kind, quantity=quantity)


def test_short_and_damaged_together_may_reach_but_not_pass_what_was_dispatched(
    users, plan_shipment, walk_shipment, typed_line
):
    _shipment, line = _arrived_with_line(users, plan_shipment, walk_shipment, typed_line, quantity="100")
    _report(users, line, LineDiscrepancy.Kind.SHORT, "60")
    _report(users, line, LineDiscrepancy.Kind.DAMAGED, "40")  # 60 + 40 = all 100 boxes missing

    with pytest.raises(AidValidationError) as raised:
        _report(users, line, LineDiscrepancy.Kind.DAMAGED, "0.001")

    assert (_code(raised), raised.value.field) == (AidError.DISCREPANCY_TOO_LARGE, "quantity")
    assert LineDiscrepancy.objects.filter(line=line).count() == 2


def test_a_single_short_larger_than_the_line_is_refused(users, plan_shipment, walk_shipment, typed_line):
    _shipment, line = _arrived_with_line(users, plan_shipment, walk_shipment, typed_line, quantity="12")
    with pytest.raises(AidValidationError) as raised:
        _report(users, line, LineDiscrepancy.Kind.SHORT, "12.001")
    assert _code(raised) == AidError.DISCREPANCY_TOO_LARGE


def test_over_may_exceed_what_was_dispatched(users, plan_shipment, walk_shipment, typed_line):
    """A pallet more than the manifest said: recorded, and it does not count against short."""
    _shipment, line = _arrived_with_line(users, plan_shipment, walk_shipment, typed_line, quantity="10")
    _report(users, line, LineDiscrepancy.Kind.OVER, "25")
    _report(users, line, LineDiscrepancy.Kind.SHORT, "10")

    assert sorted(LineDiscrepancy.objects.filter(line=line).values_list("kind", "quantity")) == [
        (LineDiscrepancy.Kind.OVER, Decimal("25")),
        (LineDiscrepancy.Kind.SHORT, Decimal("10")),
    ]


@pytest.mark.parametrize(
    "status", [Status.PLANNED, Status.LOADING, Status.CLEARED, Status.DEPARTED, Status.DISTRIBUTED]
)
def test_discrepancies_are_recorded_only_on_arrival_and_at_handover(
    users, plan_shipment, walk_shipment, typed_line, status
):
    shipment = plan_shipment()
    line = line_add(actor=users["logistics_officer"], origin=SYSTEM, shipment=shipment, line=typed_line())
    walk_shipment(shipment, status)

    with pytest.raises(AidValidationError) as raised:
        _report(users, line, LineDiscrepancy.Kind.SHORT, "1")

    assert _code(raised) == AidError.DISCREPANCY_NOT_NOW
    assert not LineDiscrepancy.objects.exists()


def test_a_discrepancy_at_handover_is_on_the_timeline(users, plan_shipment, walk_shipment, typed_line):
    shipment = plan_shipment()
    line = line_add(actor=users["logistics_officer"], origin=SYSTEM, shipment=shipment, line=typed_line())
    walk_shipment(shipment, Status.HANDED_OVER)

    discrepancy = discrepancy_add(
        actor=users["logistics_officer"],
        origin=SYSTEM,
        line=line,
        kind=LineDiscrepancy.Kind.DAMAGED,
        quantity="3,5",
        note="Crushed in the hold.",
    )

    assert discrepancy.quantity == Decimal("3.5")
    event = ShipmentEvent.objects.get(shipment=shipment, kind=ShipmentEvent.Kind.DISCREPANCY)
    assert event.data == {"line": line.line_number, "kind": LineDiscrepancy.Kind.DAMAGED, "quantity": "3.500"}
    assert event.note == "Crushed in the hold."


@pytest.mark.parametrize(
    ("kind", "quantity", "field"),
    [
        (LineDiscrepancy.Kind.SHORT, "0", "quantity"),
        (LineDiscrepancy.Kind.SHORT, "-2", "quantity"),
        (LineDiscrepancy.Kind.SHORT, "two", "quantity"),
        (LineDiscrepancy.Kind.SHORT, "NaN", "quantity"),
        (LineDiscrepancy.Kind.SHORT, "Infinity", "quantity"),
        # more precise than the column, or larger: refused, never silently rounded or cut
        (LineDiscrepancy.Kind.SHORT, "1.0005", "quantity"),
        (LineDiscrepancy.Kind.OVER, "0.0004", "quantity"),
        (LineDiscrepancy.Kind.OVER, "1000000000", "quantity"),
        ("stolen", "1", "kind"),
    ],
)
def test_a_discrepancy_needs_a_kind_and_a_positive_quantity(  # noqa: PLR0917 - parametrised
    users, plan_shipment, walk_shipment, typed_line, kind, quantity, field
):
    _shipment, line = _arrived_with_line(users, plan_shipment, walk_shipment, typed_line)
    with pytest.raises(AidValidationError) as raised:
        _report(users, line, kind, quantity)
    assert (_code(raised), raised.value.field) == (AidError.LINE_INVALID, field)


# --- consignees --------------------------------------------------------------------------------


def test_a_consignees_contact_phone_and_email_are_encrypted_at_rest(polish_red_cross):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT contact_phone, contact_email, contact_name FROM aid_consignee WHERE id = %s", [polish_red_cross.pk]
        )
        raw_phone, raw_email, raw_name = cursor.fetchone()

    assert raw_phone and raw_phone != polish_red_cross.contact_phone
    assert raw_email and raw_email != polish_red_cross.contact_email
    assert "862" not in raw_phone
    assert "example.org" not in raw_email
    assert raw_name == polish_red_cross.contact_name  # the name is not secret; the reachability is
    reread = Consignee.objects.get(pk=polish_red_cross.pk)
    assert (reread.contact_phone, reread.contact_email) == ("+48 17 862 11 00", "agnieszka.nowak@example.org")


def test_a_consignee_with_a_known_name_is_not_duplicated(users, polish_red_cross):
    again = consignee_create(actor=users["logistics_officer"], origin=SYSTEM, name=f"  {polish_red_cross.name} ")
    assert again == polish_red_cross
    assert Consignee.objects.count() == 1


def test_a_consignee_needs_a_name(users):
    with pytest.raises(AidValidationError) as raised:
        consignee_create(actor=users["logistics_officer"], origin=SYSTEM, name="  ")
    assert _code(raised) == AidError.CONSIGNEE_REQUIRED


# --- the permission matrix ----------------------------------------------------------------------

WRITERS = ("logistics_officer", "admin")
DENIED = (
    "desk_chief",
    "consul",
    "border_officer",
    "case_officer",
    "diplomat",
    "senior_diplomat",
    "political_director",
    "anonymous",
    "nobody",
)


class Scene:
    """The state each write needs, prepared by the logistics officer; `call(name, actor)`
    then attempts that write as another actor."""

    def __init__(self, *, users, plan_shipment, walk_shipment, typed_line, drawn_signature_png, consignee):
        self.officer = users["logistics_officer"]
        self.plan, self.walk, self.line = plan_shipment, walk_shipment, typed_line
        self.signature, self.consignee = drawn_signature_png, consignee

    def _with_line(self, status=Status.PLANNED):
        shipment = self.plan()
        line = line_add(actor=self.officer, origin=SYSTEM, shipment=shipment, line=self.line())
        return self.walk(shipment, status), line

    def prepare(self, name):
        shipment, line = self._with_line(
            Status.ARRIVED if name in ("handover_record", "discrepancy_add") else Status.PLANNED
        )
        item = shipment.clearances.first()

        calls = {
            "consignee_create": lambda actor: consignee_create(actor=actor, origin=SYSTEM, name="Caritas Przemyśl"),
            "shipment_create": lambda actor: shipment_create(
                actor=actor, origin=SYSTEM, data=_route(self.consignee, Mode.TRUCK)
            ),
            "shipment_update": lambda actor: shipment_update(
                actor=actor, origin=SYSTEM, shipment=shipment, data=_route(self.consignee, Mode.TRUCK)
            ),
            "shipment_move": lambda actor: shipment_move(
                actor=actor, origin=SYSTEM, shipment=shipment, to_status=Status.LOADING
            ),
            "shipment_cancel": lambda actor: shipment_move(
                actor=actor, origin=SYSTEM, shipment=shipment, to_status=Status.CANCELLED, note="Airspace closed."
            ),
            "clearance_update": lambda actor: clearance_update(actor=actor, origin=SYSTEM, item=item, state=Granted),
            "clearance_override": lambda actor: clearance_override(
                actor=actor, origin=SYSTEM, shipment=shipment, reason="Permit promised by phone."
            ),
            "line_add": lambda actor: line_add(actor=actor, origin=SYSTEM, shipment=shipment, line=self.line()),
            "line_remove": lambda actor: line_remove(actor=actor, origin=SYSTEM, line=line),
            "handover_record": lambda actor: handover_record(
                actor=actor,
                origin=SYSTEM,
                shipment=shipment,
                receiver_name="Agnieszka Nowak",
                receiver_organisation="PCK",
                signature_png=self.signature,
            ),
            "discrepancy_add": lambda actor: discrepancy_add(
                actor=actor, origin=SYSTEM, line=line, kind=LineDiscrepancy.Kind.SHORT, quantity="1"
            ),
        }
        return calls[name]


WRITES = (
    "consignee_create",
    "shipment_create",
    "shipment_update",
    "shipment_move",
    "shipment_cancel",
    "clearance_update",
    "clearance_override",
    "line_add",
    "line_remove",
    "handover_record",
    "discrepancy_add",
)


@pytest.fixture
def scene(users, plan_shipment, walk_shipment, typed_line, drawn_signature_png, polish_red_cross):  # noqa: PLR0917 - fixtures
    return Scene(
        users=users,
        plan_shipment=plan_shipment,
        walk_shipment=walk_shipment,
        typed_line=typed_line,
        drawn_signature_png=drawn_signature_png,
        consignee=polish_red_cross,
    )


def _actor(users, persona):
    if persona == "nobody":
        return None
    return AnonymousUser() if persona == "anonymous" else users[persona]


@pytest.mark.parametrize("persona", WRITERS)
@pytest.mark.parametrize("write", WRITES)
def test_logistics_officers_and_admins_may_write(users, scene, write, persona):
    attempt = scene.prepare(write)
    audits = AuditEvent.objects.count()

    attempt(_actor(users, persona))

    assert AuditEvent.objects.count() == audits + 1
    assert AuditEvent.objects.order_by("-id").first().actor == users[persona]


@pytest.mark.parametrize("persona", DENIED)
@pytest.mark.parametrize("write", WRITES)
def test_everyone_else_is_denied_every_write(users, scene, write, persona, settings):
    attempt = scene.prepare(write)
    counts = (AuditEvent.objects.count(), ShipmentEvent.objects.count(), Shipment.objects.count())
    versions = list(Shipment.objects.order_by("pk").values_list("version", flat=True))
    files = len(_stored_files(settings))

    with pytest.raises(PermissionDenied):
        attempt(_actor(users, persona))

    assert (AuditEvent.objects.count(), ShipmentEvent.objects.count(), Shipment.objects.count()) == counts
    assert list(Shipment.objects.order_by("pk").values_list("version", flat=True)) == versions
    assert len(_stored_files(settings)) == files
