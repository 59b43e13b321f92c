"""Reads of cases, scoped to the actor and audited.

Scope: a desk chief (`case.assign`) sees every case. A case officer sees the cases assigned
to them, the unassigned pool, and cases whose rejection waits for a second officer (someone
else's proposal: that review is theirs to give). Anyone else sees none. A case outside the
scope is answered exactly as a missing one (404).
"""

from dataclasses import dataclass, field
from datetime import timedelta
from statistics import median

from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.db.models import Count, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce, TruncDate
from django.http import Http404
from django.utils import timezone

from crisisdesk.accounts.permissions import Permission, has_permission
from crisisdesk.cases.models import CLOSED_STAGES, Case, CaseDocument, CaseEvent, CaseMember, RequestType, Stage
from crisisdesk.common.audit import audit_record
from crisisdesk.common.documents import document_read
from crisisdesk.common.models import AuditEvent
from crisisdesk.common.origin import Origin

Action = AuditEvent.Action
PAGE_SIZE = 50
BOARD_COLUMN_SIZE = 20


def _require(actor, permission: Permission) -> None:
    if not has_permission(actor, permission):
        raise PermissionDenied


def case_scope(actor) -> QuerySet[Case]:
    _require(actor, Permission.CASE_VIEW)
    cases = Case.objects.all()
    if has_permission(actor, Permission.CASE_ASSIGN):
        return cases
    return cases.filter(
        Q(officer=actor)
        | Q(officer__isnull=True)
        | (Q(rejection_proposed_by__isnull=False) & ~Q(rejection_proposed_by=actor))
    )


@dataclass(frozen=True, slots=True)
class CaseFilters:
    queue: str = "all"  # mine, pool, reviews, all
    stage: str = ""
    priority: int | None = None
    post_id: int | None = None
    basis_id: int | None = None
    request_type_id: int | None = None
    min_days_in_stage: int | None = None
    ageing_only: bool = False
    include_closed: bool = False
    q: str = ""


def _filtered(actor, filters: CaseFilters) -> QuerySet[Case]:
    cases = case_scope(actor)
    # Each queue but "all" lies inside every reader's scope, so its condition replaces the
    # scope's OR rather than joining it: alone, the database reads it from an index.
    if filters.queue == "mine":
        cases = Case.objects.filter(officer=actor)
    elif filters.queue == "pool":
        cases = Case.objects.filter(officer__isnull=True)
    elif filters.queue == "reviews":
        cases = Case.objects.filter(rejection_proposed_by__isnull=False).exclude(rejection_proposed_by=actor)
    if filters.stage:
        cases = cases.filter(stage=filters.stage)
    elif not filters.include_closed:
        cases = cases.exclude(stage__in=CLOSED_STAGES)
    if filters.priority is not None:
        cases = cases.filter(priority=filters.priority)
    if filters.post_id:
        cases = cases.filter(post_id=filters.post_id)
    if filters.basis_id:
        cases = cases.filter(basis_id=filters.basis_id)
    if filters.request_type_id:
        cases = cases.filter(request_type_id=filters.request_type_id)
    if filters.min_days_in_stage is not None:
        cases = cases.filter(stage_entered_at__lte=timezone.now() - timedelta(days=filters.min_days_in_stage))
    if filters.ageing_only:
        cases = cases.filter(_ageing_condition())
    if filters.q:
        reference = filters.q.strip().upper()
        cases = cases.filter(Q(reference=reference) | Q(reference=f"C-{reference}"))
    return cases


def _ageing_condition() -> Q:
    """Cases longer in their stage than the limit their request type (or the settings) sets
    for it, as one condition the database can use: one clause per (type, stage) limit."""
    now = timezone.now()
    condition = Q(pk__in=[])
    for request_type in RequestType.objects.all():
        for stage in Stage.values:
            limit = request_type.ageing_limit(stage)
            if limit is not None and stage not in CLOSED_STAGES:
                condition |= Q(
                    request_type=request_type, stage=stage, stage_entered_at__lte=now - timedelta(days=limit)
                )
    return condition


def _applicants() -> Prefetch:
    applicants = CaseMember.objects.filter(role=CaseMember.Role.APPLICANT).select_related("person")
    return Prefetch("members", queryset=applicants, to_attr="applicants")


def _with_list_parts(cases: QuerySet[Case], *, applicants: bool = True) -> QuerySet[Case]:
    """What a row of the list or a card of the board shows, in a fixed number of queries
    (`applicants=False` leaves the applicants for the caller to prefetch, as the board does
    once for all its columns).

    The member count is a subquery per row, not a join with GROUP BY: grouped, the database
    counts the members of every case that matches before it can sort and take one page; as
    a subquery it counts them for the page's rows only, read in order from an index
    (docs/benchmarks.md, "Immigration requests")."""
    members = (
        CaseMember.objects.filter(case=OuterRef("pk")).order_by().values("case").annotate(n=Count("*")).values("n")
    )
    cases = cases.select_related("request_type", "basis", "officer", "post").annotate(
        member_count=Coalesce(Subquery(members), 0)
    )
    return cases.prefetch_related(_applicants()) if applicants else cases


def case_list(*, actor, origin: Origin, filters: CaseFilters, page_number=1) -> Page:
    cases = _with_list_parts(_filtered(actor, filters)).order_by("-priority", "stage_entered_at", "id")
    page = Paginator(cases, PAGE_SIZE).get_page(page_number)
    audit_record(actor=actor, origin=origin, action=Action.CASE_LISTED, changes={"queue": filters.queue})
    return page


@dataclass(slots=True)
class BoardColumn:
    stage: str
    label: str
    total: int
    cases: list[Case] = field(default_factory=list)
    ageing: int = 0


def case_board(
    *, actor, origin: Origin, filters: CaseFilters, pipeline: list[str], column_page: int = 1
) -> list[BoardColumn]:
    """The kanban board: one column per stage of `pipeline`, each with its total, how many
    are ageing, and one page of its most urgent cases. Queries: one for the totals, one for
    the ageing counts, one per column for its cards, and one for all the cards' applicants."""
    base = _filtered(actor, CaseFilters(**{**_as_dict(filters), "stage": "", "include_closed": True}))
    totals = dict(base.filter(stage__in=pipeline).values_list("stage").annotate(n=Count("*")).values_list("stage", "n"))
    ageing = _ageing_counts(base, filters, pipeline)
    labels = dict(Stage.choices)
    start = (max(column_page, 1) - 1) * BOARD_COLUMN_SIZE
    columns = []
    for stage in pipeline:
        column = BoardColumn(
            stage=stage, label=str(labels[stage]), total=totals.get(stage, 0), ageing=ageing.get(stage, 0)
        )
        if column.total:
            column.cases = list(
                _with_list_parts(base.filter(stage=stage), applicants=False).order_by(
                    "-priority", "stage_entered_at", "id"
                )[start : start + BOARD_COLUMN_SIZE]
            )
        columns.append(column)
    _applicants_attach([card for column in columns for card in column.cases])
    audit_record(actor=actor, origin=origin, action=Action.CASE_LISTED, changes={"queue": filters.queue, "board": True})
    return columns


def _applicants_attach(cases: list[Case]) -> None:
    """Each case's `applicants`, read in one query. Not `prefetch_related_objects`: it points
    every member back at its case, a reference cycle per card that only the garbage
    collector frees, and the board's full collections cost its slowest requests ~50 ms."""
    by_case: dict[int, list[CaseMember]] = {case.pk: [] for case in cases}
    applicants = CaseMember.objects.filter(case__in=list(by_case), role=CaseMember.Role.APPLICANT)
    for member in applicants.select_related("person").order_by("id"):
        by_case[member.case_id].append(member)
    for case in cases:
        case.applicants = by_case[case.pk]


def _ageing_counts(base: QuerySet[Case], filters: CaseFilters, pipeline: list[str]) -> dict[str, int]:
    """How many cases of each stage of `pipeline` are ageing, in one query. A board shows one
    request type: then each stage's count is a range along the index on (request type, stage,
    time entered), read for the ageing cases only; one OR of every (type, stage) limit would
    make the database test every case of the pipeline (docs/benchmarks.md). The counts are
    COUNT(*), not of the id, so that PostgreSQL answers them from the index alone."""
    request_type = RequestType.objects.filter(pk=filters.request_type_id).first() if filters.request_type_id else None
    if request_type is None:
        ageing = base.filter(_ageing_condition(), stage__in=pipeline)
        return dict(ageing.values_list("stage").annotate(n=Count("*")).values_list("stage", "n"))
    now = timezone.now()
    limits = {stage: request_type.ageing_limit(stage) for stage in pipeline if stage not in CLOSED_STAGES}
    counts = [
        base.filter(stage=stage, stage_entered_at__lte=now - timedelta(days=limit))
        .order_by()
        .values_list("stage")
        .annotate(n=Count("*"))
        .values_list("stage", "n")
        for stage, limit in limits.items()
        if limit is not None
    ]
    if not counts:
        return {}
    return dict(counts[0].union(*counts[1:], all=True))


def _as_dict(filters: CaseFilters) -> dict:
    return {name: getattr(filters, name) for name in CaseFilters.__dataclass_fields__}


def case_in_scope(*, actor, case_id: int) -> bool:
    """Whether the actor may open the case (false, not an error, for intake-only roles)."""
    return has_permission(actor, Permission.CASE_VIEW) and case_scope(actor).filter(pk=case_id).exists()


def case_get(*, actor, case_id: int) -> Case:
    """A case in scope, unaudited: for services' arguments. Missing and out of scope: 404."""
    case = case_scope(actor).select_related("request_type").filter(pk=case_id).first()
    if case is None:
        raise Http404
    return case


def case_detail(*, actor, origin: Origin, case_id: int) -> Case:
    case = case_get(actor=actor, case_id=case_id)
    case = (
        Case.objects.select_related(
            "request_type", "basis", "officer", "post", "rejection_proposed_by", "decided_by", "rejection_reviewed_by"
        )
        .prefetch_related(
            Prefetch("members", queryset=CaseMember.objects.select_related("person").order_by("id")),
            Prefetch("documents", queryset=CaseDocument.objects.select_related("member__person", "uploaded_by")),
            Prefetch("events", queryset=CaseEvent.objects.select_related("actor").order_by("at", "id")),
        )
        .get(pk=case.pk)
    )
    person_id = next((m.person_id for m in case.members.all() if m.role == CaseMember.Role.APPLICANT), None)
    audit_record(actor=actor, origin=origin, action=Action.CASE_VIEWED, target=case, person_id=person_id)
    return case


def case_document_open(*, actor, origin: Origin, case_id: int, document_id: int) -> tuple[CaseDocument, bytes]:
    """A document's content for a permitted reader; every opening is audited."""
    case = case_get(actor=actor, case_id=case_id)
    document = CaseDocument.objects.filter(case=case, pk=document_id).first()
    if document is None:
        raise Http404
    content = document_read(document.storage_key)
    person_id = case.members.filter(role=CaseMember.Role.APPLICANT).values_list("person_id", flat=True).first()
    audit_record(actor=actor, origin=origin, action=Action.CASE_DOCUMENT_VIEWED, target=document, person_id=person_id)
    return document, content


def case_officers() -> QuerySet:
    """Users a desk chief can assign a case to."""
    from crisisdesk.accounts.models import User
    from crisisdesk.accounts.permissions import ROLE_PERMISSIONS

    roles = [role for role, permissions in ROLE_PERMISSIONS.items() if Permission.CASE_WORK in permissions]
    return User.objects.filter(role__in=roles, is_active=True).order_by("username")


# --- The applicant's side --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ApplicantView:
    """What the private status link shows: plain facts, no internal notes, no staff names."""

    case: Case
    stage: str
    stage_label: str
    steps: list[tuple[str, str, bool]]  # (stage, label, reached)
    missing: list[tuple[str, str]]  # (kind, label)
    received: list[CaseDocument]
    names: list[str]


def case_by_status_token(*, token: str) -> Case | None:
    """The case a private status link names, unaudited: for the services an applicant's
    link calls (an upload), which audit themselves. None for an unknown token."""
    from crisisdesk.common.references import token_digest

    if not token:
        return None
    return Case.objects.select_related("request_type").filter(status_token_digest=token_digest(token)).first()


def case_for_status_token(*, token: str, origin: Origin) -> ApplicantView | None:
    from crisisdesk.cases.models import DocumentKind
    from crisisdesk.cases.services import document_kinds_missing

    case = case_by_status_token(token=token)
    if case is None:
        return None
    labels = dict(Stage.choices)
    pipeline = case.request_type.stages()
    if case.stage in pipeline:
        reached = pipeline.index(case.stage)
    else:
        # Rejected or withdrawn: the steps reached are those up to where the case stood
        # when it closed, not the whole pipeline.
        left = (
            case.events.filter(to_stage=case.stage).order_by("-at", "-id").values_list("from_stage", flat=True).first()
        )
        reached = pipeline.index(left) if left in pipeline else -1
    steps = [(stage, str(labels[stage]), index <= reached) for index, stage in enumerate(pipeline)]
    kinds = dict(DocumentKind.choices)
    members = list(case.members.select_related("person").order_by("id"))
    audit_record(
        actor=None,
        origin=origin,
        action=Action.CASE_STATUS_VIEWED,
        target=case,
        person_id=next((m.person_id for m in members if m.role == CaseMember.Role.APPLICANT), None),
    )
    return ApplicantView(
        case=case,
        stage=case.stage,
        stage_label=str(labels[case.stage]),
        steps=steps,
        missing=[(kind, str(kinds[kind])) for kind in document_kinds_missing(case)],
        received=list(case.documents.order_by("uploaded_at")),
        names=[f"{m.person.given_name} {m.person.family_name}".strip() for m in members],
    )


# --- Reporting -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StageTimes:
    stage: str
    label: str
    open_now: int
    median_days: float | None
    p90_days: float | None


@dataclass(frozen=True, slots=True)
class CaseReport:
    by_stage: list[StageTimes]
    decisions_per_day: list[tuple[str, int, int, int]]  # (day, approved, rejected, withdrawn)
    total_open: int


def _quantile(values: list[float], share: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))
    return ordered[index]


def case_report(*, actor=None, days: int = 14) -> CaseReport:
    """Counts by stage, time spent in each stage (median and p90, in days, over the stays
    that ended — read off the events that ended them — and the stays still running), and
    decisions per day. `actor=None` is the sitrep's own call (it carries no names)."""
    if actor is not None:
        _require(actor, Permission.CASE_ASSIGN)
    now = timezone.now()
    open_now = dict(Case.objects.values_list("stage").annotate(n=Count("id")).values_list("stage", "n"))
    ended: dict[str, list[float]] = {}
    for stage, seconds in CaseEvent.objects.filter(seconds_in_stage__isnull=False).values_list(
        "from_stage", "seconds_in_stage"
    ):
        ended.setdefault(stage, []).append(seconds / 86400)
    for stage, entered in Case.objects.exclude(stage__in=CLOSED_STAGES).values_list("stage", "stage_entered_at"):
        ended.setdefault(stage, []).append((now - entered).total_seconds() / 86400)
    labels = dict(Stage.choices)
    by_stage = [
        StageTimes(
            stage=stage,
            label=str(labels[stage]),
            open_now=open_now.get(stage, 0),
            median_days=round(median(ended[stage]), 1) if ended.get(stage) else None,
            p90_days=round(_quantile(ended[stage], 0.9), 1) if ended.get(stage) else None,
        )
        for stage in Stage.values
    ]
    since = now - timedelta(days=days)
    decided = (
        CaseEvent.objects.filter(at__gte=since, to_stage__in=[Stage.APPROVED, Stage.REJECTED, Stage.WITHDRAWN])
        .annotate(day=TruncDate("at"))
        .values_list("day", "to_stage")
        .annotate(n=Count("id"))
    )
    per_day: dict[str, dict[str, int]] = {}
    for day, stage, n in decided:
        per_day.setdefault(day.isoformat(), {})[stage] = n
    decisions = [
        (day, counts.get(Stage.APPROVED, 0), counts.get(Stage.REJECTED, 0), counts.get(Stage.WITHDRAWN, 0))
        for day, counts in sorted(per_day.items())
    ]
    total_open = sum(n for stage, n in open_now.items() if stage not in CLOSED_STAGES)
    return CaseReport(by_stage=by_stage, decisions_per_day=decisions, total_open=total_open)


def has_pending_review(case: Case, actor) -> bool:
    return case.rejection_proposed_by_id is not None and case.rejection_proposed_by_id != actor.pk
