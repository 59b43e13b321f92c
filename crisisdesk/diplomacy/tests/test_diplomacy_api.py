"""The diplomacy JSON API: /api/v1/diplomacy/...

Personas: see conftest.py. `diplomat` is read into LANTERN and BRIDGE, `diplomat_beta` into
LANTERN only, `senior_diplomat` and `political_director` into both; `admin` holds every
permission and is read into nothing. Records in the matrix are LANTERN's.
"""

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from crisisdesk.accounts.services import token_issue
from crisisdesk.common.origin import SYSTEM
from crisisdesk.common.testing.personas import ALL_PERSONAS
from crisisdesk.diplomacy import services
from crisisdesk.diplomacy.api import router
from crisisdesk.diplomacy.audit import Action
from crisisdesk.diplomacy.errors import DiplomacyError
from crisisdesk.diplomacy.models import (
    Channel,
    ChannelRequest,
    DiplomacyAuditEntry,
    FollowUp,
    MediationOutcome,
    MediationRequest,
)

BASE = "/api/v1/diplomacy"
TODAY = timezone.localdate


@pytest.fixture
def line(users):
    """A draft line by `diplomat`, waiting for someone else's approval."""
    return services.line_draft(
        actor=users["diplomat"],
        origin=SYSTEM,
        topic="mediation",
        text="We keep every channel open.",
        valid_from=date(2022, 2, 24),
    )


@pytest.fixture
def call(api, diplomat_beta):
    """`call("diplomat_beta")` and `call("consul")`: a bearer client for any persona."""
    beta_token = token_issue(actor=None, origin=SYSTEM, user=diplomat_beta, label="test")[1]

    def client_for(persona: str) -> Client:
        if persona == "diplomat_beta":
            return Client(headers={"Authorization": f"Bearer {beta_token}"})
        return api(persona)

    return client_for


def post(client: Client, url: str, body: dict | None = None):
    return client.post(url, body or {}, content_type="application/json")


def path_values(world, line) -> dict:
    lantern = world.lantern
    return {
        "channel_id": lantern.channel.pk,
        "entry_id": lantern.entry.pk,
        "follow_up_id": lantern.follow_up.pk,
        "channel_request_id": lantern.channel_request.pk,
        "mediation_request_id": lantern.mediation_request.pk,
        "approach_id": lantern.approach.pk,
        "counterpart_id": world.ukraine.pk,
        "line_id": line.pk,
    }


# --- Bodies -------------------------------------------------------------------------------


def entry_body(world, **overrides) -> dict:
    body = {
        "channel": str(world.lantern.channel.pk),
        "occurred_at": (timezone.now() - timedelta(hours=1)).isoformat(),
        "form": "call",
        "summary": "Talked about the crossings at Shehyni",
        "classification": "confidential",
        "own_participants": [world.our_minister.pk],
        "their_participants": [world.their_minister.pk],
    }
    return body | overrides


def escalation_body(world, **overrides) -> dict:
    body = {
        "kind": "escalate",
        "compartment": str(world.lantern.compartment.pk),
        "channel": str(world.lantern.channel.pk),
        "level": "senior_officials",
        "reason": "The working level is not enough any more",
    }
    return body | overrides


def mediation_body(world, **overrides) -> dict:
    body = {
        "compartment": str(world.lantern.compartment.pk),
        "kind": "host_talks",
        "requested_by": world.their_minister.pk,
        "requested_of": world.our_minister.pk,
        "parties": [world.ukraine.pk, world.russia.pk],
        "asked_on": "2022-03-05",
        "summary": "Asked again to host talks",
    }
    return body | overrides


def approach_body(world, **overrides) -> dict:
    body = {
        "request": str(world.lantern.mediation_request.pk),
        "approached_by": world.our_minister.pk,
        "approached": world.russian_envoy.pk,
        "on_behalf_of": world.ukraine.pk,
        "on": "2022-03-06",
        "summary": "Second approach",
    }
    return body | overrides


def statement_body(world, **overrides) -> dict:
    body = {
        "speaker": world.our_minister.pk,
        "outlet": "KAN",
        "said_on": "2022-03-01",
        "quote": "We keep every channel open.",
        "stance": "neutral",
        "topics": ["Mediation"],
    }
    return body | overrides


# --- The permission matrix ----------------------------------------------------------------
# Written out per endpoint, not derived from ROLE_PERMISSIONS, so that a change to the role
# table has to be made here on purpose. Roles without the module are 403 on every endpoint.

NO_MODULE = {
    "desk_chief": 403,
    "consul": 403,
    "border_officer": 403,
    "case_officer": 403,
    "logistics_officer": 403,
    "anonymous": 401,
}


def expect(*, admin: int, diplomat: int, senior_diplomat: int, political_director: int) -> dict:
    return {
        **NO_MODULE,
        "admin": admin,
        "diplomat": diplomat,
        "senior_diplomat": senior_diplomat,
        "political_director": political_director,
    }


LIST = expect(admin=200, diplomat=200, senior_diplomat=200, political_director=200)
# The administrator is read into nothing: a LANTERN record does not exist for them.
RECORD = expect(admin=404, diplomat=200, senior_diplomat=200, political_director=200)
# Creating in LANTERN: to the administrator LANTERN's compartment, channel or request is not found.
CREATE_IN_LANTERN = expect(admin=422, diplomat=201, senior_diplomat=201, political_director=201)
WRITE_ON_RECORD = expect(admin=404, diplomat=200, senior_diplomat=200, political_director=200)
CREATE_ON_RECORD = expect(admin=404, diplomat=201, senior_diplomat=201, political_director=201)
CREATE_PUBLIC = expect(admin=201, diplomat=201, senior_diplomat=201, political_director=201)
# The pending LANTERN request asks for ministers, by a diplomat: only the political director
# ranks high enough; a senior diplomat may decide, but not this one (422 rank_too_low).
DECIDE = expect(admin=404, diplomat=403, senior_diplomat=422, political_director=200)
LINE_APPROVE = expect(admin=200, diplomat=403, senior_diplomat=200, political_director=200)
AUDIT = expect(admin=200, diplomat=403, senior_diplomat=200, political_director=200)


@dataclass(frozen=True)
class Case:
    method: str
    route: str  # as on the router
    expected: dict
    body: Callable | None = None
    query: str = ""

    def url(self, values: dict) -> str:
        return BASE + self.route.format(**values) + self.query

    def __str__(self) -> str:
        return f"{self.method} {self.route}"


CASES = [
    Case("GET", "/compartments", LIST),
    Case("GET", "/counterparts", LIST),
    Case("GET", "/counterparts/{counterpart_id}/timeline", LIST),
    Case("GET", "/officials", LIST),
    Case("GET", "/channels", LIST),
    Case("GET", "/channels/autocomplete", LIST, query="?q=LANTERN"),
    Case("GET", "/channels/{channel_id}", RECORD),
    Case("GET", "/channel-requests", LIST),
    Case("POST", "/channel-requests", CREATE_IN_LANTERN, body=escalation_body),
    Case("GET", "/channel-requests/{channel_request_id}", RECORD),
    Case(
        "POST",
        "/channel-requests/{channel_request_id}/decision",
        DECIDE,
        body=lambda world: {"approve": True, "reason": "Ministers should talk now"},
    ),
    Case("GET", "/entries", LIST),
    Case("POST", "/entries", CREATE_IN_LANTERN, body=entry_body),
    Case("GET", "/entries/{entry_id}", RECORD),
    Case(
        "POST",
        "/entries/{entry_id}/follow-ups",
        CREATE_ON_RECORD,
        body=lambda world: {"action": "Send the minutes", "owner": "diplomat", "due_on": "2030-01-01"},
    ),
    Case("GET", "/follow-ups", LIST),
    Case("GET", "/follow-ups/{follow_up_id}", RECORD),
    Case("POST", "/follow-ups/{follow_up_id}/done", WRITE_ON_RECORD),
    Case("GET", "/mediation-requests", LIST),
    Case("POST", "/mediation-requests", CREATE_IN_LANTERN, body=mediation_body),
    Case("GET", "/mediation-requests/{mediation_request_id}", RECORD),
    Case(
        "POST",
        "/mediation-requests/{mediation_request_id}/outcome",
        WRITE_ON_RECORD,
        body=lambda world: {"outcome": "refused", "on": "2022-10-03"},
    ),
    Case("POST", "/approaches", CREATE_IN_LANTERN, body=approach_body),
    Case("GET", "/approaches/{approach_id}", RECORD),
    Case(
        "POST",
        "/approaches/{approach_id}/response",
        WRITE_ON_RECORD,
        body=lambda world: {"response": "declined", "on": "2022-03-01"},
    ),
    Case("GET", "/statements", LIST),
    Case("POST", "/statements", CREATE_PUBLIC, body=statement_body),
    Case("GET", "/lines", LIST),
    Case(
        "POST",
        "/lines",
        CREATE_PUBLIC,
        body=lambda world: {"topic": "sanctions", "text": "No comment.", "valid_from": "2022-03-01"},
    ),
    Case("POST", "/lines/{line_id}/approval", LINE_APPROVE),
    Case("GET", "/audit", AUDIT),
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
    assert {(case.method, case.route) for case in CASES} == router_routes()


@pytest.mark.parametrize("case", CASES, ids=str)
def test_every_matrix_names_every_persona(case):
    assert set(case.expected) == set(ALL_PERSONAS)


@pytest.mark.parametrize("persona", ALL_PERSONAS)
@pytest.mark.parametrize("case", CASES, ids=str)
def test_permissions(world, line, api, case, persona):
    url = case.url(path_values(world, line))
    client = api(persona)
    if case.method == "GET":
        response = client.get(url)
    else:
        response = post(client, url, case.body(world) if case.body else None)

    assert response.status_code == case.expected[persona], response.content
    if response.status_code == 403:
        assert response.json()["code"] == "forbidden"
    if response.status_code == 404:
        assert response.json()["code"] == "not_found"
    if response.status_code == 422 and persona == "admin":
        assert response.json()["code"] == "not_found", "a LANTERN reference is unknown to the administrator"


def test_a_role_without_the_module_is_refused_before_its_input_is_read(world, api):
    """403, not 422, whatever is posted: the answer does not depend on the body."""
    response = post(api("consul"), f"{BASE}/entries", {"channel": "not-a-uuid"})
    assert (response.status_code, response.json()["code"]) == (403, "forbidden")
    response = api("consul").get(f"{BASE}/channels", {"status": "vanished"})
    assert response.status_code == 403


def test_anonymous_gets_the_bearer_challenge(world, api):
    response = api("anonymous").get(f"{BASE}/channels")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"


def test_a_session_alone_does_not_open_the_api(world, as_persona):
    assert as_persona("diplomat").get(f"{BASE}/channels").status_code == 401


# --- Hidden answers like missing ----------------------------------------------------------


def hidden_and_missing(world) -> list[tuple[str, str, str]]:
    """(method, hidden url, missing url) for every route with a compartmented id in it."""
    bridge = world.bridge
    hidden = {
        "channel_id": bridge.channel.pk,
        "entry_id": bridge.entry.pk,
        "follow_up_id": bridge.follow_up.pk,
        "channel_request_id": bridge.channel_request.pk,
        "mediation_request_id": bridge.mediation_request.pk,
        "approach_id": bridge.approach.pk,
    }
    missing = {keyword: uuid.uuid4() for keyword in hidden}
    return [
        (case.method, case.url(hidden), case.url(missing))
        for case in CASES
        if any(f"{{{keyword}}}" in case.route for keyword in hidden)
    ]


@pytest.mark.parametrize("persona", ["diplomat_beta", "admin"])
def test_a_hidden_record_is_404_exactly_like_a_missing_one(world, call, persona):
    client = call(persona)
    routes = hidden_and_missing(world)
    assert len(routes) >= 10
    for method, hidden_url, missing_url in routes:
        if method == "GET":
            hidden, missing = client.get(hidden_url), client.get(missing_url)
        else:
            # A body that would be valid, and one that is not: the record is loaded first.
            for body in ({"approve": True, "reason": "x", "outcome": "refused", "on": "2022-10-03"}, {}):
                hidden, missing = post(client, hidden_url, body), post(client, missing_url, body)
                assert (hidden.status_code, hidden.content) == (missing.status_code, missing.content), hidden_url
        assert hidden.status_code == 404, hidden_url
        assert hidden.json() == missing.json() == {"code": "not_found", "field": None, "message": "Not found."}
        assert dict(hidden.headers) == dict(missing.headers)


def test_the_hidden_records_are_real(world, call):
    """The same urls open for `diplomat`, read into BRIDGE."""
    client = call("diplomat")
    for method, hidden_url, _missing in hidden_and_missing(world):
        if method == "GET":
            assert client.get(hidden_url).status_code == 200, hidden_url


def test_a_hidden_body_reference_answers_like_a_missing_one(world, call):
    """Ids of hidden records inside a body are 422 not_found on the field, like unknown ids."""
    client = call("diplomat_beta")
    bridge = world.bridge
    cases = [
        ("/entries", lambda ref: entry_body(world, channel=ref), bridge.channel.pk, "channel"),
        ("/entries", lambda ref: entry_body(world, compartment=ref), bridge.compartment.pk, "compartment"),
        ("/channel-requests", lambda ref: escalation_body(world, channel=ref), bridge.channel.pk, "channel"),
        (
            "/channel-requests",
            lambda ref: escalation_body(world, compartment=ref),
            bridge.compartment.pk,
            "compartment",
        ),
        (
            "/mediation-requests",
            lambda ref: mediation_body(world, repeat_of=ref),
            bridge.mediation_request.pk,
            "repeat_of",
        ),
        ("/mediation-requests", lambda ref: mediation_body(world, channel=ref), bridge.channel.pk, "channel"),
        ("/approaches", lambda ref: approach_body(world, request=ref), bridge.mediation_request.pk, "request"),
        (
            f"/entries/{world.lantern.entry.pk}/follow-ups",
            lambda ref: {"action": "x", "owner": "diplomat_beta", "due_on": "2030-01-01", "compartment": ref},
            bridge.compartment.pk,
            "compartment",
        ),
    ]
    before = (ChannelRequest.objects.count(), MediationRequest.objects.count(), FollowUp.objects.count())
    for path, body, hidden_id, field_name in cases:
        hidden = post(client, BASE + path, body(str(hidden_id)))
        missing = post(client, BASE + path, body(str(uuid.uuid4())))
        assert hidden.status_code == missing.status_code == 422, (path, field_name, hidden.content)
        assert hidden.json() == missing.json() == {"code": "not_found", "field": field_name, "message": "Not found."}
    assert (ChannelRequest.objects.count(), MediationRequest.objects.count(), FollowUp.objects.count()) == before


def test_an_unknown_follow_up_owner_answers_like_one_not_read_in(world, call, users):
    client = call("diplomat_beta")
    url = f"{BASE}/entries/{world.lantern.entry.pk}/follow-ups"
    unknown = post(client, url, {"action": "x", "owner": "nobody-at-all", "due_on": "2030-01-01"})
    not_read_in = post(client, url, {"action": "x", "owner": "consul", "due_on": "2030-01-01"})
    assert unknown.json() == not_read_in.json()
    assert unknown.json()["code"] == DiplomacyError.OWNER_NOT_READ_IN


# --- Counts exclude what the reader may not see ------------------------------------------


@pytest.mark.parametrize(
    ("path", "beta", "alpha"),
    [
        ("/channels", 1, 2),
        ("/entries", 1, 2),
        ("/channel-requests", 2, 4),  # in each compartment: the opening of its channel, and an escalation
        ("/mediation-requests", 1, 2),
        ("/follow-ups", 0, 2),  # the LANTERN follow-up is alpha's
        ("/entries?q=bridge-c91d", 0, 1),
        ("/channels?q=bridge-c91d", 0, 1),
    ],
)
def test_counts_exclude_hidden_records(world, call, path, beta, alpha):
    for persona, expected in (("diplomat_beta", beta), ("diplomat", alpha)):
        body = call(persona).get(BASE + path).json()
        assert body["count"] == len(body["items"]) == expected, (persona, body)
        assert body["pages"] == 1


def test_small_lists_exclude_hidden_records(world, call):
    beta, alpha = call("diplomat_beta"), call("diplomat")

    assert [row["codeword"] for row in beta.get(f"{BASE}/compartments").json()["items"]] == ["LANTERN"]
    assert [row["codeword"] for row in alpha.get(f"{BASE}/compartments").json()["items"]] == ["BRIDGE", "LANTERN"]
    ukraine = {row["name"]: row for row in beta.get(f"{BASE}/counterparts").json()["items"]}["Ukraine"]
    assert ukraine["channels"] == 1
    ukraine = {row["name"]: row for row in alpha.get(f"{BASE}/counterparts").json()["items"]}["Ukraine"]
    assert ukraine["channels"] == 2
    assert beta.get(f"{BASE}/channels/autocomplete", {"q": "B"}).json()["items"] == []
    assert [row["name"] for row in alpha.get(f"{BASE}/channels/autocomplete", {"q": "B"}).json()["items"]] == [
        "BRIDGE working channel"
    ]
    timeline = beta.get(f"{BASE}/counterparts/{world.ukraine.pk}/timeline")
    assert "bridge-c91d" not in timeline.content.decode()
    assert "lantern-7f3a" in timeline.content.decode()


def test_the_administrator_sees_no_compartmented_record(world, call):
    admin = call("admin")
    for path in ("/channels", "/entries", "/channel-requests", "/mediation-requests", "/follow-ups"):
        body = admin.get(BASE + path).json()
        assert (body["count"], body["items"], body["marking"]) == (0, [], "UNCLASSIFIED"), path
    assert admin.get(f"{BASE}/compartments").json()["items"] == []


# --- Markings ---------------------------------------------------------------------------


def test_items_and_pages_carry_their_marking(world, call):
    alpha = call("diplomat").get(f"{BASE}/entries").json()
    assert alpha["marking"] == "SECRET // BRIDGE // LANTERN"
    assert {item["marking"] for item in alpha["items"]} == {"SECRET // BRIDGE", "SECRET // LANTERN"}
    beta = call("diplomat_beta").get(f"{BASE}/entries").json()
    assert beta["marking"] == "SECRET // LANTERN"
    assert beta["items"][0]["follow_ups"][0]["marking"] == "SECRET // LANTERN"

    channel = call("diplomat_beta").get(f"{BASE}/channels/{world.lantern.channel.pk}").json()
    assert channel["channel"]["marking"] == "CONFIDENTIAL // LANTERN"
    assert channel["marking"] == "SECRET // LANTERN"  # it shows the secret entry
    request = call("diplomat_beta").get(f"{BASE}/channel-requests/{world.lantern.channel_request.pk}").json()
    assert request["marking"] == "CONFIDENTIAL // LANTERN"
    assert call("diplomat_beta").get(f"{BASE}/statements").json()["marking"] == "RESTRICTED"
    assert call("diplomat_beta").get(f"{BASE}/officials").json()["marking"] == "UNCLASSIFIED"


# --- Flows ------------------------------------------------------------------------------


def test_log_a_contact_with_a_follow_up(world, call, diplomat_beta):
    """The follow-up lands in its owner's queue, due, and leaves it once done."""
    # given a contact logged by alpha, with a follow-up for beta due yesterday
    body = entry_body(
        world,
        classification="secret",
        follow_ups=[
            {
                "action": "Call back the deputy minister",
                "owner": "diplomat_beta",
                "due_on": str(TODAY() - timedelta(days=1)),
            }
        ],
    )
    response = post(call("diplomat"), f"{BASE}/entries", body)
    assert response.status_code == 201, response.content
    entry = response.json()
    assert entry["channel"]["id"] == str(world.lantern.channel.pk)
    assert [official["name"] for official in entry["own_participants"]] == ["Dana Levin"]
    assert entry["marking"] == "SECRET // LANTERN"
    (follow_up,) = entry["follow_ups"]
    assert follow_up["owner"] == "diplomat_beta"
    audit = DiplomacyAuditEntry.objects.filter(action=Action.CONTACT_LOGGED).latest("seq")
    assert (audit.channel, audit.target_id) == ("api", entry["id"])

    # when beta reads their queue of what is due
    beta = call("diplomat_beta")
    queue = beta.get(f"{BASE}/follow-ups", {"due": "true"}).json()
    assert [item["id"] for item in queue["items"]] == [follow_up["id"]]
    assert queue["items"][0]["is_due"] is True
    assert queue["items"][0]["entry"]["id"] == entry["id"]

    # then they mark it done, and it leaves the queue
    done = post(beta, f"{BASE}/follow-ups/{follow_up['id']}/done")
    assert done.status_code == 200
    assert (done.json()["done_by"], done.json()["is_due"]) == ("diplomat_beta", False)
    assert beta.get(f"{BASE}/follow-ups").json()["count"] == 0
    again = post(beta, f"{BASE}/follow-ups/{follow_up['id']}/done")
    assert (again.status_code, again.json()["code"]) == (422, DiplomacyError.FOLLOW_UP_DONE)


def test_a_contact_is_validated(world, call):
    client = call("diplomat")
    cases = [
        (entry_body(world, form="intermediary"), DiplomacyError.INTERMEDIARY_REQUIRED, "intermediary"),
        (
            entry_body(world, own_participants=[world.their_minister.pk]),
            DiplomacyError.PARTICIPANT_SIDE,
            "participants",
        ),
        (entry_body(world, own_participants=[999999]), DiplomacyError.NOT_FOUND, "own_participants"),
        (entry_body(world, occurred_at="2022-03-01T10:00:00"), "invalid", "occurred_at"),  # no offset
        (entry_body(world, form="carrier pigeon"), "invalid", "form"),
    ]
    for body, code, field_name in cases:
        response = post(client, f"{BASE}/entries", body)
        assert response.status_code == 422, response.content
        assert (response.json()["code"], response.json()["field"]) == (code, field_name)


def test_escalate_and_decide_with_the_rank_rule(world, call):
    # given alpha asks to escalate the LANTERN channel to senior officials
    response = post(call("diplomat"), f"{BASE}/channel-requests", escalation_body(world))
    assert response.status_code == 201, response.content
    request = response.json()
    assert (request["state"], request["approver_rank"], request["may_decide"]) == ("pending", 2, False)
    url = f"{BASE}/channel-requests/{request['id']}"
    assert call("senior_diplomat").get(url).json()["may_decide"] is True

    # when the senior diplomat approves it, with a reason
    decided = post(call("senior_diplomat"), f"{url}/decision", {"approve": True, "reason": "Agreed."})

    # then the decision is recorded and the channel is escalated
    assert decided.status_code == 200, decided.content
    assert (decided.json()["state"], decided.json()["decided_by"]) == ("approved", "senior_diplomat")
    assert Channel.objects.get(pk=world.lantern.channel.pk).level == "senior_officials"
    again = post(call("political_director"), f"{url}/decision", {"approve": False, "reason": "No."})
    assert (again.status_code, again.json()["code"]) == (422, DiplomacyError.REQUEST_DECIDED)


def test_a_decider_too_junior_for_the_level_is_refused(world, call):
    response = post(call("diplomat"), f"{BASE}/channel-requests", escalation_body(world, level="leaders"))
    url = f"{BASE}/channel-requests/{response.json()['id']}/decision"

    refused = post(call("senior_diplomat"), url, {"approve": True, "reason": "Go ahead"})
    assert refused.status_code == 422
    assert refused.json() == {
        "code": "rank_too_low",
        "field": None,
        "message": "This request needs the decision of a more senior role.",
    }
    assert ChannelRequest.objects.get(pk=response.json()["id"]).state == "pending"
    assert post(call("political_director"), url, {"approve": True, "reason": "Go ahead"}).status_code == 200


def test_nobody_decides_their_own_request(world, call):
    response = post(call("senior_diplomat"), f"{BASE}/channel-requests", escalation_body(world))
    url = f"{BASE}/channel-requests/{response.json()['id']}/decision"
    refused = post(call("senior_diplomat"), url, {"approve": True, "reason": "Mine"})
    assert (refused.status_code, refused.json()["code"]) == (422, DiplomacyError.OWN_REQUEST)


def test_a_decision_needs_a_reason(world, call):
    url = f"{BASE}/channel-requests/{world.lantern.channel_request.pk}/decision"
    missing = post(call("political_director"), url, {"approve": True})
    assert (missing.status_code, missing.json()["code"], missing.json()["field"]) == (422, "invalid", "reason")
    blank = post(call("political_director"), url, {"approve": True, "reason": "  "})
    assert (blank.json()["code"], blank.json()["field"]) == (DiplomacyError.REASON_REQUIRED, "reason")


def test_opening_a_channel(world, call):
    body = escalation_body(
        world,
        kind="open",
        channel=None,
        counterpart=world.russia.pk,
        level="working",
        name="Moscow line",
        purpose="Consular access",
    )
    request = post(call("diplomat"), f"{BASE}/channel-requests", body).json()
    assert (request["counterpart"]["name"], request["channel"]) == ("Russia", None)
    decided = post(
        call("senior_diplomat"), f"{BASE}/channel-requests/{request['id']}/decision", {"approve": True, "reason": "ok"}
    ).json()
    assert decided["channel"]["name"] == "Moscow line"
    channel = call("diplomat").get(f"{BASE}/channels/{decided['channel']['id']}").json()["channel"]
    assert (channel["owner"], channel["level"], channel["status"]) == ("diplomat", "working", "open")

    no_counterpart = post(call("diplomat"), f"{BASE}/channel-requests", body | {"counterpart": None})
    assert (no_counterpart.json()["code"], no_counterpart.json()["field"]) == ("text_required", "counterpart")


def test_mediation_outcome_history(world, call):
    """Asked to host talks, refused in October, accepted later: the request keeps it all."""
    client = call("diplomat_beta")
    first = post(client, f"{BASE}/mediation-requests", mediation_body(world, asked_on="2022-03-05")).json()
    assert first["outcome"] == "pending"
    second = post(
        client, f"{BASE}/mediation-requests", mediation_body(world, asked_on="2022-09-01", repeat_of=first["id"])
    ).json()
    url = f"{BASE}/mediation-requests/{second['id']}"

    refused = post(client, f"{url}/outcome", {"outcome": "refused", "on": "2022-10-03", "note": "Not now."})
    assert (refused.status_code, refused.json()["outcome"]) == (200, "refused")
    accepted = post(client, f"{url}/outcome", {"outcome": "accepted", "on": "2022-11-20"})
    assert (accepted.json()["outcome"], accepted.json()["outcome_on"]) == ("accepted", "2022-11-20")

    detail = client.get(url).json()
    assert [(row["outcome"], row["on"]) for row in detail["outcomes"]] == [
        ("pending", "2022-09-01"),
        ("refused", "2022-10-03"),
        ("accepted", "2022-11-20"),
    ]
    assert [row["id"] for row in detail["chain"]] == [first["id"], second["id"]]
    assert [(row["kind"], row["state"]) for row in detail["timeline"] if row["kind"] == "outcome"] == [
        ("outcome", "accepted"),
        ("outcome", "refused"),
    ]
    assert detail["marking"] == detail["request"]["marking"] == "CONFIDENTIAL // LANTERN"
    assert MediationRequest.objects.get(pk=second["id"]).outcome == MediationOutcome.ACCEPTED
    future = post(client, f"{url}/outcome", {"outcome": "overtaken", "on": str(TODAY() + timedelta(days=3))})
    assert (future.json()["code"], future.json()["field"]) == (DiplomacyError.DATE_IN_FUTURE, "on")


def test_an_approach_and_its_response(world, call):
    client = call("diplomat_beta")
    approach = post(client, f"{BASE}/approaches", approach_body(world)).json()
    assert (approach["request"], approach["response"]) == (str(world.lantern.mediation_request.pk), "awaited")
    assert approach["on_behalf_of"]["name"] == "Ukraine"
    answered = post(
        client, f"{BASE}/approaches/{approach['id']}/response", {"response": "declined", "on": "2022-03-08"}
    )
    assert (answered.status_code, answered.json()["response"]) == (200, "declined")
    assert client.get(f"{BASE}/approaches/{approach['id']}").json()["response_on"] == "2022-03-08"

    timeline = client.get(f"{BASE}/mediation-requests/{world.lantern.mediation_request.pk}").json()["timeline"]
    assert ("approach_response", "declined", "Pavel Orlov") in {
        (row["kind"], row["state"], row["by"]) for row in timeline
    }


def test_statements_show_the_lines_valid_that_day(world, call, users, line):
    services.line_approve(actor=users["senior_diplomat"], origin=SYSTEM, line=line)
    client = call("diplomat")
    own = post(client, f"{BASE}/statements", statement_body(world))
    assert (own.status_code, own.json()["topics"]) == (201, ["mediation"])
    post(client, f"{BASE}/statements", statement_body(world, speaker=world.russian_envoy.pk, stance="critical"))
    before_the_line = post(client, f"{BASE}/statements", statement_body(world, said_on="2022-02-01"))
    assert before_the_line.status_code == 201

    rows = {row["statement"]["id"]: row for row in client.get(f"{BASE}/statements").json()["items"]}

    assert [item["id"] for item in rows[own.json()["id"]]["lines"]] == [line.pk]
    assert rows[before_the_line.json()["id"]]["lines"] == []
    foreign = [row for row in rows.values() if row["statement"]["speaker"]["name"] == "Pavel Orlov"]
    assert foreign[0]["lines"] == []  # lines are for our spokespeople


def test_lines_are_approved_by_someone_else(world, call, line):
    assert call("diplomat").get(f"{BASE}/lines").json()["items"][0]["approved_by"] is None
    approved = post(call("senior_diplomat"), f"{BASE}/lines/{line.pk}/approval")
    assert (approved.status_code, approved.json()["approved_by"]) == (200, "senior_diplomat")
    again = post(call("political_director"), f"{BASE}/lines/{line.pk}/approval")
    assert again.json()["code"] == DiplomacyError.LINE_ALREADY_APPROVED
    assert post(call("senior_diplomat"), f"{BASE}/lines/999999/approval").status_code == 404


def test_own_line_cannot_be_approved(world, call):
    line = post(call("senior_diplomat"), f"{BASE}/lines", {"topic": "aid", "text": "x", "valid_from": "2022-03-01"})
    refused = post(call("senior_diplomat"), f"{BASE}/lines/{line.json()['id']}/approval")
    assert refused.json()["code"] == DiplomacyError.LINE_OWN_DRAFT


def test_the_audit_page_leaves_out_other_compartments(world, call):
    admin = call("admin").get(f"{BASE}/audit").json()
    assert admin["count"] > 0
    assert all(row["compartment"] is None for row in admin["items"])
    assert "seq" not in admin["items"][0]  # gaps in the sequence would count hidden rows
    senior = call("senior_diplomat").get(f"{BASE}/audit").json()
    assert {row["compartment"]["codeword"] for row in senior["items"] if row["compartment"]} == {"BRIDGE", "LANTERN"}
    assert senior["count"] > admin["count"]
    assert senior["marking"] == "CONFIDENTIAL // BRIDGE // LANTERN"


def test_reads_are_audited_with_the_api_channel(world, call, diplomat_beta):
    call("diplomat_beta").get(f"{BASE}/entries/{world.lantern.entry.pk}")
    row = DiplomacyAuditEntry.objects.latest("seq")
    assert (row.action, row.channel, row.actor, row.target_id) == (
        Action.CONTACT_VIEWED,
        "api",
        diplomat_beta,
        str(world.lantern.entry.pk),
    )


def test_denied_and_hidden_calls_write_nothing(world, call):
    before = DiplomacyAuditEntry.objects.count()
    call("consul").get(f"{BASE}/channels")
    call("diplomat_beta").get(f"{BASE}/entries/{world.bridge.entry.pk}")
    post(call("diplomat_beta"), f"{BASE}/follow-ups/{world.bridge.follow_up.pk}/done")
    assert DiplomacyAuditEntry.objects.count() == before


def test_filters(world, call):
    client = call("diplomat")
    by_channel = client.get(f"{BASE}/entries", {"channel": str(world.bridge.channel.pk)}).json()
    assert [item["id"] for item in by_channel["items"]] == [str(world.bridge.entry.pk)]
    assert client.get(f"{BASE}/entries", {"classification": "confidential"}).json()["count"] == 0
    assert client.get(f"{BASE}/entries", {"since": str(TODAY() + timedelta(days=1))}).json()["count"] == 0
    assert client.get(f"{BASE}/channels", {"level": "working", "status": "open"}).json()["count"] == 2
    assert client.get(f"{BASE}/channels", {"counterpart": world.russia.pk}).json()["count"] == 0
    assert client.get(f"{BASE}/channel-requests", {"pending": "true"}).json()["count"] == 2
    assert client.get(f"{BASE}/officials", {"counterpart": world.russia.pk}).json()["items"][0]["name"] == "Pavel Orlov"
    bad = client.get(f"{BASE}/channels", {"status": "vanished"})
    assert (bad.status_code, bad.json()["field"]) == (422, "status")
    # A hidden channel as a filter gives what an unknown one gives: nothing.
    beta = call("diplomat_beta")
    hidden = beta.get(f"{BASE}/entries", {"channel": str(world.bridge.channel.pk)})
    missing = beta.get(f"{BASE}/entries", {"channel": str(uuid.uuid4())})
    assert hidden.json() == missing.json()


# --- No N+1 -------------------------------------------------------------------------------


LIST_URLS = [
    "/compartments",
    "/counterparts",
    "/counterparts/{counterpart_id}/timeline",
    "/officials",
    "/channels",
    "/channels/autocomplete?q=L",
    "/channels/{channel_id}",
    "/channel-requests",
    "/entries",
    "/follow-ups",
    "/mediation-requests",
    "/mediation-requests/{mediation_request_id}",
    "/statements",
    "/lines",
    "/audit",
]


def grow(world, users, times: int) -> None:
    """More of everything in LANTERN and outside it, for the query counts to be compared."""
    director, senior = users["political_director"], users["senior_diplomat"]
    lantern = world.lantern
    for number in range(times):
        request = services.channel_request_submit(
            actor=senior,
            origin=SYSTEM,
            kind="open",
            compartment=lantern.compartment,
            counterpart=world.ukraine,
            level="working",
            name=f"Line {number}",
            purpose="More",
            reason="More",
        )
        services.channel_request_decide(actor=director, origin=SYSTEM, request=request, approve=True, reason="ok")
        done = services.follow_up_add(
            actor=director,
            origin=SYSTEM,
            entry=lantern.entry,
            action=f"Task {number}",
            owner=director,
            due_on=TODAY(),
        )
        services.follow_up_complete(actor=director, origin=SYSTEM, follow_up=done)
        services.contact_log(
            actor=director,
            origin=SYSTEM,
            channel=lantern.channel,
            occurred_at=timezone.now() - timedelta(hours=1),
            form="meeting",
            summary=f"Meeting {number}",
            classification="confidential",
            own_participants=[world.our_minister],
            their_participants=[world.their_minister],
            follow_ups=[services.FollowUpInput(action=f"Follow {number}", owner=director, due_on=TODAY())],
        )
        mediation = services.mediation_request_record(
            actor=director,
            origin=SYSTEM,
            compartment=lantern.compartment,
            kind="mediate",
            requested_by=world.their_minister,
            requested_of=world.our_minister,
            parties=[world.ukraine, world.russia],
            asked_on=date(2022, 3, 1),
            channel=lantern.channel,
            repeat_of=lantern.mediation_request,
        )
        services.mediation_outcome_set(
            actor=director, origin=SYSTEM, request=mediation, outcome="refused", on=date(2022, 4, 1)
        )
        services.approach_record(
            actor=director,
            origin=SYSTEM,
            request=mediation,
            approached_by=world.our_minister,
            approached=world.russian_envoy,
            on=date(2022, 4, 2),
            channel=lantern.channel,
            response="declined",
            response_on=date(2022, 4, 3),
        )
        services.statement_log(
            actor=director,
            origin=SYSTEM,
            speaker=world.our_minister,
            outlet="KAN",
            said_on=date(2022, 3, 2),
            quote=f"Quote {number}",
            stance="neutral",
            topics=["mediation"],
        )
        line = services.line_draft(
            actor=senior, origin=SYSTEM, topic="mediation", text=f"Line {number}", valid_from=date(2022, 3, 1)
        )
        services.line_approve(actor=director, origin=SYSTEM, line=line)


def test_list_endpoints_do_not_grow_with_their_rows(world, line, call, users):
    """A fixed number of queries per endpoint however many rows it shows: no N+1."""
    client = call("political_director")  # read into both, may read the audit trail
    values = path_values(world, line)
    urls = [BASE + path.format(**values) for path in LIST_URLS]
    client.get(urls[0])  # the first call also stamps the token's last use

    def query_counts() -> dict[str, int]:
        counts = {}
        for url in urls:
            with CaptureQueriesContext(connection) as queries:
                response = client.get(url)
            assert response.status_code == 200, (url, response.content)
            counts[url] = len(queries)
        return counts

    grow(world, users, 1)
    small = query_counts()
    grow(world, users, 4)
    large = query_counts()

    assert large == small
    assert max(small.values()) <= 40, small


# --- OpenAPI ------------------------------------------------------------------------------


def test_openapi_lists_the_diplomacy_paths(db):
    document = Client().get("/api/openapi.json").json()
    paths = {path for path in document["paths"] if path.startswith(BASE)}

    expected = {BASE + route for _method, route in router_routes()}
    assert paths == expected
    decision = document["paths"][f"{BASE}/channel-requests/{{channel_request_id}}/decision"]["post"]
    assert decision["tags"] == ["diplomacy"]
    body = decision["requestBody"]["content"]["application/json"]["schema"]
    assert set(body["required"]) == {"approve", "reason"}
    assert "requestBody" in document["paths"][f"{BASE}/entries"]["post"]
