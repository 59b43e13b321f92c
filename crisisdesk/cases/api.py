"""Immigration requests over the JSON API (mounted at /api/v1/cases).

Endpoints parse their input, call one selector or service and return what it gives; the
scope and the guards live in cases/selectors.py and cases/services.py.

The order of the answers, so that what a caller learns never depends on what they sent:

1. no token, or a bad one: 401 `not_authenticated`;
2. a role without the module (`case.view`; `case.intake` for POST /cases): 403 `forbidden`,
   before the path, the query or the body is read. The queries and bodies are therefore
   read inside the endpoints (`common/api_input.py`: `query_read`, `body_read`), not declared in their signatures (ninja
   would validate those first); OpenAPI documents them all the same;
3. a case in the path that is missing or outside the caller's scope (a case officer and a
   colleague's case): 404 `not_found`, the same for both;
4. an action the role may not take on a case it can see (a case officer assigning): 403;
5. a malformed query or body: 422 `invalid` with its field; a record named in a body that
   does not exist: 422 `not_found` on its field;
6. a guard of the services (a decision without a reason, a rejection confirmed by its own
   proposer, travel before an approval…): 422 with the guard's code from cases/errors.py;
   a change made meanwhile by someone else (`version`): 409 `stale`.

Every call, read or write, leaves an audit row with channel "api" (the selectors and
services write it). The timeline's notes are internal: this API is for staff only.
"""

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

import pydantic
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError
from django.http import HttpResponse
from django.utils.http import content_disposition_header
from ninja import Field, Router, Schema, Status
from pydantic import model_validator

from crisisdesk.accounts.models import User
from crisisdesk.accounts.permissions import Permission, has_permission
from crisisdesk.border.models import Post
from crisisdesk.cases import selectors, services
from crisisdesk.cases.errors import CaseError, CaseValidationError
from crisisdesk.cases.models import (
    DECISION_OUTCOMES,
    Case,
    CaseDocument,
    CaseEvent,
    CaseMember,
    EligibilityBasis,
    RequestType,
    Stage,
)
from crisisdesk.common.api_input import body_documented, body_read, query_documented, query_read
from crisisdesk.common.models import AuditEvent
from crisisdesk.common.origin import Origin, origin_from_request
from crisisdesk.registry.models import Person
from crisisdesk.registry.schemas import PersonCreateIn

router = Router(tags=["cases"])

P = Permission
DEFAULT_REQUEST_TYPE = "immigration"
MAX_FAMILY = 29  # with the applicant, 30 people on one request, as at the border desk

StageCode = Literal[tuple(Stage.values)]
OutcomeCode = Literal[tuple(stage.value for stage in DECISION_OUTCOMES)]
OriginCode = Literal[tuple(Case.Origin.values)]
FamilyRole = Literal[tuple(role for role in CaseMember.Role.values if role != CaseMember.Role.APPLICANT)]
QueueCode = Literal["mine", "pool", "reviews", "all"]


def _origin(request) -> Origin:
    return origin_from_request(request, channel=AuditEvent.Channel.API)


def _require(request, permission: Permission) -> None:
    if not has_permission(request.auth, permission):
        raise PermissionDenied


def _case(request, case_id: int, permission: Permission) -> Case:
    """The case in the path, for an action that needs `permission`: the module first (403),
    then the case in scope (404), then the action's own permission (403)."""
    _require(request, P.CASE_VIEW)
    case = selectors.case_get(actor=request.auth, case_id=case_id)
    _require(request, permission)
    return case


# --- Input read after the checks --------------------------------------------------------


# --- Output -----------------------------------------------------------------------------


class CodeName(Schema):
    id: int
    code: str
    name: str


class PostRef(Schema):
    id: int
    name: str
    city: str


class ApplicantOut(Schema):
    person_id: int
    given_name: str = Field(alias="person.given_name")
    family_name: str = Field(alias="person.family_name")


def _username(user) -> str | None:
    return user.get_username() if user is not None else None


class CaseRowOut(Schema):
    """A row of a queue or a card of the board."""

    id: int
    reference: str
    request_type: CodeName
    basis: CodeName | None
    origin: str
    priority: int = Field(description="0 normal, 1 high, 2 urgent")
    stage: str
    stage_entered_at: datetime
    days_in_stage: int
    ageing: bool = Field(description="longer in its stage than the limit set for that stage")
    officer: str | None = Field(description="the assigned officer's username; null in the pool")
    post: PostRef | None
    applicants: list[ApplicantOut]
    member_count: int = Field(description="the applicant and the family members")
    rejection_pending: bool = Field(description="a rejection is proposed and waits for a second officer")
    version: int

    @staticmethod
    def resolve_days_in_stage(obj) -> int:
        return obj.days_in_stage()

    @staticmethod
    def resolve_ageing(obj) -> bool:
        return obj.is_ageing()

    @staticmethod
    def resolve_officer(obj) -> str | None:
        return _username(obj.officer)

    @staticmethod
    def resolve_rejection_pending(obj) -> bool:
        return obj.rejection_proposed_by_id is not None


class CasePageOut(Schema):
    count: int = Field(description="the cases matching the filters in the caller's scope, over every page")
    page: int
    pages: int
    items: list[CaseRowOut]


class BoardColumnOut(Schema):
    stage: str
    label: str
    total: int
    ageing: int
    cases: list[CaseRowOut] = Field(description="one page of the column, most urgent first")


class BoardOut(Schema):
    request_type: CodeName
    page: int = Field(description="the page shown of every column")
    page_size: int
    columns: list[BoardColumnOut]


class MemberOut(Schema):
    id: int
    person_id: int
    role: str
    given_name: str = Field(alias="person.given_name")
    family_name: str = Field(alias="person.family_name")
    birth_year: int | None = Field(alias="person.birth_year")


class TimelineEventOut(Schema):
    at: datetime
    kind: str
    actor: str = Field(alias="actor_label")
    from_stage: str
    to_stage: str
    seconds_in_stage: int | None
    note: str = Field(description="internal: never shown to the applicant")
    data: dict[str, Any]


class DocumentOut(Schema):
    id: int
    kind: str
    member_id: int | None
    display_name: str
    content_type: str = Field(description="detected from the content")
    size: int
    sha256: str
    state: str
    uploaded_at: datetime
    uploaded_by: str | None
    by_applicant: bool

    @staticmethod
    def resolve_uploaded_by(obj) -> str | None:
        return _username(obj.uploaded_by)


class CaseDetailOut(Schema):
    id: int
    reference: str
    request_type: CodeName
    pipeline: list[str]
    basis: CodeName | None
    basis_note: str
    origin: str
    language: str
    priority: int
    stage: str
    stage_entered_at: datetime
    days_in_stage: int
    ageing: bool
    officer: str | None
    post: PostRef | None
    decision: str
    decision_reason: str
    decided_by: str | None
    decided_at: datetime | None
    rejection_proposed_by: str | None
    rejection_reason: str
    created_at: datetime
    version: int
    members: list[MemberOut]
    timeline: list[TimelineEventOut] = Field(description="oldest first, with the internal notes")
    documents: list[DocumentOut] = Field(description="metadata only; the file is GET …/documents/{id}")
    missing_documents: list[str] = Field(description="kinds of the checklist with no document received yet")

    @staticmethod
    def resolve_pipeline(obj) -> list[str]:
        return obj.request_type.stages()

    @staticmethod
    def resolve_days_in_stage(obj) -> int:
        return obj.days_in_stage()

    @staticmethod
    def resolve_ageing(obj) -> bool:
        return obj.is_ageing()

    @staticmethod
    def resolve_officer(obj) -> str | None:
        return _username(obj.officer)

    @staticmethod
    def resolve_decided_by(obj) -> str | None:
        return _username(obj.decided_by)

    @staticmethod
    def resolve_rejection_proposed_by(obj) -> str | None:
        return _username(obj.rejection_proposed_by)

    @staticmethod
    def resolve_members(obj) -> list[CaseMember]:
        return list(obj.members.all())

    @staticmethod
    def resolve_timeline(obj) -> list[CaseEvent]:
        return list(obj.events.all())

    @staticmethod
    def resolve_documents(obj) -> list[CaseDocument]:
        return list(obj.documents.all())

    @staticmethod
    def resolve_missing_documents(obj) -> list[str]:
        return services.document_kinds_missing(obj)


class CaseStateOut(Schema):
    """Where a case stands after an action."""

    id: int
    reference: str
    stage: str
    officer: str | None
    priority: int
    decision: str
    rejection_pending: bool
    version: int

    @staticmethod
    def resolve_officer(obj) -> str | None:
        return _username(obj.officer)

    @staticmethod
    def resolve_rejection_pending(obj) -> bool:
        return obj.rejection_proposed_by_id is not None


class CaseOpenedOut(Schema):
    case: CaseStateOut
    created: bool = Field(description="false when this submission_key had opened the case before")
    status_token: str = Field(
        description="the applicant's private status link token, given only when the case is opened; hand it over"
    )


class NoteOut(Schema):
    id: int
    at: datetime
    kind: str
    actor: str = Field(alias="actor_label")
    note: str


class StageTimesOut(Schema):
    stage: str
    label: str
    open_now: int
    median_days: float | None
    p90_days: float | None


class DecisionDayOut(Schema):
    day: str
    approved: int
    rejected: int
    withdrawn: int


class ReportOut(Schema):
    total_open: int
    by_stage: list[StageTimesOut]
    decisions_per_day: list[DecisionDayOut]


# --- Queries ----------------------------------------------------------------------------


class _FilterQuery(Schema):
    model_config = pydantic.ConfigDict(extra="forbid")

    queue: QueueCode = Field("all", description="mine, pool, reviews (rejections others proposed), all in scope")
    priority: int | None = Field(None, ge=0, le=2)
    post_id: int | None = None
    basis_id: int | None = None
    min_days_in_stage: int | None = Field(None, ge=0, le=3650)
    ageing_only: bool = False
    q: str = Field("", max_length=40, description="a case reference, with or without C-")


class CaseListQuery(_FilterQuery):
    stage: StageCode | None = None
    request_type_id: int | None = None
    include_closed: bool = Field(
        False, description="also rejected, withdrawn and arrived (a stage filter includes them)"
    )
    page: int = Field(1, ge=1)

    def filters(self) -> selectors.CaseFilters:
        return selectors.CaseFilters(
            queue=self.queue,
            stage=self.stage or "",
            priority=self.priority,
            post_id=self.post_id,
            basis_id=self.basis_id,
            request_type_id=self.request_type_id,
            min_days_in_stage=self.min_days_in_stage,
            ageing_only=self.ageing_only,
            include_closed=self.include_closed,
            q=self.q,
        )


class BoardQuery(_FilterQuery):
    request_type_id: int | None = Field(None, description="whose pipeline gives the columns; default: immigration")
    page: int = Field(1, ge=1, description="the page of every column")


class ReportQuery(Schema):
    model_config = pydantic.ConfigDict(extra="forbid")

    days: int = Field(14, ge=1, le=366, description="decisions per day over this many days")


# --- Bodies -----------------------------------------------------------------------------


class _Body(Schema):
    model_config = pydantic.ConfigDict(extra="forbid")


class PersonRefIn(_Body):
    """Someone on the request: a registry person by id, or a new person to register."""

    person_id: int | None = None
    person: PersonCreateIn | None = None

    @model_validator(mode="after")
    def _one_person(self):
        if (self.person_id is None) == (self.person is None):
            raise ValueError("name the person by person_id or give a new person, not both")
        return self


class FamilyMemberIn(PersonRefIn):
    role: FamilyRole


class CaseOpenIn(_Body):
    request_type: str = Field(DEFAULT_REQUEST_TYPE, max_length=40, description="a request type's code")
    basis: str | None = Field(None, max_length=40, description="an eligibility basis's code")
    basis_note: str = Field("", max_length=2000)
    origin: OriginCode
    post_id: int | None = None
    language: str = Field("", max_length=8)
    submission_key: UUID | None = Field(
        None, description="made by the client: a retry with the same key returns the case opened before"
    )
    note: str = Field("", max_length=2000, description="internal, on the timeline")
    applicant: PersonRefIn
    family: list[FamilyMemberIn] = Field(default_factory=list, max_length=MAX_FAMILY)

    @model_validator(mode="after")
    def _each_person_once(self):
        ids = [ref.person_id for ref in [self.applicant, *self.family] if ref.person_id is not None]
        if len(ids) != len(set(ids)):
            raise ValueError("a person is on a request once")
        return self


class AssignIn(_Body):
    officer: str | None = Field(description="the officer's username; null returns the case to the pool")


class MoveIn(_Body):
    to_stage: StageCode
    note: str = Field("", max_length=2000, description="the reason, needed to send a case back")
    version: int | None = Field(None, description="the case's version as read: a change made meanwhile is 409")


class DecideIn(_Body):
    outcome: OutcomeCode = Field(description="approved, rejected (proposes it to a second officer), withdrawn")
    reason: str = Field("", max_length=2000)
    version: int | None = None


class RejectionReviewIn(_Body):
    confirm: bool = Field(description="true confirms the rejection; false sends it back (needs a note)")
    note: str = Field("", max_length=2000)


class NoteIn(_Body):
    note: str = Field(max_length=5000)


class PriorityIn(_Body):
    priority: int = Field(ge=0, le=2)


# --- References inside a body -----------------------------------------------------------


def _request_type(code: str) -> RequestType:
    request_type = RequestType.objects.filter(code=code, active=True).first()
    if request_type is None:
        raise CaseValidationError(CaseError.UNKNOWN_TYPE, "request_type")
    return request_type


def _basis(code: str | None) -> EligibilityBasis | None:
    if not code:
        return None
    basis = EligibilityBasis.objects.filter(code=code, active=True).first()
    if basis is None:
        raise CaseValidationError(CaseError.UNKNOWN_BASIS, "basis")
    return basis


def _post(post_id: int | None) -> Post | None:
    if post_id is None:
        return None
    post = Post.objects.filter(pk=post_id).first()
    if post is None:
        raise CaseValidationError(CaseError.NOT_FOUND, "post_id")
    return post


def _members(payload: CaseOpenIn) -> list[services.MemberInput]:
    """The request's people, the registry persons named by id looked up in one query."""
    refs = [("applicant", CaseMember.Role.APPLICANT, payload.applicant)]
    refs += [(f"family.{index}", member.role, member) for index, member in enumerate(payload.family)]
    wanted = [ref.person_id for _field, _role, ref in refs if ref.person_id is not None]
    persons = Person.objects.in_bulk(wanted)
    members = []
    for field, role, ref in refs:
        if ref.person_id is None:
            members.append(services.MemberInput(role=role, new_person=ref.person.to_input()))
            continue
        person = persons.get(ref.person_id)
        if person is None:
            raise CaseValidationError(CaseError.NOT_FOUND, f"{field}.person_id")
        members.append(services.MemberInput(role=role, person=person))
    return members


def _officer(username: str | None):
    """An unknown name is answered like a user who cannot work on cases: the answer does not
    tell which names exist."""
    if username is None:
        return None
    officer = User.objects.filter(username=username, is_active=True).first()
    if officer is None:
        raise CaseValidationError(CaseError.OFFICER_CANNOT_WORK, "officer")
    return officer


# --- The queues -------------------------------------------------------------------------


@router.get("", response=CasePageOut, url_name="case_list", openapi_extra=query_documented(CaseListQuery))
def case_list(request):
    """A queue, 50 a page: urgent first, then the longest in their stage. Within the caller's
    scope: a case officer's own cases, the pool and rejections to review; a desk chief's all."""
    _require(request, P.CASE_VIEW)
    query = query_read(request, CaseListQuery)
    page = selectors.case_list(
        actor=request.auth, origin=_origin(request), filters=query.filters(), page_number=query.page
    )
    return {
        "count": page.paginator.count,
        "page": page.number,
        "pages": page.paginator.num_pages,
        "items": list(page.object_list),
    }


@router.get("/board", response=BoardOut, url_name="case_board", openapi_extra=query_documented(BoardQuery))
def case_board(request):
    """The kanban board: a column per stage of the request type's pipeline, with its total,
    how many are ageing, and one page of its most urgent cases."""
    _require(request, P.CASE_VIEW)
    query = query_read(request, BoardQuery)
    if query.request_type_id is None:
        request_type = RequestType.objects.filter(code=DEFAULT_REQUEST_TYPE).first()
    else:
        request_type = RequestType.objects.filter(pk=query.request_type_id).first()
    if request_type is None:
        raise CaseValidationError(CaseError.UNKNOWN_TYPE, "request_type_id")
    filters = selectors.CaseFilters(
        queue=query.queue,
        priority=query.priority,
        post_id=query.post_id,
        basis_id=query.basis_id,
        request_type_id=request_type.pk,
        min_days_in_stage=query.min_days_in_stage,
        ageing_only=query.ageing_only,
        include_closed=True,
        q=query.q,
    )
    columns = selectors.case_board(
        actor=request.auth,
        origin=_origin(request),
        filters=filters,
        pipeline=request_type.stages(),
        column_page=query.page,
    )
    return {
        "request_type": request_type,
        "page": query.page,
        "page_size": selectors.BOARD_COLUMN_SIZE,
        "columns": columns,
    }


@router.get("/report", response=ReportOut, url_name="case_report", openapi_extra=query_documented(ReportQuery))
def case_report(request):
    """Counts by stage, time in stage (median and p90, in days) and decisions per day: the desk
    chief's."""
    _require(request, P.CASE_ASSIGN)
    query = query_read(request, ReportQuery)
    report = selectors.case_report(actor=request.auth, days=query.days)
    return {
        "total_open": report.total_open,
        "by_stage": report.by_stage,
        "decisions_per_day": [
            {"day": day, "approved": approved, "rejected": rejected, "withdrawn": withdrawn}
            for day, approved, rejected, withdrawn in report.decisions_per_day
        ],
    }


# --- Opening a case ---------------------------------------------------------------------


@router.post(
    "",
    response={200: CaseOpenedOut, 201: CaseOpenedOut},
    url_name="case_open",
    openapi_extra=body_documented(CaseOpenIn),
)
def case_open(request):
    """A new request in "received", for an applicant and family: registry persons by id, or
    new persons registered with it. 201 with the applicant's status token; with a
    `submission_key` already used, 200 with the case it opened then (and no token)."""
    _require(request, P.CASE_INTAKE)
    payload = body_read(request, CaseOpenIn)
    arguments = {
        "actor": request.auth,
        "origin": _origin(request),
        "request_type": _request_type(payload.request_type),
        "basis": _basis(payload.basis),
        "basis_note": payload.basis_note,
        "case_origin": payload.origin,
        "post": _post(payload.post_id),
        "language": payload.language,
        "submission_key": payload.submission_key,
        "note": payload.note,
        "members": _members(payload),
    }
    try:
        opened = services.case_open(**arguments)
    except IntegrityError:
        if payload.submission_key is None:
            raise
        # The same key sent twice at once: the other request opened it. This one answers with it.
        opened = services.case_open(**arguments)
    body = {"case": opened.case, "created": opened.created, "status_token": opened.status_token}
    return Status(201 if opened.created else 200, body)


# --- A case -----------------------------------------------------------------------------


@router.get("/{int:case_id}", response=CaseDetailOut, url_name="case_detail")
def case_detail(request, case_id: int):
    """A case with its people, its stage, its timeline (with the internal notes), its
    documents' metadata and what the checklist still misses. Audited."""
    _require(request, P.CASE_VIEW)
    return selectors.case_detail(actor=request.auth, origin=_origin(request), case_id=case_id)


@router.post("/{int:case_id}/take", response=CaseStateOut, url_name="case_take")
def case_take(request, case_id: int):
    """Take a case from the pool into one's own queue."""
    case = _case(request, case_id, P.CASE_WORK)
    return services.case_take(actor=request.auth, origin=_origin(request), case=case)


@router.post(
    "/{int:case_id}/assign", response=CaseStateOut, url_name="case_assign", openapi_extra=body_documented(AssignIn)
)
def case_assign(request, case_id: int):
    """Assign, reassign or return to the pool: the desk chief's."""
    case = _case(request, case_id, P.CASE_ASSIGN)
    payload = body_read(request, AssignIn)
    return services.case_assign(
        actor=request.auth, origin=_origin(request), case=case, officer=_officer(payload.officer)
    )


@router.post("/{int:case_id}/move", response=CaseStateOut, url_name="case_move", openapi_extra=body_documented(MoveIn))
def case_move(request, case_id: int):
    """The next stage of the pipeline, or back to an earlier review stage with a note.
    Decisions are POST …/decide."""
    case = _case(request, case_id, P.CASE_WORK)
    payload = body_read(request, MoveIn)
    return services.case_move(
        actor=request.auth,
        origin=_origin(request),
        case=case,
        to_stage=payload.to_stage,
        note=payload.note,
        expected_version=payload.version,
    )


@router.post(
    "/{int:case_id}/decide", response=CaseStateOut, url_name="case_decide", openapi_extra=body_documented(DecideIn)
)
def case_decide(request, case_id: int):
    """Approve, withdraw, or propose a rejection (a second officer confirms it), with the reason."""
    case = _case(request, case_id, P.CASE_WORK)
    payload = body_read(request, DecideIn)
    return services.case_decide(
        actor=request.auth,
        origin=_origin(request),
        case=case,
        outcome=payload.outcome,
        reason=payload.reason,
        expected_version=payload.version,
    )


@router.post(
    "/{int:case_id}/rejection-review",
    response=CaseStateOut,
    url_name="case_rejection_review",
    openapi_extra=body_documented(RejectionReviewIn),
)
def case_rejection_review(request, case_id: int):
    """A second officer confirms a proposed rejection, or sends it back with a note."""
    case = _case(request, case_id, P.CASE_WORK)
    payload = body_read(request, RejectionReviewIn)
    return services.case_rejection_review(
        actor=request.auth, origin=_origin(request), case=case, confirm=payload.confirm, note=payload.note
    )


@router.post(
    "/{int:case_id}/notes", response={201: NoteOut}, url_name="case_note_add", openapi_extra=body_documented(NoteIn)
)
def case_note_add(request, case_id: int):
    """An internal note on the timeline, never shown to the applicant."""
    case = _case(request, case_id, P.CASE_WORK)
    payload = body_read(request, NoteIn)
    return Status(
        201, services.case_note_add(actor=request.auth, origin=_origin(request), case=case, note=payload.note)
    )


@router.post(
    "/{int:case_id}/priority",
    response=CaseStateOut,
    url_name="case_priority_set",
    openapi_extra=body_documented(PriorityIn),
)
def case_priority_set(request, case_id: int):
    """Change the priority: the desk chief's."""
    case = _case(request, case_id, P.CASE_ASSIGN)
    payload = body_read(request, PriorityIn)
    return services.case_priority_set(actor=request.auth, origin=_origin(request), case=case, priority=payload.priority)


@router.get(
    "/{int:case_id}/documents/{int:document_id}",
    url_name="case_document",
    openapi_extra={"responses": {200: {"description": "the file, as an attachment"}}},
)
def case_document(request, case_id: int, document_id: int):
    """A document's file, to a reader who may see the case: always an attachment, never
    cached. Every opening is audited."""
    _require(request, P.CASE_VIEW)
    document, content = selectors.case_document_open(
        actor=request.auth, origin=_origin(request), case_id=case_id, document_id=document_id
    )
    response = HttpResponse(content, content_type=document.content_type)
    response["Content-Disposition"] = content_disposition_header(True, document.display_name)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store"
    return response
