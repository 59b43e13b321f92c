"""Staff pages of the cases module: who may open each (collected from the URL conf), each
action through its form, document upload and download, the queues' filters and tabs, the
board, the report, and fixed query counts for the list and the board.

Personas (conftest.py): `case_officer` works the case `mine`; `case_officer_two` works
`theirs`, which `case_officer` may not see; `desk_chief` and `admin` see every case; the
border officer (intake only) and everyone else may open none of these pages.
"""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, reverse
from django.utils import timezone

from crisisdesk.cases import urls as case_urls
from crisisdesk.cases.errors import MESSAGES, CaseError
from crisisdesk.cases.models import Case, CaseDocument, CaseEvent, Stage
from crisisdesk.cases.services import case_assign, case_decide, case_document_add, case_note_add
from crisisdesk.cases.tests.conftest import case_walk_to
from crisisdesk.common.models import AuditEvent
from crisisdesk.common.origin import SYSTEM
from crisisdesk.common.testing.personas import ALL_PERSONAS, client_for

pytestmark = pytest.mark.django_db

WORKERS = {"admin", "desk_chief", "case_officer"}
CHIEFS = {"admin", "desk_chief"}
# Pages and actions for the desk chief alone. Every other page of the module is for
# anyone who works cases: a new page joins the matrix as such unless it is listed here.
CHIEF_ONLY = {"cases:report", "cases:assign", "cases:priority_set"}
# Opening a request is also the border officer's (intake only: no queue, no case pages).
INTAKE_PAGES = {"cases:intake"}
INTAKERS = {*WORKERS, "border_officer"}
PATH_KEYWORDS = {"case_id", "document_id"}


def _message(code: CaseError) -> str:
    return str(MESSAGES[code])


def _client(user):
    return client_for(user.get_username(), {user.get_username(): user})


def _html(response) -> str:
    return response.content.decode()


@pytest.fixture
def world(make_case, users, case_officer_two, sample_pdf):
    """`mine` is the case officer's, `theirs` the second officer's; each has a document."""
    chief = users["desk_chief"]
    mine = case_assign(actor=chief, origin=SYSTEM, case=make_case(), officer=users["case_officer"])
    theirs = case_assign(
        actor=chief, origin=SYSTEM, case=make_case(family=(("Taras", "Shevchuk"),)), officer=case_officer_two
    )
    for case, officer in ((mine, users["case_officer"]), (theirs, case_officer_two)):
        case_document_add(
            actor=officer, origin=SYSTEM, case=case, kind="passport", name="passport.pdf", content=sample_pdf
        )
    return {"mine": mine, "theirs": theirs}


# --- The permission matrix, over every URL of the module ----------------------------------------


def _patterns() -> list[tuple[str, str]]:
    return [
        (f"cases:{entry.name}", str(entry.pattern)) for entry in case_urls.urlpatterns if isinstance(entry, URLPattern)
    ]


PATTERNS = _patterns()
CASE_PATTERNS = [(name, route) for name, route in PATTERNS if "<" in route]


def _keywords(route: str) -> list[str]:
    return re.findall(r"<(?:\w+:)?(\w+)>", route)


def _kwargs(route: str, case: Case) -> dict:
    values = {"case_id": case.pk, "document_id": case.documents.get().pk}
    return {keyword: values[keyword] for keyword in _keywords(route)}


def _request(client, url: str):
    """A GET; an action (POST only: 405 to a GET) is sent an empty form instead."""
    response = client.get(url)
    if response.status_code == 405:
        response = client.post(url, {})
    return response


def _expect_denied(response, persona: str) -> None:
    if persona == "anonymous":
        assert response.status_code == 302
        assert "/login/" in response["Location"]
    else:
        assert response.status_code == 403


def test_the_matrix_sees_the_whole_module():
    """The collection works, and every path keyword is one the matrix knows how to fill."""
    assert len(PATTERNS) >= 14
    assert {name for name, _route in PATTERNS} >= {"cases:queue", "cases:board", "cases:detail", *CHIEF_ONLY}
    assert {keyword for _name, route in PATTERNS for keyword in _keywords(route)} <= PATH_KEYWORDS


@pytest.mark.parametrize("persona", ALL_PERSONAS)
@pytest.mark.parametrize(("url_name", "route"), PATTERNS, ids=[name for name, _route in PATTERNS])
def test_permission_matrix_on_a_case_in_scope(world, as_persona, url_name, route, persona):
    """Pages answer 200 and actions their form's answer (the page again, or a redirect)."""
    url = reverse(url_name, kwargs=_kwargs(route, world["mine"]))

    response = _request(as_persona(persona), url)

    allowed = CHIEFS if url_name in CHIEF_ONLY else INTAKERS if url_name in INTAKE_PAGES else WORKERS
    if persona in allowed:
        assert response.status_code in {200, 302}
        if response.status_code == 302:
            assert response["Location"] == reverse("cases:detail", kwargs={"case_id": world["mine"].pk})
    else:
        _expect_denied(response, persona)


@pytest.mark.parametrize("persona", ALL_PERSONAS)
@pytest.mark.parametrize(("url_name", "route"), CASE_PATTERNS, ids=[name for name, _route in CASE_PATTERNS])
def test_permission_matrix_on_a_colleagues_case(world, as_persona, url_name, route, persona):
    """A case outside the reader's scope is answered as a missing one, before the action's
    own permission is asked."""
    url = reverse(url_name, kwargs=_kwargs(route, world["theirs"]))

    response = _request(as_persona(persona), url)

    if persona == "case_officer":
        assert response.status_code == 404
    elif persona in CHIEFS:
        assert response.status_code in {200, 302}
    else:
        _expect_denied(response, persona)


@pytest.mark.parametrize(("url_name", "route"), CASE_PATTERNS, ids=[name for name, _route in CASE_PATTERNS])
def test_a_missing_case_is_404(world, as_persona, url_name, route):
    kwargs = _kwargs(route, world["mine"])
    kwargs["case_id"] += 1000

    assert _request(as_persona("desk_chief"), reverse(url_name, kwargs=kwargs)).status_code == 404


def test_a_document_of_another_case_is_404(world, as_persona):
    url = reverse(
        "cases:document_download",
        kwargs={"case_id": world["mine"].pk, "document_id": world["theirs"].documents.get().pk},
    )

    assert as_persona("desk_chief").get(url).status_code == 404


def test_the_nav_shows_requests_to_those_who_work_cases(as_persona):
    for persona in ("case_officer", "desk_chief", "border_officer"):
        page = _html(as_persona(persona).get(reverse("staff_home"), follow=True))
        assert ('data-testid="nav-cases"' in page) == (persona != "border_officer")


# --- The queues --------------------------------------------------------------------------------


@pytest.fixture
def queues(make_case, users, case_officer_two):
    chief = users["desk_chief"]
    mine = case_assign(actor=chief, origin=SYSTEM, case=make_case(), officer=users["case_officer"])
    pool = make_case(family=(("Ivan", "Bondar"),))
    theirs = case_assign(
        actor=chief, origin=SYSTEM, case=make_case(family=(("Taras", "Shevchuk"),)), officer=case_officer_two
    )
    review = case_walk_to(theirs, Stage.DECISION, actor=case_officer_two)
    case_decide(actor=case_officer_two, origin=SYSTEM, case=review, outcome=Stage.REJECTED, reason="No basis.")
    return {"mine": mine, "pool": pool, "review": theirs}


def _rows(response) -> set[str]:
    return set(re.findall(r'data-testid="case-row" data-reference="([^"]+)"', _html(response)))


@pytest.mark.parametrize(
    ("queue", "expected"), [("mine", {"mine"}), ("pool", {"pool"}), ("reviews", {"review"}), ("all", {"mine"})]
)
def test_the_officers_tabs(queues, as_persona, queue, expected):
    """An officer has no "All" tab: asking for it shows their own queue."""
    response = as_persona("case_officer").get(reverse("cases:queue"), {"queue": queue})

    assert _rows(response) == {queues[key].reference for key in expected}
    assert ('data-testid="tab-all"' in _html(response)) is False


def test_the_desk_chief_sees_everything_by_default(queues, as_persona):
    response = as_persona("desk_chief").get(reverse("cases:queue"))

    assert _rows(response) == {case.reference for case in queues.values()}
    assert 'data-testid="tab-all"' in _html(response)


def test_the_list_shows_applicant_members_and_the_ageing_badge(make_case, as_persona):
    # given one case long in "received" (1 day by default) and one fresh one
    old = make_case(family=(("Olena", "Kovalenko"), ("Mykola", "Kovalenko")))
    Case.objects.filter(pk=old.pk).update(stage_entered_at=timezone.now() - timedelta(days=4))
    fresh = make_case(family=(("Ivan", "Bondar"),))

    page = _html(as_persona("desk_chief").get(reverse("cases:queue")))

    old_row = re.search(rf'<tr data-testid="case-row" data-reference="{old.reference}".*?</tr>', page, re.S).group(0)
    fresh_row = re.search(rf'<tr data-testid="case-row" data-reference="{fresh.reference}".*?</tr>', page, re.S)
    assert 'data-ageing="true"' in old_row and 'data-testid="ageing"' in old_row
    assert "<bdi>Olena Kovalenko</bdi>" in old_row and "<td>2</td>" in old_row
    assert 'data-testid="ageing"' not in fresh_row.group(0)


def test_the_filters(make_case, as_persona, users):
    old = make_case(family=(("Olena", "Kovalenko"),))
    Case.objects.filter(pk=old.pk).update(stage_entered_at=timezone.now() - timedelta(days=4))
    moved = case_walk_to(make_case(family=(("Ivan", "Bondar"),)), Stage.ELIGIBILITY_REVIEW, actor=users["desk_chief"])
    chief = as_persona("desk_chief")

    def rows(**params):
        return _rows(chief.get(reverse("cases:queue"), params))

    assert rows(stage=Stage.ELIGIBILITY_REVIEW) == {moved.reference}
    assert rows(min_days=3) == {old.reference}
    assert rows(ageing_only="on") == {old.reference}
    assert rows(q=old.reference.removeprefix("C-").lower()) == {old.reference}
    assert rows(priority="2") == set()
    assert rows(min_days="not a number") == {old.reference, moved.reference}  # a bad filter is dropped alone


def test_the_filters_answer_htmx_with_the_table_alone(queues, as_persona):
    response = as_persona("desk_chief").get(reverse("cases:queue"), headers={"HX-Request": "true"})

    assert 'data-testid="case-table"' in _html(response)
    assert "<nav" not in _html(response).split('data-testid="case-table"')[0]
    assert "HX-Request" in response["Vary"]


def test_the_list_is_paginated_by_fifty(make_case, as_persona):
    for _ in range(51):
        make_case()

    chief = as_persona("desk_chief")
    assert len(_rows(chief.get(reverse("cases:queue")))) == 50
    assert len(_rows(chief.get(reverse("cases:queue"), {"page": 2}))) == 1


# --- The board ---------------------------------------------------------------------------------


def _column(page: str, stage: str) -> str:
    return re.search(rf'data-testid="board-column" data-stage="{stage}".*?</section>', page, re.S).group(0)


def test_the_board_has_a_column_per_stage_of_the_pipeline(make_case, as_persona, users, immigration):
    old = make_case()
    Case.objects.filter(pk=old.pk).update(stage_entered_at=timezone.now() - timedelta(days=4))
    make_case()
    case_walk_to(make_case(), Stage.DOCUMENTS_PENDING, actor=users["desk_chief"])

    page = _html(as_persona("desk_chief").get(reverse("cases:board")))

    assert re.findall(r'data-testid="board-column" data-stage="(\w+)"', page) == immigration.stages()
    received = _column(page, Stage.RECEIVED)
    assert '<span class="badge text-bg-secondary" data-testid="column-total"' in received
    assert re.search(r'data-testid="column-total"[^>]*>2<', received)
    assert "1 ageing" in received
    assert received.count('data-testid="board-card"') == 2
    assert _column(page, Stage.DOCUMENTS_PENDING).count('data-testid="board-card"') == 1


def test_the_board_follows_the_chosen_request_type(make_case, as_persona):
    from crisisdesk.cases.models import RequestType

    entry = RequestType.objects.get(code="entry")
    page = _html(as_persona("desk_chief").get(reverse("cases:board"), {"request_type": entry.pk}))

    assert re.findall(r'data-testid="board-column" data-stage="(\w+)"', page) == entry.stages()


def test_the_board_pages_its_columns_by_twenty(make_case, as_persona):
    for _ in range(21):
        make_case()
    chief = as_persona("desk_chief")

    first = _html(chief.get(reverse("cases:board")))
    second = _html(chief.get(reverse("cases:board"), {"page": 2}))

    assert _column(first, Stage.RECEIVED).count('data-testid="board-card"') == 20
    assert 'data-testid="board-next"' in first
    assert _column(second, Stage.RECEIVED).count('data-testid="board-card"') == 1


# --- Query counts --------------------------------------------------------------------------------


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


@pytest.mark.parametrize(("url_name", "ceiling"), [("cases:queue", 12), ("cases:board", 16)])
def test_query_count_does_not_grow_with_the_cases(make_case, users, url_name, ceiling):
    """No N+1: the same number of queries for 5 cases as for 40 (the board: a fixed number
    per column of the pipeline), and under a ceiling that a new query must argue past."""
    chief = users["desk_chief"]
    officer = users["case_officer"]

    def add(count: int) -> None:
        for index in range(count):
            case = make_case(family=(("Olena", "Kovalenko"), ("Mykola", "Kovalenko")))
            if index % 2:
                case_assign(actor=chief, origin=SYSTEM, case=case, officer=officer)

    add(5)
    client = _client(chief)
    url = reverse(url_name) + "?ageing_only=&priority="
    few = _queries(client, url)
    add(35)
    many = _queries(client, url)

    assert few == many
    assert many <= ceiling


# --- A case's page -------------------------------------------------------------------------------


def test_the_case_page_shows_members_timeline_notes_and_what_is_missing(world, as_persona, users):
    mine = world["mine"]
    case_note_add(actor=users["case_officer"], origin=SYSTEM, case=mine, note="Called the applicant.")

    page = _html(as_persona("case_officer").get(reverse("cases:detail", kwargs={"case_id": mine.pk})))

    person = mine.members.get(role="applicant").person
    assert reverse("registry:person_detail", kwargs={"person_id": person.pk}) in page
    assert "Called the applicant." in page  # internal notes are for staff
    assert 'data-kind="note"' in page and 'data-kind="assigned"' in page
    missing = re.search(r'data-testid="documents-missing">.*?</div>', page, re.S).group(0)
    assert "Birth certificate" in missing and "Passport" not in missing
    assert 'data-testid="pipeline"' in page and 'data-stage="received" data-state="current"' in page
    # the officer works it: move, decide, note and upload are offered; assign is the chief's
    for form in ("move-form", "decide-form", "note-form", "upload-form"):
        assert f'data-testid="{form}"' in page
    assert 'data-testid="assign-form"' not in page and 'data-testid="take-form"' not in page


def test_a_pool_case_offers_take_and_not_work(make_case, as_persona):
    case = make_case()

    page = _html(as_persona("case_officer").get(reverse("cases:detail", kwargs={"case_id": case.pk})))

    assert 'data-testid="take-form"' in page
    assert 'data-testid="move-form"' not in page and 'data-testid="decide-form"' not in page


def test_viewing_a_case_is_audited(world, as_persona, users):
    as_persona("case_officer").get(reverse("cases:detail", kwargs={"case_id": world["mine"].pk}))

    row = AuditEvent.objects.filter(action=AuditEvent.Action.CASE_VIEWED).get()
    assert (row.actor, row.target_id, row.channel) == (users["case_officer"], str(world["mine"].pk), "web")


# --- Actions through the views ---------------------------------------------------------------------


def _post(client, name: str, case: Case, data: dict | None = None, **kwargs):
    return client.post(reverse(f"cases:{name}", kwargs={"case_id": case.pk, **kwargs}), data or {})


def _done(response, case: Case) -> None:
    assert response.status_code == 302, _html(response)[:2000]
    assert response["Location"] == reverse("cases:detail", kwargs={"case_id": case.pk})


def test_an_officer_takes_a_case_from_the_pool(make_case, as_persona, users):
    case = make_case()
    client = as_persona("case_officer")

    _done(_post(client, "take", case), case)

    case.refresh_from_db()
    assert case.officer == users["case_officer"]
    page = _html(client.get(reverse("cases:detail", kwargs={"case_id": case.pk})))
    assert "The case is in your queue." in page


def test_taking_an_assigned_case_is_refused_on_the_form(world, as_persona):
    response = _post(as_persona("desk_chief"), "take", world["mine"])

    assert response.status_code == 200
    assert _message(CaseError.ALREADY_ASSIGNED) in _html(response)


def test_the_desk_chief_assigns_and_returns_to_the_pool(make_case, as_persona, users):
    case = make_case()
    chief = as_persona("desk_chief")

    _done(_post(chief, "assign", case, {"assign-officer": users["case_officer"].pk}), case)
    case.refresh_from_db()
    assert case.officer == users["case_officer"]

    _done(_post(chief, "assign", case, {"assign-officer": ""}), case)
    case.refresh_from_db()
    assert case.officer is None
    assert case.events.filter(kind=CaseEvent.Kind.ASSIGNED).count() == 2


def test_a_case_is_assigned_only_to_someone_who_works_cases(make_case, as_persona, users):
    case = make_case()

    response = _post(as_persona("desk_chief"), "assign", case, {"assign-officer": users["border_officer"].pk})

    assert response.status_code == 200
    assert "Select a valid choice" in _html(response)
    case.refresh_from_db()
    assert case.officer is None


def test_moving_forward_and_back(world, as_persona):
    mine = world["mine"]
    client = as_persona("case_officer")

    _done(_post(client, "move", mine, {"move-to_stage": Stage.ELIGIBILITY_REVIEW}), mine)
    response = _post(client, "move", mine, {"move-to_stage": Stage.RECEIVED})
    assert response.status_code == 200
    assert _message(CaseError.REASON_REQUIRED) in _html(response)

    _done(_post(client, "move", mine, {"move-to_stage": Stage.RECEIVED, "move-note": "Basis unclear."}), mine)
    mine.refresh_from_db()
    assert mine.stage == Stage.RECEIVED
    assert mine.events.filter(kind=CaseEvent.Kind.STAGE_CHANGED).last().note == "Basis unclear."


def test_skipping_a_stage_is_refused_with_the_services_words(world, as_persona):
    response = _post(as_persona("case_officer"), "move", world["mine"], {"move-to_stage": Stage.DECISION})

    assert response.status_code == 200
    assert _message(CaseError.STAGE_NOT_NEXT) in _html(response)


def test_a_stale_page_is_refused(world, as_persona):
    mine = world["mine"]

    response = _post(
        as_persona("case_officer"),
        "move",
        mine,
        {"move-to_stage": Stage.ELIGIBILITY_REVIEW, "move-version": mine.version - 1 or 99},
    )

    assert _message(CaseError.STALE) in _html(response)
    mine.refresh_from_db()
    assert mine.stage == Stage.RECEIVED


@pytest.fixture
def at_decision(world, users):
    return case_walk_to(world["mine"], Stage.DECISION, actor=users["case_officer"])


def test_a_decision_needs_a_reason(at_decision, as_persona):
    response = _post(as_persona("case_officer"), "decide", at_decision, {"decide-outcome": Stage.APPROVED})

    assert response.status_code == 200
    assert _message(CaseError.REASON_REQUIRED) in _html(response)
    at_decision.refresh_from_db()
    assert at_decision.stage == Stage.DECISION


def test_an_approval_then_travel(at_decision, as_persona):
    client = as_persona("case_officer")

    _done(
        _post(client, "decide", at_decision, {"decide-outcome": Stage.APPROVED, "decide-reason": "Eligible."}),
        at_decision,
    )
    _done(_post(client, "move", at_decision, {"move-to_stage": Stage.TRAVEL_ARRANGED}), at_decision)

    at_decision.refresh_from_db()
    assert (at_decision.decision, at_decision.stage) == (Stage.APPROVED, Stage.TRAVEL_ARRANGED)


def test_travel_before_a_decision_is_refused(world, as_persona):
    response = _post(as_persona("case_officer"), "move", world["mine"], {"move-to_stage": Stage.TRAVEL_ARRANGED})

    assert _message(CaseError.TRAVEL_NEEDS_APPROVAL) in _html(response)


def test_a_rejection_needs_a_second_officer(at_decision, as_persona, case_officer_two):
    officer = as_persona("case_officer")
    _done(
        _post(officer, "decide", at_decision, {"decide-outcome": Stage.REJECTED, "decide-reason": "No basis."}),
        at_decision,
    )
    at_decision.refresh_from_db()
    assert at_decision.stage == Stage.DECISION and at_decision.rejection_proposed_by is not None

    # the proposer cannot confirm their own proposal
    response = _post(officer, "rejection_review", at_decision, {"review-decision": "confirm"})
    assert response.status_code == 200
    assert _message(CaseError.SECOND_OFFICER_REQUIRED) in _html(response)

    # a second officer sees it in their reviews, and confirms it
    second = _client(case_officer_two)
    reviews = _rows(second.get(reverse("cases:queue"), {"queue": "reviews"}))
    assert reviews == {at_decision.reference}
    page = _html(second.get(reverse("cases:detail", kwargs={"case_id": at_decision.pk})))
    assert 'data-testid="review-form"' in page
    _done(_post(second, "rejection_review", at_decision, {"review-decision": "confirm"}), at_decision)
    at_decision.refresh_from_db()
    assert at_decision.stage == Stage.REJECTED


def test_a_rejection_sent_back_needs_a_note(at_decision, users, case_officer_two):
    case_decide(actor=users["case_officer"], origin=SYSTEM, case=at_decision, outcome=Stage.REJECTED, reason="No.")
    second = _client(case_officer_two)

    response = _post(second, "rejection_review", at_decision, {"review-decision": "return"})
    assert _message(CaseError.REASON_REQUIRED) in _html(response)

    _done(
        _post(second, "rejection_review", at_decision, {"review-decision": "return", "review-note": "Ask again."}),
        at_decision,
    )
    at_decision.refresh_from_db()
    assert at_decision.rejection_proposed_by is None and at_decision.stage == Stage.DECISION


def test_a_withdrawal_at_any_stage(world, as_persona):
    mine = world["mine"]

    _done(
        _post(
            as_persona("case_officer"),
            "decide",
            mine,
            {"decide-outcome": Stage.WITHDRAWN, "decide-reason": "The family chose to stay."},
        ),
        mine,
    )

    mine.refresh_from_db()
    assert mine.stage == Stage.WITHDRAWN


def test_an_officer_cannot_work_a_pool_case_without_taking_it(make_case, as_persona):
    case = make_case()

    response = _post(as_persona("case_officer"), "move", case, {"move-to_stage": Stage.ELIGIBILITY_REVIEW})

    assert _message(CaseError.NOT_YOURS) in _html(response)


def test_an_internal_note(world, as_persona):
    mine = world["mine"]
    client = as_persona("case_officer")

    response = _post(client, "note_add", mine, {"note-note": "  "})
    assert response.status_code == 200 and "This field is required." in _html(response)

    _done(_post(client, "note_add", mine, {"note-note": "Spoke to the consulate."}), mine)
    assert mine.events.get(kind=CaseEvent.Kind.NOTE).note == "Spoke to the consulate."


def test_the_desk_chief_sets_the_priority(world, as_persona):
    mine = world["mine"]

    _done(_post(as_persona("desk_chief"), "priority_set", mine, {"priority-priority": "2"}), mine)

    mine.refresh_from_db()
    assert mine.priority == Case.Priority.URGENT


def test_a_closed_case_refuses_further_moves(world, as_persona, users):
    mine = world["mine"]
    case_decide(actor=users["case_officer"], origin=SYSTEM, case=mine, outcome=Stage.WITHDRAWN, reason="Stayed.")

    response = _post(as_persona("case_officer"), "move", mine, {"move-to_stage": Stage.ELIGIBILITY_REVIEW})

    assert _message(CaseError.CLOSED) in _html(response)


# --- Documents -------------------------------------------------------------------------------------


def _upload(client, case: Case, name: str, content: bytes, kind: str = "birth_certificate", **extra):
    from django.core.files.uploadedfile import SimpleUploadedFile

    data = {"upload-kind": kind, "upload-file": SimpleUploadedFile(name, content, content_type="application/pdf")}
    data.update(extra)
    return client.post(reverse("cases:document_upload", kwargs={"case_id": case.pk}), data)


def test_a_text_file_renamed_pdf_is_refused(world, as_persona):
    mine = world["mine"]

    response = _upload(as_persona("case_officer"), mine, "birth.pdf", b"#!/bin/sh\necho not a pdf\n")

    assert response.status_code == 200
    assert _message(CaseError.FILE_TYPE) in _html(response)
    assert mine.documents.count() == 1


def test_an_oversize_file_is_refused(world, as_persona, settings, sample_pdf):
    settings.CRISISDESK_DOCUMENT_MAX_BYTES = len(sample_pdf) - 1

    response = _upload(as_persona("case_officer"), world["mine"], "birth.pdf", sample_pdf)

    assert _message(CaseError.FILE_TOO_LARGE) in _html(response)


def test_a_good_pdf_is_accepted_for_a_member(world, as_persona, sample_pdf):
    mine = world["mine"]
    member = mine.members.get()
    client = as_persona("case_officer")

    _done(_upload(client, mine, "../../etc/birth certificate.pdf", sample_pdf, **{"upload-member": member.pk}), mine)

    document = mine.documents.get(kind="birth_certificate")
    assert (document.member, document.display_name, document.content_type) == (
        member,
        "birth certificate.pdf",
        "application/pdf",
    )
    page = _html(client.get(reverse("cases:detail", kwargs={"case_id": mine.pk})))
    assert 'data-kind="birth_certificate" data-state="received"' in page


def test_a_download_is_an_audited_attachment(world, as_persona, users, sample_pdf):
    mine = world["mine"]
    document = mine.documents.get()

    response = as_persona("case_officer").get(
        reverse("cases:document_download", kwargs={"case_id": mine.pk, "document_id": document.pk})
    )

    assert response.status_code == 200
    assert response.content == sample_pdf
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="passport.pdf"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "no-store"
    row = AuditEvent.objects.filter(action=AuditEvent.Action.CASE_DOCUMENT_VIEWED).get()
    assert (row.actor, row.target_id) == (users["case_officer"], str(document.pk))


def test_a_download_out_of_scope_is_404_and_not_audited(world, as_persona):
    theirs = world["theirs"]

    response = as_persona("case_officer").get(
        reverse("cases:document_download", kwargs={"case_id": theirs.pk, "document_id": theirs.documents.get().pk})
    )

    assert response.status_code == 404
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.CASE_DOCUMENT_VIEWED).exists()


def test_a_document_is_accepted_or_not(world, as_persona):
    mine = world["mine"]
    document = mine.documents.get()
    client = as_persona("case_officer")
    url = reverse("cases:document_review", kwargs={"case_id": mine.pk, "document_id": document.pk})

    _done(
        client.post(url, {f"document-{document.pk}-state": "rejected", f"document-{document.pk}-note": "Blurred."}),
        mine,
    )

    document.refresh_from_db()
    assert document.state == CaseDocument.State.REJECTED
    page = _html(client.get(reverse("cases:detail", kwargs={"case_id": mine.pk})))
    assert "Passport" in re.search(r'data-testid="documents-missing">.*?</div>', page, re.S).group(0)


def test_reviewing_a_colleagues_pool_document_is_refused(make_case, as_persona, users, sample_pdf):
    case = make_case()
    document = case_document_add(
        actor=None, origin=SYSTEM, case=case, kind="passport", name="p.pdf", content=sample_pdf
    )
    url = reverse("cases:document_review", kwargs={"case_id": case.pk, "document_id": document.pk})

    response = as_persona("case_officer").post(url, {f"document-{document.pk}-state": "accepted"})

    assert response.status_code == 200
    assert _message(CaseError.NOT_YOURS) in _html(response)


# --- The report --------------------------------------------------------------------------------------


def test_the_report_counts_stages_and_decisions(at_decision, as_persona, users):
    case_decide(actor=users["case_officer"], origin=SYSTEM, case=at_decision, outcome=Stage.APPROVED, reason="Yes.")

    page = _html(as_persona("desk_chief").get(reverse("cases:report")))

    approved = re.search(r'data-stage="approved">.*?</tr>', page, re.S).group(0)
    assert re.search(r'data-testid="open-now">1<', approved)
    days = re.findall(r'data-testid="report-day"', page)
    assert len(days) == 1
    assert 'data-bar-share="100"' in page
