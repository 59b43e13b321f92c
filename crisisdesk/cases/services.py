"""Writes to cases: opening one, assigning it, moving it through its pipeline, deciding it,
and its documents. Every function is atomic, checks its actor, and leaves a `CaseEvent` on
the case's timeline and a row in the audit log.

The guards the issue names live here and nowhere else:
- a decision needs a reason;
- a rejection is proposed by one officer and takes effect when a second one confirms it;
- "travel arranged" needs an approved decision;
- only the next stage of the case's pipeline may follow (or an earlier review stage, with
  a reason); a closed case does not move.
"""

import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from crisisdesk.accounts.permissions import Permission, has_permission
from crisisdesk.cases.errors import CaseError, CaseValidationError
from crisisdesk.cases.models import (
    CLOSED_STAGES,
    DECISION_OUTCOMES,
    Case,
    CaseDocument,
    CaseEvent,
    CaseMember,
    DocumentKind,
    EligibilityBasis,
    RequestType,
    Stage,
)
from crisisdesk.common.audit import actor_label_for, audit_record
from crisisdesk.common.documents import FileRejected, document_discard, document_store, file_check
from crisisdesk.common.models import AuditEvent
from crisisdesk.common.origin import Origin
from crisisdesk.common.references import reference_new, token_digest
from crisisdesk.registry.inputs import PersonInput
from crisisdesk.registry.models import Household, Person, StatusEvent, Vulnerability
from crisisdesk.registry.services import person_create, persons_insert

Action = AuditEvent.Action
CASE_REFERENCE_PREFIX = "C-"
# Any vulnerability raises a case to high priority; these, or two vulnerable members, to urgent.
URGENT_VULNERABILITIES = frozenset({Vulnerability.Kind.MEDICAL, Vulnerability.Kind.UNACCOMPANIED_MINOR})


def _require(actor, permission: Permission) -> None:
    from django.core.exceptions import PermissionDenied

    if not has_permission(actor, permission):
        raise PermissionDenied


def _may_work(actor, case: Case) -> None:
    """The assigned officer works a case; a desk chief may work any. Others first take it
    from the pool (or have it assigned)."""
    _require(actor, Permission.CASE_WORK)
    if has_permission(actor, Permission.CASE_ASSIGN):
        return
    if case.officer_id != actor.pk:
        raise CaseValidationError(CaseError.NOT_YOURS)


def _locked(case: Case, expected_version: int | None = None) -> Case:
    locked = Case.objects.select_for_update().select_related("request_type").get(pk=case.pk)
    if expected_version is not None and locked.version != expected_version:
        raise CaseValidationError(CaseError.STALE)
    if locked.stage in CLOSED_STAGES:
        raise CaseValidationError(CaseError.CLOSED)
    return locked


def _event(case: Case, *, actor, kind: str, note: str = "", data: dict | None = None, **fields) -> CaseEvent:
    return CaseEvent.objects.create(
        case=case,
        kind=kind,
        actor=actor if actor is not None and actor.is_authenticated else None,
        actor_label=actor_label_for(actor),
        note=note,
        data=data or {},
        **fields,
    )


def _audit(case: Case, *, actor, origin: Origin, action: str, changes: dict | None = None) -> None:
    audit_record(actor=actor, origin=origin, action=action, target=case, person_id=_applicant_id(case), changes=changes)


def _applicant_id(case: Case) -> int | None:
    return case.members.filter(role=CaseMember.Role.APPLICANT).values_list("person_id", flat=True).first()


def _enter(case: Case, *, actor, stage: str, note: str = "", kind: str = CaseEvent.Kind.STAGE_CHANGED) -> None:
    """Move `case` (locked) to `stage`, recording how long it spent in the one it leaves."""
    now = timezone.now()
    _event(
        case,
        actor=actor,
        kind=kind,
        from_stage=case.stage,
        to_stage=stage,
        seconds_in_stage=int((now - case.stage_entered_at).total_seconds()),
        note=note,
    )
    case.stage, case.stage_entered_at = stage, now
    case.version += 1


# --- Opening a case --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MemberInput:
    """A person on a request: an existing registry person, or a new one to register."""

    role: str
    person: Person | None = None
    new_person: PersonInput | None = None


@dataclass(frozen=True, slots=True)
class CaseOpened:
    case: Case
    status_token: str  # shown once, to the applicant; only its digest is kept
    created: bool


def member_role_for(person: Person) -> str:
    """A registry person's role on a request, from their relationship in their household."""
    return {
        "self": CaseMember.Role.APPLICANT,
        "spouse": CaseMember.Role.SPOUSE,
        "child": CaseMember.Role.CHILD,
        "parent": CaseMember.Role.PARENT,
    }.get(person.relationship, CaseMember.Role.OTHER)


def priority_for(persons: Sequence[Person]) -> int:
    kinds = [set(person.vulnerabilities.values_list("kind", flat=True)) for person in persons]
    vulnerable = [person_kinds for person_kinds in kinds if person_kinds]
    if len(vulnerable) >= 2 or any(person_kinds & URGENT_VULNERABILITIES for person_kinds in vulnerable):
        return Case.Priority.URGENT
    return Case.Priority.HIGH if vulnerable else Case.Priority.NORMAL


def _case_reference() -> str:
    while True:
        reference = CASE_REFERENCE_PREFIX + reference_new()
        if not Case.objects.filter(reference=reference).exists():
            return reference


def _members_register(*, actor, origin: Origin, members: Sequence[MemberInput]) -> list[Person]:
    """The request's people as registry persons: those named are used as they are; new ones
    are registered together, as one household when there are several. From the public form
    (no actor) they are self-registrations, with the consent the form asked for."""
    new_people = [member.new_person for member in members if member.person is None]
    household = Household.objects.create() if len(new_people) > 1 else None
    if actor is None and new_people:
        now = timezone.now()
        registered = iter(
            persons_insert(
                actor=None,
                origin=origin,
                people=new_people,
                household=household,
                registration=None,
                consent_given_at=now,
                occurred_at=now,
                source=StatusEvent.Source.PUBLIC,
            )
        )
    else:
        registered = iter(
            [person_create(actor=actor, origin=origin, data=data, household=household) for data in new_people]
        )
    return [member.person if member.person is not None else next(registered) for member in members]


@transaction.atomic
def case_open(
    *,
    actor,
    origin: Origin,
    request_type: RequestType,
    members: Sequence[MemberInput],
    case_origin: str,
    basis: EligibilityBasis | None = None,
    basis_note: str = "",
    post=None,
    language: str = "",
    submission_key: uuid.UUID | None = None,
    note: str = "",
) -> CaseOpened:
    """A new case in "received". Staff need `case.intake`; the public form passes no actor.
    A `submission_key` makes a retried submission (or a replayed offline intake) return the
    case it already opened instead of a second one."""
    if actor is not None:
        _require(actor, Permission.CASE_INTAKE)
    if submission_key is not None:
        existing = Case.objects.filter(submission_key=submission_key).first()
        if existing is not None:
            return CaseOpened(existing, "", created=False)
    if not request_type.active:
        raise CaseValidationError(CaseError.UNKNOWN_TYPE, "request_type")
    if basis is not None and not basis.active:
        raise CaseValidationError(CaseError.UNKNOWN_BASIS, "basis")
    named = [member.person.pk for member in members if member.person is not None]
    if len(set(named)) != len(named):
        raise CaseValidationError(CaseError.MEMBER_TWICE, "members")
    roles = [member.role for member in members]
    if roles.count(CaseMember.Role.APPLICANT) == 0:
        raise CaseValidationError(CaseError.APPLICANT_REQUIRED, "members")
    if roles.count(CaseMember.Role.APPLICANT) > 1:
        raise CaseValidationError(CaseError.ONE_APPLICANT, "members")
    persons = _members_register(actor=actor, origin=origin, members=members)
    token = secrets.token_urlsafe(24)
    case = Case.objects.create(
        reference=_case_reference(),
        request_type=request_type,
        basis=basis,
        basis_note=basis_note.strip(),
        origin=case_origin,
        priority=priority_for(persons),
        post=post,
        status_token_digest=token_digest(token),
        language=language,
        submission_key=submission_key,
        created_by=actor if actor is not None and actor.is_authenticated else None,
    )
    CaseMember.objects.bulk_create(
        CaseMember(case=case, person=person, role=member.role) for member, person in zip(members, persons, strict=True)
    )
    _event(case, actor=actor, kind=CaseEvent.Kind.CREATED, to_stage=Stage.RECEIVED, note=note.strip())
    _audit(case, actor=actor, origin=origin, action=Action.CASE_CREATED, changes={"origin": case_origin})
    return CaseOpened(case, token, created=True)


@transaction.atomic
def case_status_link_issue(*, actor, origin: Origin, case: Case) -> str:
    """A new private status link for the applicant (a request taken at the border or a post,
    or a lost link): the old link stops working. The token is returned once, to be handed
    over; only its digest is kept."""
    case = _locked(case)
    _may_work(actor, case)
    token = secrets.token_urlsafe(24)
    case.status_token_digest, case.version = token_digest(token), case.version + 1
    case.save(update_fields=["status_token_digest", "version"])
    _event(case, actor=actor, kind=CaseEvent.Kind.STATUS_LINK_ISSUED)
    _audit(case, actor=actor, origin=origin, action=Action.CASE_CHANGED, changes={"status_link": True})
    return token


# --- Assignment ------------------------------------------------------------------------------


@transaction.atomic
def case_assign(*, actor, origin: Origin, case: Case, officer) -> Case:
    """A desk chief assigns or reassigns a case (or returns it to the pool: `officer=None`)."""
    _require(actor, Permission.CASE_ASSIGN)
    if officer is not None and not has_permission(officer, Permission.CASE_WORK):
        raise CaseValidationError(CaseError.OFFICER_CANNOT_WORK, "officer")
    case = _locked(case)
    previous = case.officer
    case.officer, case.version = officer, case.version + 1
    case.save(update_fields=["officer", "version"])
    _event(
        case,
        actor=actor,
        kind=CaseEvent.Kind.ASSIGNED,
        data={
            "from": previous.get_username() if previous else "",
            "to": officer.get_username() if officer else "",
        },
    )
    _audit(case, actor=actor, origin=origin, action=Action.CASE_CHANGED, changes={"officer": True})
    return case


@transaction.atomic
def case_take(*, actor, origin: Origin, case: Case) -> Case:
    """An officer takes an unassigned case from the pool into their own queue."""
    _require(actor, Permission.CASE_WORK)
    case = _locked(case)
    if case.officer_id is not None:
        raise CaseValidationError(CaseError.ALREADY_ASSIGNED)
    case.officer, case.version = actor, case.version + 1
    case.save(update_fields=["officer", "version"])
    _event(case, actor=actor, kind=CaseEvent.Kind.ASSIGNED, data={"from": "", "to": actor.get_username()})
    _audit(case, actor=actor, origin=origin, action=Action.CASE_CHANGED, changes={"officer": True})
    return case


# --- Moving through the pipeline -------------------------------------------------------------


@transaction.atomic
def case_move(
    *, actor, origin: Origin, case: Case, to_stage: str, note: str = "", expected_version: int | None = None
) -> Case:
    """The next stage of the pipeline, or back to an earlier review stage with a reason.
    Decisions go through `case_decide`."""
    case = _locked(case, expected_version)
    _may_work(actor, case)
    if case.rejection_proposed_by_id is not None:
        raise CaseValidationError(CaseError.REJECTION_PENDING)
    if to_stage in DECISION_OUTCOMES:
        raise CaseValidationError(CaseError.STAGE_NOT_NEXT, "to_stage")
    if to_stage == Stage.TRAVEL_ARRANGED and case.decision != Stage.APPROVED:
        raise CaseValidationError(CaseError.TRAVEL_NEEDS_APPROVAL, "to_stage")
    pipeline = case.request_type.stages()
    if to_stage not in pipeline or case.stage not in pipeline:
        raise CaseValidationError(CaseError.STAGE_NOT_NEXT, "to_stage")
    here, there = pipeline.index(case.stage), pipeline.index(to_stage)
    review_end = pipeline.index(Stage.DECISION)
    forward = there == here + 1 and case.stage != Stage.DECISION
    back = there < here <= review_end
    if not (forward or back):
        raise CaseValidationError(CaseError.STAGE_NOT_NEXT, "to_stage")
    if back and not note.strip():
        raise CaseValidationError(CaseError.REASON_REQUIRED, "note")
    _enter(case, actor=actor, stage=to_stage, note=note.strip())
    case.save(update_fields=["stage", "stage_entered_at", "version"])
    _audit(case, actor=actor, origin=origin, action=Action.CASE_CHANGED, changes={"stage": to_stage})
    return case


@transaction.atomic
def case_decide(
    *, actor, origin: Origin, case: Case, outcome: str, reason: str, expected_version: int | None = None
) -> Case:
    """Approve, reject or withdraw. A rejection only proposes: a second officer confirms it
    (`case_rejection_review`). A withdrawal may come at any stage before the case closes."""
    case = _locked(case, expected_version)
    _may_work(actor, case)
    reason = reason.strip()
    if not reason:
        raise CaseValidationError(CaseError.REASON_REQUIRED, "reason")
    if outcome not in DECISION_OUTCOMES:
        raise CaseValidationError(CaseError.STAGE_NOT_NEXT, "outcome")
    if case.rejection_proposed_by_id is not None:
        raise CaseValidationError(CaseError.REJECTION_PENDING)
    if outcome != Stage.WITHDRAWN and case.stage != Stage.DECISION:
        raise CaseValidationError(CaseError.NOT_AT_DECISION, "outcome")
    if case.decision == Stage.APPROVED and outcome != Stage.WITHDRAWN:
        raise CaseValidationError(CaseError.STAGE_NOT_NEXT, "outcome")
    if outcome == Stage.REJECTED:
        case.rejection_proposed_by, case.rejection_reason = actor, reason
        case.version += 1
        case.save(update_fields=["rejection_proposed_by", "rejection_reason", "version"])
        _event(case, actor=actor, kind=CaseEvent.Kind.REJECTION_PROPOSED, note=reason)
        _audit(case, actor=actor, origin=origin, action=Action.CASE_CHANGED, changes={"rejection_proposed": True})
        return case
    _decided(case, actor=actor, outcome=outcome, reason=reason)
    _audit(case, actor=actor, origin=origin, action=Action.CASE_CHANGED, changes={"stage": outcome})
    return case


def _decided(case: Case, *, actor, outcome: str, reason: str, decided_by=None) -> None:
    case.decision, case.decision_reason = outcome, reason
    case.decided_by, case.decided_at = decided_by or actor, timezone.now()
    _enter(case, actor=actor, stage=outcome, note=reason)
    case.save(
        update_fields=[
            "decision",
            "decision_reason",
            "decided_by",
            "decided_at",
            "stage",
            "stage_entered_at",
            "version",
            "rejection_proposed_by",
            "rejection_reason",
            "rejection_reviewed_by",
        ]
    )


@transaction.atomic
def case_rejection_review(*, actor, origin: Origin, case: Case, confirm: bool, note: str = "") -> Case:
    """A second officer confirms a proposed rejection (the case closes as rejected) or sends
    it back (the case waits for a decision again)."""
    _require(actor, Permission.CASE_WORK)
    case = _locked(case)
    if case.rejection_proposed_by_id is None:
        raise CaseValidationError(CaseError.NO_REJECTION_PENDING)
    if case.rejection_proposed_by_id == actor.pk:
        raise CaseValidationError(CaseError.SECOND_OFFICER_REQUIRED)
    if confirm:
        proposer, reason = case.rejection_proposed_by, case.rejection_reason
        # The proposal is no longer pending: the proposer is kept as the decider.
        case.rejection_proposed_by, case.rejection_reviewed_by = None, actor
        _decided(case, actor=actor, outcome=Stage.REJECTED, reason=reason, decided_by=proposer)
        _audit(case, actor=actor, origin=origin, action=Action.CASE_CHANGED, changes={"stage": Stage.REJECTED})
        return case
    if not note.strip():
        raise CaseValidationError(CaseError.REASON_REQUIRED, "note")
    case.rejection_proposed_by, case.rejection_reason = None, ""
    case.version += 1
    case.save(update_fields=["rejection_proposed_by", "rejection_reason", "version"])
    _event(case, actor=actor, kind=CaseEvent.Kind.REJECTION_RETURNED, note=note.strip())
    _audit(case, actor=actor, origin=origin, action=Action.CASE_CHANGED, changes={"rejection_returned": True})
    return case


@transaction.atomic
def case_note_add(*, actor, origin: Origin, case: Case, note: str) -> CaseEvent:
    """An internal note on the timeline: never shown to the applicant."""
    _require(actor, Permission.CASE_WORK)
    if not note.strip():
        raise CaseValidationError(CaseError.NOTE_REQUIRED, "note")
    event = _event(case, actor=actor, kind=CaseEvent.Kind.NOTE, note=note.strip())
    _audit(case, actor=actor, origin=origin, action=Action.CASE_CHANGED, changes={"note": True})
    return event


@transaction.atomic
def case_priority_set(*, actor, origin: Origin, case: Case, priority: int) -> Case:
    _require(actor, Permission.CASE_ASSIGN)
    case = _locked(case)
    previous, case.priority, case.version = case.priority, Case.Priority(priority), case.version + 1
    case.save(update_fields=["priority", "version"])
    _event(case, actor=actor, kind=CaseEvent.Kind.PRIORITY_CHANGED, data={"from": previous, "to": case.priority})
    _audit(case, actor=actor, origin=origin, action=Action.CASE_CHANGED, changes={"priority": True})
    return case


# --- Documents -------------------------------------------------------------------------------


def document_kinds_missing(case: Case) -> list[str]:
    """The checklist's kinds with no document received or accepted yet."""
    have = set(case.documents.exclude(state=CaseDocument.State.REJECTED).values_list("kind", flat=True).distinct())
    return [kind for kind in case.request_type.checklist if kind not in have]


def case_document_add(
    *, actor, origin: Origin, case: Case, kind: str, name: str, content: bytes, member: CaseMember | None = None
) -> CaseDocument:
    """A document from staff (`actor`) or from the applicant's private link (`actor=None`).
    The file is checked by its content and written before the row; if the row's transaction
    fails, the file is removed again."""
    if actor is not None:
        _require(actor, Permission.CASE_WORK)
        # Papers brought before anyone took the case go on it; a colleague's case is theirs.
        if case.officer_id not in (None, actor.pk) and not has_permission(actor, Permission.CASE_ASSIGN):
            raise CaseValidationError(CaseError.NOT_YOURS)
    if kind not in DocumentKind.values:
        raise CaseValidationError(CaseError.DOCUMENT_KIND, "kind")
    if member is not None and member.case_id != case.pk:
        raise CaseValidationError(CaseError.NOT_FOUND, "member")
    try:
        checked = file_check(name=name, content=content)
    except FileRejected as error:
        raise CaseValidationError(CaseError(error.code.value), "file") from error
    storage_key = document_store(checked.content)
    try:
        with transaction.atomic():
            locked = _locked(case)
            document = CaseDocument.objects.create(
                case=locked,
                member=member,
                kind=kind,
                display_name=checked.display_name,
                storage_key=storage_key,
                content_type=checked.content_type,
                size=len(checked.content),
                sha256=checked.sha256,
                uploaded_by=actor if actor is not None and actor.is_authenticated else None,
                by_applicant=actor is None,
            )
            _event(locked, actor=actor, kind=CaseEvent.Kind.DOCUMENT_ADDED, data={"kind": kind, "id": document.pk})
            audit_record(
                actor=actor,
                origin=origin,
                action=Action.CASE_DOCUMENT_ADDED,
                target=document,
                person_id=_applicant_id(locked),
                changes={"kind": kind},
            )
    except BaseException:
        document_discard(storage_key)
        raise
    return document


@transaction.atomic
def case_document_review(*, actor, origin: Origin, document: CaseDocument, state: str, note: str = "") -> CaseDocument:
    case = _locked(document.case)
    _may_work(actor, case)
    document = CaseDocument.objects.select_for_update().get(pk=document.pk)
    document.state = CaseDocument.State(state)
    document.save(update_fields=["state"])
    _event(
        case,
        actor=actor,
        kind=CaseEvent.Kind.DOCUMENT_REVIEWED,
        note=note.strip(),
        data={"kind": document.kind, "id": document.pk, "state": document.state},
    )
    audit_record(
        actor=actor,
        origin=origin,
        action=Action.CASE_CHANGED,
        target=document,
        person_id=_applicant_id(case),
        changes={"state": document.state},
    )
    return document
