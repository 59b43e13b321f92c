"""Reads of the border desk, each scoped to the actor: posts, the roster and its gaps, one's
own shifts, the desk chief's board and the conflicts to review."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q, Sum
from django.utils import timezone

from crisisdesk.accounts.permissions import Permission, has_permission
from crisisdesk.border.models import CheckIn, CrossingPoint, DeskConflict, DeskEvent, Mission, Post, Shift, Tally
from crisisdesk.common.audit import audit_record
from crisisdesk.common.models import AuditEvent
from crisisdesk.common.origin import Origin
from crisisdesk.registry.models import Person, PersonName, RiskFlag

ROSTER_HOURS = 72


def _require(actor, permission: Permission) -> None:
    if not has_permission(actor, permission):
        raise PermissionDenied


def mission_posts(*, actor) -> list[tuple[Mission, list[Post]]]:
    """Each mission with its posts in the order they opened: where it has worked from."""
    _require(actor, Permission.POST_VIEW)
    posts = list(Post.objects.select_related("mission", "relocated_from").order_by("mission__name", "opened_at", "id"))
    by_mission: dict[int, tuple[Mission, list[Post]]] = {}
    for post in posts:
        by_mission.setdefault(post.mission_id, (post.mission, []))[1].append(post)
    return list(by_mission.values())


def crossing_point_list(*, actor) -> list[CrossingPoint]:
    _require(actor, Permission.ROSTER_VIEW)
    return list(CrossingPoint.objects.select_related("post").order_by("name"))


def crossing_point_history(*, actor, point: CrossingPoint, limit: int = 20):
    _require(actor, Permission.ROSTER_VIEW)
    return list(point.status_history.select_related("changed_by").order_by("-changed_at", "-id")[:limit])


def coverage_gaps(
    shifts: list[tuple[datetime, datetime]], start: datetime, end: datetime
) -> list[tuple[datetime, datetime]]:
    """The parts of [start, end) that no shift covers."""
    gaps = []
    cursor = start
    for shift_start, shift_end in sorted(shifts):
        if shift_end <= cursor:
            continue
        if shift_start > cursor:
            gaps.append((cursor, min(shift_start, end)))
        cursor = max(cursor, shift_end)
        if cursor >= end:
            break
    if cursor < end:
        gaps.append((cursor, end))
    return [(gap_start, gap_end) for gap_start, gap_end in gaps if gap_start < gap_end]


@dataclass
class PointRoster:
    point: CrossingPoint
    shifts: list[Shift]
    gaps: list[tuple[datetime, datetime]]
    covered_now: bool = False

    @property
    def uncovered_hours(self) -> float:
        return sum((end - start).total_seconds() for start, end in self.gaps) / 3600


def roster(*, actor, start: datetime | None = None, hours: int = ROSTER_HOURS) -> list[PointRoster]:
    """Per crossing point, the shifts of the next ``hours`` and the gaps in 24/7 cover."""
    _require(actor, Permission.ROSTER_VIEW)
    start = start or timezone.now()
    end = start + timedelta(hours=hours)
    shifts = list(
        Shift.objects.filter(starts_at__lt=end, ends_at__gt=start)
        .exclude(ended_at__lte=start)
        .select_related("officer")
        .order_by("starts_at", "id")
    )
    by_point: dict[int, list[Shift]] = {}
    for shift in shifts:
        by_point.setdefault(shift.point_id, []).append(shift)
    rows = []
    for point in CrossingPoint.objects.order_by("name"):
        point_shifts = by_point.get(point.pk, [])
        windows = [(shift.starts_at, shift.ended_at or shift.ends_at) for shift in point_shifts]
        rows.append(
            PointRoster(
                point=point,
                shifts=point_shifts,
                gaps=coverage_gaps(windows, start, end),
                covered_now=any(window_start <= start < window_end for window_start, window_end in windows),
            )
        )
    return rows


@dataclass
class MyShift:
    shift: Shift
    handover: Shift | None  # the note to read first


def my_shifts(*, actor, now: datetime | None = None) -> list[MyShift]:
    """The actor's running and coming shifts (next 72 hours), each with the handover note
    of the last shift that ended at its point."""
    _require(actor, Permission.SHIFT_WORK)
    now = now or timezone.now()
    shifts = list(
        Shift.objects.filter(officer=actor, ended_at__isnull=True, ends_at__gt=now - timedelta(hours=12))
        .filter(starts_at__lt=now + timedelta(hours=ROSTER_HOURS))
        .select_related("point", "handover_from__officer")
        .order_by("starts_at")
    )
    result = []
    for shift in shifts:
        handover = shift.handover_from
        if handover is None:
            handover = (
                Shift.objects.filter(point_id=shift.point_id, ended_at__isnull=False)
                .exclude(pk=shift.pk)
                .select_related("officer")
                .order_by("-ended_at", "-id")
                .first()
            )
        result.append(MyShift(shift=shift, handover=handover))
    return result


@dataclass
class PointDay:
    point: CrossingPoint
    identified: int = 0  # persons checked in by name (each once)
    tallied: int = 0  # nationals counted in tallies
    tallied_children: int = 0
    covered_now: bool = False
    officers_now: list[str] = field(default_factory=list)
    # On the roster for now, but the shift was not started from the app (nobody confirmed it).
    rostered_not_started: list[str] = field(default_factory=list)


@dataclass
class DeskBoard:
    day_start: datetime
    points: list[PointDay]
    open_conflicts: int
    rejected_today: int

    @property
    def identified(self) -> int:
        return sum(row.identified for row in self.points)

    @property
    def tallied(self) -> int:
        return sum(row.tallied for row in self.points)


def desk_board(*, actor, now: datetime | None = None) -> DeskBoard:
    """Today's crossings per point (named and tallied, kept apart), who is on shift now, and
    how many conflicts wait."""
    _require(actor, Permission.DESK_BOARD_VIEW)
    now = now or timezone.now()
    day_start = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    identified = dict(
        CheckIn.objects.filter(crossed_at__gte=day_start, crossed_at__lte=now)
        .values("point")
        .annotate(persons=Count("person", distinct=True))
        .values_list("point", "persons")
    )
    tallies = {
        row["point"]: row
        for row in Tally.objects.filter(counted_at__gte=day_start, counted_at__lte=now)
        .values("point")
        .annotate(nationals=Sum("nationals"), children=Sum("children"))
    }
    on_shift: dict[int, list[str]] = {}
    rostered: dict[int, list[str]] = {}
    for shift in (
        Shift.objects.filter(ended_at__isnull=True)
        .filter(Q(started_at__lte=now) | Q(starts_at__lte=now, ends_at__gt=now, started_at__isnull=True))
        .select_related("officer")
    ):
        names = on_shift if shift.started_at is not None else rostered
        names.setdefault(shift.point_id, []).append(shift.officer.get_username())
    points = [
        PointDay(
            point=point,
            identified=identified.get(point.pk, 0),
            tallied=(tallies.get(point.pk) or {}).get("nationals") or 0,
            tallied_children=(tallies.get(point.pk) or {}).get("children") or 0,
            covered_now=point.pk in on_shift,
            officers_now=sorted(on_shift.get(point.pk, [])),
            rostered_not_started=sorted(rostered.get(point.pk, [])),
        )
        for point in CrossingPoint.objects.order_by("name")
    ]
    return DeskBoard(
        day_start=day_start,
        points=points,
        open_conflicts=DeskConflict.objects.filter(state=DeskConflict.State.OPEN).count(),
        rejected_today=DeskEvent.objects.filter(received_at__gte=day_start, outcome=DeskEvent.Outcome.REJECTED).count(),
    )


def desk_conflict_list(*, actor, origin: Origin, state: str | None = DeskConflict.State.OPEN) -> list[DeskConflict]:
    """The conflicts to review (the newest 200), audited with the persons they show."""
    _require(actor, Permission.DESK_CONFLICT_REVIEW)
    conflicts = DeskConflict.objects.select_related(
        "person", "event__recorded_by", "other_event__recorded_by", "resolved_by"
    )
    if state:
        conflicts = conflicts.filter(state=state)
    rows = list(conflicts.order_by("-detected_at", "-id")[:200])
    audit_record(
        actor=actor,
        origin=origin,
        action=AuditEvent.Action.PERSON_LISTED,
        changes={
            "list": "desk_conflicts",
            "state": state,
            "ids": sorted({row.person_id for row in rows if row.person_id}),
        },
    )
    return rows


def desk_conflict_get(*, actor, conflict_id: int) -> DeskConflict | None:
    _require(actor, Permission.DESK_CONFLICT_REVIEW)
    return DeskConflict.objects.filter(pk=conflict_id).select_related("person").first()


# Persons still to come through: a field pack leaves out those who crossed, came home, died or
# were entered in error. The desk still finds them online.
FIELD_PACK_LEFT_OUT = ("crossed", "arrived_home", "deceased", "entered_in_error")
FIELD_PACK_VERSION = 1


def field_pack(*, actor, origin: Origin, point: CrossingPoint | None = None) -> dict:
    """The minimal data a field device searches offline: per person only the names and
    their other spellings, birth year, reference, household, intent, status and the codes of
    their risk flags. Never a contact or a document (a lost phone must not leak them). The
    pack expires after ``CRISISDESK_FIELD_PACK_HOURS``; the read is audited with its ids."""
    _require(actor, Permission.DESK_SYNC)
    _require(actor, Permission.PERSON_VIEW)
    limit = settings.CRISISDESK_FIELD_PACK_MAX_PERSONS
    persons = list(
        Person.objects.exclude(current_status__in=FIELD_PACK_LEFT_OUT)
        .order_by("-current_status_at", "-id")
        .values_list(
            "id",
            "given_name",
            "family_name",
            "birth_year",
            "registration__reference",
            "household_id",
            "intent",
            "current_status",
        )[: limit + 1]
    )
    truncated = len(persons) > limit
    persons = persons[:limit]
    ids = [row[0] for row in persons]
    spellings: dict[int, list[list[str]]] = {}
    flags: dict[int, list[str]] = {}
    for chunk_start in range(0, len(ids), 5000):
        chunk = ids[chunk_start : chunk_start + 5000]
        for person_id, given, family in PersonName.objects.filter(person_id__in=chunk).values_list(
            "person_id", "given_name", "family_name"
        ):
            spellings.setdefault(person_id, []).append([given, family])
        for person_id, code in RiskFlag.objects.filter(person_id__in=chunk).values_list("person_id", "rule__code"):
            flags.setdefault(person_id, []).append(code)
    now = timezone.now()
    audit_record(
        actor=actor,
        origin=origin,
        action=AuditEvent.Action.PERSON_LISTED,
        changes={"list": "field_pack", "point": point.code if point else None, "count": len(ids), "ids": ids},
    )
    return {
        "version": FIELD_PACK_VERSION,
        "generated_at": now.isoformat(),
        "expires_at": (now + timedelta(hours=settings.CRISISDESK_FIELD_PACK_HOURS)).isoformat(),
        "point": point.code if point else None,
        "truncated": truncated,
        "fields": [
            "id",
            "given",
            "family",
            "spellings",
            "birth_year",
            "reference",
            "household",
            "intent",
            "status",
            "flags",
        ],
        "persons": [
            [
                pid,
                given,
                family,
                spellings.get(pid, []),
                birth_year,
                reference,
                household,
                intent,
                status,
                flags.get(pid, []),
            ]
            for pid, given, family, birth_year, reference, household, intent, status in persons
        ],
    }
