"""The border desk's section of the sitrep: what the field devices sent in the last 24 hours.

Registered from BorderConfig.ready() — the way any module adds a section to the sitrep
(crisisdesk/sitrep/sections.py), without the sitrep app knowing it.
"""

from datetime import timedelta

from django.db.models import Count
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from crisisdesk.sitrep.sections import SectionContext, SectionRow, SitrepSection


def _rows(context: SectionContext) -> list[SectionRow]:
    from crisisdesk.border.models import DeskEvent

    since = context.as_of - timedelta(hours=24)
    outcomes = dict(
        DeskEvent.objects.filter(received_at__gt=since, received_at__lte=context.as_of)
        .values_list("outcome")
        .annotate(n=Count("id"))
        .order_by()
    )
    devices = (
        DeskEvent.objects.filter(received_at__gt=since, received_at__lte=context.as_of)
        .exclude(device_label="")
        .values("device_label")
        .distinct()
        .count()
    )
    return [
        SectionRow(label=_("Events received from field devices (24 h)"), value=sum(outcomes.values())),
        SectionRow(
            label=_("of which rejected, kept with their reason"), value=outcomes.get(DeskEvent.Outcome.REJECTED, 0)
        ),
        SectionRow(label=_("Field devices that synced (24 h)"), value=devices),
    ]


FIELD_DEVICES_SECTION = SitrepSection(
    key="border.field_devices",
    title=gettext_lazy("Field devices"),
    rows=_rows,
    audiences=frozenset({"internal", "inter_ministry"}),
    order=50,
)
