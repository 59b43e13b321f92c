"""The cases JSON API: /api/v1/cases...

Personas: `case_officer` works Olena's case (`mine`), Taras's (at the decision) and may take
Ivan's from the pool; `case_officer_two` has Petro's case (`theirs`, outside the first
officer's scope) and proposed the rejection of Marta's (`to_review`), which the first officer
may review. `desk_chief` and `admin` see and work every case and assign them;
`border_officer` may only open cases (POST /cases); everyone else may do nothing here.
"""

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from crisisdesk.accounts.services import token_issue
from crisisdesk.cases.api import router
from crisisdesk.cases.errors import CaseError
from crisisdesk.cases.models import Case, CaseEvent, CaseMember, DocumentKind, EligibilityBasis, Stage
from crisisdesk.cases.selectors import case_for_status_token
from crisisdesk.cases.services import case_assign, case_decide, case_document_add, case_note_add
from crisisdesk.cases.tests.conftest import case_walk_to
from crisisdesk.common.models import AuditEvent
from crisisdesk.common.origin import SYSTEM
from crisisdesk.common.testing.personas import ALL_PERSONAS
from crisisdesk.registry.models import Person
from crisisdesk.registry.tests.factories import person_registered

pytestmark = pytest.mark.django_db

BASE = "/api/v1/cases"


@dataclass(frozen=True)
class World:
    mine: Case
    pool: Case
    at_decision: Case
    to_review: Case
    theirs: Case
    document_id: int


@pytest.fixture
def world(make_case, users, case_officer_two, sample_pdf) -> World:
    chief, officer = users["desk_chief"], users["case_officer"]

    def assigned(family, to):
        return case_assign(actor=chief, origin=SYSTEM, case=make_case(family=family), officer=to)

    mine = assigned((("Olena", "Kovalenko"), ("Ivan", "Kovalenko")), officer)
    document = case_document_add(
        actor=officer, origin=SYSTEM, case=mine, kind=DocumentKind.PASSPORT, name="passport.pdf", content=sample_pdf
    )
    case_note_add(actor=officer, origin=SYSTEM, case=mine, note="Called her sister in Haifa.")
    pool = make_case(family=(("Ivan", "Bondar"),))
    at_decision = case_walk_to(assigned((("Taras", "Shevchuk"),), officer), Stage.DECISION, actor=officer)
    to_review = case_walk_to(
        assigned((("Marta", "Hnatyuk"),), case_officer_two), Stage.DECISION, actor=case_officer_two
    )
    case_decide(actor=case_officer_two, origin=SYSTEM, case=to_review, outcome=Stage.REJECTED, reason="No basis.")
    theirs = assigned((("Petro", "Lysenko"),), case_officer_two)
    return World(mine, pool, at_decision, to_review, theirs, document.pk)


@pytest.fixture
def call(api, case_officer_two):
    """`call("case_officer_two")` as well as every persona of `api`."""
    raw = token_issue(actor=None, origin=SYSTEM, user=case_officer_two, label="test")[1]

    def client_for(persona: str) -> Client:
        if persona == "case_officer_two":
            return Client(headers={"Authorization": f"Bearer {raw}"})
        return api(persona)

    return client_for


def post(client: Client, url: str, body: dict | None = None):
    return client.post(url, body or {}, content_type="application/json")


def open_body(**overrides) -> dict:
    body = {"origin": "border", "applicant": {"person": {"given_name": "Roman", "family_name": "Melnyk"}}}
    return body | overrides


# --- The permission matrix ----------------------------------------------------------------
# Written out, not derived from ROLE_PERMISSIONS, so that a change to the role table has to be
# made here on purpose.

NOBODY_ELSE = {
    "consul": 403,
    "logistics_officer": 403,
    "diplomat": 403,
    "senior_diplomat": 403,
    "political_director": 403,
    "anonymous": 401,
}


def expect(*, admin: int, desk_chief: int, case_officer: int, border_officer: int = 403) -> dict:
    return {
        **NOBODY_ELSE,
        "admin": admin,
        "desk_chief": desk_chief,
        "case_officer": case_officer,
        "border_officer": border_officer,
    }


READ = expect(admin=200, desk_chief=200, case_officer=200)
OPEN = expect(admin=201, desk_chief=201, case_officer=201, border_officer=201)
WORK = expect(admin=200, desk_chief=200, case_officer=200)
NOTE = expect(admin=201, desk_chief=201, case_officer=201)
CHIEF = expect(admin=200, desk_chief=200, case_officer=403)


@dataclass(frozen=True)
class Route:
    method: str
    route: str  # as on the router
    expected: dict
    case: str = "mine"  # the World's case in the path
    body: Callable[[], dict] | None = None

    def url(self, world: World) -> str:
        case = getattr(world, self.case)
        return BASE + self.route.format(case_id=case.pk, document_id=world.document_id)

    def __str__(self) -> str:
        return f"{self.method} {self.route}"


ROUTES = [
    Route("GET", "", READ),
    Route("POST", "", OPEN, body=open_body),
    Route("GET", "/board", READ),
    Route("GET", "/report", CHIEF),
    Route("GET", "/{case_id}", READ),
    Route("POST", "/{case_id}/take", WORK, case="pool"),
    Route("POST", "/{case_id}/assign", CHIEF, body=lambda: {"officer": "case_officer"}),
    Route("POST", "/{case_id}/move", WORK, body=lambda: {"to_stage": "eligibility_review"}),
    Route("POST", "/{case_id}/decide", WORK, case="at_decision", body=lambda: {"outcome": "approved", "reason": "Ok"}),
    Route("POST", "/{case_id}/rejection-review", WORK, case="to_review", body=lambda: {"confirm": True}),
    Route("POST", "/{case_id}/notes", NOTE, body=lambda: {"note": "Passport seen."}),
    Route("POST", "/{case_id}/priority", CHIEF, body=lambda: {"priority": 2}),
    Route("GET", "/{case_id}/documents/{document_id}", READ),
]


def router_routes() -> set[tuple[str, str]]:
    """Every (method, path) on the router, with ninja's path converters taken out."""
    import re

    return {
        (method, re.sub(r"\{\w+:(\w+)\}", r"{\1}", path))
        for path, view in router.path_operations.items()
        for operation in view.operations
        for method in operation.methods
    }


def test_the_matrix_covers_every_endpoint():
    """A new endpoint fails here until it has its row in the matrix."""
    assert {(route.method, route.route) for route in ROUTES} == router_routes()


@pytest.mark.parametrize("route", ROUTES, ids=str)
def test_every_matrix_names_every_persona(route):
    assert set(route.expected) == set(ALL_PERSONAS)


@pytest.mark.parametrize("persona", ALL_PERSONAS)
@pytest.mark.parametrize("route", ROUTES, ids=str)
def test_permissions(world, api, route, persona):
    client = api(persona)
    url = route.url(world)
    response = client.get(url) if route.method == "GET" else post(client, url, route.body() if route.body else None)

    assert response.status_code == route.expected[persona], response.content
    if response.status_code == 403:
        assert response.json()["code"] == "forbidden"
    if response.status_code == 401:
        assert response["WWW-Authenticate"] == "Bearer"


@pytest.mark.parametrize(
    "attempt",
    [
        ("consul", "POST", "", {"origin": "nowhere"}),
        ("border_officer", "GET", "?priority=urgent", None),
        ("border_officer", "POST", "/{case_id}/move", {"to_stage": "no-such-stage"}),
        ("case_officer", "POST", "/{case_id}/assign", {"officer": 42}),
        ("case_officer", "GET", "/report?days=-1", None),
    ],
)
def test_a_role_without_the_permission_is_refused_before_its_input_is_read(world, api, attempt):
    """403, not 422, whatever is sent: the answer does not depend on the input."""
    persona, method, url, body = attempt
    client = api(persona)
    url = BASE + url.format(case_id=world.mine.pk)
    response = client.get(url) if method == "GET" else post(client, url, body)

    assert (response.status_code, response.json()["code"]) == (403, "forbidden")


def test_a_session_alone_does_not_open_the_api(world, as_persona):
    assert as_persona("case_officer").get(BASE).status_code == 401


def test_denied_calls_change_nothing(world, api):
    before = (Case.objects.count(), CaseEvent.objects.count(), Person.objects.count())
    post(api("consul"), BASE, open_body())
    post(api("border_officer"), f"{BASE}/{world.pool.pk}/take")
    post(api("case_officer"), f"{BASE}/{world.mine.pk}/assign", {"officer": None})

    assert (Case.objects.count(), CaseEvent.objects.count(), Person.objects.count()) == before
    assert Case.objects.get(pk=world.pool.pk).officer is None


# --- Scope: outside it is missing ---------------------------------------------------------

CASE_ROUTES = [route for route in ROUTES if "{case_id}" in route.route]


@pytest.mark.parametrize("route", CASE_ROUTES, ids=str)
def test_a_colleagues_case_is_404_exactly_like_a_missing_one(world, api, route):
    """Whatever the route, and whatever is posted: the case loads before the body is read."""
    client = api("case_officer")
    theirs = world.theirs.pk
    missing = Case.objects.order_by("-pk").first().pk + 1000
    answers = []
    for case_id in (theirs, missing):
        url = BASE + route.route.format(case_id=case_id, document_id=world.document_id)
        response = client.get(url) if route.method == "GET" else post(client, url, {"nonsense": True})
        answers.append((response.status_code, response.json()))

    assert answers[0] == answers[1]
    assert answers[0][0] == 404 and answers[0][1]["code"] == "not_found"


def test_the_colleagues_case_is_there_for_the_desk_chief(world, api):
    assert api("desk_chief").get(f"{BASE}/{world.theirs.pk}").status_code == 200


def test_lists_hold_only_the_officers_scope(world, api):
    references = {row["reference"] for row in api("case_officer").get(BASE).json()["items"]}

    assert references == {
        world.mine.reference,
        world.pool.reference,
        world.at_decision.reference,
        world.to_review.reference,
    }
    everything = api("desk_chief").get(BASE).json()
    assert everything["count"] == 5


def test_a_document_of_a_colleagues_case_is_404(world, api, case_officer_two, sample_pdf):
    document = case_document_add(
        actor=case_officer_two, origin=SYSTEM, case=world.theirs, kind="passport", name="p.pdf", content=sample_pdf
    )
    response = api("case_officer").get(f"{BASE}/{world.theirs.pk}/documents/{document.pk}")
    assert response.status_code == 404
    # …and a document id of another case, under a case in scope, is missing too.
    response = api("case_officer").get(f"{BASE}/{world.mine.pk}/documents/{document.pk}")
    assert response.status_code == 404
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.CASE_DOCUMENT_VIEWED).exists()


# --- The guards, surfaced as coded errors -------------------------------------------------


@dataclass(frozen=True)
class Guard:
    name: str
    persona: str
    path: str  # {mine}, {pool}, … name the World's cases
    body: dict | None
    status: int
    code: CaseError
    field: str | None

    def __str__(self) -> str:
        return self.name


GUARDS = [
    Guard(
        "a decision needs a reason",
        "case_officer",
        "/{at_decision}/decide",
        {"outcome": "approved", "reason": "  "},
        422,
        CaseError.REASON_REQUIRED,
        "reason",
    ),
    Guard(
        "approval only at the decision stage",
        "case_officer",
        "/{mine}/decide",
        {"outcome": "approved", "reason": "Eligible."},
        422,
        CaseError.NOT_AT_DECISION,
        "outcome",
    ),
    Guard(
        "travel needs an approval",
        "case_officer",
        "/{at_decision}/move",
        {"to_stage": "travel_arranged"},
        422,
        CaseError.TRAVEL_NEEDS_APPROVAL,
        "to_stage",
    ),
    Guard(
        "only the next stage",
        "case_officer",
        "/{mine}/move",
        {"to_stage": "documents_pending"},
        422,
        CaseError.STAGE_NOT_NEXT,
        "to_stage",
    ),
    Guard(
        "the decision stage is left by a decision",
        "case_officer",
        "/{at_decision}/move",
        {"to_stage": "approved"},
        422,
        CaseError.STAGE_NOT_NEXT,
        "to_stage",
    ),
    Guard(
        "going back needs a reason",
        "case_officer",
        "/{at_decision}/move",
        {"to_stage": "eligibility_review"},
        422,
        CaseError.REASON_REQUIRED,
        "note",
    ),
    Guard(
        "the proposer does not confirm their own rejection",
        "case_officer_two",
        "/{to_review}/rejection-review",
        {"confirm": True},
        422,
        CaseError.SECOND_OFFICER_REQUIRED,
        None,
    ),
    Guard(
        "returning a rejection needs a reason",
        "case_officer",
        "/{to_review}/rejection-review",
        {"confirm": False},
        422,
        CaseError.REASON_REQUIRED,
        "note",
    ),
    Guard(
        "a pending rejection blocks a move",
        "case_officer_two",
        "/{to_review}/move",
        {"to_stage": "eligibility_review", "note": "More to check."},
        422,
        CaseError.REJECTION_PENDING,
        None,
    ),
    Guard(
        "nothing to review",
        "case_officer",
        "/{mine}/rejection-review",
        {"confirm": True},
        422,
        CaseError.NO_REJECTION_PENDING,
        None,
    ),
    Guard(
        "a pool case is taken before it is worked",
        "case_officer",
        "/{pool}/move",
        {"to_stage": "eligibility_review"},
        422,
        CaseError.NOT_YOURS,
        None,
    ),
    Guard("a case is taken once", "case_officer", "/{mine}/take", None, 422, CaseError.ALREADY_ASSIGNED, None),
    Guard(
        "only an officer is assigned",
        "desk_chief",
        "/{mine}/assign",
        {"officer": "border_officer"},
        422,
        CaseError.OFFICER_CANNOT_WORK,
        "officer",
    ),
    Guard(
        "an unknown name answers like one who cannot work cases",
        "desk_chief",
        "/{mine}/assign",
        {"officer": "nobody-of-that-name"},
        422,
        CaseError.OFFICER_CANNOT_WORK,
        "officer",
    ),
    Guard(
        "a change made meanwhile",
        "case_officer",
        "/{mine}/move",
        {"to_stage": "eligibility_review", "version": 1},
        409,
        CaseError.STALE,
        None,
    ),
    Guard("a note is not empty", "case_officer", "/{mine}/notes", {"note": " "}, 422, CaseError.NOTE_REQUIRED, "note"),
]


@pytest.mark.parametrize("guard", GUARDS, ids=str)
def test_a_guard_answers_with_its_code(world, call, guard):
    ids = {name: getattr(world, name).pk for name in ("mine", "pool", "at_decision", "to_review", "theirs")}
    before = list(Case.objects.values_list("pk", "stage", "officer_id", "version").order_by("pk"))

    response = post(call(guard.persona), BASE + guard.path.format(**ids), guard.body)

    assert response.status_code == guard.status, response.content
    answer = response.json()
    assert (answer["code"], answer["field"]) == (guard.code.value, guard.field)
    assert answer["message"]
    assert list(Case.objects.values_list("pk", "stage", "officer_id", "version").order_by("pk")) == before


def test_a_closed_case_does_not_move(world, call):
    withdrawn = post(
        call("case_officer"), f"{BASE}/{world.mine.pk}/decide", {"outcome": "withdrawn", "reason": "Left."}
    )
    assert withdrawn.json()["stage"] == "withdrawn"

    response = post(call("case_officer"), f"{BASE}/{world.mine.pk}/move", {"to_stage": "eligibility_review"})

    assert (response.status_code, response.json()["code"]) == (422, CaseError.CLOSED)


def test_a_rejection_takes_two_officers(world, call):
    """Proposed by one, it is pending; the second officer's confirmation closes the case."""
    case_id = world.at_decision.pk
    proposed = post(call("case_officer"), f"{BASE}/{case_id}/decide", {"outcome": "rejected", "reason": "No basis."})
    assert proposed.status_code == 200
    assert (proposed.json()["stage"], proposed.json()["rejection_pending"]) == ("decision", True)

    own = post(call("case_officer"), f"{BASE}/{case_id}/rejection-review", {"confirm": True})
    assert own.json()["code"] == CaseError.SECOND_OFFICER_REQUIRED

    # The case was the first officer's: the second sees it only because the review waits for them.
    confirmed = post(call("case_officer_two"), f"{BASE}/{case_id}/rejection-review", {"confirm": True})
    assert confirmed.status_code == 200, confirmed.content
    assert (confirmed.json()["stage"], confirmed.json()["decision"]) == ("rejected", "rejected")


def test_the_whole_walk_through_the_api(world, call):
    """received → … → approved → travel arranged → arrived, each answer the case's new state."""
    client, case_id = call("case_officer"), world.mine.pk
    version = 2  # assigned once
    for stage in ("eligibility_review", "documents_pending", "decision"):
        moved = post(client, f"{BASE}/{case_id}/move", {"to_stage": stage, "version": version}).json()
        assert moved["stage"] == stage
        version = moved["version"]
    approved = post(
        client, f"{BASE}/{case_id}/decide", {"outcome": "approved", "reason": "Eligible.", "version": version}
    )
    assert approved.json()["stage"] == "approved"
    for stage in ("travel_arranged", "arrived"):
        assert post(client, f"{BASE}/{case_id}/move", {"to_stage": stage}).json()["stage"] == stage

    timeline = client.get(f"{BASE}/{case_id}").json()["timeline"]
    assert [event["to_stage"] for event in timeline if event["kind"] == "stage_changed"][-2:] == [
        "travel_arranged",
        "arrived",
    ]


def test_assign_and_return_to_the_pool(world, call):
    client = call("desk_chief")
    assigned = post(client, f"{BASE}/{world.pool.pk}/assign", {"officer": "case_officer_two"})
    assert assigned.json()["officer"] == "case_officer_two"

    returned = post(client, f"{BASE}/{world.pool.pk}/assign", {"officer": None})

    assert returned.json()["officer"] is None
    assert Case.objects.get(pk=world.pool.pk).officer is None


def test_take_from_the_pool(world, call):
    taken = post(call("case_officer"), f"{BASE}/{world.pool.pk}/take")

    assert taken.status_code == 200 and taken.json()["officer"] == "case_officer"
    queue = call("case_officer").get(BASE, {"queue": "mine"}).json()
    assert world.pool.reference in {row["reference"] for row in queue["items"]}


# --- Opening a case -----------------------------------------------------------------------


def test_a_border_officer_opens_a_case_with_new_and_registered_people(world, api):
    grandmother = person_registered(given_name="Rivka", family_name="Melnyk", birth_year=1941)
    body = open_body(
        basis="jewish_descent",
        basis_note="Grandmother born in Odesa.",
        note="Came by bus; tired.",
        family=[
            {"role": "child", "person": {"given_name": "Dana", "family_name": "Melnyk", "birth": "2012"}},
            {"role": "parent", "person_id": grandmother.pk},
        ],
    )

    response = post(api("border_officer"), BASE, body)

    assert response.status_code == 201, response.content
    answer = response.json()
    assert answer["created"] is True and answer["status_token"]
    case = Case.objects.get(pk=answer["case"]["id"])
    assert (case.stage, case.origin, case.basis.code, case.created_by.username) == (
        "received",
        "border",
        "jewish_descent",
        "border_officer",
    )
    members = [(m.role, m.person.given_name) for m in case.members.select_related("person").order_by("id")]
    assert members == [("applicant", "Roman"), ("child", "Dana"), ("parent", "Rivka")]
    assert case_for_status_token(token=answer["status_token"], origin=SYSTEM).case == case
    created = AuditEvent.objects.get(action=AuditEvent.Action.CASE_CREATED, target_id=str(case.pk))
    assert created.channel == AuditEvent.Channel.API


def test_opening_is_idempotent_on_the_submission_key(world, api):
    """A retry with the same key answers 200 with the case opened the first time, and
    registers nobody again."""
    key = str(uuid.uuid4())
    first = post(api("border_officer"), BASE, open_body(submission_key=key))
    counts = (Case.objects.count(), Person.objects.count(), CaseMember.objects.count(), CaseEvent.objects.count())

    again = post(api("border_officer"), BASE, open_body(submission_key=key))

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["case"]["id"] == first.json()["case"]["id"]
    assert again.json()["created"] is False and again.json()["status_token"] == ""
    after = (Case.objects.count(), Person.objects.count(), CaseMember.objects.count(), CaseEvent.objects.count())
    assert after == counts
    # Without a key every submission is a new request.
    assert post(api("border_officer"), BASE, open_body()).status_code == 201
    assert Case.objects.count() == counts[0] + 1


@pytest.mark.parametrize(
    ("body", "code", "field"),
    [
        (open_body(request_type="visa"), CaseError.UNKNOWN_TYPE, "request_type"),
        (open_body(basis="cousin"), CaseError.UNKNOWN_BASIS, "basis"),
        (open_body(applicant={"person_id": 987_654}), CaseError.NOT_FOUND, "applicant.person_id"),
        (open_body(family=[{"role": "child", "person_id": 987_654}]), CaseError.NOT_FOUND, "family.0.person_id"),
        (open_body(post_id=987_654), CaseError.NOT_FOUND, "post_id"),
        (open_body(origin="mars"), "invalid", "origin"),
        (open_body(applicant={}), "invalid", "applicant"),
        (open_body(family=[{"role": "applicant", "person": {"given_name": "A"}}]), "invalid", "family.0.role"),
        (open_body(applicant={"person": {"given_name": " ", "family_name": ""}}), "name_empty", "given_name"),
    ],
)
def test_an_invalid_opening_is_refused_with_its_code(world, api, body, code, field):
    counts = (Case.objects.count(), Person.objects.count())

    response = post(api("case_officer"), BASE, body)

    assert response.status_code == 422, response.content
    assert (response.json()["code"], response.json()["field"]) == (code, field)
    assert (Case.objects.count(), Person.objects.count()) == counts


def test_a_person_is_on_a_request_once(world, api):
    person = person_registered()
    body = open_body(applicant={"person_id": person.pk}, family=[{"role": "spouse", "person_id": person.pk}])

    response = post(api("case_officer"), BASE, body)

    assert (response.status_code, response.json()["code"]) == (422, "invalid")


def test_a_vulnerable_applicant_raises_the_priority(world, api):
    body = open_body(applicant={"person": {"given_name": "Lev", "family_name": "Katz", "vulnerabilities": ["medical"]}})

    case_id = post(api("case_officer"), BASE, body).json()["case"]["id"]

    assert Case.objects.get(pk=case_id).priority == Case.Priority.URGENT


# --- Reading ------------------------------------------------------------------------------


def test_the_detail_shows_members_timeline_with_notes_documents_and_what_is_missing(world, api):
    response = api("case_officer").get(f"{BASE}/{world.mine.pk}")

    assert response.status_code == 200
    case = response.json()
    assert (case["reference"], case["stage"], case["officer"]) == (world.mine.reference, "received", "case_officer")
    assert [(m["role"], m["given_name"]) for m in case["members"]] == [("applicant", "Olena"), ("child", "Ivan")]
    assert "Called her sister in Haifa." in [event["note"] for event in case["timeline"]]
    assert [event["kind"] for event in case["timeline"]][:2] == ["created", "assigned"]
    (document,) = case["documents"]
    assert (document["id"], document["kind"], document["content_type"]) == (
        world.document_id,
        "passport",
        "application/pdf",
    )
    assert "storage_key" not in document
    assert case["missing_documents"] == ["birth_certificate", "eligibility_proof", "marriage_certificate"]
    assert case["pipeline"][0] == "received"
    viewed = AuditEvent.objects.filter(action=AuditEvent.Action.CASE_VIEWED, target_id=str(world.mine.pk))
    assert viewed.get().channel == AuditEvent.Channel.API


def test_a_document_download_is_an_audited_attachment(world, api, sample_pdf):
    response = api("case_officer").get(f"{BASE}/{world.mine.pk}/documents/{world.document_id}")

    assert response.status_code == 200
    assert response.content == sample_pdf
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert (response["X-Content-Type-Options"], response["Cache-Control"]) == ("nosniff", "no-store")
    opened = AuditEvent.objects.get(action=AuditEvent.Action.CASE_DOCUMENT_VIEWED)
    assert (opened.actor_id, opened.channel, opened.target_id) == (
        world.mine.officer_id,
        AuditEvent.Channel.API,
        str(world.document_id),
    )


def test_list_rows(world, api):
    rows = {row["reference"]: row for row in api("desk_chief").get(BASE).json()["items"]}

    olena = rows[world.mine.reference]
    assert olena["applicants"] == [
        {
            "person_id": world.mine.members.get(role="applicant").person_id,
            "given_name": "Olena",
            "family_name": "Kovalenko",
        }
    ]
    assert (olena["member_count"], olena["officer"], olena["request_type"]["code"]) == (
        2,
        "case_officer",
        "immigration",
    )
    assert olena["basis"]["code"] == "jewish"
    assert rows[world.to_review.reference]["rejection_pending"] is True
    assert rows[world.pool.reference]["officer"] is None


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"queue": "mine"}, {"mine", "at_decision"}),
        ({"queue": "pool"}, {"pool"}),
        ({"queue": "reviews"}, {"to_review"}),
        ({"stage": "decision"}, {"at_decision", "to_review"}),
        ({"stage": "received", "ageing_only": "true"}, {"pool"}),
        ({"min_days_in_stage": "5"}, {"pool"}),
        ({"q": "{pool}"}, {"pool"}),
    ],
)
def test_list_filters(world, api, query, expected):
    Case.objects.filter(pk=world.pool.pk).update(stage_entered_at=timezone.now() - timedelta(days=6))
    names = ("mine", "pool", "at_decision", "to_review", "theirs")
    by_reference = {getattr(world, name).reference: name for name in names}
    query = {key: value.format(pool=world.pool.reference) for key, value in query.items()}

    response = api("case_officer").get(BASE, query)

    assert response.status_code == 200, response.content
    assert {by_reference[row["reference"]] for row in response.json()["items"]} == expected


def test_filter_by_basis(world, api, make_case):
    spouse = EligibilityBasis.objects.get(code="spouse")
    other = make_case(family=(("Sara", "Levi"),))
    Case.objects.filter(pk=other.pk).update(basis=spouse)

    response = api("desk_chief").get(BASE, {"basis_id": spouse.pk})

    assert [row["reference"] for row in response.json()["items"]] == [other.reference]


@pytest.mark.parametrize(
    ("query", "field"),
    [("priority=urgent", "priority"), ("stage=limbo", "stage"), ("page=0", "page"), ("colour=red", "colour")],
)
def test_a_malformed_query_is_422_with_its_field(world, api, query, field):
    response = api("case_officer").get(f"{BASE}?{query}")

    assert response.status_code == 422
    assert (response.json()["code"], response.json()["field"]) == ("invalid", field)


def test_pages(world, api, make_case):
    for index in range(55):
        make_case(family=((f"Name{index}", "Family"),))

    first = api("desk_chief").get(BASE).json()
    second = api("desk_chief").get(BASE, {"page": 2}).json()

    assert (first["count"], first["pages"], len(first["items"]), second["page"], len(second["items"])) == (
        60,
        2,
        50,
        2,
        10,
    )
    assert not {row["id"] for row in first["items"]} & {row["id"] for row in second["items"]}


def test_the_board(world, api):
    Case.objects.filter(pk=world.pool.pk).update(stage_entered_at=timezone.now() - timedelta(days=2))

    response = api("case_officer").get(f"{BASE}/board")

    assert response.status_code == 200
    board = response.json()
    assert board["request_type"]["code"] == "immigration"
    columns = {column["stage"]: column for column in board["columns"]}
    assert [column["stage"] for column in board["columns"]] == world.mine.request_type.stages()
    assert (columns["received"]["total"], columns["decision"]["total"]) == (2, 2)
    assert (columns["received"]["ageing"], columns["decision"]["ageing"]) == (1, 0)
    assert {card["reference"] for card in columns["received"]["cases"]} == {world.mine.reference, world.pool.reference}


def test_the_report(world, api):
    response = api("desk_chief").get(f"{BASE}/report")

    assert response.status_code == 200
    report = response.json()
    assert report["total_open"] == 5
    assert {row["stage"]: row["open_now"] for row in report["by_stage"]}["decision"] == 2


def test_reads_cost_the_same_queries_for_few_cases_and_many(world, api, make_case, users):
    """A fixed number of queries per endpoint however many cases and members: no N+1."""
    client = api("desk_chief")
    urls = [BASE, f"{BASE}?queue=pool", f"{BASE}?ageing_only=true", f"{BASE}/board", f"{BASE}/{world.mine.pk}"]
    client.get(urls[0])  # the first call also stamps the token's last use

    def counts() -> dict[str, int]:
        measured = {}
        for url in urls:
            with CaptureQueriesContext(connection) as queries:
                response = client.get(url)
            assert response.status_code == 200, (url, response.content)
            measured[url] = len(queries)
        return measured

    def backdated() -> None:  # so that "ageing only" has rows to show
        Case.objects.update(stage_entered_at=timezone.now() - timedelta(days=30))

    backdated()
    few = counts()
    for index in range(15):
        case = make_case(family=((f"Name{index}", "Family"), ("Child", "Family"), ("Baby", "Family")))
        if index % 3 == 0:
            case_assign(actor=users["desk_chief"], origin=SYSTEM, case=case, officer=users["case_officer"])
        case_note_add(actor=users["desk_chief"], origin=SYSTEM, case=world.mine, note=f"Note {index}")
    backdated()

    assert counts() == few
    assert max(few.values()) <= 20, few


# --- OpenAPI ------------------------------------------------------------------------------


def test_openapi_lists_the_cases_paths(db):
    document = Client().get("/api/openapi.json").json()
    paths = {path for path in document["paths"] if path == BASE or path.startswith(BASE + "/")}

    assert paths == {BASE + route for _method, route in router_routes()}
    opening = document["paths"][BASE]["post"]
    assert opening["tags"] == ["cases"]
    body = opening["requestBody"]["content"]["application/json"]["schema"]
    assert set(body["required"]) == {"origin", "applicant"}
    assert "$ref" not in str(body), "the body's schema stands on its own"
    parameters = {parameter["name"] for parameter in document["paths"][BASE]["get"]["parameters"]}
    assert {"queue", "stage", "ageing_only", "basis_id", "page"} <= parameters
