"""Staff pages of the cases module, mounted at /staff/cases/: the work queues (a list and a
kanban board by stage), a case's page with the actions its reader may take, document
downloads, and the desk chief's report.

A view with a case in its path loads it first through the selectors, so a case outside
the reader's scope answers 404 exactly as a missing one; the action's own permission is
checked after that (403). Every write is one service call: its refusal is shown on the
form that asked for it, and the page is drawn again around it.
"""

from dataclasses import dataclass

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_POST

from crisisdesk.accounts.access import staff_required
from crisisdesk.accounts.permissions import Permission, has_permission
from crisisdesk.cases import forms, selectors, services
from crisisdesk.cases.errors import CaseError, CaseValidationError
from crisisdesk.cases.models import (
    CLOSED_STAGES,
    Case,
    CaseDocument,
    CaseEvent,
    DocumentKind,
    RequestType,
    Stage,
)
from crisisdesk.common.models import AuditEvent
from crisisdesk.common.origin import origin_from_request

P = Permission
DEFAULT_REQUEST_TYPE = "immigration"


def _origin(request):
    return origin_from_request(request, channel=AuditEvent.Channel.WEB)


def _permit(request, permission: Permission) -> None:
    """The action's own permission, checked after the case in the path has loaded."""
    if not has_permission(request.user, permission):
        raise PermissionDenied


def _form_error(form, error: CaseValidationError) -> None:
    """A service's refusal, shown on the field it concerns (or above the form)."""
    form.add_error(error.field if error.field in form.fields else None, error.message)


def _querystring(request, *drop: str) -> str:
    query = request.GET.copy()
    for name in ("page", *drop):
        query.pop(name, None)
    return query.urlencode()


# --- The queues ------------------------------------------------------------------------------


def _queue_of(user, requested: str) -> str:
    """The tab: an officer's own queue by default, everything for a desk chief."""
    chief = has_permission(user, P.CASE_ASSIGN)
    if requested not in {key for key, _label in forms.QUEUES} or (requested == "all" and not chief):
        return "all" if chief else "mine"
    return requested


def _filters(user, values: dict, **overrides) -> selectors.CaseFilters:
    post, basis, request_type = values.get("post"), values.get("basis"), values.get("request_type")
    fields = {
        "queue": _queue_of(user, values.get("queue") or ""),
        "stage": values.get("stage") or "",
        "priority": values.get("priority"),
        "post_id": post.pk if post else None,
        "basis_id": basis.pk if basis else None,
        "request_type_id": request_type.pk if request_type else None,
        "min_days_in_stage": values.get("min_days"),
        "ageing_only": bool(values.get("ageing_only")),
        "include_closed": bool(values.get("include_closed")),
        "q": values.get("q") or "",
    }
    return selectors.CaseFilters(**{**fields, **overrides})


def _tabs(request, current: str) -> list[tuple[str, str, bool]]:
    chief = has_permission(request.user, P.CASE_ASSIGN)
    return [(key, label, key == current) for key, label in forms.QUEUES if key != "all" or chief]


@staff_required(P.CASE_VIEW)
def queue(request):
    form = forms.CaseFilterForm(request.GET or None)
    filters = _filters(request.user, form.values())
    page = selectors.case_list(
        actor=request.user, origin=_origin(request), filters=filters, page_number=request.GET.get("page", 1)
    )
    context = {
        "form": form,
        "page": page,
        "queue": filters.queue,
        "tabs": _tabs(request, filters.queue),
        "querystring": _querystring(request),
        "tab_querystring": _querystring(request, "queue"),
    }
    partial = bool(request.headers.get("HX-Request"))
    response = render(request, "cases/_case_table.html" if partial else "cases/queue.html", context)
    patch_vary_headers(response, ["HX-Request"])
    return response


def _board_type(values: dict) -> RequestType:
    chosen = values.get("request_type")
    if chosen is not None:
        return chosen
    default = RequestType.objects.filter(code=DEFAULT_REQUEST_TYPE).first()
    return default or RequestType.objects.filter(active=True).first()


def _positive(value, default: int = 1) -> int:
    try:
        return max(int(value), 1)
    except (TypeError, ValueError):
        return default


@staff_required(P.CASE_VIEW)
def board(request):
    form = forms.BoardFilterForm(request.GET or None)
    values = form.values()
    request_type = _board_type(values)
    if request_type is None:
        raise Http404
    if not form.is_bound:
        form = forms.BoardFilterForm(initial={"request_type": request_type.pk})
    filters = _filters(request.user, values, request_type_id=request_type.pk, stage="", include_closed=True)
    column_page = _positive(request.GET.get("page"))
    columns = selectors.case_board(
        actor=request.user,
        origin=_origin(request),
        filters=filters,
        pipeline=request_type.stages(),
        column_page=column_page,
    )
    context = {
        "form": form,
        "columns": columns,
        "request_type": request_type,
        "queue": filters.queue,
        "tabs": _tabs(request, filters.queue),
        "column_page": column_page,
        "has_previous": column_page > 1,
        "has_next": any(column.total > column_page * selectors.BOARD_COLUMN_SIZE for column in columns),
        "querystring": _querystring(request),
        "tab_querystring": _querystring(request, "queue"),
    }
    return render(request, "cases/board.html", context)


# --- A case ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Allowed:
    """Which action forms the reader is offered on this case. The services still decide."""

    take: bool
    assign: bool
    move: bool
    decide: bool
    review: bool
    note: bool
    priority: bool
    upload: bool
    review_documents: bool
    own_rejection_pending: bool
    status_link: bool


def _allowed(user, case: Case) -> Allowed:
    chief = has_permission(user, P.CASE_ASSIGN)
    worker = has_permission(user, P.CASE_WORK)
    closed = case.stage in CLOSED_STAGES
    pending = case.rejection_proposed_by_id is not None
    works_it = worker and (chief or case.officer_id == user.pk)
    return Allowed(
        take=worker and not closed and case.officer_id is None,
        assign=chief and not closed,
        move=works_it and not closed and not pending and bool(_move_choices(case)),
        decide=works_it and not closed and not pending,
        review=worker and pending and case.rejection_proposed_by_id != user.pk,
        note=worker,
        priority=chief and not closed,
        upload=not closed and (works_it or (worker and case.officer_id is None)),
        review_documents=works_it,
        own_rejection_pending=pending and case.rejection_proposed_by_id == user.pk,
        status_link=not closed and works_it,
    )


def _move_choices(case: Case) -> list[tuple[str, str]]:
    """The next stage of the pipeline (decisions have their own form), then the earlier
    review stages a case may be sent back to."""
    pipeline = case.request_type.stages()
    if case.stage not in pipeline:
        return []
    labels = dict(Stage.choices)
    here = pipeline.index(case.stage)
    choices = []
    if case.stage != Stage.DECISION and here + 1 < len(pipeline):
        following = pipeline[here + 1]
        choices.append((following, _("Next: %(stage)s") % {"stage": labels[following]}))
    if here <= pipeline.index(Stage.DECISION):
        choices += [(stage, _("Back to: %(stage)s") % {"stage": labels[stage]}) for stage in reversed(pipeline[:here])]
    return choices


def _outcome_choices(case: Case) -> list[tuple[str, str]]:
    withdraw = (Stage.WITHDRAWN, _("Withdraw the request"))
    if case.stage == Stage.DECISION and case.decision != Stage.APPROVED:
        return [
            (Stage.APPROVED, pgettext("decision on a request", "Approve")),
            (Stage.REJECTED, _("Propose a rejection")),
            withdraw,
        ]
    return [withdraw]


@dataclass(frozen=True, slots=True)
class Step:
    stage: str
    label: str
    state: str  # done, current, todo, closed


def _steps(case: Case, events: list[CaseEvent]) -> list[Step]:
    """The pipeline drawn as steps. A rejected or withdrawn case (stages outside the
    pipeline) shows the stages up to the one it left, then how it ended."""
    pipeline = case.request_type.stages()
    labels = dict(Stage.choices)
    if case.stage in pipeline:
        here = pipeline.index(case.stage)
        return [
            Step(stage, labels[stage], "done" if index < here else "current" if index == here else "todo")
            for index, stage in enumerate(pipeline)
        ]
    left = next((event.from_stage for event in reversed(events) if event.to_stage == case.stage), "")
    reached = pipeline.index(left) if left in pipeline else -1
    steps = [Step(stage, labels[stage], "done") for stage in pipeline[: reached + 1]]
    return [*steps, Step(case.stage, labels[case.stage], "closed")]


@dataclass(frozen=True, slots=True)
class ChecklistItem:
    kind: str
    label: str
    state: str  # accepted, received, missing


def _checklist(case: Case, documents: list[CaseDocument], missing: list[str]) -> list[ChecklistItem]:
    labels = dict(DocumentKind.choices)
    items = []
    for kind in case.request_type.checklist:
        states = {document.state for document in documents if document.kind == kind}
        if kind in missing:
            state = "missing"
        elif CaseDocument.State.ACCEPTED in states:
            state = "accepted"
        else:
            state = "received"
        items.append(ChecklistItem(kind, labels.get(kind, kind), state))
    return items


def _label_events(events: list[CaseEvent]) -> list[CaseEvent]:
    kinds, states = dict(DocumentKind.choices), dict(CaseDocument.State.choices)
    for event in events:
        event.document_label = kinds.get(event.data.get("kind", ""), "")
        event.state_label = states.get(event.data.get("state", ""), "")
    return events


def _detail_page(request, case_id: int, *, bound: dict | None = None):
    """The case's page. `bound` holds a submitted form the service refused, shown in place
    of the blank one (even where it would not be offered, so the refusal is seen)."""
    user = request.user
    case = selectors.case_detail(actor=user, origin=_origin(request), case_id=case_id)
    allowed = _allowed(user, case)
    bound = bound or {}
    documents = list(case.documents.all())
    events = _label_events(list(case.events.all()))
    missing = services.document_kinds_missing(case)
    version = {"version": case.version}
    page_forms = {
        "take_form": forms.TakeForm() if allowed.take else None,
        "assign_form": forms.AssignForm(
            prefix="assign", officers=selectors.case_officers(), initial={"officer": case.officer_id}
        )
        if allowed.assign
        else None,
        "move_form": forms.MoveForm(prefix="move", stages=_move_choices(case), initial=version)
        if allowed.move
        else None,
        "decide_form": forms.DecideForm(prefix="decide", outcomes=_outcome_choices(case), initial=version)
        if allowed.decide
        else None,
        "review_form": forms.RejectionReviewForm(prefix="review") if allowed.review else None,
        "note_form": forms.NoteForm(prefix="note") if allowed.note else None,
        "priority_form": forms.PriorityForm(prefix="priority", initial={"priority": case.priority})
        if allowed.priority
        else None,
        "upload_form": forms.DocumentUploadForm(prefix="upload", case=case) if allowed.upload else None,
    }
    page_forms.update({name: form for name, form in bound.items() if name != "document_review_forms"})
    review_forms = {}
    if allowed.review_documents:
        review_forms = {
            document.pk: forms.DocumentReviewForm(prefix=f"document-{document.pk}") for document in documents
        }
    bound_reviews = bound.get("document_review_forms", {})
    review_forms.update(bound_reviews)
    # Where no review is offered, a refused one is still said, above the documents.
    document_refusals = (
        []
        if allowed.review_documents
        else [error for form in bound_reviews.values() for error in form.non_field_errors()]
    )
    for document in documents:
        document.review_form = review_forms.get(document.pk)
    context = {
        "case": case,
        "members": list(case.members.all()),
        "documents": documents,
        "events": events,
        "steps": _steps(case, events),
        "checklist": _checklist(case, documents, missing),
        "missing": [(kind, dict(DocumentKind.choices).get(kind, kind)) for kind in missing],
        "allowed": allowed,
        "document_refusals": document_refusals,
        "may_view_persons": has_permission(user, P.PERSON_VIEW),
        "max_upload_mb": settings.CRISISDESK_DOCUMENT_MAX_BYTES // (1024 * 1024),
        **page_forms,
    }
    return render(request, "cases/detail.html", context)


@staff_required(P.CASE_VIEW)
def detail(request, case_id: int):
    return _detail_page(request, case_id)


def _act(request, case_id: int, *, permission: Permission, name: str, build, save, done: str):
    """One action on a case: load it (404 outside the scope), check the action's
    permission (403), parse the form and call the service. On success the user is told
    `done` and sent back to the case; a refusal is shown on the form, on the case's page."""
    case = selectors.case_get(actor=request.user, case_id=case_id)
    _permit(request, permission)
    form = build(case)
    if form.is_valid():
        try:
            save(case, form.cleaned_data)
        except CaseValidationError as error:
            _form_error(form, error)
        else:
            messages.success(request, done)
            return redirect("cases:detail", case_id=case.pk)
    return _detail_page(request, case.pk, bound={name: form})


@staff_required(P.CASE_VIEW)
@require_POST
def take(request, case_id: int):
    return _act(
        request,
        case_id,
        permission=P.CASE_WORK,
        name="take_form",
        build=lambda case: forms.TakeForm(request.POST),
        save=lambda case, data: services.case_take(actor=request.user, origin=_origin(request), case=case),
        done=_("The case is in your queue."),
    )


@staff_required(P.CASE_VIEW)
@require_POST
def assign(request, case_id: int):
    return _act(
        request,
        case_id,
        permission=P.CASE_ASSIGN,
        name="assign_form",
        build=lambda case: forms.AssignForm(request.POST, prefix="assign", officers=selectors.case_officers()),
        save=lambda case, data: services.case_assign(
            actor=request.user, origin=_origin(request), case=case, officer=data["officer"]
        ),
        done=_("Assignment saved."),
    )


@staff_required(P.CASE_VIEW)
@require_POST
def move(request, case_id: int):
    return _act(
        request,
        case_id,
        permission=P.CASE_WORK,
        name="move_form",
        build=lambda case: forms.MoveForm(request.POST, prefix="move", stages=_move_choices(case)),
        save=lambda case, data: services.case_move(
            actor=request.user,
            origin=_origin(request),
            case=case,
            to_stage=data["to_stage"],
            note=data["note"],
            expected_version=data["version"],
        ),
        done=_("The case has moved."),
    )


@staff_required(P.CASE_VIEW)
@require_POST
def decide(request, case_id: int):
    def save(case, data):
        return services.case_decide(
            actor=request.user,
            origin=_origin(request),
            case=case,
            outcome=data["outcome"],
            reason=data["reason"],
            expected_version=data["version"],
        )

    return _act(
        request,
        case_id,
        permission=P.CASE_WORK,
        name="decide_form",
        build=lambda case: forms.DecideForm(request.POST, prefix="decide", outcomes=_outcome_choices(case)),
        save=save,
        done=_("Decision recorded."),
    )


@staff_required(P.CASE_VIEW)
@require_POST
def rejection_review(request, case_id: int):
    return _act(
        request,
        case_id,
        permission=P.CASE_WORK,
        name="review_form",
        build=lambda case: forms.RejectionReviewForm(request.POST, prefix="review"),
        save=lambda case, data: services.case_rejection_review(
            actor=request.user,
            origin=_origin(request),
            case=case,
            confirm=data["decision"] == "confirm",
            note=data["note"],
        ),
        done=_("Review recorded."),
    )


@staff_required(P.CASE_VIEW)
@require_POST
def note_add(request, case_id: int):
    return _act(
        request,
        case_id,
        permission=P.CASE_WORK,
        name="note_form",
        build=lambda case: forms.NoteForm(request.POST, prefix="note"),
        save=lambda case, data: services.case_note_add(
            actor=request.user, origin=_origin(request), case=case, note=data["note"]
        ),
        done=_("Note added."),
    )


@staff_required(P.CASE_VIEW)
@require_POST
def priority_set(request, case_id: int):
    return _act(
        request,
        case_id,
        permission=P.CASE_ASSIGN,
        name="priority_form",
        build=lambda case: forms.PriorityForm(request.POST, prefix="priority"),
        save=lambda case, data: services.case_priority_set(
            actor=request.user, origin=_origin(request), case=case, priority=data["priority"]
        ),
        done=_("Priority saved."),
    )


# --- Documents -------------------------------------------------------------------------------


@staff_required(P.CASE_VIEW)
@require_POST
def document_upload(request, case_id: int):
    def save(case, data):
        upload = data["file"]
        # Refused before it is read into memory; the service checks the content again.
        if upload.size > settings.CRISISDESK_DOCUMENT_MAX_BYTES:
            raise CaseValidationError(CaseError.FILE_TOO_LARGE, "file")
        return services.case_document_add(
            actor=request.user,
            origin=_origin(request),
            case=case,
            kind=data["kind"],
            name=upload.name,
            content=upload.read(),
            member=data["member"],
        )

    return _act(
        request,
        case_id,
        permission=P.CASE_WORK,
        name="upload_form",
        build=lambda case: forms.DocumentUploadForm(request.POST, request.FILES, prefix="upload", case=case),
        save=save,
        done=_("Document received."),
    )


@staff_required(P.CASE_VIEW)
@require_POST
def document_review(request, case_id: int, document_id: int):
    case = selectors.case_get(actor=request.user, case_id=case_id)
    document = CaseDocument.objects.select_related("case").filter(case=case, pk=document_id).first()
    if document is None:
        raise Http404
    _permit(request, P.CASE_WORK)
    form = forms.DocumentReviewForm(request.POST, prefix=f"document-{document.pk}")
    if form.is_valid():
        try:
            services.case_document_review(
                actor=request.user,
                origin=_origin(request),
                document=document,
                state=form.cleaned_data["state"],
                note=form.cleaned_data["note"],
            )
        except CaseValidationError as error:
            _form_error(form, error)
        else:
            messages.success(request, _("Document review saved."))
            return redirect("cases:detail", case_id=case.pk)
    return _detail_page(request, case.pk, bound={"document_review_forms": {document.pk: form}})


@staff_required(P.CASE_VIEW)
def document_download(request, case_id: int, document_id: int):
    """The file, to a reader who may see the case; the opening is audited. It is always
    an attachment, never shown inline, and never cached."""
    document, content = selectors.case_document_open(
        actor=request.user, origin=_origin(request), case_id=case_id, document_id=document_id
    )
    response = HttpResponse(content, content_type=document.content_type)
    response["Content-Disposition"] = content_disposition_header(True, document.display_name)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store"
    return response


# --- Reporting -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DecisionDay:
    day: str
    approved: int
    rejected: int
    withdrawn: int
    # Shares of the busiest day, in percent, for the bars.
    approved_share: int
    rejected_share: int
    withdrawn_share: int

    @property
    def total(self) -> int:
        return self.approved + self.rejected + self.withdrawn


@staff_required(P.CASE_ASSIGN)
def report(request):
    data = selectors.case_report(actor=request.user)
    busiest = max((sum(row[1:]) for row in data.decisions_per_day), default=0) or 1
    days = [
        DecisionDay(
            day,
            approved,
            rejected,
            withdrawn,
            round(100 * approved / busiest),
            round(100 * rejected / busiest),
            round(100 * withdrawn / busiest),
        )
        for day, approved, rejected, withdrawn in data.decisions_per_day
    ]
    return render(request, "cases/report.html", {"report": data, "days": days})


# --- Intake by staff -------------------------------------------------------------------------


def _intake_applicant(request):
    """The registry person the request is opened for (`?person=`), read like any other
    person's page (scoped and audited), with the others of their household."""
    from crisisdesk.registry.models import Person
    from crisisdesk.registry.selectors import person_get

    raw = request.POST.get("person") or request.GET.get("person")
    if not raw:
        return None, []
    if not raw.isdigit():
        raise Http404
    applicant = person_get(actor=request.user, origin=_origin(request), person_id=int(raw))
    household = []
    if applicant.household_id:
        household = list(Person.objects.filter(household_id=applicant.household_id).exclude(pk=applicant.pk))
    return applicant, household


def _intake_members(applicant, household, form, people) -> list[services.MemberInput]:
    from crisisdesk.registry.inputs import PersonInput

    members = []
    if applicant is not None:
        members.append(services.MemberInput(role="applicant", person=applicant))
        chosen = set(form.cleaned_data.get("relatives") or ())
        for person in household:
            if str(person.pk) in chosen:
                role = services.member_role_for(person)
                members.append(services.MemberInput(role="other" if role == "applicant" else role, person=person))
    for row in people:
        if not row.has_changed():
            continue
        data = row.cleaned_data
        person = PersonInput(
            given_name=data["given_name"],
            family_name=data["family_name"],
            birth_year=data["birth_year"],
            sex=data["sex"],
            relationship="self" if data["role"] == "applicant" else "other",
        )
        members.append(services.MemberInput(role=data["role"], new_person=person))
    return members


@staff_required(P.CASE_INTAKE)
def intake(request):
    """Open a request at a post: for a person found in the registry (with those of their
    household who come too), or for people not registered yet, who are registered with it."""
    applicant, household = _intake_applicant(request)
    form = forms.IntakeForm(request.POST or None, household=household)
    initial = [] if applicant else [{"role": "applicant"}]
    people = forms.IntakePeopleFormSet(request.POST or None, prefix="people", initial=initial)
    if request.method == "POST" and form.is_valid() and people.is_valid():
        data = form.cleaned_data
        try:
            opened = services.case_open(
                actor=request.user,
                origin=_origin(request),
                request_type=data["request_type"],
                members=_intake_members(applicant, household, form, people),
                case_origin=Case.Origin.POST,
                basis=data["basis"],
                basis_note=data["basis_note"],
                post=data["post"],
                note=data["note"],
            )
        except CaseValidationError as error:
            form.add_error(None, error.message)
        else:
            case = opened.case
            messages.success(request, _("Request %(reference)s opened.") % {"reference": case.reference})
            if selectors.case_in_scope(actor=request.user, case_id=case.pk):
                return redirect("cases:detail", case_id=case.pk)
            return redirect("cases:intake")
    context = {"form": form, "people": people, "applicant": applicant}
    return render(request, "cases/intake.html", context)


@staff_required(P.CASE_VIEW)
@require_POST
def status_link_issue(request, case_id: int):
    """A new private link for the applicant, shown once on this page to be handed over."""
    case = selectors.case_get(actor=request.user, case_id=case_id)
    _permit(request, P.CASE_WORK)
    try:
        token = services.case_status_link_issue(actor=request.user, origin=_origin(request), case=case)
    except CaseValidationError as error:
        messages.error(request, error.message)
        return redirect("cases:detail", case_id=case.pk)
    link = request.build_absolute_uri(reverse("cases_public:status", kwargs={"token": token}))
    response = render(request, "cases/status_link.html", {"case": case, "link": link})
    response["Cache-Control"] = "no-store"
    return response
