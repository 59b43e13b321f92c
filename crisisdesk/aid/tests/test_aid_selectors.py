"""Reads of aid shipments (aid/selectors.py): who may read, the overview's sums, dispatched
and delivered totals with their discrepancies, and the audited opening of documents.

Personas: `logistics_officer` and `desk_chief` read (the admin too); everyone else, and no
one logged in, is refused."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied

from crisisdesk.aid.errors import AidError, AidValidationError
from crisisdesk.aid.models import ClearanceItem, Handover, LineDiscrepancy, ManifestLine, Mode, Shipment, Status
from crisisdesk.aid.selectors import (
    clearance_document_open,
    handover_file_open,
    overview,
    rejected_rows_open,
    shipment_detail,
    shipment_list,
    shipment_totals,
)
from crisisdesk.aid.services import clearance_update, discrepancy_add, handover_record, line_add
from crisisdesk.aid.tonnage import delivered_weight, tonnes
from crisisdesk.common.models import AuditEvent
from crisisdesk.common.origin import SYSTEM

pytestmark = pytest.mark.django_db

Kind = LineDiscrepancy.Kind
ZERO = Decimal("0")


def _add(users, shipment, **values):
    from crisisdesk.aid.lines import line_parse

    raw = {"item": "Blankets, wool", "category": "winter", "quantity": "100", "unit": "pcs", "gross_weight_kg": "150"}
    return line_add(
        actor=users["logistics_officer"], origin=SYSTEM, shipment=shipment, line=line_parse({**raw, **values})
    )


def _report(users, line, kind, quantity):
    return discrepancy_add(actor=users["logistics_officer"], origin=SYSTEM, line=line, kind=kind, quantity=quantity)


def _actor(users, persona):
    if persona == "nobody":
        return None
    return AnonymousUser() if persona == "anonymous" else users[persona]


# --- overview --------------------------------------------------------------------------------------


@pytest.fixture
def fleet(users, plan_shipment, walk_shipment):
    """One shipment at every status, each with its own weight, so each sum shows which it counted."""
    made = {}
    for kilograms, status in enumerate(
        (
            Status.PLANNED,
            Status.LOADING,
            Status.CLEARED,
            Status.DEPARTED,
            Status.ARRIVED,
            Status.HANDED_OVER,
            Status.DISTRIBUTED,
        ),
        start=1,
    ):
        shipment = plan_shipment(vehicle_number=f"5C-80{kilograms}")
        _add(users, shipment, gross_weight_kg=str(kilograms * 1000 + kilograms))  # 1001, 2002, … kg
        made[status] = walk_shipment(shipment, status)
    cancelled = plan_shipment(vehicle_number="5C-899")
    _add(users, cancelled, gross_weight_kg="90000")
    from crisisdesk.aid.services import shipment_move

    made[Status.CANCELLED] = shipment_move(
        actor=users["logistics_officer"],
        origin=SYSTEM,
        shipment=cancelled,
        to_status=Status.CANCELLED,
        note="Donor withdrew.",
    )
    return made


def _weight(shipment) -> Decimal:
    return sum(ManifestLine.objects.filter(shipment=shipment).values_list("gross_weight_kg", flat=True), start=ZERO)


def test_dispatched_counts_only_shipments_that_have_left(users, fleet):
    result = overview(actor=users["desk_chief"])

    left = (Status.DEPARTED, Status.ARRIVED, Status.HANDED_OVER, Status.DISTRIBUTED)
    assert result["dispatched_kg"] == sum((_weight(fleet[status]) for status in left), start=ZERO)
    waiting = (Status.PLANNED, Status.LOADING, Status.CLEARED)
    assert result["planned_kg"] == sum((_weight(fleet[status]) for status in waiting), start=ZERO)


def test_delivered_counts_only_shipments_handed_over(users, fleet):
    result = overview(actor=users["logistics_officer"])

    handed_over = (fleet[Status.HANDED_OVER], fleet[Status.DISTRIBUTED])
    assert result["delivered_kg"] == sum((_weight(shipment) for shipment in handed_over), start=ZERO)
    assert result["dispatched_of_delivered_kg"] == result["delivered_kg"]  # nothing short or damaged


def test_in_transit_lists_the_departed_shipments(users, fleet):
    result = overview(actor=users["logistics_officer"])

    assert [shipment for shipment, _totals in result["in_transit"]] == [fleet[Status.DEPARTED]]
    assert {shipment for shipment, _totals in result["shipments"]} == set(fleet.values())
    totals = dict(result["shipments"])
    assert totals[fleet[Status.DEPARTED]].total.dispatched_kg == _weight(fleet[Status.DEPARTED])


def test_the_overview_reads_in_a_fixed_number_of_queries(users, fleet, plan_shipment, django_assert_max_num_queries):
    """Lines, then their discrepancies, for any number of shipments: no query per shipment."""
    with django_assert_max_num_queries(3):
        overview(actor=users["desk_chief"])
    for _ in range(5):
        _add(users, plan_shipment())
    with django_assert_max_num_queries(3):
        overview(actor=users["desk_chief"])


def test_delivered_weight_of_a_handed_over_shipment_is_less_its_discrepancies(users, plan_shipment, walk_shipment):
    shipment = plan_shipment()
    line = _add(users, shipment, quantity="100", gross_weight_kg="150")
    walk_shipment(shipment, Status.ARRIVED)
    _report(users, line, Kind.SHORT, "10")
    walk_shipment(shipment, Status.HANDED_OVER)

    result = overview(actor=users["logistics_officer"])

    assert result["dispatched_of_delivered_kg"] == line.gross_weight_kg
    assert result["delivered_kg"] == line.gross_weight_kg - delivered_weight(
        gross_weight_kg=line.gross_weight_kg, quantity=line.quantity, delivered=Decimal("10")
    )


# --- dispatched and delivered, both kept -----------------------------------------------------------


@pytest.fixture
def rzeszow_flight(users, plan_shipment, walk_shipment):
    """Medical supplies, food and generators to Rzeszów, arrived; nothing reported yet."""
    shipment = plan_shipment()
    lines = {
        "insulin": _add(
            users, shipment, item="Insulin pens", category="medical", quantity="240", unit="box", gross_weight_kg="480"
        ),
        "dressings": _add(
            users,
            shipment,
            item="Wound dressings",
            category="medical",
            quantity="3",
            unit="pallet",
            gross_weight_kg="1000",
        ),
        "rations": _add(
            users, shipment, item="Food rations", category="food", quantity="1200", unit="kit", gross_weight_kg="2345.5"
        ),
        "generators": _add(
            users, shipment, item="Diesel generator", category="power", quantity="4", unit="pcs", gross_weight_kg="3100"
        ),
    }
    return walk_shipment(shipment, Status.ARRIVED), lines


def _sent(lines, *names, field="gross_weight_kg"):
    return sum((getattr(lines[name], field) for name in names), start=ZERO)


def test_without_discrepancies_delivered_equals_dispatched(rzeszow_flight):
    shipment, lines = rzeszow_flight
    totals = shipment_totals([shipment])[shipment.pk]

    assert totals.total.dispatched_kg == totals.total.delivered_kg == _sent(lines, *lines)
    for category, part in totals.by_category.items():
        assert part.delivered_kg == part.dispatched_kg, category


def test_delivered_totals_differ_from_dispatched_by_exactly_the_discrepancies(users, rzeszow_flight):
    """12 boxes of insulin short, 1 of 3 pallets of dressings damaged, 50 rations over."""
    shipment, lines = rzeszow_flight
    before = shipment_totals([shipment])[shipment.pk]
    _report(users, lines["insulin"], Kind.SHORT, "12")
    _report(users, lines["dressings"], Kind.DAMAGED, "1")
    _report(users, lines["rations"], Kind.OVER, "50")

    totals = shipment_totals([shipment])[shipment.pk]

    def share(name, quantity):
        line = lines[name]
        return delivered_weight(
            gross_weight_kg=line.gross_weight_kg, quantity=line.quantity, delivered=Decimal(quantity)
        )

    medical, food, power = (totals.by_category[category] for category in ("medical", "food", "power"))
    # dispatched is what the manifest says, unchanged by what arrived
    assert totals.total.dispatched_kg == before.total.dispatched_kg == _sent(lines, *lines)
    assert medical.dispatched_kg == _sent(lines, "insulin", "dressings")
    # each category's delivered is its dispatched less short and damaged, plus over
    assert (medical.short_kg, medical.damaged_kg, medical.over_kg) == (share("insulin", 12), share("dressings", 1), 0)
    assert medical.delivered_kg == medical.dispatched_kg - share("insulin", 12) - share("dressings", 1)
    assert food.delivered_kg == food.dispatched_kg + share("rations", 50)
    assert power.delivered_kg == power.dispatched_kg
    for part in (totals.total, *totals.by_category.values()):
        assert part.delivered_kg == part.dispatched_kg - part.short_kg - part.damaged_kg + part.over_kg
        assert part.difference_kg == part.over_kg - part.short_kg - part.damaged_kg
    assert totals.total.delivered_t == tonnes(totals.total.delivered_kg)
    # the manifest lines themselves are untouched
    assert {name: ManifestLine.objects.get(pk=line.pk).quantity for name, line in lines.items()} == {
        name: line.quantity for name, line in lines.items()
    }


def test_discrepancies_on_one_line_add_up(users, rzeszow_flight):
    shipment, lines = rzeszow_flight
    insulin = lines["insulin"]
    for kind, quantity in ((Kind.SHORT, "5"), (Kind.SHORT, "7"), (Kind.DAMAGED, "3"), (Kind.OVER, "2")):
        _report(users, insulin, kind, quantity)

    medical = shipment_totals([shipment])[shipment.pk].by_category["medical"]

    expected_insulin = delivered_weight(
        gross_weight_kg=insulin.gross_weight_kg, quantity=insulin.quantity, delivered=insulin.quantity - 12 - 3 + 2
    )
    assert medical.delivered_kg == expected_insulin + lines["dressings"].gross_weight_kg


def test_totals_of_several_shipments_keep_apart(users, rzeszow_flight, plan_shipment):
    shipment, lines = rzeszow_flight
    other = plan_shipment(mode=Mode.TRUCK)
    _add(users, other, gross_weight_kg="777.777")
    empty = plan_shipment()

    totals = shipment_totals([shipment, other, empty])

    assert totals[shipment.pk].total.dispatched_kg == _sent(lines, *lines)
    assert totals[other.pk].total.dispatched_kg == Decimal("777.777")
    assert (totals[empty.pk].total.lines, totals[empty.pk].total.dispatched_kg) == (0, 0)


# --- lists and detail ---------------------------------------------------------------------------


def test_the_list_filters_by_status_mode_and_search(users, plan_shipment, walk_shipment):
    flight = plan_shipment(mode=Mode.CARGO_FLIGHT, vehicle_number="5C-801")
    truck = walk_shipment(
        plan_shipment(mode=Mode.TRUCK, vehicle_number="KR 4521A", destination="Przemyśl"), Status.LOADING
    )
    reader = users["desk_chief"]

    assert list(shipment_list(actor=reader, status=Status.LOADING)) == [truck]
    assert list(shipment_list(actor=reader, mode=Mode.CARGO_FLIGHT)) == [flight]
    assert list(shipment_list(actor=reader, search="przemyśl")) == [truck]
    assert list(shipment_list(actor=reader, search=flight.reference.lower())) == [flight]
    assert set(shipment_list(actor=reader)) == {flight, truck}


def test_the_list_shows_each_shipments_weight_and_line_count(users, plan_shipment):
    shipment = plan_shipment()
    _add(users, shipment, gross_weight_kg="0.1")
    _add(users, shipment, gross_weight_kg="0.2")

    (listed,) = shipment_list(actor=users["logistics_officer"])

    assert (listed.dispatched_kg, listed.line_count) == (Decimal("0.3"), 2)


def test_the_detail_of_a_missing_shipment_is_not_found(users):
    with pytest.raises(AidValidationError) as raised:
        shipment_detail(actor=users["desk_chief"], pk=987654)
    assert raised.value.code == AidError.NOT_FOUND


def test_the_detail_carries_lines_checklist_and_timeline(users, plan_shipment):
    shipment = plan_shipment()
    _add(users, shipment, item="First")
    _add(users, shipment, item="Second")

    detail = shipment_detail(actor=users["desk_chief"], pk=shipment.pk)

    assert [line.item for line in detail.lines.all()] == ["First", "Second"]
    assert {item.kind for item in detail.clearances.all()} == set(ClearanceItem.Kind.values)
    assert len(detail.events.all()) == 3  # planned, and two lines added


def test_open_rejected_rows_come_with_their_messages(users, plan_shipment):
    from crisisdesk.aid.lines import LINE_MESSAGES, LineError
    from crisisdesk.aid.manifest_import import manifest_import

    shipment = plan_shipment()
    content = b"item,category,quantity,unit,gross_weight_kg\nBlankets,winter,500,pcs,900\nToys,toys,10,pcs,5\n"
    manifest_import(
        actor=users["logistics_officer"], origin=SYSTEM, shipment=shipment, file_name="m.csv", content=content
    )

    (row,) = rejected_rows_open(actor=users["desk_chief"], shipment=shipment)

    assert row.row_number == 3
    assert row.messages == {"category": [str(LINE_MESSAGES[LineError.UNKNOWN_CATEGORY])]}


# --- documents: audited, original bytes back, encrypted on disk --------------------------------


@pytest.fixture
def papers(users, plan_shipment, walk_shipment, signed_receipt_pdf, drawn_signature_png):
    """A shipment with its export declaration uploaded, handed over with a signature and a receipt."""
    officer = users["logistics_officer"]
    shipment = plan_shipment()
    declaration = shipment.clearances.get(kind=ClearanceItem.Kind.EXPORT_DECLARATION)
    clearance_update(
        actor=officer,
        origin=SYSTEM,
        item=declaration,
        state=ClearanceItem.State.GRANTED,
        document_name="export declaration.pdf",
        document_content=signed_receipt_pdf,
    )
    walk_shipment(shipment, Status.ARRIVED)
    handover_record(
        actor=officer,
        origin=SYSTEM,
        shipment=shipment,
        receiver_name="Agnieszka Nowak",
        receiver_organisation="Polski Czerwony Krzyż",
        signature_png=drawn_signature_png,
        receipt_name="signed receipt.pdf",
        receipt_content=signed_receipt_pdf,
    )
    return shipment, ClearanceItem.objects.get(pk=declaration.pk), Handover.objects.get(shipment=shipment)


def _stored_bytes(settings, storage_key) -> bytes:
    return (settings.CRISISDESK_DOCUMENT_ROOT / storage_key[:2] / storage_key).read_bytes()


@pytest.mark.parametrize("reader", ["logistics_officer", "desk_chief"])
def test_opening_a_clearance_document_is_audited_and_gives_back_the_upload(
    users, papers, signed_receipt_pdf, settings, reader
):
    shipment, declaration, _handover = papers

    name, content_type, content = clearance_document_open(actor=users[reader], origin=SYSTEM, item=declaration)

    assert (name, content_type, content) == ("export declaration.pdf", "application/pdf", signed_receipt_pdf)
    stored = _stored_bytes(settings, declaration.document_key)
    assert stored != signed_receipt_pdf
    assert b"%PDF" not in stored
    viewed = AuditEvent.objects.filter(action=AuditEvent.Action.AID_DOCUMENT_VIEWED).get()
    assert (viewed.actor, viewed.target_type, viewed.target_id) == (users[reader], "aid.shipment", str(shipment.pk))
    assert viewed.changes == {"file": ClearanceItem.Kind.EXPORT_DECLARATION}


@pytest.mark.parametrize(
    ("which", "fixture", "content_type"),
    [("signature", "drawn_signature_png", "image/png"), ("receipt", "signed_receipt_pdf", "application/pdf")],
)
def test_opening_a_handover_file_is_audited_and_gives_back_the_upload(  # noqa: PLR0917 - parametrised
    users, papers, settings, request, which, fixture, content_type
):
    shipment, _declaration, handover = papers
    original = request.getfixturevalue(fixture)

    name, served_type, content = handover_file_open(
        actor=users["desk_chief"], origin=SYSTEM, handover=handover, which=which
    )

    assert (served_type, content) == (content_type, original)
    assert name.endswith(".png" if which == "signature" else ".pdf")
    stored = _stored_bytes(settings, handover.signature_key if which == "signature" else handover.receipt_key)
    assert stored != original
    assert original[:8] not in stored
    viewed = AuditEvent.objects.get(action=AuditEvent.Action.AID_DOCUMENT_VIEWED)
    assert (viewed.actor, viewed.target_id, viewed.changes) == (users["desk_chief"], str(shipment.pk), {"file": which})


def test_a_document_that_was_never_uploaded_is_not_found_and_not_audited(users, plan_shipment):
    item = plan_shipment().clearances.first()
    with pytest.raises(AidValidationError) as raised:
        clearance_document_open(actor=users["desk_chief"], origin=SYSTEM, item=item)
    assert raised.value.code == AidError.NOT_FOUND
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.AID_DOCUMENT_VIEWED).exists()


def test_a_handover_without_a_receipt_has_no_receipt_to_open(users, plan_shipment, walk_shipment):
    shipment = walk_shipment(plan_shipment(), Status.HANDED_OVER)  # signed on screen only
    with pytest.raises(AidValidationError) as raised:
        handover_file_open(actor=users["desk_chief"], origin=SYSTEM, handover=shipment.handover, which="receipt")
    assert raised.value.code == AidError.NOT_FOUND


# --- the permission matrix ----------------------------------------------------------------------

READERS = ("logistics_officer", "desk_chief", "admin")
DENIED = (
    "consul",
    "border_officer",
    "case_officer",
    "diplomat",
    "senior_diplomat",
    "political_director",
    "anonymous",
    "nobody",
)
READS = {
    "shipment_list": lambda actor, shipment, item, handover: list(shipment_list(actor=actor)),
    "overview": lambda actor, shipment, item, handover: overview(actor=actor),
    "shipment_detail": lambda actor, shipment, item, handover: shipment_detail(actor=actor, pk=shipment.pk),
    "rejected_rows_open": lambda actor, shipment, item, handover: rejected_rows_open(actor=actor, shipment=shipment),
    "clearance_document_open": lambda actor, shipment, item, handover: clearance_document_open(
        actor=actor, origin=SYSTEM, item=item
    ),
    "handover_signature_open": lambda actor, shipment, item, handover: handover_file_open(
        actor=actor, origin=SYSTEM, handover=handover, which="signature"
    ),
    "handover_receipt_open": lambda actor, shipment, item, handover: handover_file_open(
        actor=actor, origin=SYSTEM, handover=handover, which="receipt"
    ),
}


@pytest.mark.parametrize("persona", READERS)
@pytest.mark.parametrize("read", READS)
def test_logistics_officers_desk_chiefs_and_admins_may_read(users, papers, read, persona):
    shipment, item, handover = papers
    READS[read](_actor(users, persona), shipment, item, handover)


@pytest.mark.parametrize("persona", DENIED)
@pytest.mark.parametrize("read", READS)
def test_everyone_else_is_denied_every_read(users, papers, read, persona):
    shipment, item, handover = papers
    audits = AuditEvent.objects.count()

    with pytest.raises(PermissionDenied):
        READS[read](_actor(users, persona), shipment, item, handover)

    assert AuditEvent.objects.count() == audits
    assert Shipment.objects.filter(pk=shipment.pk).exists()
