"""The sitrep's part of the demo scenario: the Polish Border Guard's counts for the first days,
and two snapshots — #1 of the evening of 25 February, cleared and distributed; #2 of the 27th,
a draft — so that the dashboard shows what changed since the last one."""

from datetime import UTC, datetime, timedelta

from crisisdesk.common.origin import Origin
from crisisdesk.registry.models import VERIFIED_SOURCES, StatusEvent, StatusKind
from crisisdesk.sitrep.models import PartnerFigure, SitrepSnapshot
from crisisdesk.sitrep.services import (
    sitrep_snapshot_clear,
    sitrep_snapshot_distribute,
    sitrep_snapshot_save,
)

PARTNER_SOURCE = "Straż Graniczna (Polish Border Guard), daily briefing"
FIRST_DAY = datetime(2022, 2, 24, tzinfo=UTC)
PARTNER_DAYS = 3
# The partner counted somewhat more than our desks saw: some crossed where we had nobody.
PARTNER_SHARE = 1.25
SNAPSHOT_MOMENTS = (datetime(2022, 2, 25, 18, tzinfo=UTC), datetime(2022, 2, 27, 18, tzinfo=UTC))


def sitrep_demo_clear(*, staff: list) -> None:
    SitrepSnapshot.objects.filter(created_by__in=staff).delete()
    # Partner figures are append-only; demo records are the exception, as the timeline's are.
    figures = PartnerFigure.objects.filter(entered_by__in=staff)
    figures._raw_delete(figures.db)


def sitrep_demo_ensure(*, origin: Origin, chief, clearer, consul) -> None:
    sitrep_demo_clear(staff=[chief, clearer, consul])
    for offset in range(PARTNER_DAYS):
        start = FIRST_DAY + timedelta(days=offset)
        seen = (
            StatusEvent.objects.filter(
                kind=StatusKind.CROSSED,
                source__in=VERIFIED_SOURCES,
                occurred_at__gte=start,
                occurred_at__lt=start + timedelta(days=1),
            )
            .values("person_id")
            .distinct()
            .count()
        )
        # Entered the next morning, as it was briefed: the demo's past is dated like its timeline,
        # so that the snapshots of 2022 know the figures entered by then (the service would date
        # them today).
        figure = PartnerFigure(
            source=PARTNER_SOURCE,
            period_start=start,
            period_end=start + timedelta(days=1),
            crossed=round(seen * PARTNER_SHARE),
            note="Israeli citizens through the Ukrainian border crossings, as briefed by phone",
            entered_at=start + timedelta(days=1, hours=8),
            entered_by=consul,
        )
        figure.full_clean(exclude=["entered_by", "point"])
        figure.save()
    first = sitrep_snapshot_save(
        actor=chief, origin=origin, audience="inter_ministry", as_of=SNAPSHOT_MOMENTS[0], note="Evening sitrep"
    )
    sitrep_snapshot_distribute(
        actor=chief, origin=origin, snapshot=sitrep_snapshot_clear(actor=clearer, origin=origin, snapshot=first)
    )
    sitrep_snapshot_save(
        actor=chief, origin=origin, audience="internal", as_of=SNAPSHOT_MOMENTS[1], note="Evening sitrep"
    )
