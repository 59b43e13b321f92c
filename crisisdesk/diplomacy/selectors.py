"""Reads of the diplomacy module, each scoped to the actor through diplomacy/access.py and
audited in the module's chain. Counts and pagination totals are taken on the scoped
querysets, so a hidden record never adds one to a total."""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.db.models import Count, Prefetch, Q
from django.http import Http404
from django.utils import timezone

from crisisdesk.accounts.permissions import Permission, has_permission
from crisisdesk.common.origin import Origin
from crisisdesk.diplomacy import access
from crisisdesk.diplomacy.audit import Action, diplomacy_audit
from crisisdesk.diplomacy.models import (
    CLASSIFICATION_ORDER,
    Approach,
    Channel,
    ChannelRequest,
    Classification,
    Compartment,
    ContactEntry,
    Counterpart,
    DiplomacyAuditEntry,
    FollowUp,
    LineToTake,
    MediationOutcomeChange,
    MediationRequest,
    Official,
    OfficialPost,
    PublicStatement,
    ReadIn,
)

PAGE_SIZE = 25
AUTOCOMPLETE_LIMIT = 10
# Compartmented records are at least this sensitive, whatever their own marking says.
COMPARTMENTED_FLOOR = Classification.CONFIDENTIAL


def _require(actor, permission: Permission = Permission.DIPLOMACY_VIEW) -> None:
    if not has_permission(actor, permission):
        raise PermissionDenied


# --- Markings ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Marking:
    classification: str
    codewords: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        text = str(Classification(self.classification).label)
        return " // ".join([text, *self.codewords])


def marking_of(*, classifications=(), compartments=()) -> Marking:
    """The highest marking among what a page or an export carries, with the codewords of the
    compartments it draws on (all of them ones the reader is read into)."""
    levels = [CLASSIFICATION_ORDER.index(value) for value in classifications]
    codewords = tuple(sorted({str(compartment.codeword) for compartment in compartments}))
    if codewords:
        levels.append(CLASSIFICATION_ORDER.index(COMPARTMENTED_FLOOR))
    highest = CLASSIFICATION_ORDER[max(levels)] if levels else Classification.UNCLASSIFIED
    return Marking(classification=highest, codewords=codewords)


# --- Compartments -----------------------------------------------------------------------


def compartment_list(*, actor):
    _require(actor)
    # Explicitly ordered: Meta.ordering does not apply to a query with GROUP BY.
    return (
        access.visible(Compartment, actor)
        .annotate(members=Count("read_ins", filter=Q(read_ins__read_out_at__isnull=True)))
        .order_by("codeword", "id")
    )


def compartment_read_ins(*, actor, compartment: Compartment):
    """Everyone read in, with the history of read-ins and read-outs."""
    _require(actor)
    access.access_by_id(Compartment, actor, compartment.pk)
    return ReadIn.objects.filter(compartment=compartment).select_related("user", "read_in_by", "read_out_by")


# --- Channels ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ChannelFilters:
    counterpart_id: int | None = None
    status: str = ""
    level: str = ""
    q: str = ""


def channel_page(*, actor, origin: Origin, filters: ChannelFilters = ChannelFilters(), page_number=1) -> Page:
    _require(actor)
    channels = access.visible(Channel, actor).select_related("counterpart", "owner", "compartment")
    if filters.counterpart_id:
        channels = channels.filter(counterpart_id=filters.counterpart_id)
    if filters.status:
        channels = channels.filter(status=filters.status)
    if filters.level:
        channels = channels.filter(level=filters.level)
    if filters.q:
        channels = channels.filter(Q(name__icontains=filters.q) | Q(purpose__icontains=filters.q))
    page = Paginator(channels, PAGE_SIZE).get_page(page_number)
    diplomacy_audit(actor=actor, origin=origin, action=Action.CHANNELS_LISTED, changes={"page": page.number})
    return page


def channel_detail(*, actor, origin: Origin, channel_id) -> Channel:
    _require(actor)
    channel = access.access_by_id(
        Channel, actor, channel_id, Channel.objects.select_related("counterpart", "owner", "compartment")
    )
    diplomacy_audit(actor=actor, origin=origin, action=Action.CHANNEL_VIEWED, target=channel)
    return channel


def channel_entries(*, actor, channel: Channel, limit: int = 50) -> list[ContactEntry]:
    return list(_entries(actor).filter(channel=channel)[:limit])


def channel_requests(*, actor, channel: Channel | None = None, pending_only: bool = False):
    _require(actor)
    requests = access.visible(ChannelRequest, actor).select_related(
        "counterpart", "channel", "requested_by", "decided_by", "compartment"
    )
    if channel is not None:
        requests = requests.filter(channel=channel)
    if pending_only:
        requests = requests.filter(state=ChannelRequest.State.PENDING)
    return requests


def channel_request_detail(*, actor, request_id) -> ChannelRequest:
    _require(actor)
    return access.access_by_id(ChannelRequest, actor, request_id, channel_requests(actor=actor))


def channel_autocomplete(*, actor, q: str) -> list[Channel]:
    """Channels whose name starts a word with `q`, among those the actor may see."""
    _require(actor)
    q = (q or "").strip()
    if not q:
        return []
    return list(
        access.visible(Channel, actor)
        .filter(Q(name__istartswith=q) | Q(name__icontains=f" {q}"))
        .select_related("counterpart")[:AUTOCOMPLETE_LIMIT]
    )


# --- The contact log --------------------------------------------------------------------


def _entries(actor):
    return (
        access.visible(ContactEntry, actor)
        .select_related("channel__counterpart", "compartment", "recorded_by")
        .prefetch_related(
            "own_participants",
            "their_participants",
            Prefetch("follow_ups", queryset=access.visible(FollowUp, actor).select_related("owner")),
        )
    )


@dataclass(frozen=True, slots=True)
class EntryFilters:
    q: str = ""
    channel_id: str = ""
    counterpart_id: int | None = None
    classification: str = ""
    since: date | None = None
    until: date | None = None


def _filtered_entries(actor, filters: EntryFilters):
    entries = _entries(actor)
    if filters.q:
        entries = entries.filter(Q(summary__icontains=filters.q) | Q(channel__name__icontains=filters.q))
    if filters.channel_id:
        entries = entries.filter(channel_id=filters.channel_id)
    if filters.counterpart_id:
        entries = entries.filter(channel__counterpart_id=filters.counterpart_id)
    if filters.classification:
        entries = entries.filter(classification=filters.classification)
    if filters.since:
        entries = entries.filter(
            occurred_at__gte=datetime.combine(filters.since, time.min, tzinfo=timezone.get_current_timezone())
        )
    if filters.until:
        entries = entries.filter(
            occurred_at__lt=datetime.combine(
                filters.until + timedelta(days=1), time.min, tzinfo=timezone.get_current_timezone()
            )
        )
    return entries


def _filter_names(filters: EntryFilters) -> list[str]:
    """Which filters were set, not their values: a search term can itself be sensitive."""
    return sorted(name for name in EntryFilters.__dataclass_fields__ if getattr(filters, name))


def entry_page(*, actor, origin: Origin, filters: EntryFilters = EntryFilters(), page_number=1) -> Page:
    _require(actor)
    page = Paginator(_filtered_entries(actor, filters), PAGE_SIZE).get_page(page_number)
    diplomacy_audit(
        actor=actor,
        origin=origin,
        action=Action.CONTACTS_LISTED,
        changes={"page": page.number, "searched": bool(filters.q)},
    )
    return page


def entries_for_export(*, actor, origin: Origin, filters: EntryFilters = EntryFilters()) -> list[ContactEntry]:
    _require(actor)
    entries = list(_filtered_entries(actor, filters))
    # No row count: the trail is read by people read into fewer compartments than the exporter.
    diplomacy_audit(
        actor=actor, origin=origin, action=Action.CONTACTS_EXPORTED, changes={"filtered": _filter_names(filters)}
    )
    return entries


def entry_detail(*, actor, origin: Origin, entry_id) -> ContactEntry:
    _require(actor)
    entry = access.access_by_id(ContactEntry, actor, entry_id, _entries(actor))
    diplomacy_audit(actor=actor, origin=origin, action=Action.CONTACT_VIEWED, target=entry)
    return entry


def follow_up_detail(*, actor, follow_up_id) -> FollowUp:
    _require(actor)
    return access.access_by_id(FollowUp, actor, follow_up_id, FollowUp.objects.select_related("entry", "owner"))


def follow_up_queue(*, actor, include_done: bool = False, due_only: bool = False):
    """The actor's own follow-ups, soonest due first, in compartments they are read into;
    with `due_only`, those due today or earlier."""
    _require(actor)
    follow_ups = (
        access.visible(FollowUp, actor)
        .filter(owner=actor)
        .select_related("entry__channel__counterpart", "owner", "done_by")
    )
    if not include_done:
        follow_ups = follow_ups.filter(done_at__isnull=True)
    if due_only:
        follow_ups = follow_ups.filter(due_on__lte=timezone.localdate())
    return follow_ups


def follow_ups_due_count(*, actor) -> int:
    """For the notification, which says only this: how many are due (no subject, no content)."""
    if not access.may_open_module(actor):
        return 0
    return follow_up_queue(actor=actor).filter(due_on__lte=timezone.localdate()).count()


# --- Mediation --------------------------------------------------------------------------


def _mediation_requests(actor):
    return (
        access.visible(MediationRequest, actor)
        .select_related("requested_by__counterpart", "requested_of__counterpart", "channel", "compartment", "repeat_of")
        .prefetch_related("parties", "requested_by__posts", "requested_of__posts")
    )


def mediation_list(*, actor, outcome: str = "", page_number=1) -> Page:
    _require(actor)
    requests = _mediation_requests(actor)
    if outcome:
        requests = requests.filter(outcome=outcome)
    return Paginator(requests, PAGE_SIZE).get_page(page_number)


def mediation_detail(*, actor, origin: Origin, request_id) -> MediationRequest:
    _require(actor)
    request = access.access_by_id(MediationRequest, actor, request_id, _mediation_requests(actor))
    diplomacy_audit(
        actor=actor,
        origin=origin,
        action=Action.MEDIATION_VIEWED,
        target=request,
    )
    return request


def approach_detail(*, actor, approach_id) -> Approach:
    _require(actor)
    return access.access_by_id(Approach, actor, approach_id, _approaches(actor))


def _approaches(actor):
    return (
        access.visible(Approach, actor)
        .select_related("approached_by__counterpart", "approached__counterpart", "on_behalf_of", "channel", "request")
        .prefetch_related("approached_by__posts", "approached__posts")
    )


# --- Timelines --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TimelineItem:
    on: date
    kind: str  # contact, mediation_request, outcome, approach, statement
    record: object
    extra: dict = field(default_factory=dict)


def _sorted(items: list[TimelineItem]) -> list[TimelineItem]:
    return sorted(items, key=lambda item: (item.on, item.kind), reverse=True)


def counterpart_timeline(*, actor, origin: Origin, counterpart_id) -> tuple[Counterpart, list[TimelineItem]]:
    """Everything the actor may see that involves a counterpart, newest first: contacts on its
    channels, mediation requests it made, received or is a party to, approaches, outcomes and
    its officials' public statements."""
    _require(actor)
    counterpart = Counterpart.objects.filter(pk=counterpart_id).first()
    if counterpart is None:
        raise Http404
    items: list[TimelineItem] = []
    for entry in _entries(actor).filter(channel__counterpart=counterpart):
        items.append(TimelineItem(timezone.localdate(entry.occurred_at), "contact", entry))
    requests = (
        _mediation_requests(actor)
        .filter(
            Q(requested_by__counterpart=counterpart) | Q(requested_of__counterpart=counterpart) | Q(parties=counterpart)
        )
        .distinct()
    )
    items.extend(_request_items(actor, list(requests)))
    for approach in _approaches(actor).filter(
        Q(approached_by__counterpart=counterpart) | Q(approached__counterpart=counterpart) | Q(on_behalf_of=counterpart)
    ):
        items.extend(_approach_items(approach))
    for statement in PublicStatement.objects.filter(speaker__counterpart=counterpart).select_related("speaker"):
        items.append(TimelineItem(statement.said_on, "statement", statement))
    diplomacy_audit(actor=actor, origin=origin, action=Action.TIMELINE_VIEWED, target=counterpart)
    return counterpart, _sorted(items)


def _request_items(actor, requests: list[MediationRequest]) -> list[TimelineItem]:
    items = [TimelineItem(request.asked_on, "mediation_request", request) for request in requests]
    changes = (
        MediationOutcomeChange.objects.filter(request__in=requests).exclude(outcome="pending").select_related("request")
    )
    items.extend(TimelineItem(change.on, "outcome", change) for change in changes)
    return items


def _approach_items(approach: Approach) -> list[TimelineItem]:
    items = [TimelineItem(approach.on, "approach", approach)]
    if approach.response_on and approach.response != Approach.Response.AWAITED:
        items.append(TimelineItem(approach.response_on, "approach_response", approach))
    return items


def request_chain(*, actor, request: MediationRequest) -> list[MediationRequest]:
    """The request and every visible earlier or later making of it (`repeat_of` both ways)."""
    visible = _mediation_requests(actor)
    chain = {request.pk: request}
    frontier = [request]
    while frontier:
        ids = [item.pk for item in frontier]
        parents = [item.repeat_of_id for item in frontier if item.repeat_of_id]
        found = list(visible.filter(Q(pk__in=parents) | Q(repeat_of_id__in=ids)).exclude(pk__in=chain))
        for item in found:
            chain[item.pk] = item
        frontier = found
    return sorted(chain.values(), key=lambda item: item.asked_on)


def request_timeline(*, actor, request: MediationRequest) -> list[TimelineItem]:
    chain = request_chain(actor=actor, request=request)
    items = _request_items(actor, chain)
    for approach in _approaches(actor).filter(request__in=chain):
        items.extend(_approach_items(approach))
    return _sorted(items)


# --- Directory, statements and lines ----------------------------------------------------


def counterpart_list(*, actor):
    _require(actor)
    return Counterpart.objects.annotate(
        channels_visible=Count("channels", filter=access.related_channel_condition(actor, "channels__"), distinct=True)
    )


def official_list(*, actor, counterpart_id: int | None = None, q: str = ""):
    _require(actor)
    officials = Official.objects.select_related("counterpart").prefetch_related(
        Prefetch("posts", queryset=OfficialPost.objects.order_by("-starts_on"))
    )
    if counterpart_id:
        officials = officials.filter(counterpart_id=counterpart_id)
    if q:
        officials = officials.filter(name__icontains=q)
    return officials


@dataclass(frozen=True, slots=True)
class StatementRow:
    statement: PublicStatement
    lines: list[LineToTake]


def statement_rows(*, actor, topic: str = "", page_number=1) -> tuple[Page, list[StatementRow]]:
    """Statements with, beside each by one of our officials, the approved lines valid that day
    on its topics: whether the statement kept to the line can be read off the row."""
    _require(actor)
    statements = PublicStatement.objects.select_related("speaker__counterpart").prefetch_related("speaker__posts")
    if topic:
        statements = statements.filter(topics__icontains=topic.lower())
    page = Paginator(statements, PAGE_SIZE).get_page(page_number)
    lines = list(LineToTake.objects.filter(approved_at__isnull=False).select_related("approved_by"))
    rows = [
        StatementRow(
            statement,
            [line for line in lines if line.topic in statement.topics and line.valid_on(statement.said_on)]
            if statement.speaker.counterpart.is_own
            else [],
        )
        for statement in page
    ]
    return page, rows


def line_list(*, actor):
    _require(actor)
    return LineToTake.objects.select_related("drafted_by", "approved_by")


# --- The module's audit trail -----------------------------------------------------------


def audit_page(*, actor, origin: Origin, page_number=1) -> Page:
    """The chain's rows about records outside any compartment, and about those the actor is
    read into; rows about other compartments are left out, totals included."""
    _require(actor, Permission.DIPLOMACY_AUDIT_VIEW)
    compartment_ids = access.read_in_compartment_ids(actor)
    rows = DiplomacyAuditEntry.objects.filter(Q(compartment_id__isnull=True) | Q(compartment_id__in=compartment_ids))
    page = Paginator(rows.select_related("actor"), 100).get_page(page_number)
    diplomacy_audit(actor=actor, origin=origin, action=Action.AUDIT_VIEWED, changes={"page": page.number})
    return page


# --- For the staff pages (added for the web UI) -------------------------------------------


def marking_for(*, actor, records=(), floor: str | None = None) -> Marking:
    """The marking of a page from the records it shows: their classifications and the
    codewords of their compartments, looked up in one query among those the actor is read
    into (so a page can never print a codeword its reader does not know)."""
    records = list(records)
    classifications = [value for value in (getattr(record, "classification", None) for record in records) if value]
    if floor:
        classifications.append(floor)
    compartment_ids = {
        record.pk if isinstance(record, Compartment) else getattr(record, "compartment_id", None) for record in records
    } - {None}
    compartments = list(access.visible(Compartment, actor).filter(pk__in=compartment_ids)) if compartment_ids else []
    return marking_of(classifications=classifications, compartments=compartments)


@dataclass(frozen=True, slots=True)
class CounterpartChannels:
    counterpart: Counterpart
    channels: list[Channel]


@dataclass(frozen=True, slots=True)
class Overview:
    by_counterpart: list[CounterpartChannels]
    requests_to_decide: list[ChannelRequest]
    follow_ups_due: list[FollowUp]

    @property
    def records(self) -> list:
        channels = [channel for group in self.by_counterpart for channel in group.channels]
        return [*channels, *self.requests_to_decide, *self.follow_ups_due]


def overview(*, actor) -> Overview:
    """The module's first page: the visible channels grouped by counterpart, the pending
    requests the actor may decide, and the actor's follow-ups due today or earlier."""
    from crisisdesk.diplomacy.services import may_decide  # the rank rule lives with the decision

    _require(actor)
    groups: dict[int, CounterpartChannels] = {}
    for channel in access.visible(Channel, actor).select_related("counterpart", "owner"):
        groups.setdefault(channel.counterpart_id, CounterpartChannels(channel.counterpart, [])).channels.append(channel)
    pending = [
        request
        for request in channel_requests(actor=actor, pending_only=True)
        if has_permission(actor, Permission.DIPLOMACY_DECIDE) and may_decide(actor, request)
    ]
    due = list(follow_up_queue(actor=actor).filter(due_on__lte=timezone.localdate()))
    return Overview(list(groups.values()), pending, due)


def official_detail(*, actor, official_id) -> Official:
    _require(actor)
    official = official_list(actor=actor).filter(pk=official_id).first()
    if official is None:
        raise Http404
    return official


def statement_detail(*, actor, statement_id) -> PublicStatement:
    _require(actor)
    statement = PublicStatement.objects.select_related("speaker__counterpart").filter(pk=statement_id).first()
    if statement is None:
        raise Http404
    return statement


def line_detail(*, actor, line_id) -> LineToTake:
    _require(actor)
    line = line_list(actor=actor).filter(pk=line_id).first()
    if line is None:
        raise Http404
    return line


# --- For the JSON API (added for diplomacy/api.py) --------------------------------------


def mediation_outcomes(*, actor, request: MediationRequest) -> list[MediationOutcomeChange]:
    """The outcome's history, oldest first: pending when asked, refused in October, …"""
    _require(actor)
    access.access_by_id(MediationRequest, actor, request.pk)
    return list(request.outcome_changes.select_related("recorded_by"))
