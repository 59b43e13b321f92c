"""Writes of the border desk: posts, crossing status, shifts, and the field devices' events.

`desk_events_sync` is the heart (docs/subsystems/offline-sync.md). Each event of a batch is
received in its own transaction, so one bad event never blocks the others, and each gets its
own result. An event is stored whatever becomes of it: applied, already recorded by another
device, rejected with its reason, or held as a conflict. A replay (same UUID, same content)
answers what the first arrival did and changes nothing.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from uuid import UUID

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.dateparse import parse_datetime
from pydantic import ValidationError as PayloadValidationError

from crisisdesk.accounts.permissions import Permission, has_permission
from crisisdesk.border.errors import MESSAGES, BorderError, BorderValidationError
from crisisdesk.border.events import (
    CheckInPayload,
    HouseholdCheckInPayload,
    IntakePayload,
    NeedPayload,
    QuickRegisterPayload,
    StayingPayload,
    TallyPayload,
)
from crisisdesk.border.models import (
    CheckIn,
    CrossingPoint,
    CrossingStatusChange,
    DeskConflict,
    DeskEvent,
    DeskNeed,
    Direction,
    Intake,
    Post,
    Shift,
    Tally,
)
from crisisdesk.cases.errors import CaseValidationError
from crisisdesk.cases.models import Case, CaseMember, EligibilityBasis, RequestType
from crisisdesk.cases.services import MemberInput, case_open
from crisisdesk.common.audit import audit_event_new, audit_record
from crisisdesk.common.models import AuditEvent
from crisisdesk.common.origin import Origin
from crisisdesk.registry import services as registry_services
from crisisdesk.registry.errors import MESSAGES as REGISTRY_MESSAGES
from crisisdesk.registry.errors import RegistryError, RegistryValidationError
from crisisdesk.registry.inputs import PersonInput
from crisisdesk.registry.models import Channel, Household, Person, Sex, StatusEvent, StatusKind

MAX_BATCH = 500
# A device clock this far ahead of the server's is flagged; the event keeps the device's time
# and is applied at the time it arrived, so a wrong clock cannot date a crossing in the future.
CLOCK_AHEAD_ALLOWANCE = registry_services.CLOCK_SKEW_ALLOWANCE
# The same person checked in at two points this close together cannot both be right.
TWO_POINTS_WINDOW = timedelta(hours=1)
# Checked in again at the same point and direction this close together: the same crossing,
# recorded by a second device. It is counted once.
SAME_CROSSING_WINDOW = timedelta(hours=1)
STAYING_CROSSED_WINDOW = timedelta(hours=24)
MAX_SHIFT = timedelta(hours=24)
_DIGEST_SALT = "crisisdesk.border.desk_event"


# --- posts and crossing points -------------------------------------------------------------


def _require(actor, permission: Permission) -> None:
    if not has_permission(actor, permission):
        raise PermissionDenied


@transaction.atomic
def post_open(*, actor, origin: Origin, post: Post, relocating: Post | None = None) -> Post:
    """Open ``post``; with ``relocating``, the mission moves there and the old post closes at
    the moment the new one opens."""
    _require(actor, Permission.POST_MANAGE)
    if relocating is not None:
        relocating = Post.objects.select_for_update().get(pk=relocating.pk)
        if relocating.closed_at is not None:
            raise BorderValidationError(BorderError.POST_CLOSED, "relocated_from")
        if post.opened_at < relocating.opened_at:
            raise BorderValidationError(BorderError.POST_DATES, "opened_at")
        post.relocated_from = relocating
        post.mission = relocating.mission
    post.full_clean(exclude=["mission", "relocated_from"])
    post.save()
    if relocating is not None:
        _post_close(actor=actor, origin=origin, post=relocating, closed_at=post.opened_at)
    audit_record(actor=actor, origin=origin, action=AuditEvent.Action.POST_OPENED, target=post)
    return post


@transaction.atomic
def post_close(*, actor, origin: Origin, post: Post, closed_at: datetime) -> Post:
    _require(actor, Permission.POST_MANAGE)
    post = Post.objects.select_for_update().get(pk=post.pk)
    return _post_close(actor=actor, origin=origin, post=post, closed_at=closed_at)


def _post_close(*, actor, origin: Origin, post: Post, closed_at: datetime) -> Post:
    if post.closed_at is not None:
        raise BorderValidationError(BorderError.POST_CLOSED, "closed_at")
    if closed_at < post.opened_at:
        raise BorderValidationError(BorderError.POST_DATES, "closed_at")
    post.closed_at = closed_at
    post.save(update_fields=["closed_at"])
    audit_record(actor=actor, origin=origin, action=AuditEvent.Action.POST_CLOSED, target=post)
    return post


@transaction.atomic
def crossing_status_set(
    *,
    actor,
    origin: Origin,
    point: CrossingPoint,
    status: str,
    expected_wait_minutes: int | None = None,
    note: str = "",
    changed_at: datetime | None = None,
) -> CrossingStatusChange:
    """A report of a point's status. The history keeps every report; the point shows the
    latest by the time it was observed (a late report of an older state does not win)."""
    _require(actor, Permission.CROSSING_STATUS_SET)
    point = CrossingPoint.objects.select_for_update().get(pk=point.pk)
    now = timezone.now()
    change = CrossingStatusChange(
        point=point,
        status=status,
        expected_wait_minutes=expected_wait_minutes,
        note=note.strip(),
        changed_at=min(changed_at or now, now),
        changed_by=actor,
    )
    change.full_clean(exclude=["point", "changed_by"])
    change.save()
    if point.status_updated_at is None or change.changed_at >= point.status_updated_at:
        point.status = status
        point.expected_wait_minutes = expected_wait_minutes
        point.status_updated_at = change.changed_at
        point.save(update_fields=["status", "expected_wait_minutes", "status_updated_at"])
    audit_record(
        actor=actor,
        origin=origin,
        action=AuditEvent.Action.CROSSING_STATUS_CHANGED,
        target=point,
        changes={"status": status, "expected_wait_minutes": expected_wait_minutes},
    )
    return change


# --- shifts ------------------------------------------------------------------------------------


@transaction.atomic
def shift_schedule(
    *, actor, origin: Origin, point: CrossingPoint, officer, starts_at: datetime, ends_at: datetime
) -> Shift:
    _require(actor, Permission.ROSTER_MANAGE)
    if not has_permission(officer, Permission.SHIFT_WORK):
        raise PermissionDenied
    if ends_at <= starts_at or ends_at - starts_at > MAX_SHIFT:
        raise BorderValidationError(BorderError.SHIFT_WINDOW, "ends_at")
    shift = Shift(point=point, officer=officer, starts_at=starts_at, ends_at=ends_at, created_by=actor)
    shift.full_clean(exclude=["point", "officer", "created_by"])
    shift.save()
    audit_record(
        actor=actor,
        origin=origin,
        action=AuditEvent.Action.SHIFT_SCHEDULED,
        target=shift,
        changes={"officer": officer.pk, "point": point.code},
    )
    return shift


def _own_shift(actor, shift: Shift) -> Shift:
    _require(actor, Permission.SHIFT_WORK)
    locked = Shift.objects.select_for_update().get(pk=shift.pk)
    if locked.officer_id != actor.pk:
        raise BorderValidationError(BorderError.SHIFT_NOT_YOURS)
    return locked


@transaction.atomic
def shift_start(*, actor, origin: Origin, shift: Shift) -> Shift:
    """Start one's shift. The handover note of the last shift that ended at the point is
    linked, so the app shows it first."""
    shift = _own_shift(actor, shift)
    if shift.started_at is not None:
        raise BorderValidationError(BorderError.SHIFT_STATE)
    shift.started_at = timezone.now()
    shift.handover_from = (
        Shift.objects.filter(point_id=shift.point_id, ended_at__isnull=False)
        .exclude(pk=shift.pk)
        .order_by("-ended_at", "-id")
        .first()
    )
    shift.save(update_fields=["started_at", "handover_from"])
    audit_record(actor=actor, origin=origin, action=AuditEvent.Action.SHIFT_STARTED, target=shift)
    return shift


@transaction.atomic
def shift_end(*, actor, origin: Origin, shift: Shift, handover_note: str) -> Shift:
    shift = _own_shift(actor, shift)
    if shift.started_at is None or shift.ended_at is not None:
        raise BorderValidationError(BorderError.SHIFT_STATE)
    if not handover_note.strip():
        raise BorderValidationError(BorderError.HANDOVER_REQUIRED, "handover_note")
    shift.ended_at = timezone.now()
    shift.handover_note = handover_note.strip()
    shift.save(update_fields=["ended_at", "handover_note"])
    audit_record(actor=actor, origin=origin, action=AuditEvent.Action.SHIFT_ENDED, target=shift)
    return shift


# --- conflicts ---------------------------------------------------------------------------------


@transaction.atomic
def desk_conflict_resolve(*, actor, origin: Origin, conflict: DeskConflict, resolution: str) -> DeskConflict:
    _require(actor, Permission.DESK_CONFLICT_REVIEW)
    conflict = DeskConflict.objects.select_for_update().get(pk=conflict.pk)
    if conflict.state == DeskConflict.State.RESOLVED:
        raise BorderValidationError(BorderError.CONFLICT_RESOLVED)
    if not resolution.strip():
        raise BorderValidationError(BorderError.RESOLUTION_REQUIRED, "resolution")
    conflict.state = DeskConflict.State.RESOLVED
    conflict.resolution = resolution.strip()
    conflict.resolved_by = actor
    conflict.resolved_at = timezone.now()
    conflict.save(update_fields=["state", "resolution", "resolved_by", "resolved_at"])
    audit_record(
        actor=actor,
        origin=origin,
        action=AuditEvent.Action.DESK_CONFLICT_RESOLVED,
        target=conflict,
        person_id=conflict.person_id,
    )
    return conflict


# --- the field devices' events ----------------------------------------------------------------


@dataclass(slots=True)
class EventResult:
    """What became of one event of a batch, as the device is told."""

    event_id: str | None
    status: str  # "applied", "already", "rejected", "conflict"; "replayed" adds the first answer
    reason: str = ""
    message: str = ""
    replayed: bool = False
    person_ids: list[int] = field(default_factory=list)
    flagged: list[str] = field(default_factory=list)  # conflicts raised, and "clock_ahead"

    def as_dict(self) -> dict:
        return {
            "id": self.event_id,
            "status": self.status,
            "reason": self.reason,
            "message": self.message,
            "replayed": self.replayed,
            "person_ids": self.person_ids,
            "flagged": self.flagged,
        }


@dataclass(slots=True)
class _Applying:
    """One event being applied: who sent it, when it counts, and what it found."""

    event: DeskEvent
    actor: object
    origin: Origin
    at: datetime
    flagged: list[str] = field(default_factory=list)


def desk_events_sync(*, actor, origin: Origin, events: Sequence[object], device_label: str = "") -> list[EventResult]:
    """Receive a batch of field-device events, each on its own (see the module docstring)."""
    _require(actor, Permission.DESK_SYNC)
    if len(events) > MAX_BATCH:
        raise BorderValidationError(BorderError.BATCH_TOO_LARGE, "events")
    device_label = device_label[:100]
    replays = _replays(events)
    results: list[EventResult | None] = [None] * len(events)
    run: list[tuple[int, Mapping]] = []
    for position, raw in [*enumerate(events), (len(events), None)]:
        if position in replays:
            results[position] = _replay_result(replays[position])  # nothing to write: no need to wait
            continue
        if raw is not None and _in_bulk(raw):
            run.append((position, raw))
            continue
        if run:
            answers = _bulk_receive(
                actor=actor, origin=origin, raws=[raw for _p, raw in run], device_label=device_label
            )
            for (run_position, _raw), answer in zip(run, answers, strict=True):
                results[run_position] = answer
            run = []
        if raw is not None:
            results[position] = _event_receive(actor=actor, origin=origin, raw=raw, device_label=device_label)
    return [result for result in results if result is not None]


def _replays(events: Sequence[object]) -> dict[int, DeskEvent]:
    """The events of a batch received before with the same content (a device re-sending what it
    never got answers for), by position, looked up in one query and answered as they stand."""
    ids = {}
    for position, raw in enumerate(events):
        event_id = _event_id(raw) if isinstance(raw, Mapping) else None
        if event_id is not None:
            ids.setdefault(event_id, position)  # a second copy in the same batch goes the long way
    known = {event.event_id: event for event in DeskEvent.objects.filter(event_id__in=list(ids))}
    return {
        position: known[event_id]
        for event_id, position in ids.items()
        if event_id in known and known[event_id].content_digest == _digest(event_id, _canonical(events[position]))
    }


def _message(code) -> str:
    if isinstance(code, BorderError):
        return str(MESSAGES[code])
    return str(REGISTRY_MESSAGES[code])


def _reason_message(reason: str) -> str:
    """The message of a stored reason, which is a border or a registry error code."""
    for codes in (BorderError, RegistryError):
        if reason in codes._value2member_map_:
            return _message(codes(reason))
    return ""


def _rejected(event_id: str | None, code) -> EventResult:
    return EventResult(event_id=event_id, status="rejected", reason=code.value, message=_message(code))


def _canonical(raw: Mapping) -> str:
    content = {"kind": raw.get("kind"), "device_time": raw.get("device_time"), "payload": raw.get("payload")}
    return json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def _device_time(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = parse_datetime(value)
    except ValueError:
        return None
    if parsed is None or timezone.is_naive(parsed):
        return None
    return parsed


def _event_id(raw: Mapping) -> UUID | None:
    try:
        return UUID(str(raw.get("id")))
    except ValueError:
        return None


def _digest(event_id: UUID, content: str) -> str:
    return salted_hmac(_DIGEST_SALT, f"{event_id}:{content}", algorithm="sha256").hexdigest()


def _event_receive(*, actor, origin: Origin, raw: object, device_label: str) -> EventResult:
    if not isinstance(raw, Mapping):
        return _rejected(None, BorderError.PAYLOAD_INVALID)
    event_id = _event_id(raw)
    if event_id is None:
        return _rejected(None, BorderError.EVENT_ID_INVALID)
    content = _canonical(raw)
    digest = _digest(event_id, content)
    for attempt in range(2):
        try:
            with transaction.atomic():
                return _event_receive_once(
                    actor=actor,
                    origin=origin,
                    raw=raw,
                    event_id=event_id,
                    digest=digest,
                    content=content,
                    device_label=device_label,
                )
        except IntegrityError:
            # Another request stored this UUID between our look and our insert: look again,
            # and the second pass answers as a replay or a conflict.
            if attempt:
                raise
    raise AssertionError("unreachable")


def _event_receive_once(
    *, actor, origin: Origin, raw: Mapping, event_id: UUID, digest: str, content: str, device_label: str
) -> EventResult:
    existing = DeskEvent.objects.select_for_update().filter(event_id=event_id).first()
    if existing is not None:
        if existing.content_digest == digest:
            return _replay_result(existing)
        return _same_id_conflict(existing=existing, content=content, actor=actor, origin=origin)
    now = timezone.now()
    kind = str(raw.get("kind") or "")[:40]
    device_time = _device_time(raw.get("device_time"))
    payload = raw.get("payload")
    event = DeskEvent(
        event_id=event_id,
        kind=kind,
        payload=json.dumps(payload, ensure_ascii=False),
        content_digest=digest,
        device_time=device_time,
        received_at=now,
        clock_ahead=device_time is not None and device_time > now + CLOCK_AHEAD_ALLOWANCE,
        recorded_by=actor,
        device_label=device_label,
        outcome=DeskEvent.Outcome.APPLIED,
    )
    apply = _APPLY.get(kind)
    code = None
    applying = _Applying(event=event, actor=actor, origin=origin, at=min(device_time or now, now))
    if apply is None:
        code = BorderError.EVENT_KIND_UNKNOWN
    elif device_time is None:
        code = BorderError.EVENT_TIME_INVALID
    elif not isinstance(payload, Mapping):
        code = BorderError.PAYLOAD_INVALID
    else:
        try:
            with transaction.atomic():  # a failed apply leaves nothing half-written behind
                event.save()
                apply(applying, payload)
                event.save(update_fields=["outcome", "person_ids", "point"])
        except (BorderValidationError, RegistryValidationError) as error:
            code = error.code
        except PayloadValidationError:
            code = BorderError.PAYLOAD_INVALID
    if code is not None:
        event.pk = None
        event.outcome = DeskEvent.Outcome.REJECTED
        event.reason = code.value
        event.person_ids = []
        event.point = None
        event.save()
    # A rejected event's conflicts were rolled back with it.
    raised = applying.flagged if code is None else []
    flagged = [*raised, *(["clock_ahead"] if event.clock_ahead else [])]
    audit_record(
        actor=actor,
        origin=origin,
        action=AuditEvent.Action.DESK_EVENT_RECEIVED,
        target=event,
        person_id=event.person_ids[0] if len(event.person_ids) == 1 else None,
        changes={"kind": kind, "outcome": event.outcome, "reason": event.reason, "persons": event.person_ids},
    )
    if code is not None:
        return EventResult(
            event_id=str(event_id), status="rejected", reason=code.value, message=_message(code), flagged=flagged
        )
    return EventResult(
        event_id=str(event_id),
        status="applied" if event.outcome == DeskEvent.Outcome.APPLIED else "already",
        person_ids=list(event.person_ids),
        flagged=flagged,
    )


def _replay_result(existing: DeskEvent) -> EventResult:
    flagged = ["clock_ahead"] if existing.clock_ahead else []
    if existing.outcome == DeskEvent.Outcome.REJECTED:
        result = EventResult(
            event_id=str(existing.event_id),
            status="rejected",
            reason=existing.reason,
            message=_reason_message(existing.reason),
            flagged=flagged,
        )
    else:
        status = "applied" if existing.outcome == DeskEvent.Outcome.APPLIED else "already"
        result = EventResult(
            event_id=str(existing.event_id), status=status, person_ids=list(existing.person_ids), flagged=flagged
        )
    result.replayed = True
    return result


def _same_id_conflict(*, existing: DeskEvent, content: str, actor, origin: Origin) -> EventResult:
    """The same UUID with other content: nothing is applied, and both versions are kept for a
    person to compare (once per distinct second version, however often it is re-sent)."""
    first = json.dumps(
        {
            "kind": existing.kind,
            "device_time": existing.device_time.isoformat() if existing.device_time else None,
            "payload": json.loads(existing.payload or "null"),
        },
        ensure_ascii=False,
    )
    known = [
        conflict
        for conflict in DeskConflict.objects.filter(event=existing, kind=DeskConflict.Kind.SAME_ID_OTHER_CONTENT)
        if json.loads(conflict.versions)[1] == json.loads(content)
    ]
    if not known:
        conflict = DeskConflict.objects.create(
            kind=DeskConflict.Kind.SAME_ID_OTHER_CONTENT,
            event=existing,
            person_id=existing.person_ids[0] if len(existing.person_ids) == 1 else None,
            versions=json.dumps([json.loads(first), json.loads(content)], ensure_ascii=False),
        )
        audit_record(
            actor=actor,
            origin=origin,
            action=AuditEvent.Action.DESK_EVENT_RECEIVED,
            target=conflict,
            changes={"kind": existing.kind, "outcome": "conflict", "reason": BorderError.SAME_ID_OTHER_CONTENT.value},
        )
    code = BorderError.SAME_ID_OTHER_CONTENT
    return EventResult(event_id=str(existing.event_id), status="conflict", reason=code.value, message=_message(code))


# --- applying each kind -----------------------------------------------------------------------


def _point(code: str) -> CrossingPoint:
    point = CrossingPoint.objects.filter(code=code).first()
    if point is None:
        raise BorderValidationError(BorderError.POINT_UNKNOWN, "point")
    return point


def _optional_point(code: str) -> CrossingPoint | None:
    return _point(code) if code else None


def _person(payload) -> Person:
    if payload.person_id is not None:
        person = Person.objects.filter(pk=payload.person_id).first()
        if person is None:
            raise BorderValidationError(BorderError.PERSON_UNKNOWN, "person_id")
        return person
    registered = DeskEvent.objects.filter(
        event_id=payload.person_event, kind=DeskEvent.Kind.QUICK_REGISTER, outcome=DeskEvent.Outcome.APPLIED
    ).first()
    if registered is None or not registered.person_ids:
        raise BorderValidationError(BorderError.PERSON_EVENT_UNKNOWN, "person_event")
    return Person.objects.get(pk=registered.person_ids[0])


def _version(event: DeskEvent, **facts) -> dict:
    return {"event": str(event.event_id), "device": event.device_label, "recorded_by": event.recorded_by_id, **facts}


def _conflict_raise(applying: _Applying, *, kind: str, person: Person, other: DeskEvent, versions: list[dict]) -> None:
    DeskConflict.objects.create(
        kind=kind,
        person=person,
        event=applying.event,
        other_event=other,
        versions=json.dumps(versions, ensure_ascii=False, default=str),
    )
    applying.flagged.append(kind)


def _same_crossing(nearby: list[CheckIn], *, point: CrossingPoint, direction: str, at: datetime) -> bool:
    """Whether one of ``nearby`` is this very crossing, recorded by another device."""
    return any(
        check_in.point_id == point.pk
        and check_in.direction == direction
        and abs(check_in.crossed_at - at) <= SAME_CROSSING_WINDOW
        for check_in in nearby
    )


def _other_point(nearby: list[CheckIn], *, point: CrossingPoint) -> CheckIn | None:
    """The earliest of ``nearby`` (check-ins within the hour, by time) at another point."""
    return next((check_in for check_in in nearby if check_in.point_id != point.pk), None)


def _two_points_versions(other: CheckIn, *, event: DeskEvent, point: CrossingPoint, at: datetime) -> list[dict]:
    return [
        _version(other.desk_event, point=other.point_id, at=other.crossed_at),
        _version(event, point=point.pk, at=at),
    ]


def _staying_versions(staying: DeskEvent, crossing: DeskEvent) -> list[dict]:
    return [
        _version(staying, marked="staying", at=staying.device_time),
        _version(crossing, marked="crossed", at=crossing.device_time),
    ]


def _check_ins_record(applying: _Applying, persons: list[Person], point: CrossingPoint, direction: str) -> None:
    """Check ``persons`` in at ``point``. A crossing another device already recorded (same
    person, point and direction within the hour) is not counted again; a check-in at another
    point within the hour, or a crossing of someone marked staying, is recorded and flagged."""
    event, at = applying.event, applying.at
    event.point = point
    recorded = []
    for person in persons:
        nearby = list(
            CheckIn.objects.filter(person=person, crossed_at__range=(at - TWO_POINTS_WINDOW, at + TWO_POINTS_WINDOW))
            .select_related("desk_event")
            .order_by("crossed_at")
        )
        if _same_crossing(nearby, point=point, direction=direction, at=at):
            continue
        CheckIn.objects.create(
            person=person, point=point, direction=direction, crossed_at=at, desk_event=event, recorded_by=applying.actor
        )
        recorded.append(person.pk)
        other = _other_point(nearby, point=point)
        if other is not None:
            _conflict_raise(
                applying,
                kind=DeskConflict.Kind.TWO_POINTS,
                person=person,
                other=other.desk_event,
                versions=_two_points_versions(other, event=event, point=point, at=at),
            )
        if direction == Direction.OUT:
            _staying_check(applying, person, crossed=True)
        registry_services.status_event_add(
            actor=applying.actor,
            origin=applying.origin,
            person=person,
            kind=StatusKind.CROSSED if direction == Direction.OUT else StatusKind.RETURNED,
            occurred_at=at,
            source=StatusEvent.Source.BORDER_DESK,
            crossing_point=point,
            data={"desk_event": str(event.event_id), "direction": direction},
        )
        audit_record(
            actor=applying.actor,
            origin=applying.origin,
            action=AuditEvent.Action.CHECK_IN_RECORDED,
            target=event,
            person_id=person.pk,
            changes={"point": point.code, "direction": direction},
        )
    event.person_ids = [person.pk for person in persons]
    if not recorded:
        event.outcome = DeskEvent.Outcome.ALREADY_RECORDED


def _staying_check(applying: _Applying, person: Person, *, crossed: bool) -> None:
    """A person marked staying and checked in as crossed within a day: flagged, both kept."""
    at = applying.at
    window = (at - STAYING_CROSSED_WINDOW, at + STAYING_CROSSED_WINDOW)
    if crossed:
        other = (
            StatusEvent.objects.filter(
                person=person, kind=StatusKind.STAYING, source=StatusEvent.Source.BORDER_DESK, occurred_at__range=window
            )
            .order_by("-occurred_at")
            .first()
        )
        other_event = DeskEvent.objects.filter(event_id=other.data.get("desk_event")).first() if other else None
    else:
        check_in = (
            CheckIn.objects.filter(person=person, direction=Direction.OUT, crossed_at__range=window)
            .select_related("desk_event")
            .order_by("-crossed_at")
            .first()
        )
        other_event = check_in.desk_event if check_in else None
    if other_event is None:
        return
    staying, crossing = (other_event, applying.event) if crossed else (applying.event, other_event)
    _conflict_raise(
        applying,
        kind=DeskConflict.Kind.STAYING_AND_CROSSED,
        person=person,
        other=other_event,
        versions=_staying_versions(staying, crossing),
    )


def _apply_check_in(applying: _Applying, payload: Mapping) -> None:
    data = CheckInPayload.model_validate(payload)
    _check_ins_record(applying, [_person(data)], _point(data.point), data.direction)


def _apply_household_check_in(applying: _Applying, payload: Mapping) -> None:
    data = HouseholdCheckInPayload.model_validate(payload)
    household = Household.objects.filter(pk=data.household_id).first()
    if household is None:
        raise BorderValidationError(BorderError.HOUSEHOLD_UNKNOWN, "household_id")
    members = list(Person.objects.filter(household=household).order_by("pk"))
    if data.person_ids is not None:
        wanted = set(data.person_ids)
        if not wanted <= {member.pk for member in members}:
            raise BorderValidationError(BorderError.HOUSEHOLD_MEMBER_UNKNOWN, "person_ids")
        members = [member for member in members if member.pk in wanted]
    _check_ins_record(applying, members, _point(data.point), data.direction)


def _apply_tally(applying: _Applying, payload: Mapping) -> None:
    data = TallyPayload.model_validate(payload)
    point = _point(data.point)
    applying.event.point = point
    Tally.objects.create(
        point=point,
        direction=data.direction,
        counted_at=applying.at,
        nationals=data.nationals,
        children=data.children,
        others=data.others,
        description=data.description.strip(),
        desk_event=applying.event,
        recorded_by=applying.actor,
    )


def _apply_quick_register(applying: _Applying, payload: Mapping) -> None:
    data = QuickRegisterPayload.model_validate(payload)
    applying.event.point = _optional_point(data.point)
    person = registry_services.person_create(
        actor=applying.actor, origin=applying.origin, data=data.to_input(), channel=Channel.STAFF
    )
    applying.event.person_ids = [person.pk]


def _apply_need(applying: _Applying, payload: Mapping) -> None:
    data = NeedPayload.model_validate(payload)
    person = _person(data)
    point = _optional_point(data.point)
    applying.event.point = point
    applying.event.person_ids = [person.pk]
    for kind in dict.fromkeys(data.kinds):
        DeskNeed.objects.create(
            person=person,
            kind=kind,
            note=data.note.strip(),
            point=point,
            recorded_at=applying.at,
            desk_event=applying.event,
        )


def _apply_intake(applying: _Applying, payload: Mapping) -> None:
    """Keep the intake as the desk recorded it and open its case in "received" (origin
    border, the point's post), with the applicant and the registry persons it lists.

    Exactly once: the sync answers a replayed event from its stored result, and the case's
    submission key is the event's UUID, so no path opens a second case for one event. An
    officer who may not open cases (`case.intake`) still has the intake kept, without a case."""
    data = IntakePayload.model_validate(payload)
    point = _optional_point(data.point)
    applying.event.point = point
    request_type = RequestType.objects.filter(code=data.request_type, active=True).first()
    if request_type is None:
        raise BorderValidationError(BorderError.PAYLOAD_INVALID, "request_type")
    basis = None
    if data.basis_code:
        basis = EligibilityBasis.objects.filter(code=data.basis_code, active=True).first()
        if basis is None:
            raise BorderValidationError(BorderError.PAYLOAD_INVALID, "basis_code")
    listed = _intake_persons(data)
    case = None
    if has_permission(applying.actor, Permission.CASE_INTAKE):
        if data.given_name.strip() or data.family_name.strip():
            applicant = MemberInput(
                role=CaseMember.Role.APPLICANT,
                new_person=PersonInput(
                    given_name=data.given_name.strip(),
                    family_name=data.family_name.strip(),
                    sex=Sex.UNKNOWN,
                    birth_year=data.birth_year,
                ),
            )
        else:
            applicant, listed = MemberInput(role=CaseMember.Role.APPLICANT, person=listed[0]), listed[1:]
        family = [MemberInput(role=CaseMember.Role.OTHER, person=person) for person in listed]
        try:
            opened = case_open(
                actor=applying.actor,
                origin=applying.origin,
                request_type=request_type,
                members=[applicant, *family],
                case_origin=Case.Origin.BORDER,
                basis=basis,
                basis_note=data.basis,
                post=point.post if point is not None else None,
                submission_key=applying.event.event_id,
                note=data.note,
            )
        except CaseValidationError as error:
            raise BorderValidationError(BorderError.PAYLOAD_INVALID, error.field) from error
        case = opened.case
        applying.event.person_ids = list(case.members.order_by("id").values_list("person_id", flat=True))
    Intake.objects.create(
        given_name=data.given_name.strip(),
        family_name=data.family_name.strip(),
        birth_year=data.birth_year,
        family_size=data.family_size,
        basis=data.basis.strip(),
        note=data.note.strip(),
        point=point,
        recorded_at=applying.at,
        desk_event=applying.event,
        recorded_by=applying.actor,
        case=case,
    )


def _intake_persons(data: IntakePayload) -> list[Person]:
    """The persons an intake lists, in order and each once: `person_ids`, then `members`."""
    wanted = list(dict.fromkeys(data.person_ids))
    found = Person.objects.in_bulk(wanted)
    if len(found) != len(wanted):
        raise BorderValidationError(BorderError.PERSON_UNKNOWN, "person_ids")
    listed = {person_id: found[person_id] for person_id in wanted}
    for member in data.members:
        person = _person(member)
        listed.setdefault(person.pk, person)
    return list(listed.values())


def _apply_staying(applying: _Applying, payload: Mapping) -> None:
    data = StayingPayload.model_validate(payload)
    person = _person(data)
    point = _optional_point(data.point)
    applying.event.point = point
    applying.event.person_ids = [person.pk]
    _staying_check(applying, person, crossed=False)
    registry_services.status_event_add(
        actor=applying.actor,
        origin=applying.origin,
        person=person,
        kind=StatusKind.STAYING,
        occurred_at=applying.at,
        source=StatusEvent.Source.BORDER_DESK,
        crossing_point=point,
        note=data.note,
        data={"desk_event": str(applying.event.event_id)},
    )


_APPLY: dict[str, Callable[[_Applying, Mapping], None]] = {
    DeskEvent.Kind.CHECK_IN: _apply_check_in,
    DeskEvent.Kind.HOUSEHOLD_CHECK_IN: _apply_household_check_in,
    DeskEvent.Kind.TALLY: _apply_tally,
    DeskEvent.Kind.QUICK_REGISTER: _apply_quick_register,
    DeskEvent.Kind.NEED: _apply_need,
    DeskEvent.Kind.INTAKE: _apply_intake,
    DeskEvent.Kind.STAYING: _apply_staying,
}


# --- the common case, in bulk -----------------------------------------------------------------
#
# A device that was offline for a shift sends hundreds of check-ins, tallies and needs at once.
# One by one, each costs a transaction and some twenty statements. A run of them in a batch is
# decided here in memory, with the same rules as the functions above, and written with a few
# bulk INSERTs in one transaction. Everything else (quick registrations, households, intakes,
# replays, conflicting ids) still goes one by one, in order, and so does the whole run if the
# bulk write meets any integrity error: the path above is the reference, and a test holds the
# two to the same results.

_BULK_PAYLOADS = {
    DeskEvent.Kind.CHECK_IN: CheckInPayload,
    DeskEvent.Kind.TALLY: TallyPayload,
    DeskEvent.Kind.NEED: NeedPayload,
    DeskEvent.Kind.QUICK_REGISTER: QuickRegisterPayload,
}


def _in_bulk(raw: object) -> bool:
    return isinstance(raw, Mapping) and raw.get("kind") in _BULK_PAYLOADS and _event_id(raw) is not None


@dataclass(slots=True)
class _Planned:
    """One new event of a bulk run: the row to store, what it makes, and what it raised."""

    event: DeskEvent
    data: object = None
    code: object = None
    at: datetime | None = None
    flagged: list[str] = field(default_factory=list)


@dataclass(slots=True)
class _BulkRows:
    check_ins: list[CheckIn] = field(default_factory=list)
    tallies: list[Tally] = field(default_factory=list)
    needs: list[DeskNeed] = field(default_factory=list)
    status_events: list[StatusEvent] = field(default_factory=list)
    conflicts: list[DeskConflict] = field(default_factory=list)


def _bulk_receive(*, actor, origin: Origin, raws: list[Mapping], device_label: str) -> list[EventResult]:
    try:
        with transaction.atomic():
            return _bulk_receive_once(actor=actor, origin=origin, raws=raws, device_label=device_label)
    except (IntegrityError, RegistryValidationError, ValidationError):
        # Another request stored one of these ids meanwhile (or some other clash): each event
        # on its own decides it, as a replay, a conflict or a new event.
        return [_event_receive(actor=actor, origin=origin, raw=raw, device_label=device_label) for raw in raws]


def _bulk_receive_once(*, actor, origin: Origin, raws: list[Mapping], device_label: str) -> list[EventResult]:
    now = timezone.now()
    ids = [_event_id(raw) for raw in raws]
    known = set(DeskEvent.objects.filter(event_id__in=ids).values_list("event_id", flat=True))
    fresh: dict[int, _Planned] = {}
    seen: set[UUID] = set()
    for position, (raw, event_id) in enumerate(zip(raws, ids, strict=True)):
        if event_id in known or event_id in seen:
            continue  # a replay or a clash: answered one by one below, after the new ones
        seen.add(event_id)
        fresh[position] = _bulk_plan(raw=raw, event_id=event_id, actor=actor, device_label=device_label, now=now)
    plans = list(fresh.values())
    rows = _bulk_decide(plans, actor=actor, origin=origin, now=now)
    _bulk_write(plans, rows, actor=actor, origin=origin)
    results = []
    for position, raw in enumerate(raws):
        plan = fresh.get(position)
        if plan is None:
            results.append(_event_receive(actor=actor, origin=origin, raw=raw, device_label=device_label))
        else:
            results.append(_bulk_result(plan))
    return results


def _bulk_plan(*, raw: Mapping, event_id: UUID, actor, device_label: str, now: datetime) -> _Planned:
    kind = str(raw.get("kind"))
    content = _canonical(raw)
    device_time = _device_time(raw.get("device_time"))
    payload = raw.get("payload")
    plan = _Planned(
        event=DeskEvent(
            event_id=event_id,
            kind=kind,
            payload=json.dumps(payload, ensure_ascii=False),
            content_digest=_digest(event_id, content),
            device_time=device_time,
            received_at=now,
            clock_ahead=device_time is not None and device_time > now + CLOCK_AHEAD_ALLOWANCE,
            recorded_by=actor,
            device_label=device_label,
            outcome=DeskEvent.Outcome.APPLIED,
        ),
        at=min(device_time or now, now),
    )
    if device_time is None:
        plan.code = BorderError.EVENT_TIME_INVALID
    elif not isinstance(payload, Mapping):
        plan.code = BorderError.PAYLOAD_INVALID
    else:
        try:
            plan.data = _BULK_PAYLOADS[kind].model_validate(payload)
        except RegistryValidationError as error:
            plan.code = error.code
        except PayloadValidationError:
            plan.code = BorderError.PAYLOAD_INVALID
    return plan


def _bulk_decide(plans: list[_Planned], *, actor, origin: Origin, now: datetime) -> _BulkRows:
    """Decide every planned event as the one-by-one path would, in order, with what the
    database holds looked up once for the whole run."""
    valid = [plan for plan in plans if plan.code is None]
    points = {point.code: point for point in CrossingPoint.objects.filter(code__in={plan.data.point for plan in valid})}
    position_of = {id(plan): position for position, plan in enumerate(plans)}
    registered = _bulk_register(valid, points, position_of, actor=actor, origin=origin, now=now)
    valid = [plan for plan in valid if plan.code is None and plan.event.kind != DeskEvent.Kind.QUICK_REGISTER]
    named = [plan for plan in valid if plan.event.kind != DeskEvent.Kind.TALLY]
    by_event = {
        event.event_id: event.person_ids[0]
        for event in DeskEvent.objects.filter(
            event_id__in={plan.data.person_event for plan in named if plan.data.person_event},
            kind=DeskEvent.Kind.QUICK_REGISTER,
            outcome=DeskEvent.Outcome.APPLIED,
        )
        if event.person_ids
    }
    wanted = {plan.data.person_id for plan in named if plan.data.person_id} | set(by_event.values())
    persons = {person.pk: person for person in Person.objects.select_for_update().filter(pk__in=wanted).order_by("pk")}
    persons.update({person.pk: person for _position, person in registered.values()})
    times = [plan.at for plan in valid] or [now]
    recent: dict[int, list[CheckIn]] = {}
    for check_in in CheckIn.objects.filter(
        person_id__in=list(persons),
        crossed_at__range=(min(times) - TWO_POINTS_WINDOW, max(times) + TWO_POINTS_WINDOW),
    ).select_related("desk_event"):
        recent.setdefault(check_in.person_id, []).append(check_in)
    staying: dict[int, list[StatusEvent]] = {}
    for event in StatusEvent.objects.filter(
        person_id__in=list(persons),
        kind=StatusKind.STAYING,
        source=StatusEvent.Source.BORDER_DESK,
        occurred_at__range=(min(times) - STAYING_CROSSED_WINDOW, max(times) + STAYING_CROSSED_WINDOW),
    ):
        staying.setdefault(event.person_id, []).append(event)
    staying_events = {
        str(event.event_id): event
        for event in DeskEvent.objects.filter(
            event_id__in=[status.data.get("desk_event") for events in staying.values() for status in events]
        )
    }
    rows = _BulkRows()
    for plan in valid:
        data, kind = plan.data, plan.event.kind
        person = None
        if kind != DeskEvent.Kind.TALLY:
            person_id = data.person_id
            if person_id is None:
                # Registered earlier in this run? Only earlier: one by one, a later one is not known yet.
                position, newcomer = registered.get(data.person_event, (len(plans), None))
                earlier = newcomer is not None and position < position_of[id(plan)]
                person_id = newcomer.pk if earlier else by_event.get(data.person_event)
            person = persons.get(person_id)
            if person is None:
                plan.code = (
                    BorderError.PERSON_UNKNOWN if data.person_id is not None else BorderError.PERSON_EVENT_UNKNOWN
                )
                continue
        point = points.get(data.point) if data.point else None
        if data.point and point is None:
            plan.code = BorderError.POINT_UNKNOWN
            continue
        plan.event.point = point
        if kind == DeskEvent.Kind.TALLY:
            rows.tallies.append(
                Tally(
                    point=point,
                    direction=data.direction,
                    counted_at=plan.at,
                    nationals=data.nationals,
                    children=data.children,
                    others=data.others,
                    description=data.description.strip(),
                    desk_event=plan.event,
                    recorded_by=actor,
                )
            )
        elif kind == DeskEvent.Kind.NEED:
            plan.event.person_ids = [person.pk]
            rows.needs.extend(
                DeskNeed(
                    person=person,
                    kind=need,
                    note=data.note.strip(),
                    point=point,
                    recorded_at=plan.at,
                    desk_event=plan.event,
                )
                for need in dict.fromkeys(data.kinds)
            )
        else:
            _bulk_check_in(plan, person, point, recent, staying, staying_events, rows, actor=actor)
    return rows


def _bulk_register(
    valid: list[_Planned], points: dict, position_of: dict[int, int], *, actor, origin: Origin, now: datetime
) -> dict[UUID, tuple[int, Person]]:
    """The run's quick registrations, inserted together as `person_create` inserts one: by
    event id, (position in the run, person)."""
    plans = []
    for plan in valid:
        if plan.event.kind != DeskEvent.Kind.QUICK_REGISTER:
            continue
        point = points.get(plan.data.point) if plan.data.point else None
        if plan.data.point and point is None:
            plan.code = BorderError.POINT_UNKNOWN
            continue
        plan.event.point = point
        plans.append(plan)
    if not plans:
        return {}
    persons = registry_services.persons_insert(
        actor=actor,
        origin=origin,
        people=[plan.data.to_input() for plan in plans],
        household=None,
        registration=None,
        consent_given_at=None,
        occurred_at=now,
        source=StatusEvent.Source.STAFF,
    )
    registered = {}
    for plan, person in zip(plans, persons, strict=True):
        plan.event.person_ids = [person.pk]
        registered[plan.event.event_id] = (position_of[id(plan)], person)
    return registered


def _bulk_check_in(plan, person, point, recent, staying, staying_events, rows: _BulkRows, *, actor) -> None:  # noqa: PLR0917
    at, direction, event = plan.at, plan.data.direction, plan.event
    event.person_ids = [person.pk]
    nearby = sorted(
        (check_in for check_in in recent.get(person.pk, []) if abs(check_in.crossed_at - at) <= TWO_POINTS_WINDOW),
        key=lambda check_in: check_in.crossed_at,
    )
    if _same_crossing(nearby, point=point, direction=direction, at=at):
        event.outcome = DeskEvent.Outcome.ALREADY_RECORDED
        return
    check_in = CheckIn(
        person=person, point=point, direction=direction, crossed_at=at, desk_event=event, recorded_by=actor
    )
    rows.check_ins.append(check_in)
    recent.setdefault(person.pk, []).append(check_in)
    other = _other_point(nearby, point=point)
    if other is not None:
        rows.conflicts.append(
            _bulk_conflict(
                plan,
                kind=DeskConflict.Kind.TWO_POINTS,
                person=person,
                other=other.desk_event,
                versions=_two_points_versions(other, event=event, point=point, at=at),
            )
        )
    if direction == Direction.OUT:
        marked = [
            status for status in staying.get(person.pk, []) if abs(status.occurred_at - at) <= STAYING_CROSSED_WINDOW
        ]
        latest = max(marked, key=lambda status: status.occurred_at, default=None)
        other_event = staying_events.get(latest.data.get("desk_event")) if latest else None
        if other_event is not None:
            rows.conflicts.append(
                _bulk_conflict(
                    plan,
                    kind=DeskConflict.Kind.STAYING_AND_CROSSED,
                    person=person,
                    other=other_event,
                    versions=_staying_versions(other_event, event),
                )
            )
    rows.status_events.append(
        StatusEvent(
            person=person,
            kind=StatusKind.CROSSED if direction == Direction.OUT else StatusKind.RETURNED,
            occurred_at=at,
            recorded_by=actor,
            source=StatusEvent.Source.BORDER_DESK,
            crossing_point=point,
            data={"desk_event": str(event.event_id), "direction": direction},
            # As the batch found them: `_bulk_write` records the batch's entries at one moment.
            person_before=registry_services.person_state_before(person),
        )
    )


def _bulk_conflict(plan: _Planned, *, kind: str, person, other: DeskEvent, versions: list[dict]) -> DeskConflict:
    plan.flagged.append(kind)
    return DeskConflict(
        kind=kind,
        person=person,
        event=plan.event,
        other_event=other,
        versions=json.dumps(versions, ensure_ascii=False, default=str),
    )


def _bulk_write(plans: list[_Planned], rows: _BulkRows, *, actor, origin: Origin) -> None:
    for plan in plans:
        if plan.code is not None:
            plan.event.outcome = DeskEvent.Outcome.REJECTED
            plan.event.reason = plan.code.value
            plan.event.person_ids = []
            plan.event.point = None
    DeskEvent.objects.bulk_create([plan.event for plan in plans])
    CheckIn.objects.bulk_create(rows.check_ins)
    Tally.objects.bulk_create(rows.tallies)
    DeskNeed.objects.bulk_create(rows.needs)
    DeskConflict.objects.bulk_create(rows.conflicts)
    # One moment for the batch: an entry's `person_before` is the person as the entries
    # recorded before it left them, and within a batch that is the person before the batch.
    recorded_at = timezone.now()
    for status in rows.status_events:
        status.recorded_at = recorded_at
    StatusEvent.objects.bulk_create(rows.status_events)
    touched = {status.person_id: status.person for status in rows.status_events}
    timelines: dict[int, list[StatusEvent]] = {}
    for status in StatusEvent.objects.filter(person_id__in=list(touched)):
        timelines.setdefault(status.person_id, []).append(status)
    for person in touched.values():
        registry_services.derive_timeline_facts(timelines[person.pk]).apply_to(person)
    Person.objects.bulk_update(list(touched.values()), registry_services.TIMELINE_FACT_FIELDS)
    audits = [
        audit_event_new(
            actor=actor,
            origin=origin,
            action=AuditEvent.Action.STATUS_EVENT_ADDED,
            target=status,
            person_id=status.person_id,
            changes={"kind": status.kind, "corrects": None},
        )
        for status in rows.status_events
    ]
    audits += [
        audit_event_new(
            actor=actor,
            origin=origin,
            action=AuditEvent.Action.CHECK_IN_RECORDED,
            target=check_in.desk_event,
            person_id=check_in.person_id,
            changes={"point": check_in.point.code, "direction": check_in.direction},
        )
        for check_in in rows.check_ins
    ]
    audits += [
        audit_event_new(
            actor=actor,
            origin=origin,
            action=AuditEvent.Action.DESK_EVENT_RECEIVED,
            target=plan.event,
            person_id=plan.event.person_ids[0] if len(plan.event.person_ids) == 1 else None,
            changes={
                "kind": plan.event.kind,
                "outcome": plan.event.outcome,
                "reason": plan.event.reason,
                "persons": plan.event.person_ids,
            },
        )
        for plan in plans
    ]
    AuditEvent.objects.bulk_create(audits)


def _bulk_result(plan: _Planned) -> EventResult:
    event = plan.event
    clock = ["clock_ahead"] if event.clock_ahead else []
    if plan.code is not None:
        return EventResult(
            event_id=str(event.event_id),
            status="rejected",
            reason=plan.code.value,
            message=_message(plan.code),
            flagged=clock,
        )
    return EventResult(
        event_id=str(event.event_id),
        status="applied" if event.outcome == DeskEvent.Outcome.APPLIED else "already",
        person_ids=list(event.person_ids),
        flagged=[*plan.flagged, *clock],
    )
