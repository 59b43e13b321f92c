"""Reads: who sees which case, the queues and their filters, ageing, the board, the report
and the sitrep section."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils import timezone

from crisisdesk.cases.models import Case, Stage
from crisisdesk.cases.selectors import CaseFilters, case_board, case_detail, case_list, case_report, case_scope
from crisisdesk.cases.services import case_assign, case_decide, case_move, case_rejection_review
from crisisdesk.cases.tests.conftest import case_walk_to
from crisisdesk.common.models import AuditEvent
from crisisdesk.common.origin import SYSTEM

pytestmark = pytest.mark.django_db


@pytest.fixture
def three_cases(make_case, users, case_officer_two):
    """Olena's case is the case officer's, Taras's is the second officer's, Ivan's is in the pool."""
    chief = users["desk_chief"]
    mine = case_assign(
        actor=chief, origin=SYSTEM, case=make_case(family=(("Olena", "Kovalenko"),)), officer=users["case_officer"]
    )
    theirs = case_assign(
        actor=chief, origin=SYSTEM, case=make_case(family=(("Taras", "Shevchuk"),)), officer=case_officer_two
    )
    pool = make_case(family=(("Ivan", "Bondar"),))
    return mine, theirs, pool


def _references(page) -> set[str]:
    return {case.reference for case in page.object_list}


class TestScope:
    def test_an_officer_sees_their_cases_and_the_pool_but_not_a_colleagues(self, three_cases, users):
        mine, theirs, pool = three_cases
        assert set(case_scope(users["case_officer"])) == {mine, pool}
        assert set(case_scope(users["desk_chief"])) == {mine, theirs, pool}

    def test_a_colleagues_case_is_answered_as_missing(self, three_cases, users):
        _mine, theirs, _pool = three_cases
        with pytest.raises(Http404):
            case_detail(actor=users["case_officer"], origin=SYSTEM, case_id=theirs.pk)
        with pytest.raises(Http404):
            case_detail(actor=users["case_officer"], origin=SYSTEM, case_id=theirs.pk + 1000)

    def test_a_rejection_to_review_is_visible_to_a_second_officer(self, three_cases, users, case_officer_two):
        mine, _theirs, _pool = three_cases
        case = case_walk_to(mine, Stage.DECISION, actor=users["case_officer"])
        case_decide(actor=users["case_officer"], origin=SYSTEM, case=case, outcome=Stage.REJECTED, reason="No basis.")

        reviews = case_list(actor=case_officer_two, origin=SYSTEM, filters=CaseFilters(queue="reviews"))
        assert _references(reviews) == {mine.reference}
        assert (
            _references(case_list(actor=users["case_officer"], origin=SYSTEM, filters=CaseFilters(queue="reviews")))
            == set()
        )
        case_rejection_review(actor=case_officer_two, origin=SYSTEM, case=mine, confirm=True)
        assert mine not in case_scope(case_officer_two)

    @pytest.mark.parametrize("persona", ["border_officer", "consul", "diplomat", "logistics_officer"])
    def test_roles_without_case_view_see_nothing(self, three_cases, users, persona):
        with pytest.raises(PermissionDenied):
            case_scope(users[persona])

    def test_viewing_a_case_is_audited_against_its_applicant(self, three_cases, users):
        mine, _theirs, _pool = three_cases
        case_detail(actor=users["case_officer"], origin=SYSTEM, case_id=mine.pk)

        row = AuditEvent.objects.filter(action=AuditEvent.Action.CASE_VIEWED).get()
        assert (row.actor, row.target_id, row.person_id) == (
            users["case_officer"],
            str(mine.pk),
            mine.members.get(role="applicant").person_id,
        )


class TestQueues:
    def test_my_queue_the_pool_and_all(self, three_cases, users):
        mine, theirs, pool = three_cases
        officer, chief = users["case_officer"], users["desk_chief"]

        assert _references(case_list(actor=officer, origin=SYSTEM, filters=CaseFilters(queue="mine"))) == {
            mine.reference
        }
        assert _references(case_list(actor=officer, origin=SYSTEM, filters=CaseFilters(queue="pool"))) == {
            pool.reference
        }
        assert _references(case_list(actor=chief, origin=SYSTEM, filters=CaseFilters())) == {
            mine.reference,
            theirs.reference,
            pool.reference,
        }

    def test_filters_by_stage_priority_and_days_in_stage(self, three_cases, users):
        mine, _theirs, pool = three_cases
        chief = users["desk_chief"]
        case_move(actor=users["case_officer"], origin=SYSTEM, case=mine, to_stage=Stage.ELIGIBILITY_REVIEW)
        Case.objects.filter(pk=pool.pk).update(stage_entered_at=timezone.now() - timedelta(days=5), priority=2)

        def found(**filters):
            return _references(case_list(actor=chief, origin=SYSTEM, filters=CaseFilters(**filters)))

        assert found(stage=Stage.ELIGIBILITY_REVIEW) == {mine.reference}
        assert found(priority=2) == {pool.reference}
        assert found(min_days_in_stage=3) == {pool.reference}
        assert found(q=pool.reference.removeprefix("C-").lower()) == {pool.reference}

    def test_ageing_follows_the_limit_of_each_stage(self, three_cases, users, settings):
        """received: 1 day, eligibility review: 3 days (settings); a request type may override."""
        mine, _theirs, pool = three_cases
        chief = users["desk_chief"]
        case_move(actor=users["case_officer"], origin=SYSTEM, case=mine, to_stage=Stage.ELIGIBILITY_REVIEW)
        two_days_ago = timezone.now() - timedelta(days=2)
        Case.objects.filter(pk__in=[mine.pk, pool.pk]).update(stage_entered_at=two_days_ago)

        ageing = case_list(actor=chief, origin=SYSTEM, filters=CaseFilters(ageing_only=True))
        assert _references(ageing) == {pool.reference}  # 2 days in "received" (limit 1), not in review (limit 3)
        assert [case.is_ageing() for case in Case.objects.filter(pk__in=[mine.pk, pool.pk]).order_by("pk")] == [
            False,
            True,
        ]

        mine.request_type.ageing_days = {"eligibility_review": 1}
        mine.request_type.save(update_fields=["ageing_days"])
        assert _references(case_list(actor=chief, origin=SYSTEM, filters=CaseFilters(ageing_only=True))) == {
            mine.reference,
            pool.reference,
        }

    def test_closed_cases_leave_the_queues_unless_asked_for(self, three_cases, users):
        mine, _theirs, _pool = three_cases
        case_decide(actor=users["case_officer"], origin=SYSTEM, case=mine, outcome=Stage.WITHDRAWN, reason="Stays.")
        officer = users["case_officer"]

        assert mine.reference not in _references(
            case_list(actor=officer, origin=SYSTEM, filters=CaseFilters(queue="mine"))
        )
        assert _references(
            case_list(actor=officer, origin=SYSTEM, filters=CaseFilters(queue="mine", include_closed=True))
        ) == {mine.reference}

    def test_a_list_costs_the_same_queries_for_few_cases_and_many(self, make_case, users, django_assert_num_queries):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        chief = users["desk_chief"]

        def queries() -> int:
            with CaptureQueriesContext(connection) as context:
                page = case_list(actor=chief, origin=SYSTEM, filters=CaseFilters())
                rows = [(case.reference, case.applicants[0].person.family_name, case.member_count) for case in page]
                columns = case_board(
                    actor=chief, origin=SYSTEM, filters=CaseFilters(), pipeline=page[0].request_type.stages()
                )
                cards = [
                    (card.reference, card.applicants[0].person.given_name)
                    for column in columns
                    for card in column.cases
                ]
            assert rows and cards
            return len(context.captured_queries)

        make_case(family=(("Olena", "Kovalenko"), ("Ivan", "Kovalenko")))
        few = queries()
        for index in range(12):
            make_case(family=((f"Name{index}", "Family"), ("Child", "Family")))
        assert queries() == few


class TestBoard:
    def test_columns_follow_the_pipeline_with_totals_and_ageing(self, three_cases, users):
        mine, _theirs, pool = three_cases
        case_move(actor=users["case_officer"], origin=SYSTEM, case=mine, to_stage=Stage.ELIGIBILITY_REVIEW)
        Case.objects.filter(pk=pool.pk).update(stage_entered_at=timezone.now() - timedelta(days=2))

        columns = case_board(
            actor=users["desk_chief"], origin=SYSTEM, filters=CaseFilters(), pipeline=mine.request_type.stages()
        )

        assert [column.stage for column in columns] == mine.request_type.stages()
        by_stage = {column.stage: column for column in columns}
        assert (by_stage["received"].total, by_stage["received"].ageing) == (2, 1)
        assert [case.reference for case in by_stage["eligibility_review"].cases] == [mine.reference]


class TestReport:
    def test_counts_times_and_decisions(self, three_cases, users):
        mine, _theirs, _pool = three_cases
        officer = users["case_officer"]
        case = case_walk_to(mine, Stage.DECISION, actor=officer)
        case_decide(actor=officer, origin=SYSTEM, case=case, outcome=Stage.APPROVED, reason="Eligible.")

        report = case_report(actor=users["desk_chief"])

        by_stage = {row.stage: row for row in report.by_stage}
        assert (by_stage["received"].open_now, by_stage["approved"].open_now) == (2, 1)
        assert report.total_open == 3
        assert by_stage["received"].median_days is not None
        assert by_stage["received"].median_days >= 0
        today = timezone.now().date().isoformat()
        assert report.decisions_per_day == [(today, 1, 0, 0)]

    def test_only_a_desk_chief_reads_the_report(self, users):
        with pytest.raises(PermissionDenied):
            case_report(actor=users["case_officer"])


class TestSitrepSection:
    def test_the_section_counts_as_of_the_sitreps_moment(self, three_cases, users):
        from crisisdesk.cases.sitrep import CASES_SECTION
        from crisisdesk.sitrep.sections import SectionContext, section_by_key

        mine, _theirs, _pool = three_cases
        before_decision = timezone.now()
        case = case_walk_to(mine, Stage.DECISION, actor=users["case_officer"])
        case_decide(actor=users["case_officer"], origin=SYSTEM, case=case, outcome=Stage.WITHDRAWN, reason="Stays.")

        assert section_by_key("immigration_requests") is CASES_SECTION
        now = {row.label: row.value for row in CASES_SECTION.rows(SectionContext(timezone.now(), None))}
        then = {row.label: row.value for row in CASES_SECTION.rows(SectionContext(before_decision, None))}
        assert (now["Requests received"], now["Requests open"]) == (3, 2)
        assert (then["Requests received"], then["Requests open"]) == (3, 3)
