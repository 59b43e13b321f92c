"""The sitrep's "Humanitarian aid" section: aggregates only, as of the sitrep's moment.

Read off the shipments' timelines, so a sitrep as of an earlier moment counts what was true
then: a shipment counts as dispatched once its "departed" event is at or before that moment,
and as delivered once its handover is. Tonnes are rounded as aid/tonnage.py states."""

from django.utils.translation import gettext_lazy as _

from crisisdesk.sitrep.sections import SectionContext, SectionRow, SitrepSection


def _aid_rows(context: SectionContext) -> list[SectionRow]:
    from crisisdesk.aid.models import ManifestLine, ShipmentEvent, Status
    from crisisdesk.aid.selectors import line_figures
    from crisisdesk.aid.tonnage import totals_of

    def reached(status: str) -> set[int]:
        events = ShipmentEvent.objects.filter(to_status=status, at__lte=context.as_of)
        if context.window_start is not None:
            events = events.filter(at__gte=context.window_start)
        return set(events.values_list("shipment_id", flat=True))

    departed, handed_over = reached(Status.DEPARTED), reached(Status.HANDED_OVER)
    dispatched = totals_of(line_figures(ManifestLine.objects.filter(shipment__in=departed))).total
    delivered = totals_of(line_figures(ManifestLine.objects.filter(shipment__in=handed_over))).total
    # In transit at that moment: departed then (at any time), not yet handed over or arrived.
    ever_departed = set(
        ShipmentEvent.objects.filter(to_status=Status.DEPARTED, at__lte=context.as_of).values_list(
            "shipment_id", flat=True
        )
    )
    arrived = set(
        ShipmentEvent.objects.filter(to_status=Status.ARRIVED, at__lte=context.as_of).values_list(
            "shipment_id", flat=True
        )
    )
    return [
        SectionRow(str(_("Shipments dispatched")), len(departed)),
        SectionRow(str(_("Tonnes dispatched")), float(dispatched.dispatched_t)),
        SectionRow(str(_("Shipments in transit")), len(ever_departed - arrived)),
        SectionRow(str(_("Shipments handed over")), len(handed_over)),
        SectionRow(str(_("Tonnes delivered")), float(delivered.delivered_t)),
    ]


AID_SECTION = SitrepSection(
    key="humanitarian_aid",
    title=lambda: str(_("Humanitarian aid")),
    rows=_aid_rows,
    order=50,
)
