"""The demo scenario's aid shipments: the cargo flight to Rzeszów with several tonnes of
medical supplies, food, blankets and generators in the air, a truck handed over with what
went missing, and the next flight loading; loading the demo again replaces them alone."""

from decimal import Decimal

import pytest

from crisisdesk.aid.demo import aid_demo_ensure
from crisisdesk.aid.models import Category, ClearanceItem, Mode, Shipment, ShipmentEvent, Status
from crisisdesk.aid.selectors import overview, shipment_totals
from crisisdesk.common.origin import SYSTEM

pytestmark = pytest.mark.django_db


def test_the_demo_has_the_flight_to_rzeszow_in_the_air_and_a_handed_over_truck(users, plan_shipment):
    mine = plan_shipment()  # not the demo's: loading the demo leaves it alone

    made = aid_demo_ensure(origin=SYSTEM, logistics=users["logistics_officer"])

    assert made == 3
    flight = Shipment.objects.get(demo=True, status=Status.DEPARTED)
    assert (flight.mode, flight.destination) == (Mode.CARGO_FLIGHT, "Rzeszów (RZE)")
    totals = shipment_totals([flight])[flight.pk]
    assert {Category.MEDICAL, Category.FOOD, Category.WINTER, Category.POWER} <= set(totals.by_category)
    assert totals.total.dispatched_t > Decimal("5")
    assert flight.actual_departure is not None and flight.clearances.filter(state="granted").count() == 3

    truck = Shipment.objects.get(demo=True, mode=Mode.TRUCK)
    assert truck.status == Status.HANDED_OVER and truck.handover.signature_key
    truck_totals = shipment_totals([truck])[truck.pk].total
    assert truck_totals.delivered_kg < truck_totals.dispatched_kg

    loading = Shipment.objects.get(demo=True, status=Status.LOADING)
    assert loading.clearances.get(kind=ClearanceItem.Kind.LANDING_PERMIT).state == ClearanceItem.State.PENDING

    summary = overview(actor=users["desk_chief"])
    assert [shipment.pk for shipment, _totals in summary["in_transit"]] == [flight.pk]
    assert ShipmentEvent.objects.filter(shipment=truck, kind=ShipmentEvent.Kind.HANDED_OVER).count() == 1
    # its timeline reads in order: planned first, the statuses in the chain's order, the
    # discrepancies counted before the signature
    timeline = list(truck.events.order_by("at", "id"))
    assert timeline[0].kind == ShipmentEvent.Kind.CREATED
    reached = [event.to_status for event in timeline if event.to_status]
    assert reached == ["planned", "loading", "cleared", "departed", "arrived", "handed_over"]
    kinds = [event.kind for event in timeline]
    assert kinds.index(ShipmentEvent.Kind.DISCREPANCY) < kinds.index(ShipmentEvent.Kind.HANDED_OVER)

    # again: the same three, replaced, and the officer's own shipment kept
    assert aid_demo_ensure(origin=SYSTEM, logistics=users["logistics_officer"]) == 3
    assert Shipment.objects.filter(demo=True).count() == 3
    assert Shipment.objects.filter(pk=mine.pk).exists()
