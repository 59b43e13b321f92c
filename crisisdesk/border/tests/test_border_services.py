"""Posts that move, crossing status, shifts and handovers, and coverage gaps.

Personas: `desk_chief` runs the roster and the posts; `border_officer` and `consul` work
shifts at the points."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from crisisdesk.border import selectors, services
from crisisdesk.border.errors import BorderError, BorderValidationError
from crisisdesk.border.models import CrossingPoint, CrossingStatusChange, CrossingStatusIsAppendOnly, Mission, Post
from crisisdesk.common.models import AuditEvent
from crisisdesk.common.origin import SYSTEM

pytestmark = pytest.mark.django_db


@pytest.fixture
def point():
    return CrossingPoint.objects.create(
        code="shehyni", name="Shehyni", name_far_side="Medyka", country_from="UA", country_to="PL"
    )


def _post(mission, name, city, country, opened_at, *, kind=Post.Kind.EMBASSY):
    return Post(mission=mission, kind=kind, name=name, city=city, country=country, opened_at=opened_at)


def test_a_relocation_closes_the_old_post_and_the_history_reads_kyiv_lviv_poland(users):
    chief = users["desk_chief"]
    mission = Mission.objects.create(name="Embassy in Ukraine", country="UA")
    start = timezone.now() - timedelta(days=10)
    kyiv = services.post_open(actor=chief, origin=SYSTEM, post=_post(mission, "Embassy", "Kyiv", "UA", start))
    lviv = services.post_open(
        actor=chief,
        origin=SYSTEM,
        post=_post(
            None, "Embassy (temporary)", "Lviv", "UA", start + timedelta(days=2), kind=Post.Kind.TEMPORARY_OFFICE
        ),
        relocating=kyiv,
    )
    poland = services.post_open(
        actor=chief,
        origin=SYSTEM,
        post=_post(None, "Embassy office", "Rzeszów", "PL", start + timedelta(days=6), kind=Post.Kind.TEMPORARY_OFFICE),
        relocating=lviv,
    )

    ((shown_mission, posts),) = selectors.mission_posts(actor=users["border_officer"])

    assert shown_mission == mission and [post.city for post in posts] == ["Kyiv", "Lviv", "Rzeszów"]
    kyiv.refresh_from_db()
    lviv.refresh_from_db()
    assert kyiv.closed_at == lviv.opened_at and lviv.closed_at == poland.opened_at and poland.is_open
    assert poland.relocated_from == lviv and poland.mission == mission
    with pytest.raises(BorderValidationError) as closed:
        services.post_open(
            actor=chief, origin=SYSTEM, post=_post(None, "Again", "Lviv", "UA", timezone.now()), relocating=kyiv
        )
    assert closed.value.code == BorderError.POST_CLOSED
    assert AuditEvent.objects.filter(action=AuditEvent.Action.POST_CLOSED).count() == 2


def test_only_the_desk_chief_opens_posts(users):
    mission = Mission.objects.create(name="Embassy in Ukraine", country="UA")
    with pytest.raises(PermissionDenied):
        services.post_open(
            actor=users["border_officer"], origin=SYSTEM, post=_post(mission, "E", "Kyiv", "UA", timezone.now())
        )


def test_the_latest_observed_status_wins_and_every_report_is_kept(users, point):
    officer = users["border_officer"]
    now = timezone.now()
    services.crossing_status_set(
        actor=officer, origin=SYSTEM, point=point, status="long_queue", expected_wait_minutes=600, changed_at=now
    )
    services.crossing_status_set(
        actor=officer, origin=SYSTEM, point=point, status="open", changed_at=now - timedelta(hours=2)
    )

    point.refresh_from_db()
    assert (point.status, point.expected_wait_minutes) == ("long_queue", 600)
    assert CrossingStatusChange.objects.filter(point=point).count() == 2
    with pytest.raises(CrossingStatusIsAppendOnly):
        CrossingStatusChange.objects.filter(point=point).update(status="closed")


def test_the_next_shift_reads_the_handover_note_first(users, point):
    chief, first, second = users["desk_chief"], users["border_officer"], users["consul"]
    now = timezone.now()
    early = services.shift_schedule(
        actor=chief, origin=SYSTEM, point=point, officer=first, starts_at=now - timedelta(hours=1), ends_at=now
    )
    late = services.shift_schedule(
        actor=chief, origin=SYSTEM, point=point, officer=second, starts_at=now, ends_at=now + timedelta(hours=8)
    )
    services.shift_start(actor=first, origin=SYSTEM, shift=early)
    with pytest.raises(BorderValidationError) as no_note:
        services.shift_end(actor=first, origin=SYSTEM, shift=early, handover_note="  ")
    services.shift_end(actor=first, origin=SYSTEM, shift=early, handover_note="Bus of 40 expected at 22:00.")

    (mine,) = selectors.my_shifts(actor=second)
    started = services.shift_start(actor=second, origin=SYSTEM, shift=late)

    assert no_note.value.code == BorderError.HANDOVER_REQUIRED
    assert mine.handover.handover_note == "Bus of 40 expected at 22:00."
    assert started.handover_from == early
    with pytest.raises(BorderValidationError) as not_yours:
        services.shift_end(actor=first, origin=SYSTEM, shift=late, handover_note="x")
    assert not_yours.value.code == BorderError.SHIFT_NOT_YOURS


def test_a_shift_must_end_after_it_starts_and_last_at_most_a_day(users, point):
    now = timezone.now()
    for ends_at in (now, now + timedelta(hours=25)):
        with pytest.raises(BorderValidationError):
            services.shift_schedule(
                actor=users["desk_chief"],
                origin=SYSTEM,
                point=point,
                officer=users["border_officer"],
                starts_at=now,
                ends_at=ends_at,
            )
    with pytest.raises(PermissionDenied):
        services.shift_schedule(
            actor=users["desk_chief"],
            origin=SYSTEM,
            point=point,
            officer=users["diplomat"],
            starts_at=now,
            ends_at=now + timedelta(hours=8),
        )


def test_coverage_gaps_are_what_no_shift_covers():
    start = timezone.now().replace(minute=0, second=0, microsecond=0)
    hour = timedelta(hours=1)
    shifts = [
        (start - hour, start + 8 * hour),
        (start + 6 * hour, start + 12 * hour),
        (start + 20 * hour, start + 30 * hour),
    ]

    gaps = selectors.coverage_gaps(shifts, start, start + 72 * hour)

    assert gaps == [(start + 12 * hour, start + 20 * hour), (start + 30 * hour, start + 72 * hour)]
    assert selectors.coverage_gaps([], start, start + hour) == [(start, start + hour)]
    assert selectors.coverage_gaps([(start - hour, start + 2 * hour)], start, start + hour) == []


def test_the_roster_shows_each_points_gaps_and_who_covers_it_now(users, point):
    other = CrossingPoint.objects.create(
        code="rava", name="Rava-Ruska", name_far_side="Hrebenne", country_from="UA", country_to="PL"
    )
    now = timezone.now()
    services.shift_schedule(
        actor=users["desk_chief"],
        origin=SYSTEM,
        point=point,
        officer=users["border_officer"],
        starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(hours=23),
    )

    rows = {row.point.code: row for row in selectors.roster(actor=users["consul"], start=now)}

    assert rows["shehyni"].covered_now and not rows["rava"].covered_now
    assert rows["shehyni"].gaps == [(now + timedelta(hours=23), now + timedelta(hours=72))]
    assert rows["rava"].gaps == [(now, now + timedelta(hours=72))] and rows["rava"].point == other
    assert rows["shehyni"].uncovered_hours == pytest.approx(49)
