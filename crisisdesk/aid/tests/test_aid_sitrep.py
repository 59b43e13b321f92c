"""The sitrep's "Humanitarian aid" section (aid/sitrep.py): registered by the app, aggregates
only, and read off the shipments' timelines so that a sitrep as of an earlier moment counts
what was true then.

The story, told with explicit times (`at=` on each move, time-machine for a discrepancy):
the Rzeszów flight leaves on day 1, lands on day 2, loses 12 boxes of insulin on the tarmac
and is handed over on day 3; a truck to Przemyśl leaves on day 2½ and is still on the road;
a third shipment is only planned and a fourth was cancelled."""

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from crisisdesk.aid.models import LineDiscrepancy, ManifestLine, Mode, Status
from crisisdesk.aid.services import discrepancy_add, line_add, shipment_move
from crisisdesk.aid.sitrep import AID_SECTION
from crisisdesk.aid.tonnage import delivered_weight, tonnes
from crisisdesk.common.origin import SYSTEM
from crisisdesk.sitrep.sections import SectionContext, section_by_key, sections_registered

pytestmark = pytest.mark.django_db

DISPATCHED, TONNES_DISPATCHED, IN_TRANSIT, HANDED_OVER, TONNES_DELIVERED = (
    "Shipments dispatched",
    "Tonnes dispatched",
    "Shipments in transit",
    "Shipments handed over",
    "Tonnes delivered",
)


def _rows(as_of, window_start=None) -> dict:
    return {row.label: row.value for row in AID_SECTION.rows(SectionContext(as_of, window_start))}


def _kg(shipment) -> Decimal:
    return sum(
        ManifestLine.objects.filter(shipment=shipment).values_list("gross_weight_kg", flat=True), start=Decimal(0)
    )


@pytest.fixture
def days():
    start = timezone.now() - timedelta(days=10)
    return lambda day: start + timedelta(days=day)


@pytest.fixture
def story(users, plan_shipment, walk_shipment, typed_line, days):
    officer = users["logistics_officer"]
    flight = plan_shipment(mode=Mode.CARGO_FLIGHT)
    insulin = line_add(
        actor=officer,
        origin=SYSTEM,
        shipment=flight,
        line=typed_line(item="Insulin pens", quantity="240", gross_weight_kg="2345.5"),
    )
    line_add(
        actor=officer,
        origin=SYSTEM,
        shipment=flight,
        line=typed_line(item="Generators", category="power", quantity="4", unit="pcs", gross_weight_kg="3100"),
    )
    walk_shipment(flight, Status.DEPARTED, at=days(1))
    walk_shipment(flight, Status.ARRIVED, at=days(2))
    with time_machine.travel(days(2) + timedelta(hours=2), tick=False):
        discrepancy_add(actor=officer, origin=SYSTEM, line=insulin, kind=LineDiscrepancy.Kind.SHORT, quantity="12")
    walk_shipment(flight, Status.HANDED_OVER, at=days(3))

    truck = plan_shipment(mode=Mode.TRUCK, destination="Przemyśl", vehicle_number="KR 4521A")
    line_add(
        actor=officer,
        origin=SYSTEM,
        shipment=truck,
        line=typed_line(item="Blankets", category="winter", gross_weight_kg="1800.4"),
    )
    walk_shipment(truck, Status.DEPARTED, at=days(2.5))

    planned = plan_shipment()
    line_add(actor=officer, origin=SYSTEM, shipment=planned, line=typed_line(gross_weight_kg="9000"))
    cancelled = plan_shipment()
    line_add(actor=officer, origin=SYSTEM, shipment=cancelled, line=typed_line(gross_weight_kg="7000"))
    shipment_move(actor=officer, origin=SYSTEM, shipment=cancelled, to_status=Status.CANCELLED, note="Donor withdrew.")

    delivered_kg = _kg(flight) - delivered_weight(
        gross_weight_kg=insulin.gross_weight_kg, quantity=insulin.quantity, delivered=Decimal("12")
    )
    return {"flight": flight, "truck": truck, "delivered_kg": delivered_kg}


def test_the_section_is_registered_by_the_app():
    assert section_by_key("humanitarian_aid") is AID_SECTION
    assert AID_SECTION in sections_registered()
    assert AID_SECTION.title_text() == "Humanitarian aid"


def test_the_section_is_aggregates_only(story):
    rows = AID_SECTION.rows(SectionContext(timezone.now(), None))
    assert [row.label for row in rows] == [DISPATCHED, TONNES_DISPATCHED, IN_TRANSIT, HANDED_OVER, TONNES_DELIVERED]
    assert all(isinstance(row.value, (int, float)) for row in rows)


def test_before_anything_left_everything_is_zero(story, days):
    assert _rows(days(0.5)) == {
        DISPATCHED: 0,
        TONNES_DISPATCHED: 0,
        IN_TRANSIT: 0,
        HANDED_OVER: 0,
        TONNES_DELIVERED: 0,
    }


def test_while_the_flight_is_in_the_air(story, days):
    rows = _rows(days(1.5))
    assert (rows[DISPATCHED], rows[IN_TRANSIT], rows[HANDED_OVER]) == (1, 1, 0)
    assert rows[TONNES_DISPATCHED] == float(tonnes(_kg(story["flight"])))
    assert rows[TONNES_DELIVERED] == 0


def test_once_the_flight_has_landed_it_is_no_longer_in_transit(story, days):
    rows = _rows(days(2.2))
    assert (rows[DISPATCHED], rows[IN_TRANSIT], rows[HANDED_OVER]) == (1, 0, 0)


def test_with_the_truck_on_the_road_and_the_flight_not_yet_handed_over(story, days):
    rows = _rows(days(2.75))
    assert (rows[DISPATCHED], rows[IN_TRANSIT], rows[HANDED_OVER]) == (2, 1, 0)
    # the sum in kilograms, rounded once: not the two shipments' tonnes added
    assert rows[TONNES_DISPATCHED] == float(tonnes(_kg(story["flight"]) + _kg(story["truck"])))
    assert rows[TONNES_DELIVERED] == 0


def test_after_the_handover_delivered_is_less_what_was_short(story, days):
    for moment in (days(3), days(5), timezone.now()):
        rows = _rows(moment)
        assert (rows[DISPATCHED], rows[IN_TRANSIT], rows[HANDED_OVER]) == (2, 1, 1), moment
        assert rows[TONNES_DELIVERED] == float(tonnes(story["delivered_kg"]))
        assert rows[TONNES_DELIVERED] < float(tonnes(_kg(story["flight"])))


def test_the_planned_and_the_cancelled_shipments_never_count(story):
    rows = _rows(timezone.now())
    assert rows[TONNES_DISPATCHED] == float(tonnes(_kg(story["flight"]) + _kg(story["truck"])))


def test_a_window_counts_what_left_and_was_handed_over_within_it(story, days):
    """From day 2 on, the flight had already left; the truck left and the flight was handed over."""
    rows = _rows(timezone.now(), window_start=days(2))
    assert (rows[DISPATCHED], rows[HANDED_OVER]) == (1, 1)
    assert rows[TONNES_DISPATCHED] == float(tonnes(_kg(story["truck"])))
    # what is on the road now is on the road, whenever it left
    assert rows[IN_TRANSIT] == 1


def test_the_sitrep_shows_the_section_to_its_readers(users, story):
    from crisisdesk.sitrep.selectors import sitrep_for

    report = sitrep_for(actor=users["logistics_officer"], origin=SYSTEM)

    (section,) = (section for section in report["sections"] if section["key"] == "humanitarian_aid")
    assert section["title"] == "Humanitarian aid"
    shown = {row["label"]: row["value"] for row in section["rows"]}
    assert (shown[DISPATCHED], shown[HANDED_OVER], shown[TONNES_DELIVERED]) == (
        2,
        1,
        float(tonnes(story["delivered_kg"])),
    )
