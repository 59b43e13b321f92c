"""Writes of the diplomacy module. Each is atomic, checks the actor's role and read-ins, and
appends its row to the module's hash-chained audit trail in the same transaction.

A record the actor cannot see is refused with NOT_FOUND, the answer for a record that does
not exist (diplomacy/access.py), never with a message that admits it is there.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from crisisdesk.accounts.permissions import DIPLOMATIC_RANK, Permission, has_permission
from crisisdesk.common.origin import Origin
from crisisdesk.diplomacy import access
from crisisdesk.diplomacy.audit import Action, diplomacy_audit
from crisisdesk.diplomacy.errors import DiplomacyError, DiplomacyValidationError
from crisisdesk.diplomacy.models import (
    LEVEL_ORDER,
    Approach,
    Channel,
    ChannelLevel,
    ChannelRequest,
    Classification,
    Compartment,
    ContactEntry,
    ContactForm,
    Counterpart,
    FollowUp,
    LineToTake,
    MediationOutcome,
    MediationOutcomeChange,
    MediationRequest,
    Official,
    OfficialPost,
    PublicStatement,
    ReadIn,
)

# The least rank that may approve a request for a channel at each level: the higher the
# level, the more senior the decision ("when it is needed and decided").
LEVEL_APPROVER_RANK = {
    ChannelLevel.WORKING: 2,
    ChannelLevel.SENIOR_OFFICIALS: 2,
    ChannelLevel.MINISTERS: 3,
    ChannelLevel.LEADERS: 3,
    ChannelLevel.BACK_CHANNEL: 3,
}
TOP_RANK = max(DIPLOMATIC_RANK.values())


def _require(actor, permission: Permission) -> None:
    if not has_permission(actor, permission):
        raise PermissionDenied


def _require_read_in(actor, compartment: Compartment | None) -> None:
    if compartment is None or not access.is_read_in(actor, compartment.pk):
        raise DiplomacyValidationError(DiplomacyError.NOT_READ_IN, "compartment")


def _require_visible(model: type, actor, record, field: str) -> None:
    """Defence in depth: views load records through access.access_by_id, and services check
    again, so that a script or a later view cannot write through a hidden record."""
    if record is not None and not access.visible(model, actor).filter(pk=record.pk).exists():
        raise DiplomacyValidationError(DiplomacyError.NOT_FOUND, field)


def _text(value: str, field: str) -> str:
    value = (value or "").strip()
    if not value:
        raise DiplomacyValidationError(DiplomacyError.TEXT_REQUIRED, field)
    return value


def _not_future(day: date | datetime, field: str) -> None:
    now = timezone.now()
    limit = now + timedelta(minutes=5) if isinstance(day, datetime) else timezone.localdate(now)
    if day > limit:
        raise DiplomacyValidationError(DiplomacyError.DATE_IN_FUTURE, field)


# --- Compartments -----------------------------------------------------------------------


@transaction.atomic
def compartment_create(*, actor, origin: Origin, codeword: str, description: str = "") -> Compartment:
    """A new compartment, with its creator read in (nobody else knows it exists yet)."""
    _require(actor, Permission.COMPARTMENT_MANAGE)
    compartment = Compartment.objects.create(
        codeword=_text(codeword, "codeword").upper(), description=description.strip(), created_by=actor
    )
    ReadIn.objects.create(compartment=compartment, user=actor, read_in_by=actor, reason="created the compartment")
    diplomacy_audit(actor=actor, origin=origin, action=Action.COMPARTMENT_CREATED, target=compartment)
    return compartment


@transaction.atomic
def compartment_read_in(*, actor, origin: Origin, compartment: Compartment, user, reason: str) -> ReadIn:
    """Read `user` in. Only someone already read in, whose role manages compartments, may."""
    _require(actor, Permission.COMPARTMENT_MANAGE)
    _require_read_in(actor, compartment)
    reason = (reason or "").strip()
    if not reason:
        raise DiplomacyValidationError(DiplomacyError.REASON_REQUIRED, "reason")
    if not has_permission(user, Permission.DIPLOMACY_VIEW):
        raise PermissionDenied
    if ReadIn.objects.filter(compartment=compartment, user=user, read_out_at__isnull=True).exists():
        raise DiplomacyValidationError(DiplomacyError.ALREADY_READ_IN, "user")
    read_in = ReadIn.objects.create(compartment=compartment, user=user, read_in_by=actor, reason=reason)
    diplomacy_audit(
        actor=actor,
        origin=origin,
        action=Action.READ_IN,
        target=read_in,
        changes={"user_id": user.pk},
    )
    return read_in


@transaction.atomic
def compartment_read_out(*, actor, origin: Origin, compartment: Compartment, user, reason: str) -> ReadIn:
    _require(actor, Permission.COMPARTMENT_MANAGE)
    _require_read_in(actor, compartment)
    reason = (reason or "").strip()
    if not reason:
        raise DiplomacyValidationError(DiplomacyError.REASON_REQUIRED, "reason")
    read_in = (
        ReadIn.objects.select_for_update().filter(compartment=compartment, user=user, read_out_at__isnull=True).first()
    )
    if read_in is None:
        raise DiplomacyValidationError(DiplomacyError.NOT_READ_IN_NOW, "user")
    read_in.read_out_at, read_in.read_out_by, read_in.read_out_reason = timezone.now(), actor, reason
    read_in.save(update_fields=["read_out_at", "read_out_by", "read_out_reason"])
    diplomacy_audit(
        actor=actor,
        origin=origin,
        action=Action.READ_OUT,
        target=read_in,
        changes={"user_id": user.pk},
    )
    return read_in


# --- The directory ----------------------------------------------------------------------


@transaction.atomic
def counterpart_create(*, actor, origin: Origin, name: str, kind: str, country: str = "", is_own: bool = False):
    _require(actor, Permission.DIPLOMACY_LOG)
    counterpart = Counterpart(name=_text(name, "name"), kind=kind, country=country.upper(), is_own=is_own)
    counterpart.full_clean()
    counterpart.save()
    diplomacy_audit(actor=actor, origin=origin, action=Action.COUNTERPART_SAVED, target=counterpart)
    return counterpart


@dataclass(frozen=True, slots=True)
class PostInput:
    title: str
    starts_on: date
    ends_on: date | None = None


@transaction.atomic
def official_create(
    *, actor, origin: Origin, name: str, counterpart: Counterpart, posts: Iterable[PostInput] = ()
) -> Official:
    _require(actor, Permission.DIPLOMACY_LOG)
    official = Official.objects.create(name=_text(name, "name"), counterpart=counterpart)
    for post in posts:
        official_post_add(actor=actor, origin=origin, official=official, post=post)
    diplomacy_audit(actor=actor, origin=origin, action=Action.OFFICIAL_SAVED, target=official)
    return official


@transaction.atomic
def official_post_add(*, actor, origin: Origin, official: Official, post: PostInput) -> OfficialPost:
    """A post held from a date, until a date or still. A current post ends the day before a
    new one starts, so the directory shows who held which office when."""
    _require(actor, Permission.DIPLOMACY_LOG)
    record = OfficialPost(
        official=official, title=_text(post.title, "title"), starts_on=post.starts_on, ends_on=post.ends_on
    )
    record.full_clean()
    open_posts = official.posts.filter(ends_on__isnull=True, starts_on__lt=post.starts_on)
    open_posts.update(ends_on=post.starts_on - timedelta(days=1))
    record.save()
    diplomacy_audit(actor=actor, origin=origin, action=Action.OFFICIAL_SAVED, target=official, changes={"post": True})
    return record


# --- Channels and their requests --------------------------------------------------------


def rank_of(user) -> int:
    return DIPLOMATIC_RANK.get(getattr(user, "role", ""), 0)


def approver_rank_required(*, requester, level: str) -> int:
    """A rank above the requester's, and at least what the level asks for. The top of the
    ladder has no rank above it: their requests need a peer at the top, never themselves."""
    return min(TOP_RANK, max(LEVEL_APPROVER_RANK[ChannelLevel(level)], rank_of(requester) + 1))


def may_decide(actor, request: ChannelRequest) -> bool:
    return (
        has_permission(actor, Permission.DIPLOMACY_DECIDE)
        and actor.pk != request.requested_by_id
        and rank_of(actor) >= approver_rank_required(requester=request.requested_by, level=request.level)
    )


@transaction.atomic
def channel_request_submit(
    *,
    actor,
    origin: Origin,
    kind: str,
    compartment: Compartment,
    counterpart: Counterpart,
    level: str,
    reason: str,
    channel: Channel | None = None,
    name: str = "",
    purpose: str = "",
) -> ChannelRequest:
    """Ask to open a channel, to escalate one to a higher level, or to reopen a closed one."""
    _require(actor, Permission.DIPLOMACY_LOG)
    _require_read_in(actor, compartment)
    _require_visible(Channel, actor, channel, "channel")
    reason = (reason or "").strip()
    if not reason:
        raise DiplomacyValidationError(DiplomacyError.REASON_REQUIRED, "reason")
    kind = ChannelRequest.Kind(kind)
    if kind == ChannelRequest.Kind.OPEN:
        channel = None
        _text(name, "name")
        _text(purpose, "purpose")
    elif channel is None:
        raise DiplomacyValidationError(DiplomacyError.NOT_FOUND, "channel")
    else:
        channel = Channel.objects.select_related("counterpart").get(pk=channel.pk)  # as it is now, not as passed
        counterpart = channel.counterpart
        if kind == ChannelRequest.Kind.ESCALATE and LEVEL_ORDER.index(level) <= LEVEL_ORDER.index(channel.level):
            raise DiplomacyValidationError(DiplomacyError.LEVEL_NOT_HIGHER, "level")
        if kind == ChannelRequest.Kind.REOPEN and channel.status != Channel.Status.CLOSED:
            raise DiplomacyValidationError(DiplomacyError.CHANNEL_NOT_CLOSED, "channel")
    request = ChannelRequest(
        kind=kind,
        compartment=compartment,
        counterpart=counterpart,
        channel=channel,
        name=name.strip(),
        level=ChannelLevel(level),
        purpose=purpose.strip(),
        reason=reason,
        requested_by=actor,
    )
    request.full_clean()
    request.save()
    diplomacy_audit(
        actor=actor,
        origin=origin,
        action=Action.CHANNEL_REQUESTED,
        target=request,
        changes={"kind": kind.value, "level": request.level},
    )
    return request


@transaction.atomic
def channel_request_decide(
    *, actor, origin: Origin, request: ChannelRequest, approve: bool, reason: str
) -> ChannelRequest:
    """Approve or reject, with a reason. Approval opens, escalates or reopens the channel."""
    _require(actor, Permission.DIPLOMACY_DECIDE)
    _require_visible(ChannelRequest, actor, request, "request")
    request = ChannelRequest.objects.select_for_update().get(pk=request.pk)
    if request.state != ChannelRequest.State.PENDING:
        raise DiplomacyValidationError(DiplomacyError.REQUEST_DECIDED)
    if actor.pk == request.requested_by_id:
        raise DiplomacyValidationError(DiplomacyError.OWN_REQUEST)
    if not may_decide(actor, request):
        raise DiplomacyValidationError(DiplomacyError.RANK_TOO_LOW)
    reason = (reason or "").strip()
    if not reason:
        raise DiplomacyValidationError(DiplomacyError.REASON_REQUIRED, "reason")
    now = timezone.now()
    request.state = ChannelRequest.State.APPROVED if approve else ChannelRequest.State.REJECTED
    request.decided_by, request.decided_at, request.decision_reason = actor, now, reason
    if approve:
        request.channel = _channel_apply(actor=actor, origin=origin, request=request, now=now)
    request.save()
    diplomacy_audit(
        actor=actor,
        origin=origin,
        action=Action.CHANNEL_REQUEST_DECIDED,
        target=request,
        changes={"state": request.state},
    )
    return request


def _channel_apply(*, actor, origin: Origin, request: ChannelRequest, now: datetime) -> Channel:
    if request.kind == ChannelRequest.Kind.OPEN:
        channel = Channel.objects.create(
            counterpart=request.counterpart,
            compartment=request.compartment,
            name=request.name,
            level=request.level,
            purpose=request.purpose,
            owner=request.requested_by,
            opened_at=now,
            status_changed_at=now,
        )
        action = Action.CHANNEL_OPENED
    else:
        channel = Channel.objects.select_for_update().get(pk=request.channel_id)
        if request.kind == ChannelRequest.Kind.REOPEN:
            if channel.status != Channel.Status.CLOSED:
                raise DiplomacyValidationError(DiplomacyError.CHANNEL_NOT_CLOSED, "channel")
            channel.status, channel.status_changed_at = Channel.Status.OPEN, now
            action = Action.CHANNEL_STATUS_CHANGED
        else:
            if LEVEL_ORDER.index(request.level) <= LEVEL_ORDER.index(channel.level):
                raise DiplomacyValidationError(DiplomacyError.LEVEL_NOT_HIGHER, "level")
            action = Action.CHANNEL_ESCALATED
        channel.level = request.level
        channel.save()
    diplomacy_audit(
        actor=actor,
        origin=origin,
        action=action,
        target=channel,
        changes={"level": channel.level, "status": channel.status},
    )
    return channel


@transaction.atomic
def channel_close(*, actor, origin: Origin, channel: Channel, reason: str) -> Channel:
    """Close a channel: its owner, or someone who decides on channels."""
    _require(actor, Permission.DIPLOMACY_LOG)
    _require_visible(Channel, actor, channel, "channel")
    if channel.owner_id != actor.pk and not has_permission(actor, Permission.DIPLOMACY_DECIDE):
        raise PermissionDenied
    if not (reason or "").strip():
        raise DiplomacyValidationError(DiplomacyError.REASON_REQUIRED, "reason")
    channel = Channel.objects.select_for_update().get(pk=channel.pk)
    if channel.status == Channel.Status.CLOSED:
        raise DiplomacyValidationError(DiplomacyError.STATUS_UNCHANGED, "status")
    channel.status, channel.status_changed_at = Channel.Status.CLOSED, timezone.now()
    channel.save(update_fields=["status", "status_changed_at"])
    diplomacy_audit(
        actor=actor,
        origin=origin,
        action=Action.CHANNEL_STATUS_CHANGED,
        target=channel,
        changes={"status": channel.status, "reason": True},
    )
    return channel


def dormant_after() -> timedelta:
    return timedelta(days=settings.CRISISDESK_CHANNEL_DORMANT_AFTER_DAYS)


@transaction.atomic
def channels_dormancy_sweep(*, origin: Origin, now: datetime | None = None) -> int:
    """Mark dormant every open channel without contact for the configured number of days
    (counted from its opening when it has had none). Returns how many changed."""
    now = now or timezone.now()
    cutoff = now - dormant_after()
    overdue = (
        Channel.objects.select_for_update().filter(status=Channel.Status.OPEN).filter(_last_contact_before(cutoff))
    )
    changed = 0
    for channel in overdue:
        channel.status, channel.status_changed_at = Channel.Status.DORMANT, now
        channel.save(update_fields=["status", "status_changed_at"])
        diplomacy_audit(
            actor=None,
            origin=origin,
            action=Action.CHANNEL_STATUS_CHANGED,
            target=channel,
            changes={"status": channel.status, "automatic": True},
        )
        changed += 1
    return changed


def _last_contact_before(cutoff: datetime) -> Q:
    return Q(last_contact_at__lt=cutoff) | Q(last_contact_at__isnull=True, opened_at__lt=cutoff)


# --- The contact log --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FollowUpInput:
    action: str
    owner: object
    due_on: date


def _participants_check(channel: Channel, own: list[Official], theirs: list[Official]) -> None:
    if any(not official.counterpart.is_own for official in own) or any(
        official.counterpart_id != channel.counterpart_id for official in theirs
    ):
        raise DiplomacyValidationError(DiplomacyError.PARTICIPANT_SIDE, "participants")


@transaction.atomic
def contact_log(
    *,
    actor,
    origin: Origin,
    channel: Channel,
    occurred_at: datetime,
    form: str,
    summary: str,
    classification: str,
    own_participants: Iterable[Official] = (),
    their_participants: Iterable[Official] = (),
    intermediary: str = "",
    compartment: Compartment | None = None,
    follow_ups: Iterable[FollowUpInput] = (),
) -> ContactEntry:
    """Log a contact on a channel. A dormant channel is open again; a closed one refuses."""
    _require(actor, Permission.DIPLOMACY_LOG)
    _require_visible(Channel, actor, channel, "channel")
    compartment = compartment or channel.compartment
    _require_read_in(actor, compartment)
    channel = Channel.objects.select_for_update().select_related("counterpart").get(pk=channel.pk)
    if channel.status == Channel.Status.CLOSED:
        raise DiplomacyValidationError(DiplomacyError.CHANNEL_CLOSED, "channel")
    _not_future(occurred_at, "occurred_at")
    form = ContactForm(form)
    if form == ContactForm.INTERMEDIARY and not intermediary.strip():
        raise DiplomacyValidationError(DiplomacyError.INTERMEDIARY_REQUIRED, "intermediary")
    own, theirs = list(own_participants), list(their_participants)
    _participants_check(channel, own, theirs)
    entry = ContactEntry(
        channel=channel,
        compartment=compartment,
        occurred_at=occurred_at,
        form=form,
        intermediary=intermediary.strip(),
        summary=_text(summary, "summary"),
        classification=Classification(classification),
        recorded_by=actor,
    )
    entry.full_clean()
    entry.save()
    entry.own_participants.set(own)
    entry.their_participants.set(theirs)
    if channel.last_contact_at is None or occurred_at > channel.last_contact_at:
        channel.last_contact_at = occurred_at
    if channel.status == Channel.Status.DORMANT:
        channel.status, channel.status_changed_at = Channel.Status.OPEN, timezone.now()
    channel.save(update_fields=["last_contact_at", "status", "status_changed_at"])
    diplomacy_audit(
        actor=actor,
        origin=origin,
        action=Action.CONTACT_LOGGED,
        target=entry,
        changes={"channel": str(channel.pk), "fields": ["summary", "participants", "classification"]},
    )
    for follow_up in follow_ups:
        follow_up_add(
            actor=actor,
            origin=origin,
            entry=entry,
            action=follow_up.action,
            owner=follow_up.owner,
            due_on=follow_up.due_on,
        )
    return entry


@transaction.atomic
def follow_up_add(
    *,
    actor,
    origin: Origin,
    entry: ContactEntry,
    action: str,
    owner,
    due_on: date,
    compartment: Compartment | None = None,
) -> FollowUp:
    _require(actor, Permission.DIPLOMACY_LOG)
    _require_visible(ContactEntry, actor, entry, "entry")
    compartment = compartment or entry.compartment
    _require_read_in(actor, compartment)
    # An owner outside the compartment could not open what they are asked to do.
    if not access.is_read_in(owner, compartment.pk):
        raise DiplomacyValidationError(DiplomacyError.OWNER_NOT_READ_IN, "owner")
    follow_up = FollowUp.objects.create(
        entry=entry,
        compartment=compartment,
        action=_text(action, "action"),
        owner=owner,
        due_on=due_on,
        created_by=actor,
    )
    diplomacy_audit(
        actor=actor,
        origin=origin,
        action=Action.FOLLOW_UP_ADDED,
        target=follow_up,
        changes={"owner_id": owner.pk, "due_on": due_on.isoformat()},
    )
    return follow_up


@transaction.atomic
def follow_up_complete(*, actor, origin: Origin, follow_up: FollowUp) -> FollowUp:
    _require(actor, Permission.DIPLOMACY_LOG)
    _require_visible(FollowUp, actor, follow_up, "follow_up")
    follow_up = FollowUp.objects.select_for_update().get(pk=follow_up.pk)
    if follow_up.done_at is not None:
        raise DiplomacyValidationError(DiplomacyError.FOLLOW_UP_DONE)
    follow_up.done_at, follow_up.done_by = timezone.now(), actor
    follow_up.save(update_fields=["done_at", "done_by"])
    diplomacy_audit(
        actor=actor,
        origin=origin,
        action=Action.FOLLOW_UP_DONE,
        target=follow_up,
    )
    return follow_up


# --- The mediation track ----------------------------------------------------------------


@transaction.atomic
def mediation_request_record(
    *,
    actor,
    origin: Origin,
    compartment: Compartment,
    kind: str,
    requested_by: Official,
    requested_of: Official,
    parties: Iterable[Counterpart],
    asked_on: date,
    channel: Channel | None = None,
    summary: str = "",
    repeat_of: MediationRequest | None = None,
) -> MediationRequest:
    _require(actor, Permission.DIPLOMACY_LOG)
    _require_read_in(actor, compartment)
    _require_visible(Channel, actor, channel, "channel")
    _require_visible(MediationRequest, actor, repeat_of, "repeat_of")
    parties = list(parties)
    if len(set(party.pk for party in parties)) < 2:
        raise DiplomacyValidationError(DiplomacyError.PARTIES_REQUIRED, "parties")
    _not_future(asked_on, "asked_on")
    request = MediationRequest(
        compartment=compartment,
        kind=MediationRequest.Kind(kind),
        requested_by=requested_by,
        requested_of=requested_of,
        asked_on=asked_on,
        channel=channel,
        summary=summary.strip(),
        repeat_of=repeat_of,
        recorded_by=actor,
    )
    request.full_clean()
    request.save()
    request.parties.set(parties)
    MediationOutcomeChange.objects.create(
        request=request, outcome=MediationOutcome.PENDING, on=asked_on, recorded_by=actor
    )
    diplomacy_audit(
        actor=actor,
        origin=origin,
        action=Action.MEDIATION_RECORDED,
        target=request,
        changes={"kind": request.kind},
    )
    return request


@transaction.atomic
def mediation_outcome_set(
    *, actor, origin: Origin, request: MediationRequest, outcome: str, on: date, note: str = ""
) -> MediationRequest:
    """A new outcome, kept beside the earlier ones (refused in October, accepted later)."""
    _require(actor, Permission.DIPLOMACY_LOG)
    _require_visible(MediationRequest, actor, request, "request")
    _not_future(on, "on")
    request = MediationRequest.objects.select_for_update().get(pk=request.pk)
    outcome = MediationOutcome(outcome)
    MediationOutcomeChange.objects.create(request=request, outcome=outcome, on=on, note=note.strip(), recorded_by=actor)
    latest = request.outcome_changes.order_by("-on", "-recorded_at", "-id").first()
    request.outcome, request.outcome_on = latest.outcome, latest.on
    request.save(update_fields=["outcome", "outcome_on"])
    diplomacy_audit(
        actor=actor,
        origin=origin,
        action=Action.MEDIATION_OUTCOME_SET,
        target=request,
        changes={"outcome": outcome.value},
    )
    return request


@transaction.atomic
def approach_record(
    *,
    actor,
    origin: Origin,
    approached_by: Official,
    approached: Official,
    on: date,
    compartment: Compartment | None = None,
    request: MediationRequest | None = None,
    on_behalf_of: Counterpart | None = None,
    channel: Channel | None = None,
    summary: str = "",
    response: str = Approach.Response.AWAITED,
    response_on: date | None = None,
    response_note: str = "",
) -> Approach:
    _require(actor, Permission.DIPLOMACY_LOG)
    _require_visible(MediationRequest, actor, request, "request")
    _require_visible(Channel, actor, channel, "channel")
    compartment = compartment or (request.compartment if request else None)
    _require_read_in(actor, compartment)
    _not_future(on, "on")
    approach = Approach(
        compartment=compartment,
        request=request,
        approached_by=approached_by,
        approached=approached,
        on_behalf_of=on_behalf_of,
        on=on,
        channel=channel,
        summary=summary.strip(),
        response=Approach.Response(response),
        response_on=response_on,
        response_note=response_note.strip(),
        recorded_by=actor,
    )
    approach.full_clean()
    approach.save()
    diplomacy_audit(
        actor=actor,
        origin=origin,
        action=Action.APPROACH_RECORDED,
        target=approach,
        changes={"response": approach.response},
    )
    return approach


@transaction.atomic
def approach_response_set(
    *, actor, origin: Origin, approach: Approach, response: str, on: date, note: str = ""
) -> Approach:
    _require(actor, Permission.DIPLOMACY_LOG)
    _require_visible(Approach, actor, approach, "approach")
    _not_future(on, "on")
    approach = Approach.objects.select_for_update().get(pk=approach.pk)
    approach.response, approach.response_on, approach.response_note = Approach.Response(response), on, note.strip()
    approach.save(update_fields=["response", "response_on", "response_note"])
    diplomacy_audit(
        actor=actor,
        origin=origin,
        action=Action.APPROACH_RESPONSE_SET,
        target=approach,
        changes={"response": approach.response},
    )
    return approach


# --- Public statements and lines-to-take ------------------------------------------------


def _tags(values: Iterable[str]) -> list[str]:
    return sorted({value.strip().lower() for value in values if value and value.strip()})


@transaction.atomic
def statement_log(
    *,
    actor,
    origin: Origin,
    speaker: Official,
    outlet: str,
    said_on: date,
    quote: str,
    stance: str,
    topics: Iterable[str] = (),
    source_url: str = "",
) -> PublicStatement:
    _require(actor, Permission.STATEMENT_LOG)
    _not_future(said_on, "said_on")
    statement = PublicStatement(
        speaker=speaker,
        outlet=_text(outlet, "outlet"),
        said_on=said_on,
        quote=_text(quote, "quote"),
        topics=_tags(topics),
        stance=PublicStatement.Stance(stance),
        source_url=source_url.strip(),
        recorded_by=actor,
    )
    statement.full_clean()
    statement.save()
    diplomacy_audit(actor=actor, origin=origin, action=Action.STATEMENT_LOGGED, target=statement)
    return statement


@transaction.atomic
def statement_assess(*, actor, origin: Origin, statement: PublicStatement, adherence: str) -> PublicStatement:
    """Whether an own official's statement kept to the line valid that day."""
    _require(actor, Permission.LINE_TO_TAKE_APPROVE)
    statement.adherence = PublicStatement.Adherence(adherence)
    statement.save(update_fields=["adherence"])
    diplomacy_audit(
        actor=actor, origin=origin, action=Action.STATEMENT_ASSESSED, target=statement, changes={"adherence": adherence}
    )
    return statement


@transaction.atomic
def line_draft(
    *, actor, origin: Origin, topic: str, text: str, valid_from: date, valid_until: date | None = None
) -> LineToTake:
    _require(actor, Permission.STATEMENT_LOG)
    line = LineToTake(
        topic=_text(topic, "topic").lower(),
        text=_text(text, "text"),
        valid_from=valid_from,
        valid_until=valid_until,
        drafted_by=actor,
    )
    line.full_clean()
    line.save()
    diplomacy_audit(actor=actor, origin=origin, action=Action.LINE_DRAFTED, target=line)
    return line


@transaction.atomic
def line_approve(*, actor, origin: Origin, line: LineToTake) -> LineToTake:
    _require(actor, Permission.LINE_TO_TAKE_APPROVE)
    line = LineToTake.objects.select_for_update().get(pk=line.pk)
    if line.approved_at is not None:
        raise DiplomacyValidationError(DiplomacyError.LINE_ALREADY_APPROVED)
    if line.drafted_by_id == actor.pk:
        raise DiplomacyValidationError(DiplomacyError.LINE_OWN_DRAFT)
    line.approved_by, line.approved_at = actor, timezone.now()
    line.save(update_fields=["approved_by", "approved_at"])
    diplomacy_audit(actor=actor, origin=origin, action=Action.LINE_APPROVED, target=line)
    return line
