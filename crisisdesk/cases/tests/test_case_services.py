"""Every transition's guards, assignment, priority and the timeline.

Personas: `case_officer` works the case, `case_officer_two` is the second officer a
rejection needs, `desk_chief` assigns and may work any case."""

import pytest
from django.core.exceptions import PermissionDenied

from crisisdesk.cases.errors import CaseError, CaseValidationError
from crisisdesk.cases.models import Case, CaseEvent, Stage
from crisisdesk.cases.services import (
    case_assign,
    case_decide,
    case_move,
    case_rejection_review,
    case_take,
)
from crisisdesk.cases.tests.conftest import case_walk_to
from crisisdesk.common.models import AuditEvent
from crisisdesk.common.origin import SYSTEM

pytestmark = pytest.mark.django_db


@pytest.fixture
def entry_type_without_approval(db):
    """A mis-configured pipeline (the model's clean() would refuse it) with travel second."""
    from crisisdesk.cases.models import RequestType

    return RequestType.objects.create(
        code="odd",
        name="Odd",
        pipeline=["received", "travel_arranged", "decision", "approved", "arrived"],
    )


def _assigned(make_case, users, **extra):
    case = make_case(**extra)
    return case_assign(actor=users["desk_chief"], origin=SYSTEM, case=case, officer=users["case_officer"])


def _code(excinfo) -> str:
    return excinfo.value.code


class TestOpening:
    def test_a_case_starts_received_with_its_people_in_the_registry(self, make_case):
        case = make_case(family=(("Olena", "Kovalenko"), ("Ivan", "Kovalenko")))

        assert case.stage == Stage.RECEIVED
        assert case.reference.startswith("C-")
        members = list(case.members.select_related("person").order_by("id"))
        assert [(m.role, m.person.given_name) for m in members] == [("applicant", "Olena"), ("child", "Ivan")]
        assert list(case.events.values_list("kind", "to_stage")) == [(CaseEvent.Kind.CREATED, Stage.RECEIVED)]
        assert AuditEvent.objects.filter(action=AuditEvent.Action.CASE_CREATED, target_id=str(case.pk)).exists()

    def test_a_family_from_the_public_form_is_one_self_registered_household(self, make_case):
        from crisisdesk.registry.models import StatusEvent

        case = make_case(family=(("Olena", "Kovalenko"), ("Ivan", "Kovalenko")))

        persons = [member.person for member in case.members.select_related("person")]
        assert len({person.household_id for person in persons}) == 1
        assert persons[0].household_id is not None
        assert all(person.consent_given_at is not None for person in persons)
        sources = set(StatusEvent.objects.filter(person__in=persons).values_list("source", flat=True))
        assert sources == {StatusEvent.Source.PUBLIC}

    def test_staff_intake_registers_the_people_as_staff(self, make_case, users):
        from crisisdesk.registry.models import StatusEvent

        case = make_case(actor=users["case_officer"], case_origin=Case.Origin.POST)

        person = case.members.get().person
        assert person.created_by == users["case_officer"]
        assert set(person.timeline.values_list("source", flat=True)) == {StatusEvent.Source.STAFF}

    def test_vulnerability_raises_priority(self, make_case):
        assert make_case().priority == Case.Priority.NORMAL
        assert make_case(vulnerabilities=("mobility",)).priority == Case.Priority.HIGH
        assert make_case(vulnerabilities=("medical",)).priority == Case.Priority.URGENT

    def test_the_same_submission_opens_one_case(self, make_case):
        import uuid

        key = uuid.uuid4()
        first = make_case(submission_key=key)
        again = make_case(submission_key=key)

        assert again.pk == first.pk
        assert Case.objects.count() == 1

    def test_a_request_needs_exactly_one_applicant(self, immigration):
        from crisisdesk.cases.services import MemberInput, case_open
        from crisisdesk.registry.inputs import PersonInput

        child = MemberInput(role="child", new_person=PersonInput(given_name="Ivan", family_name="K", sex="M"))
        with pytest.raises(CaseValidationError) as excinfo:
            case_open(actor=None, origin=SYSTEM, request_type=immigration, members=[child], case_origin="web")
        assert _code(excinfo) == CaseError.APPLICANT_REQUIRED

    def test_a_border_officer_may_open_a_case_and_a_diplomat_may_not(self, make_case, users):
        assert make_case(actor=users["border_officer"], case_origin=Case.Origin.BORDER).origin == "border"
        with pytest.raises(PermissionDenied):
            make_case(actor=users["diplomat"])


class TestAssignment:
    def test_the_desk_chief_assigns_and_reassigns(self, make_case, users, case_officer_two):
        case = _assigned(make_case, users)
        case = case_assign(actor=users["desk_chief"], origin=SYSTEM, case=case, officer=case_officer_two)

        assert case.officer == case_officer_two
        assigned = [e.data for e in case.events.filter(kind=CaseEvent.Kind.ASSIGNED)]
        assert assigned == [
            {"from": "", "to": "case_officer"},
            {"from": "case_officer", "to": "case_officer_two"},
        ]

    @pytest.mark.parametrize("persona", ["case_officer", "border_officer", "consul"])
    def test_only_a_desk_chief_assigns(self, make_case, users, persona):
        with pytest.raises(PermissionDenied):
            case_assign(actor=users[persona], origin=SYSTEM, case=make_case(), officer=users["case_officer"])

    def test_a_case_goes_only_to_someone_who_can_work_it(self, make_case, users):
        with pytest.raises(CaseValidationError) as excinfo:
            case_assign(actor=users["desk_chief"], origin=SYSTEM, case=make_case(), officer=users["border_officer"])
        assert _code(excinfo) == CaseError.OFFICER_CANNOT_WORK

    def test_an_officer_takes_from_the_pool_once(self, make_case, users, case_officer_two):
        case = case_take(actor=users["case_officer"], origin=SYSTEM, case=make_case())
        assert case.officer == users["case_officer"]
        with pytest.raises(CaseValidationError) as excinfo:
            case_take(actor=case_officer_two, origin=SYSTEM, case=case)
        assert _code(excinfo) == CaseError.ALREADY_ASSIGNED

    def test_another_officers_case_cannot_be_moved(self, make_case, users, case_officer_two):
        case = _assigned(make_case, users)
        with pytest.raises(CaseValidationError) as excinfo:
            case_move(actor=case_officer_two, origin=SYSTEM, case=case, to_stage=Stage.ELIGIBILITY_REVIEW)
        assert _code(excinfo) == CaseError.NOT_YOURS


class TestMoves:
    def test_the_pipeline_is_walked_one_stage_at_a_time(self, make_case, users):
        case = _assigned(make_case, users)
        with pytest.raises(CaseValidationError) as excinfo:
            case_move(actor=users["case_officer"], origin=SYSTEM, case=case, to_stage=Stage.DOCUMENTS_PENDING)
        assert _code(excinfo) == CaseError.STAGE_NOT_NEXT

        case = case_walk_to(case, Stage.DECISION, actor=users["case_officer"])
        moves = list(case.events.filter(kind=CaseEvent.Kind.STAGE_CHANGED).values_list("from_stage", "to_stage"))
        assert moves == [
            (Stage.RECEIVED, Stage.ELIGIBILITY_REVIEW),
            (Stage.ELIGIBILITY_REVIEW, Stage.DOCUMENTS_PENDING),
            (Stage.DOCUMENTS_PENDING, Stage.DECISION),
        ]
        assert all(
            seconds is not None
            for seconds in case.events.exclude(from_stage="").values_list("seconds_in_stage", flat=True)
        )

    def test_back_to_an_earlier_review_stage_needs_a_reason(self, make_case, users):
        case = case_walk_to(_assigned(make_case, users), Stage.DOCUMENTS_PENDING, actor=users["case_officer"])
        with pytest.raises(CaseValidationError) as excinfo:
            case_move(actor=users["case_officer"], origin=SYSTEM, case=case, to_stage=Stage.ELIGIBILITY_REVIEW)
        assert _code(excinfo) == CaseError.REASON_REQUIRED

        case = case_move(
            actor=users["case_officer"],
            origin=SYSTEM,
            case=case,
            to_stage=Stage.ELIGIBILITY_REVIEW,
            note="The basis needs another look.",
        )
        assert case.stage == Stage.ELIGIBILITY_REVIEW

    def test_the_decision_stage_is_left_only_by_a_decision(self, make_case, users):
        case = case_walk_to(_assigned(make_case, users), Stage.DECISION, actor=users["case_officer"])
        for stage in (Stage.APPROVED, Stage.TRAVEL_ARRANGED):
            with pytest.raises(CaseValidationError):
                case_move(actor=users["case_officer"], origin=SYSTEM, case=case, to_stage=stage)

    def test_a_stale_form_is_refused(self, make_case, users):
        case = _assigned(make_case, users)
        with pytest.raises(CaseValidationError) as excinfo:
            case_move(
                actor=users["case_officer"],
                origin=SYSTEM,
                case=case,
                to_stage=Stage.ELIGIBILITY_REVIEW,
                expected_version=case.version - 1,
            )
        assert _code(excinfo) == CaseError.STALE


class TestDecisions:
    def test_a_decision_needs_a_reason(self, make_case, users):
        case = case_walk_to(_assigned(make_case, users), Stage.DECISION, actor=users["case_officer"])
        with pytest.raises(CaseValidationError) as excinfo:
            case_decide(actor=users["case_officer"], origin=SYSTEM, case=case, outcome=Stage.APPROVED, reason="  ")
        assert (_code(excinfo), excinfo.value.field) == (CaseError.REASON_REQUIRED, "reason")

    def test_approval_before_the_decision_stage_is_refused(self, make_case, users):
        case = _assigned(make_case, users)
        with pytest.raises(CaseValidationError) as excinfo:
            case_decide(actor=users["case_officer"], origin=SYSTEM, case=case, outcome=Stage.APPROVED, reason="ok")
        assert _code(excinfo) == CaseError.NOT_AT_DECISION

    def test_approval_then_travel_then_arrival_closes_the_case(self, make_case, users):
        officer = users["case_officer"]
        case = case_walk_to(_assigned(make_case, users), Stage.DECISION, actor=officer)
        case = case_decide(actor=officer, origin=SYSTEM, case=case, outcome=Stage.APPROVED, reason="Eligible.")
        assert (case.stage, case.decision, case.decided_by) == (Stage.APPROVED, Stage.APPROVED, officer)

        case = case_move(actor=officer, origin=SYSTEM, case=case, to_stage=Stage.TRAVEL_ARRANGED)
        case = case_move(actor=officer, origin=SYSTEM, case=case, to_stage=Stage.ARRIVED)
        assert case.is_closed
        with pytest.raises(CaseValidationError) as excinfo:
            case_decide(actor=officer, origin=SYSTEM, case=case, outcome=Stage.WITHDRAWN, reason="late")
        assert _code(excinfo) == CaseError.CLOSED

    def test_travel_needs_an_approved_decision(self, make_case, users, entry_type_without_approval):
        """Even a pipeline that put travel straight after the review could not skip the decision."""
        officer = users["case_officer"]
        case = _assigned(make_case, users)
        case.request_type = entry_type_without_approval
        case.save(update_fields=["request_type"])
        with pytest.raises(CaseValidationError) as excinfo:
            case_move(actor=officer, origin=SYSTEM, case=case, to_stage=Stage.TRAVEL_ARRANGED)
        assert _code(excinfo) == CaseError.TRAVEL_NEEDS_APPROVAL

    def test_a_withdrawal_closes_the_case_at_any_stage(self, make_case, users):
        case = _assigned(make_case, users)
        case = case_decide(
            actor=users["case_officer"], origin=SYSTEM, case=case, outcome=Stage.WITHDRAWN, reason="Stays in Lviv."
        )
        assert (case.stage, case.decision, case.decision_reason) == (Stage.WITHDRAWN, Stage.WITHDRAWN, "Stays in Lviv.")


class TestRejection:
    def _proposed(self, make_case, users):
        officer = users["case_officer"]
        case = case_walk_to(_assigned(make_case, users), Stage.DECISION, actor=officer)
        return case_decide(actor=officer, origin=SYSTEM, case=case, outcome=Stage.REJECTED, reason="No basis shown.")

    def test_a_rejection_only_proposes_until_a_second_officer_confirms(self, make_case, users, case_officer_two):
        case = self._proposed(make_case, users)
        assert (case.stage, case.decision, case.rejection_proposed_by) == (Stage.DECISION, "", users["case_officer"])

        case = case_rejection_review(actor=case_officer_two, origin=SYSTEM, case=case, confirm=True)
        assert (case.stage, case.decision, case.decision_reason) == (Stage.REJECTED, Stage.REJECTED, "No basis shown.")
        assert (case.decided_by, case.rejection_reviewed_by) == (users["case_officer"], case_officer_two)

    def test_the_proposer_cannot_confirm_their_own_rejection(self, make_case, users):
        case = self._proposed(make_case, users)
        with pytest.raises(CaseValidationError) as excinfo:
            case_rejection_review(actor=users["case_officer"], origin=SYSTEM, case=case, confirm=True)
        assert _code(excinfo) == CaseError.SECOND_OFFICER_REQUIRED

    def test_a_pending_rejection_blocks_other_moves(self, make_case, users):
        case = self._proposed(make_case, users)
        with pytest.raises(CaseValidationError) as excinfo:
            case_decide(actor=users["case_officer"], origin=SYSTEM, case=case, outcome=Stage.APPROVED, reason="x")
        assert _code(excinfo) == CaseError.REJECTION_PENDING

    def test_a_returned_rejection_needs_a_reason_and_reopens_the_decision(self, make_case, users, case_officer_two):
        case = self._proposed(make_case, users)
        with pytest.raises(CaseValidationError):
            case_rejection_review(actor=case_officer_two, origin=SYSTEM, case=case, confirm=False)
        case = case_rejection_review(
            actor=case_officer_two, origin=SYSTEM, case=case, confirm=False, note="The birth record shows it."
        )
        assert (case.stage, case.rejection_proposed_by) == (Stage.DECISION, None)
        case = case_decide(actor=users["case_officer"], origin=SYSTEM, case=case, outcome=Stage.APPROVED, reason="ok")
        assert case.stage == Stage.APPROVED


class TestPriorityAndNotes:
    def test_a_priority_change_is_on_the_timeline(self, make_case, users):
        from crisisdesk.cases.services import case_priority_set

        case = case_priority_set(actor=users["desk_chief"], origin=SYSTEM, case=make_case(), priority=2)

        assert case.priority == Case.Priority.URGENT
        event = case.events.get(kind=CaseEvent.Kind.PRIORITY_CHANGED)
        assert (event.actor, event.data) == (users["desk_chief"], {"from": 0, "to": 2})

    def test_an_empty_note_is_refused_as_such(self, make_case, users):
        from crisisdesk.cases.services import case_note_add

        with pytest.raises(CaseValidationError) as excinfo:
            case_note_add(actor=users["case_officer"], origin=SYSTEM, case=make_case(), note="  ")
        assert (excinfo.value.code, excinfo.value.field) == (CaseError.NOTE_REQUIRED, "note")


class TestTimeline:
    def test_the_timeline_is_append_only(self, make_case):
        from crisisdesk.cases.models import CaseEventIsAppendOnly

        event = make_case().events.get()
        event.note = "rewritten"
        with pytest.raises(CaseEventIsAppendOnly):
            event.save()
        with pytest.raises(CaseEventIsAppendOnly):
            CaseEvent.objects.all().delete()

    def test_every_transition_is_attributed_and_audited(self, make_case, users):
        case = case_walk_to(_assigned(make_case, users), Stage.DOCUMENTS_PENDING, actor=users["case_officer"])

        moves = case.events.filter(kind=CaseEvent.Kind.STAGE_CHANGED)
        assert set(moves.values_list("actor_label", flat=True)) == {"case_officer"}
        audited = AuditEvent.objects.filter(action=AuditEvent.Action.CASE_CHANGED, target_id=str(case.pk))
        assert audited.count() == 3  # the assignment and two moves
        assert all(row.person_id == case.members.get(role="applicant").person_id for row in audited)
