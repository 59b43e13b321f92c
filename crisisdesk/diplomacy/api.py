"""The diplomacy module over the JSON API (mounted at /api/v1/diplomacy/).

Endpoints parse their input, call one selector or service and return what it gives. Every
compartmented record is read through diplomacy/access.py (via the selectors), so a record in a
compartment the caller is not read into is answered exactly like one that does not exist
(docs/subsystems/access-control.md):

- A record in the path that is hidden or missing is 404 `not_found`. POSTs on a record load it
  *before* they read the body (`body_read` in `common/api_input.py` parses it inside the endpoint, after the load), so a
  hidden id and a missing one get the same 404 whatever is posted.
- A record named inside a body (a channel, a compartment, a mediation request) that is hidden
  or missing is 422 `not_found` on its field (`_visible_ref`).
- Lists, counts and pagination totals are taken on the scoped querysets.

A token whose role may not open the module is 403 `forbidden` before any input is read (the
mount in crisisdesk/api.py authenticates with `ApiTokenAuth(permission=DIPLOMACY_VIEW)`; the
selectors and services refuse such a role again, wherever the router is mounted). For roles that may, records outside their compartments are
404, never 403; an action their role does not allow on a record they can see is 403.

Each compartmented item carries its `marking`, and each response the highest marking of what
it carries (top-level `marking`).
"""

from datetime import date, datetime
from typing import Any, Literal
from uuid import UUID

from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.db import models
from django.http import Http404
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status
from pydantic import AwareDatetime

from crisisdesk.accounts.models import User
from crisisdesk.accounts.permissions import Permission, has_permission
from crisisdesk.common.api_input import body_documented, body_read
from crisisdesk.common.models import AuditEvent
from crisisdesk.common.origin import Origin, origin_from_request
from crisisdesk.diplomacy import access, selectors, services
from crisisdesk.diplomacy.errors import DiplomacyError, DiplomacyValidationError
from crisisdesk.diplomacy.models import (
    Approach,
    Channel,
    ChannelLevel,
    ChannelRequest,
    Classification,
    Compartment,
    ContactEntry,
    ContactForm,
    Counterpart,
    DiplomacyAuditEntry,
    FollowUp,
    MediationOutcome,
    MediationOutcomeChange,
    MediationRequest,
    Official,
    PublicStatement,
)

router = Router(tags=["diplomacy"])


def _origin(request) -> Origin:
    return origin_from_request(request, channel=AuditEvent.Channel.API)


def _require(request, permission: Permission) -> None:
    if not has_permission(request.auth, permission):
        raise PermissionDenied


def _choice(choices: type[models.TextChoices]) -> Any:
    """A Literal of the choices' values: an inline enum in OpenAPI (several classes are `Kind`)."""
    return Literal[tuple(choices.values)]


LevelCode = _choice(ChannelLevel)
ChannelStatusCode = _choice(Channel.Status)
RequestKindCode = _choice(ChannelRequest.Kind)
ClassificationCode = _choice(Classification)
ContactFormCode = _choice(ContactForm)
OutcomeCode = _choice(MediationOutcome)
MediationKindCode = _choice(MediationRequest.Kind)
ResponseCode = _choice(Approach.Response)
StanceCode = _choice(PublicStatement.Stance)


# --- References to other records inside a body ------------------------------------------


def _visible_ref(model: type, request, record_id: UUID | None, field: str):
    """A compartmented record named in a body, or None when none is named. Hidden and missing
    alike are 422 `not_found` on the field: the answer never says which."""
    if record_id is None:
        return None
    try:
        return access.access_by_id(model, request.auth, record_id)
    except Http404:
        raise DiplomacyValidationError(DiplomacyError.NOT_FOUND, field) from None


def _counterpart(counterpart_id: int | None, field: str) -> Counterpart | None:
    if counterpart_id is None:
        return None
    counterpart = Counterpart.objects.filter(pk=counterpart_id).first()
    if counterpart is None:
        raise DiplomacyValidationError(DiplomacyError.NOT_FOUND, field)
    return counterpart


def _counterparts(ids: list[int], field: str) -> list[Counterpart]:
    return [_counterpart(counterpart_id, field) for counterpart_id in dict.fromkeys(ids)]


def _officials(request, ids: list[int], field: str) -> list[Official]:
    found = {official.pk: official for official in selectors.official_list(actor=request.auth).filter(pk__in=ids)}
    if set(ids) - set(found):
        raise DiplomacyValidationError(DiplomacyError.NOT_FOUND, field)
    return [found[official_id] for official_id in dict.fromkeys(ids)]


def _official(request, official_id: int, field: str) -> Official:
    return _officials(request, [official_id], field)[0]


def _owner(username: str):
    """A follow-up's owner. An unknown name gets the answer of a user not read in (the service
    checks the read-in), so the answer does not tell which names exist."""
    user = User.objects.filter(username=username, is_active=True).first()
    if user is None:
        raise DiplomacyValidationError(DiplomacyError.OWNER_NOT_READ_IN, "owner")
    return user


# --- Markings ---------------------------------------------------------------------------


def _draws_on(record) -> tuple[list[str], list]:
    """The classifications and the compartment ids a record's content draws on: its own, and
    those of the records it hangs off (an entry shows its channel)."""
    if isinstance(record, selectors.TimelineItem):
        return _draws_on(record.record)
    if isinstance(record, Compartment):
        return [], [record.pk]
    if isinstance(record, Channel):
        return [], [record.compartment_id]
    if isinstance(record, ContactEntry):
        return [record.classification], [record.compartment_id, record.channel.compartment_id]
    if isinstance(record, FollowUp):
        return [record.entry.classification], [record.compartment_id, record.entry.compartment_id]
    if isinstance(record, ChannelRequest | MediationRequest):
        return [], [record.compartment_id, *([record.channel.compartment_id] if record.channel_id else [])]
    if isinstance(record, MediationOutcomeChange):
        return [], [record.request.compartment_id]
    if isinstance(record, Approach):
        ids = [record.compartment_id]
        ids += [record.channel.compartment_id] if record.channel_id else []
        ids += [record.request.compartment_id] if record.request_id else []
        return [], ids
    if isinstance(record, DiplomacyAuditEntry):
        return [], [record.compartment_id] if record.compartment_id else []
    return [], []  # the directory, statements and lines sit outside compartments


class Marker:
    """The markings of what one response carries. The reader's compartments are loaded once,
    so marking a page costs no query per record, and only their codewords can be printed."""

    def __init__(self, actor):
        self.compartments = {compartment.pk: compartment for compartment in access.visible(Compartment, actor)}

    def of(self, records=(), *, floor: str | None = None) -> selectors.Marking:
        classifications = [floor] if floor else []
        compartments = set()
        for record in records:
            levels, compartment_ids = _draws_on(record)
            classifications += levels
            for compartment_id in compartment_ids:
                compartment = self.compartments.get(compartment_id)
                if compartment is None:  # not expected: every record shown is in a read-in compartment
                    classifications.append(selectors.COMPARTMENTED_FLOOR)
                else:
                    compartments.add(compartment)
        return selectors.marking_of(classifications=classifications, compartments=compartments)

    def label(self, records=(), *, floor: str | None = None) -> str:
        return self.of(records, floor=floor).label


def _marker(request) -> Marker:
    """One marker per request, shared by the endpoint and the schemas' resolvers."""
    marker = getattr(request, "_diplomacy_marker", None)
    if marker is None:
        marker = request._diplomacy_marker = Marker(request.auth)
    return marker


def _paged(page: Page, marking: str, items=None) -> dict:
    return {
        "count": page.paginator.count,
        "page": page.number,
        "pages": page.paginator.num_pages,
        "marking": marking,
        "items": list(page.object_list) if items is None else items,
    }


def _page_of(rows, page_number: int) -> Page:
    return Paginator(rows, selectors.PAGE_SIZE).get_page(page_number)


# --- Output -----------------------------------------------------------------------------


class CompartmentRef(Schema):
    id: UUID
    codeword: str


class Marked(Schema):
    """A compartmented item: its compartment and its marking, both from the request's marker."""

    compartment: CompartmentRef
    marking: str = Field(description="the item's classification marking, e.g. 'SECRET // LANTERN'")

    @staticmethod
    def resolve_compartment(obj, context):
        return _marker(context["request"]).compartments[obj.compartment_id]

    @staticmethod
    def resolve_marking(obj, context) -> str:
        return _marker(context["request"]).label([obj])


class CounterpartRef(Schema):
    id: int
    name: str
    kind: str
    country: str
    is_own: bool


class OfficialRef(Schema):
    id: int
    name: str


class ChannelRef(Schema):
    id: UUID
    name: str


class PageOut(Schema):
    count: int = Field(description="all the items the caller may see, over every page")
    page: int
    pages: int
    marking: str = Field(description="the highest marking of the page's items")


class CompartmentOut(Schema):
    id: UUID
    codeword: str
    description: str
    members: int = Field(description="users read in now")
    marking: str

    @staticmethod
    def resolve_marking(obj, context) -> str:
        return _marker(context["request"]).label([obj])


class CompartmentListOut(Schema):
    marking: str
    items: list[CompartmentOut]


class CounterpartOut(CounterpartRef):
    channels: int = Field(alias="channels_visible", description="channels with it that the caller may see")


class CounterpartListOut(Schema):
    marking: str
    items: list[CounterpartOut]


class PostOut(Schema):
    title: str
    starts_on: date
    ends_on: date | None


class OfficialOut(Schema):
    id: int
    name: str
    counterpart: CounterpartRef
    posts: list[PostOut]


class OfficialListOut(Schema):
    marking: str
    items: list[OfficialOut]


class ChannelOut(Marked):
    id: UUID
    name: str
    counterpart: CounterpartRef
    level: str
    purpose: str
    status: str
    owner: str = Field(alias="owner.username")
    opened_at: datetime
    last_contact_at: datetime | None
    status_changed_at: datetime


class ChannelPageOut(PageOut):
    items: list[ChannelOut]


class ChannelBriefOut(Marked):
    id: UUID
    name: str
    level: str
    counterpart: CounterpartRef


class ChannelAutocompleteOut(Schema):
    marking: str
    items: list[ChannelBriefOut]


class FollowUpBriefOut(Marked):
    id: UUID
    action: str
    owner: str = Field(alias="owner.username")
    due_on: date
    done_at: datetime | None


class EntryOut(Marked):
    id: UUID
    channel: ChannelRef
    counterpart: CounterpartRef = Field(alias="channel.counterpart")
    occurred_at: datetime
    form: str
    intermediary: str
    own_participants: list[OfficialRef]
    their_participants: list[OfficialRef]
    summary: str
    classification: str
    recorded_by: str = Field(alias="recorded_by.username")
    recorded_at: datetime
    follow_ups: list[FollowUpBriefOut]


class EntryPageOut(PageOut):
    items: list[EntryOut]


class EntryRef(Schema):
    id: UUID
    occurred_at: datetime
    channel: ChannelRef
    counterpart: CounterpartRef = Field(alias="channel.counterpart")


class FollowUpOut(FollowUpBriefOut):
    entry: EntryRef
    done_by: str | None = Field(None, alias="done_by.username")
    created_at: datetime
    is_due: bool = Field(description="due today or earlier, and not done")

    @staticmethod
    def resolve_is_due(obj) -> bool:
        return obj.done_at is None and obj.due_on <= timezone.localdate()


class FollowUpPageOut(PageOut):
    items: list[FollowUpOut]


class ChannelRequestOut(Marked):
    id: UUID
    kind: str
    counterpart: CounterpartRef
    channel: ChannelRef | None
    name: str
    level: str
    purpose: str
    reason: str
    requested_by: str = Field(alias="requested_by.username")
    requested_at: datetime
    state: str
    decided_by: str | None = Field(None, alias="decided_by.username")
    decided_at: datetime | None
    decision_reason: str
    approver_rank: int = Field(description="the least diplomatic rank that may decide it")
    may_decide: bool = Field(description="whether the caller may decide it")

    @staticmethod
    def resolve_approver_rank(obj) -> int:
        return services.approver_rank_required(requester=obj.requested_by, level=obj.level)

    @staticmethod
    def resolve_may_decide(obj, context) -> bool:
        return obj.state == ChannelRequest.State.PENDING and services.may_decide(context["request"].auth, obj)


class ChannelRequestPageOut(PageOut):
    items: list[ChannelRequestOut]


class ChannelDetailOut(Schema):
    marking: str = Field(description="the highest marking of the channel, its entries and its requests")
    channel: ChannelOut
    entries: list[EntryOut] = Field(description="the latest contacts, newest first")
    requests: list[ChannelRequestOut]


class MediationOut(Marked):
    id: UUID
    kind: str
    requested_by: OfficialRef
    requested_of: OfficialRef
    parties: list[CounterpartRef]
    asked_on: date
    channel: ChannelRef | None
    summary: str
    outcome: str
    outcome_on: date | None
    recorded_at: datetime


class MediationPageOut(PageOut):
    items: list[MediationOut]


class OutcomeOut(Schema):
    outcome: str
    on: date
    note: str
    recorded_by: str = Field(alias="recorded_by.username")
    recorded_at: datetime


class TimelineItemOut(Schema):
    on: date
    kind: str = Field(description="contact, mediation_request, outcome, approach, approach_response, statement")
    id: str = Field(description="the record's id (for an outcome: its mediation request's)")
    summary: str
    by: str | None = Field(description="who spoke, asked or approached")
    to: str | None = Field(description="whom they spoke to, asked or approached")
    state: str | None = Field(description="the contact's form, the outcome, the response or the stance")
    channel: ChannelRef | None
    marking: str


class MediationDetailOut(Schema):
    marking: str
    request: MediationOut
    outcomes: list[OutcomeOut] = Field(description="the outcome's history, oldest first")
    chain: list[MediationOut] = Field(description="every making of this request, earliest first")
    timeline: list[TimelineItemOut] = Field(description="the chain's requests, outcomes and approaches, newest first")


class TimelineOut(Schema):
    marking: str
    counterpart: CounterpartRef
    items: list[TimelineItemOut]


class ApproachOut(Marked):
    id: UUID
    request: UUID | None = Field(description="the mediation request it was made for")
    approached_by: OfficialRef
    approached: OfficialRef
    on_behalf_of: CounterpartRef | None
    on: date
    channel: ChannelRef | None
    summary: str
    response: str
    response_on: date | None
    response_note: str

    @staticmethod
    def resolve_request(obj) -> UUID | None:
        return obj.request_id


class StatementOut(Schema):
    id: int
    speaker: OfficialRef
    counterpart: CounterpartRef = Field(alias="speaker.counterpart")
    outlet: str
    said_on: date
    quote: str
    topics: list[str]
    stance: str
    source_url: str
    adherence: str


class LineBriefOut(Schema):
    id: int
    topic: str
    text: str
    valid_from: date
    valid_until: date | None
    approved_by: str | None = Field(None, alias="approved_by.username")


class LineOut(LineBriefOut):
    drafted_by: str = Field(alias="drafted_by.username")
    drafted_at: datetime
    approved_at: datetime | None


class StatementRowOut(Schema):
    statement: StatementOut
    lines: list[LineBriefOut] = Field(description="approved lines valid that day on its topics (own officials only)")


class StatementPageOut(PageOut):
    items: list[StatementRowOut]


class LineListOut(Schema):
    marking: str
    items: list[LineOut]


class AuditRowOut(Schema):
    # No sequence number or hash: gaps in the sequence would count the rows left out.
    at: datetime
    actor: str = Field(alias="actor_label")
    action: str
    via: str = Field(alias="channel")
    ip_address: str | None
    target_type: str
    target_id: str
    compartment: CompartmentRef | None
    changes: dict[str, Any]
    marking: str

    @staticmethod
    def resolve_compartment(obj, context):
        return _marker(context["request"]).compartments.get(obj.compartment_id) if obj.compartment_id else None

    @staticmethod
    def resolve_marking(obj, context) -> str:
        return _marker(context["request"]).label([obj])


class AuditPageOut(PageOut):
    items: list[AuditRowOut]


# Lines and the statements beside them are guidance for our spokespeople: not public.
RESTRICTED = Classification.RESTRICTED


# --- Compartments and the directory -----------------------------------------------------


@router.get("/compartments", response=CompartmentListOut, url_name="diplomacy_compartments")
def compartment_list(request):
    """The compartments the caller is read into (nobody learns of the others)."""
    compartments = list(selectors.compartment_list(actor=request.auth))
    return {"marking": _marker(request).label(compartments), "items": compartments}


@router.get("/counterparts", response=CounterpartListOut, url_name="diplomacy_counterparts")
def counterpart_list(request):
    """States and organisations, each with the number of its channels the caller may see."""
    counterparts = list(selectors.counterpart_list(actor=request.auth))
    # The counts draw on the compartments of the channels counted.
    counted = access.visible(Channel, request.auth).order_by().values_list("compartment_id", flat=True).distinct()
    compartments = [_marker(request).compartments[compartment_id] for compartment_id in counted]
    return {"marking": _marker(request).label(compartments), "items": counterparts}


@router.get(
    "/counterparts/{int:counterpart_id}/timeline", response=TimelineOut, url_name="diplomacy_counterpart_timeline"
)
def counterpart_timeline(request, counterpart_id: int):
    """Everything the caller may see that involves the counterpart, newest first."""
    counterpart, items = selectors.counterpart_timeline(
        actor=request.auth, origin=_origin(request), counterpart_id=counterpart_id
    )
    marker = _marker(request)
    return {
        "marking": marker.label(items),
        "counterpart": counterpart,
        "items": [_timeline_row(item, marker) for item in items],
    }


def _timeline_row(item: selectors.TimelineItem, marker: Marker) -> dict:
    record = item.record
    row = {
        "on": item.on,
        "kind": item.kind,
        "id": str(record.pk),
        "summary": "",
        "by": None,
        "to": None,
        "state": None,
        "channel": None,
        "marking": marker.label([item]),
    }
    if isinstance(record, ContactEntry):
        row |= {
            "summary": record.summary,
            "by": ", ".join(official.name for official in record.own_participants.all()),
            "to": ", ".join(official.name for official in record.their_participants.all()),
            "state": record.form,
            "channel": record.channel,
        }
    elif isinstance(record, MediationRequest):
        row |= {
            "summary": record.summary,
            "by": record.requested_by.name,
            "to": record.requested_of.name,
            "state": record.outcome,
            "channel": record.channel,
        }
    elif isinstance(record, MediationOutcomeChange):
        row |= {"id": str(record.request_id), "summary": record.note, "state": record.outcome}
    elif isinstance(record, Approach) and item.kind == "approach_response":
        row |= {
            "summary": record.response_note,
            "by": record.approached.name,
            "to": record.approached_by.name,
            "state": record.response,
            "channel": record.channel,
        }
    elif isinstance(record, Approach):
        row |= {
            "summary": record.summary,
            "by": record.approached_by.name,
            "to": record.approached.name,
            "state": record.response,
            "channel": record.channel,
        }
    elif isinstance(record, PublicStatement):
        row |= {"summary": record.quote, "by": record.speaker.name, "state": record.stance}
    return row


class OfficialQuery(Schema):
    counterpart: int | None = None
    q: str = Field("", max_length=100)


@router.get("/officials", response=OfficialListOut, url_name="diplomacy_officials")
def official_list(request, query: Query[OfficialQuery]):
    """The directory of officials, each with the posts they held and hold."""
    officials = selectors.official_list(actor=request.auth, counterpart_id=query.counterpart, q=query.q.strip())
    return {"marking": _marker(request).label(), "items": list(officials)}


# --- Channels ---------------------------------------------------------------------------


class ChannelQuery(Schema):
    counterpart: int | None = None
    status: ChannelStatusCode | None = None
    level: LevelCode | None = None
    q: str = Field("", max_length=100, description="in the name and the purpose")
    page: int = Field(1, ge=1)


@router.get("/channels", response=ChannelPageOut, url_name="diplomacy_channels")
def channel_list(request, query: Query[ChannelQuery]):
    """The channels the caller may see, 25 a page."""
    filters = selectors.ChannelFilters(
        counterpart_id=query.counterpart, status=query.status or "", level=query.level or "", q=query.q.strip()
    )
    page = selectors.channel_page(actor=request.auth, origin=_origin(request), filters=filters, page_number=query.page)
    return _paged(page, _marker(request).label(page.object_list))


@router.get("/channels/autocomplete", response=ChannelAutocompleteOut, url_name="diplomacy_channel_autocomplete")
def channel_autocomplete(request, q: str = Query("", max_length=100)):
    """Up to ten channels whose name has a word starting with `q`."""
    channels = selectors.channel_autocomplete(actor=request.auth, q=q)
    return {"marking": _marker(request).label(channels), "items": channels}


@router.get("/channels/{uuid:channel_id}", response=ChannelDetailOut, url_name="diplomacy_channel")
def channel_detail(request, channel_id: UUID):
    """A channel with its latest contacts and its requests."""
    channel = selectors.channel_detail(actor=request.auth, origin=_origin(request), channel_id=channel_id)
    entries = selectors.channel_entries(actor=request.auth, channel=channel)
    requests = list(selectors.channel_requests(actor=request.auth, channel=channel))
    follow_ups = [follow_up for entry in entries for follow_up in entry.follow_ups.all()]
    return {
        "marking": _marker(request).label([channel, *entries, *follow_ups, *requests]),
        "channel": channel,
        "entries": entries,
        "requests": requests,
    }


# --- Channel requests -------------------------------------------------------------------


class ChannelRequestIn(Schema):
    kind: RequestKindCode
    compartment: UUID = Field(description="a compartment the caller is read into")
    level: LevelCode = Field(description="the level asked for")
    reason: str = Field(max_length=5000)
    counterpart: int | None = Field(None, description="to open a channel; others take the channel's")
    channel: UUID | None = Field(None, description="to escalate or reopen")
    name: str = Field("", max_length=150, description="to open a channel")
    purpose: str = Field("", max_length=5000, description="to open a channel")


@router.post("/channel-requests", response={201: ChannelRequestOut}, url_name="diplomacy_channel_request_submit")
def channel_request_submit(request, payload: ChannelRequestIn):
    """Ask to open, escalate or reopen a channel. A role above the requester's decides."""
    compartment = _visible_ref(Compartment, request, payload.compartment, "compartment")
    channel = _visible_ref(Channel, request, payload.channel, "channel")
    counterpart = _counterpart(payload.counterpart, "counterpart")
    if payload.kind == ChannelRequest.Kind.OPEN and counterpart is None:
        raise DiplomacyValidationError(DiplomacyError.TEXT_REQUIRED, "counterpart")
    channel_request = services.channel_request_submit(
        actor=request.auth,
        origin=_origin(request),
        kind=payload.kind,
        compartment=compartment,
        counterpart=counterpart or (channel.counterpart if channel else None),
        level=payload.level,
        reason=payload.reason,
        channel=channel,
        name=payload.name,
        purpose=payload.purpose,
    )
    return Status(201, channel_request)


class ChannelRequestQuery(Schema):
    pending: bool = Field(False, description="only the requests still to decide")
    page: int = Field(1, ge=1)


@router.get("/channel-requests", response=ChannelRequestPageOut, url_name="diplomacy_channel_requests")
def channel_request_list(request, query: Query[ChannelRequestQuery]):
    requests = selectors.channel_requests(actor=request.auth, pending_only=query.pending)
    page = _page_of(requests, query.page)
    return _paged(page, _marker(request).label(page.object_list))


@router.get(
    "/channel-requests/{uuid:channel_request_id}", response=ChannelRequestOut, url_name="diplomacy_channel_request"
)
def channel_request_detail(request, channel_request_id: UUID):
    return selectors.channel_request_detail(actor=request.auth, request_id=channel_request_id)


class DecisionIn(Schema):
    approve: bool
    reason: str = Field(max_length=5000)


@router.post(
    "/channel-requests/{uuid:channel_request_id}/decision",
    response=ChannelRequestOut,
    url_name="diplomacy_channel_request_decide",
    openapi_extra=body_documented(DecisionIn),
)
def channel_request_decide(request, channel_request_id: UUID):
    """Approve or reject, with a reason. 422 `rank_too_low` when the request needs a more senior
    decider, `own_request` for one's own. Approval opens, escalates or reopens the channel."""
    channel_request = selectors.channel_request_detail(actor=request.auth, request_id=channel_request_id)
    _require(request, Permission.DIPLOMACY_DECIDE)
    payload = body_read(request, DecisionIn)
    return services.channel_request_decide(
        actor=request.auth,
        origin=_origin(request),
        request=channel_request,
        approve=payload.approve,
        reason=payload.reason,
    )


# --- The contact log --------------------------------------------------------------------


class EntryQuery(Schema):
    q: str = Field("", max_length=100, description="in the summary and the channel's name")
    channel: UUID | None = None
    counterpart: int | None = None
    classification: ClassificationCode | None = None
    since: date | None = None
    until: date | None = None
    page: int = Field(1, ge=1)


@router.get("/entries", response=EntryPageOut, url_name="diplomacy_entries")
def entry_list(request, query: Query[EntryQuery]):
    """The contact log, newest first, 25 a page."""
    filters = selectors.EntryFilters(
        q=query.q.strip(),
        channel_id=str(query.channel) if query.channel else "",
        counterpart_id=query.counterpart,
        classification=query.classification or "",
        since=query.since,
        until=query.until,
    )
    page = selectors.entry_page(actor=request.auth, origin=_origin(request), filters=filters, page_number=query.page)
    follow_ups = [follow_up for entry in page.object_list for follow_up in entry.follow_ups.all()]
    return _paged(page, _marker(request).label([*page.object_list, *follow_ups]))


class FollowUpIn(Schema):
    action: str = Field(max_length=5000)
    owner: str = Field(max_length=150, description="the username of someone read into the compartment")
    due_on: date


class EntryIn(Schema):
    channel: UUID
    occurred_at: AwareDatetime
    form: ContactFormCode
    summary: str = Field(max_length=20000)
    classification: ClassificationCode
    own_participants: list[int] = Field([], max_length=50, description="ids of our officials")
    their_participants: list[int] = Field([], max_length=50, description="ids of the counterpart's officials")
    intermediary: str = Field("", max_length=150)
    compartment: UUID | None = Field(None, description="default: the channel's")
    follow_ups: list[FollowUpIn] = Field([], max_length=20)


@router.post("/entries", response={201: EntryOut}, url_name="diplomacy_entry_log")
def entry_log(request, payload: EntryIn):
    """Log a contact, with its follow-ups. A dormant channel is open again; a closed one is 422."""
    entry = services.contact_log(
        actor=request.auth,
        origin=_origin(request),
        channel=_visible_ref(Channel, request, payload.channel, "channel"),
        compartment=_visible_ref(Compartment, request, payload.compartment, "compartment"),
        occurred_at=payload.occurred_at,
        form=payload.form,
        summary=payload.summary,
        classification=payload.classification,
        own_participants=_officials(request, payload.own_participants, "own_participants"),
        their_participants=_officials(request, payload.their_participants, "their_participants"),
        intermediary=payload.intermediary,
        follow_ups=[
            services.FollowUpInput(action=item.action, owner=_owner(item.owner), due_on=item.due_on)
            for item in payload.follow_ups
        ],
    )
    return Status(201, entry)


@router.get("/entries/{uuid:entry_id}", response=EntryOut, url_name="diplomacy_entry")
def entry_detail(request, entry_id: UUID):
    return selectors.entry_detail(actor=request.auth, origin=_origin(request), entry_id=entry_id)


# --- Follow-ups -------------------------------------------------------------------------


class FollowUpQuery(Schema):
    due: bool = Field(False, description="only those due today or earlier")
    page: int = Field(1, ge=1)


@router.get("/follow-ups", response=FollowUpPageOut, url_name="diplomacy_follow_ups")
def follow_up_list(request, query: Query[FollowUpQuery]):
    """The caller's own open follow-ups, soonest due first."""
    follow_ups = selectors.follow_up_queue(actor=request.auth, due_only=query.due)
    page = _page_of(follow_ups, query.page)
    return _paged(page, _marker(request).label(page.object_list))


class FollowUpAddIn(FollowUpIn):
    compartment: UUID | None = Field(None, description="default: the entry's")


@router.post(
    "/entries/{uuid:entry_id}/follow-ups",
    response={201: FollowUpOut},
    url_name="diplomacy_follow_up_add",
    openapi_extra=body_documented(FollowUpAddIn),
)
def follow_up_add(request, entry_id: UUID):
    entry = access.access_by_id(ContactEntry, request.auth, entry_id)
    _require(request, Permission.DIPLOMACY_LOG)
    payload = body_read(request, FollowUpAddIn)
    follow_up = services.follow_up_add(
        actor=request.auth,
        origin=_origin(request),
        entry=entry,
        compartment=_visible_ref(Compartment, request, payload.compartment, "compartment"),
        action=payload.action,
        owner=_owner(payload.owner),
        due_on=payload.due_on,
    )
    return Status(201, follow_up)


@router.get("/follow-ups/{uuid:follow_up_id}", response=FollowUpOut, url_name="diplomacy_follow_up")
def follow_up_detail(request, follow_up_id: UUID):
    return selectors.follow_up_detail(actor=request.auth, follow_up_id=follow_up_id)


@router.post("/follow-ups/{uuid:follow_up_id}/done", response=FollowUpOut, url_name="diplomacy_follow_up_done")
def follow_up_done(request, follow_up_id: UUID):
    follow_up = selectors.follow_up_detail(actor=request.auth, follow_up_id=follow_up_id)
    return services.follow_up_complete(actor=request.auth, origin=_origin(request), follow_up=follow_up)


# --- The mediation track ----------------------------------------------------------------


class MediationQuery(Schema):
    outcome: OutcomeCode | None = None
    page: int = Field(1, ge=1)


@router.get("/mediation-requests", response=MediationPageOut, url_name="diplomacy_mediation_requests")
def mediation_list(request, query: Query[MediationQuery]):
    page = selectors.mediation_list(actor=request.auth, outcome=query.outcome or "", page_number=query.page)
    return _paged(page, _marker(request).label(page.object_list))


class MediationIn(Schema):
    compartment: UUID
    kind: MediationKindCode
    requested_by: int = Field(description="the official who asked")
    requested_of: int = Field(description="the official asked")
    parties: list[int] = Field(min_length=2, max_length=20, description="counterparts between whom")
    asked_on: date
    channel: UUID | None = None
    summary: str = Field("", max_length=20000)
    repeat_of: UUID | None = Field(None, description="the earlier making of the same request")


@router.post("/mediation-requests", response={201: MediationOut}, url_name="diplomacy_mediation_record")
def mediation_record(request, payload: MediationIn):
    """Record who asked whom to mediate or host talks between which parties. The outcome starts
    as pending."""
    mediation = services.mediation_request_record(
        actor=request.auth,
        origin=_origin(request),
        compartment=_visible_ref(Compartment, request, payload.compartment, "compartment"),
        kind=payload.kind,
        requested_by=_official(request, payload.requested_by, "requested_by"),
        requested_of=_official(request, payload.requested_of, "requested_of"),
        parties=_counterparts(payload.parties, "parties"),
        asked_on=payload.asked_on,
        channel=_visible_ref(Channel, request, payload.channel, "channel"),
        summary=payload.summary,
        repeat_of=_visible_ref(MediationRequest, request, payload.repeat_of, "repeat_of"),
    )
    return Status(201, mediation)


@router.get(
    "/mediation-requests/{uuid:mediation_request_id}", response=MediationDetailOut, url_name="diplomacy_mediation"
)
def mediation_detail(request, mediation_request_id: UUID):
    """A mediation request with its outcome's history, every making of it the caller may see,
    and the timeline of them all with their approaches."""
    mediation = selectors.mediation_detail(actor=request.auth, origin=_origin(request), request_id=mediation_request_id)
    outcomes = selectors.mediation_outcomes(actor=request.auth, request=mediation)
    chain = selectors.request_chain(actor=request.auth, request=mediation)
    timeline = selectors.request_timeline(actor=request.auth, request=mediation)
    marker = _marker(request)
    return {
        "marking": marker.label([*chain, *timeline]),
        "request": mediation,
        "outcomes": outcomes,
        "chain": chain,
        "timeline": [_timeline_row(item, marker) for item in timeline],
    }


class OutcomeIn(Schema):
    outcome: OutcomeCode
    on: date
    note: str = Field("", max_length=5000)


@router.post(
    "/mediation-requests/{uuid:mediation_request_id}/outcome",
    response=MediationOut,
    url_name="diplomacy_mediation_outcome",
    openapi_extra=body_documented(OutcomeIn),
)
def mediation_outcome(request, mediation_request_id: UUID):
    """A new outcome, kept beside the earlier ones; the request shows the latest."""
    mediation = access.access_by_id(MediationRequest, request.auth, mediation_request_id)
    _require(request, Permission.DIPLOMACY_LOG)
    payload = body_read(request, OutcomeIn)
    return services.mediation_outcome_set(
        actor=request.auth,
        origin=_origin(request),
        request=mediation,
        outcome=payload.outcome,
        on=payload.on,
        note=payload.note,
    )


class ApproachIn(Schema):
    approached_by: int = Field(description="the official who made the approach")
    approached: int = Field(description="the official approached")
    on: date
    compartment: UUID | None = Field(None, description="default: the mediation request's")
    request: UUID | None = Field(None, description="the mediation request it is made for")
    on_behalf_of: int | None = Field(None, description="a counterpart")
    channel: UUID | None = None
    summary: str = Field("", max_length=20000)
    response: ResponseCode = Approach.Response.AWAITED
    response_on: date | None = None
    response_note: str = Field("", max_length=5000)


@router.post("/approaches", response={201: ApproachOut}, url_name="diplomacy_approach_record")
def approach_record(request, payload: ApproachIn):
    approach = services.approach_record(
        actor=request.auth,
        origin=_origin(request),
        approached_by=_official(request, payload.approached_by, "approached_by"),
        approached=_official(request, payload.approached, "approached"),
        on=payload.on,
        compartment=_visible_ref(Compartment, request, payload.compartment, "compartment"),
        request=_visible_ref(MediationRequest, request, payload.request, "request"),
        on_behalf_of=_counterpart(payload.on_behalf_of, "on_behalf_of"),
        channel=_visible_ref(Channel, request, payload.channel, "channel"),
        summary=payload.summary,
        response=payload.response,
        response_on=payload.response_on,
        response_note=payload.response_note,
    )
    return Status(201, approach)


@router.get("/approaches/{uuid:approach_id}", response=ApproachOut, url_name="diplomacy_approach")
def approach_detail(request, approach_id: UUID):
    return selectors.approach_detail(actor=request.auth, approach_id=approach_id)


class ApproachResponseIn(Schema):
    response: ResponseCode
    on: date
    note: str = Field("", max_length=5000)


@router.post(
    "/approaches/{uuid:approach_id}/response",
    response=ApproachOut,
    url_name="diplomacy_approach_response",
    openapi_extra=body_documented(ApproachResponseIn),
)
def approach_response(request, approach_id: UUID):
    approach = selectors.approach_detail(actor=request.auth, approach_id=approach_id)
    _require(request, Permission.DIPLOMACY_LOG)
    payload = body_read(request, ApproachResponseIn)
    return services.approach_response_set(
        actor=request.auth,
        origin=_origin(request),
        approach=approach,
        response=payload.response,
        on=payload.on,
        note=payload.note,
    )


# --- Public statements and lines-to-take ------------------------------------------------


class StatementQuery(Schema):
    topic: str = Field("", max_length=60)
    page: int = Field(1, ge=1)


@router.get("/statements", response=StatementPageOut, url_name="diplomacy_statements")
def statement_list(request, query: Query[StatementQuery]):
    """Public statements, newest first, each of our officials' beside the lines valid that day:
    whether it kept to the line can be read off the row."""
    page, rows = selectors.statement_rows(actor=request.auth, topic=query.topic.strip(), page_number=query.page)
    items = [{"statement": row.statement, "lines": row.lines} for row in rows]
    return _paged(page, _marker(request).label(floor=RESTRICTED), items)


class StatementIn(Schema):
    speaker: int = Field(description="an official's id")
    outlet: str = Field(max_length=120, description="e.g. a broadcaster")
    said_on: date
    quote: str = Field(max_length=20000)
    stance: StanceCode
    topics: list[str] = Field([], max_length=20)
    source_url: str = Field("", max_length=200)


@router.post("/statements", response={201: StatementOut}, url_name="diplomacy_statement_log")
def statement_log(request, payload: StatementIn):
    statement = services.statement_log(
        actor=request.auth,
        origin=_origin(request),
        speaker=_official(request, payload.speaker, "speaker"),
        outlet=payload.outlet,
        said_on=payload.said_on,
        quote=payload.quote,
        stance=payload.stance,
        topics=payload.topics,
        source_url=payload.source_url,
    )
    return Status(201, statement)


@router.get("/lines", response=LineListOut, url_name="diplomacy_lines")
def line_list(request):
    """Lines-to-take, drafts and approved ones, by topic."""
    return {"marking": _marker(request).label(floor=RESTRICTED), "items": list(selectors.line_list(actor=request.auth))}


class LineIn(Schema):
    topic: str = Field(max_length=60)
    text: str = Field(max_length=20000)
    valid_from: date
    valid_until: date | None = None


@router.post("/lines", response={201: LineOut}, url_name="diplomacy_line_draft")
def line_draft(request, payload: LineIn):
    """Draft a line. It applies once someone else approves it."""
    line = services.line_draft(
        actor=request.auth,
        origin=_origin(request),
        topic=payload.topic,
        text=payload.text,
        valid_from=payload.valid_from,
        valid_until=payload.valid_until,
    )
    return Status(201, line)


@router.post("/lines/{int:line_id}/approval", response=LineOut, url_name="diplomacy_line_approve")
def line_approve(request, line_id: int):
    line = selectors.line_detail(actor=request.auth, line_id=line_id)
    return services.line_approve(actor=request.auth, origin=_origin(request), line=line)


# --- The module's audit trail -----------------------------------------------------------


class AuditQuery(Schema):
    page: int = Field(1, ge=1)


@router.get("/audit", response=AuditPageOut, url_name="diplomacy_audit")
def audit_page(request, query: Query[AuditQuery]):
    """The module's audit trail, newest first, 100 a page: rows about records outside any
    compartment and about those the caller is read into."""
    _require(request, Permission.DIPLOMACY_AUDIT_VIEW)
    page = selectors.audit_page(actor=request.auth, origin=_origin(request), page_number=query.page)
    rows = list(page.object_list)
    return _paged(page, _marker(request).label(rows), rows)
