"""The aid module's part of the demo scenario: "a plane with tons of humanitarian aid will
depart from Israel to Poland on Monday".

Three shipments, made through the real services so that their timelines and audit rows are
what a logistics officer's work leaves:
- the cargo flight Tel Aviv → Rzeszów with medical supplies, food, blankets and generators,
  cleared and in the air now;
- a truck Rzeszów → Lviv, handed over to the city's humanitarian hub with a signature, one
  line short and one damaged, so dispatched and delivered differ;
- a second flight being loaded, its landing permit still pending.
Demo shipments are marked (`Shipment.demo`) and replaced, alone, when the demo is loaded again."""

import io
from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from crisisdesk.aid import services
from crisisdesk.aid.lines import LineInput
from crisisdesk.aid.models import (
    ClearanceItem,
    Handover,
    LineDiscrepancy,
    ManifestImport,
    ManifestLine,
    Mode,
    RejectedRow,
    Shipment,
    ShipmentEvent,
    Status,
)
from crisisdesk.border.models import Post
from crisisdesk.common.documents import document_discard
from crisisdesk.common.origin import Origin

D = Decimal
# (item, category, quantity, unit, gross kg, pallets, m³, lot, expiry in days, cold chain, donor)
FLIGHT_LINES = (
    (
        "First-aid kits, individual (IFAK)",
        "medical",
        "2400",
        "kit",
        "1440",
        "6",
        "9.6",
        "",
        None,
        False,
        "Ministry of Health",
    ),
    (
        "Trauma dressings and tourniquets",
        "medical",
        "180",
        "box",
        "1260",
        "4",
        "6.2",
        "TD-22-0117",
        900,
        False,
        "Magen David Adom",
    ),
    (
        "Insulin, rapid-acting (10 ml vials)",
        "medical",
        "60",
        "box",
        "186.5",
        "1",
        "1.1",
        "INS-2207A",
        420,
        True,
        "Ministry of Health",
    ),
    (
        "Antibiotics, amoxicillin 500 mg",
        "medical",
        "90",
        "box",
        "540",
        "2",
        "2.4",
        "AMX-5521",
        720,
        False,
        "Teva donation",
    ),
    ("Surgical gloves and masks", "medical", "300", "box", "1230", "5", "8.0", "", None, False, "Ministry of Health"),
    (
        "Ready-to-eat food rations",
        "food",
        "1800",
        "pcs",
        "1620",
        "6",
        "7.8",
        "",
        540,
        False,
        "Ministry of Foreign Affairs",
    ),
    ("Infant formula", "food", "600", "box", "960", "3", "3.6", "IF-22-33", 365, False, "Jewish Agency"),
    ("Thermal blankets", "winter", "3000", "pcs", "1350", "6", "14.4", "", None, False, "IsraAID"),
    ("Sleeping bags, winter", "winter", "500", "pcs", "1100", "5", "12.5", "", None, False, "IsraAID"),
    ("Diesel generators, 5 kVA", "power", "24", "pcs", "2088", "12", "14.2", "", None, False, "Ministry of Energy"),
    ("Power banks and lamps", "power", "1200", "pcs", "396", "2", "2.1", "", None, False, "Private donors"),
)
TRUCK_LINES = (
    (
        "Ready-to-eat food rations",
        "food",
        "600",
        "pcs",
        "540",
        "2",
        "2.6",
        "",
        540,
        False,
        "Ministry of Foreign Affairs",
    ),
    ("Thermal blankets", "winter", "1000", "pcs", "450", "2", "4.8", "", None, False, "IsraAID"),
    ("Hygiene kits, family", "hygiene", "400", "kit", "1120", "4", "6.0", "", None, False, "IsraAID"),
    ("Diesel generators, 5 kVA", "power", "6", "pcs", "522", "3", "3.6", "", None, False, "Ministry of Energy"),
)
SECOND_FLIGHT_LINES = (
    ("Field hospital tents", "shelter", "20", "pcs", "2600", "10", "18.0", "", None, False, "IDF Home Front Command"),
    ("Wheelchairs, folding", "medical", "80", "pcs", "1280", "8", "16.0", "", None, False, "Private donors"),
)


def _lines(specs) -> list[LineInput]:
    today = timezone.localdate()
    return [
        LineInput(
            item=item,
            category=category,
            quantity=D(quantity),
            unit=unit,
            gross_weight_kg=D(weight),
            pallets=D(pallets),
            volume_m3=D(volume),
            lot=lot,
            expiry_date=today + timedelta(days=expiry) if expiry else None,
            cold_chain=cold,
            donor=donor,
        )
        for item, category, quantity, unit, weight, pallets, volume, lot, expiry, cold, donor in specs
    ]


def _signature_png() -> bytes:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (360, 120), "white")
    ImageDraw.Draw(image).line([(20, 90), (80, 30), (130, 95), (190, 35), (250, 80), (330, 40)], fill="navy", width=3)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def aid_demo_clear() -> None:
    shipments = Shipment.objects.filter(demo=True)
    keys = [
        *ClearanceItem.objects.filter(shipment__in=shipments)
        .exclude(document_key="")
        .values_list("document_key", flat=True),
        *Handover.objects.filter(shipment__in=shipments)
        .exclude(signature_key="")
        .values_list("signature_key", flat=True),
        *Handover.objects.filter(shipment__in=shipments).exclude(receipt_key="").values_list("receipt_key", flat=True),
    ]
    LineDiscrepancy.objects.filter(line__shipment__in=shipments).delete()
    RejectedRow.objects.filter(manifest_import__shipment__in=shipments).delete()
    ManifestLine.objects.filter(shipment__in=shipments).delete()
    ManifestImport.objects.filter(shipment__in=shipments).delete()
    Handover.objects.filter(shipment__in=shipments).delete()
    ClearanceItem.objects.filter(shipment__in=shipments).delete()
    # The timeline refuses deletes through the ORM; demo records are the exception.
    timeline = ShipmentEvent.objects.filter(shipment__in=shipments)
    timeline._raw_delete(timeline.db)
    shipments.delete()
    for key in keys:
        transaction.on_commit(lambda key=key: document_discard(key))


def _clear_all(shipment, *, actor, origin: Origin, on) -> None:
    for item in shipment.clearances.all():
        if not item.done:
            services.clearance_update(
                actor=actor,
                origin=origin,
                item=item,
                state=ClearanceItem.State.GRANTED,
                on=on,
                reference_number=f"{item.kind[:3].upper()}-{shipment.reference[-4:]}",
            )


def _events_dated(events, at) -> None:
    # The timeline refuses updates through the ORM; only the demo rewrites it (as demo_clear
    # deletes it), through the queryset's own low-level update.
    events._update([(ShipmentEvent._meta.get_field("at"), None, at)])


def _planned_back(shipment, *, before) -> None:
    """A demo-only write: the planning (the shipment, its lines, its clearances) is dated
    before the moves the demo dates in the past, so that the timeline reads in order."""
    planning = ShipmentEvent.objects.filter(
        shipment=shipment,
        kind__in=(ShipmentEvent.Kind.CREATED, ShipmentEvent.Kind.LINES_CHANGED, ShipmentEvent.Kind.CLEARANCE),
    )
    _events_dated(planning, before)
    Shipment.objects.filter(pk=shipment.pk).update(created_at=before)


def _walk(shipment, *, actor, origin: Origin, to: str, at) -> Shipment:
    order = [Status.LOADING, Status.CLEARED, Status.DEPARTED, Status.ARRIVED]
    for index, status in enumerate(order[: order.index(to) + 1]):
        shipment = services.shipment_move(
            actor=actor, origin=origin, shipment=shipment, to_status=status, at=at + timedelta(hours=3 * index)
        )
    return shipment


@transaction.atomic
def aid_demo_ensure(*, origin: Origin, logistics) -> int:
    aid_demo_clear()
    now = timezone.now()
    post = Post.objects.filter(closed_at__isnull=True).order_by("-opened_at").first()
    hub = services.consignee_create(
        actor=logistics,
        origin=origin,
        name="Podkarpackie humanitarian hub (Rzeszów)",
        country="PL",
        contact_name="Hub duty coordinator",
        contact_phone="+48 17 000 0000",
        contact_email="hub@example.org",
    )
    lviv = services.consignee_create(
        actor=logistics,
        origin=origin,
        name="Lviv city humanitarian centre",
        country="UA",
        contact_name="Warehouse manager",
        contact_phone="+380 32 000 0000",
        contact_email="warehouse@example.org",
    )

    def shipment(mode, origin_place, destination, consignee, carrier, number, departure, arrival, specs):  # noqa: PLR0917 - one call per demo shipment, read as a row
        made = services.shipment_create(
            actor=logistics,
            origin=origin,
            data=services.ShipmentInput(
                mode=mode,
                origin=origin_place,
                destination=destination,
                consignee=consignee,
                carrier=carrier,
                vehicle_number=number,
                planned_departure=departure,
                planned_arrival=arrival,
                receiving_post=post,
            ),
        )
        Shipment.objects.filter(pk=made.pk).update(demo=True)
        for line in _lines(specs):
            services.line_add(actor=logistics, origin=origin, shipment=made, line=line)
        return Shipment.objects.get(pk=made.pk)

    # The truck went first, from the stock already in Rzeszów.
    truck = shipment(
        Mode.TRUCK,
        "Rzeszów (PL)",
        "Lviv (UA)",
        lviv,
        "Consular convoy",
        "RZ 4417K",
        now - timedelta(days=3),
        now - timedelta(days=2, hours=16),
        TRUCK_LINES,
    )
    _clear_all(truck, actor=logistics, origin=origin, on=(now - timedelta(days=4)).date())
    truck = _walk(truck, actor=logistics, origin=origin, to=Status.ARRIVED, at=now - timedelta(days=3, hours=9))
    _planned_back(truck, before=now - timedelta(days=5))
    blankets, generators = truck.lines.get(line_number=2), truck.lines.get(line_number=4)
    services.discrepancy_add(
        actor=logistics,
        origin=origin,
        line=blankets,
        kind=LineDiscrepancy.Kind.SHORT,
        quantity="40",
        note="One carton missing at unloading.",
    )
    services.discrepancy_add(
        actor=logistics,
        origin=origin,
        line=generators,
        kind=LineDiscrepancy.Kind.DAMAGED,
        quantity="1",
        note="Fuel tank cracked in transit.",
    )
    services.handover_record(
        actor=logistics,
        origin=origin,
        shipment=truck,
        receiver_name="Warehouse manager",
        receiver_organisation=lviv.name,
        handed_over_at=now - timedelta(days=2, hours=14),
        signature_png=_signature_png(),
    )
    # Counted at unloading, before the signature (a demo-only write, as above).
    counted = now - timedelta(days=2, hours=15)
    _events_dated(ShipmentEvent.objects.filter(shipment=truck, kind=ShipmentEvent.Kind.DISCREPANCY), counted)
    LineDiscrepancy.objects.filter(line__shipment=truck).update(recorded_at=counted)

    # The plane of the scenario: cleared, and in the air.
    flight = shipment(
        Mode.CARGO_FLIGHT,
        "Tel Aviv (TLV)",
        "Rzeszów (RZE)",
        hub,
        "El Al Cargo",
        "LY5101",
        now - timedelta(hours=2),
        now + timedelta(hours=1, minutes=30),
        FLIGHT_LINES,
    )
    _clear_all(flight, actor=logistics, origin=origin, on=(now - timedelta(days=1)).date())
    _walk(flight, actor=logistics, origin=origin, to=Status.DEPARTED, at=now - timedelta(hours=8))
    _planned_back(flight, before=now - timedelta(days=2))

    # The next one, loading, its landing permit not yet granted.
    second = shipment(
        Mode.CARGO_FLIGHT,
        "Tel Aviv (TLV)",
        "Rzeszów (RZE)",
        hub,
        "El Al Cargo",
        "LY5103",
        now + timedelta(days=2),
        now + timedelta(days=2, hours=3, minutes=30),
        SECOND_FLIGHT_LINES,
    )
    for item in second.clearances.exclude(kind=ClearanceItem.Kind.LANDING_PERMIT):
        services.clearance_update(
            actor=logistics, origin=origin, item=item, state=ClearanceItem.State.GRANTED, on=now.date()
        )
    services.shipment_move(actor=logistics, origin=origin, shipment=second, to_status=Status.LOADING)
    # Consignees are kept between loads (consignee_create finds them by name).
    return Shipment.objects.filter(demo=True).count()
