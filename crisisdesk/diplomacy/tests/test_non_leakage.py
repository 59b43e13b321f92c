"""Non-leakage: to a reader outside a compartment, its records do not exist.

The endpoints are collected from the URL configuration, every page of the `diplomacy`
namespace and every route under /api/v1/diplomacy/, so a future endpoint joins this suite
without anyone adding it. For each one:

- a record in a compartment the reader is not read into, and an id that exists nowhere, get
  the same answer (status, content type and body), on GET and on POST;
- ids of hidden records posted in a body are answered exactly like ids that do not exist;
- every page without an id in its path reads the same with the hidden compartment's records
  as with them deleted: lists, counts and pagination totals, search, autocomplete, exports,
  the audit view, the follow-ups-due notification; the sitrep and the general audit browser
  are compared the same way.

Personas: `diplomat_beta` is read into LANTERN only; `admin` has every permission and is read
into nothing; `desk_chief` cannot open the module. `diplomat` is read into both compartments
and shows that the hidden records are real (it sees them).
"""

import re
import uuid
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from crisisdesk.accounts.services import token_issue
from crisisdesk.common.origin import SYSTEM
from crisisdesk.diplomacy import services
from crisisdesk.diplomacy.models import (
    Approach,
    Channel,
    ChannelRequest,
    Compartment,
    ContactEntry,
    FollowUp,
    MediationOutcomeChange,
    MediationRequest,
    ReadIn,
)

API_PREFIX = "api/v1/diplomacy/"
# Path keywords of compartmented records: the suite swaps in a hidden record or a missing id.
COMPARTMENTED_KEYWORDS = {
    "channel_id": "channel",
    "entry_id": "entry",
    "follow_up_id": "follow_up",
    "channel_request_id": "channel_request",
    "mediation_request_id": "mediation_request",
    "approach_id": "approach",
    "compartment_id": "compartment",
}
# Path keywords of records outside compartments: the suite fills in a real one.
PUBLIC_KEYWORDS = {"counterpart_id", "official_id", "statement_id", "line_id"}
# Fields that name a compartmented record in a form or a JSON body.
BODY_REFERENCE_FIELDS = (
    "channel",
    "channel_id",
    "compartment",
    "compartment_id",
    "request",
    "request_id",
    "mediation_request",
    "mediation_request_id",
    "repeat_of",
    "repeat_of_id",
    "entry",
    "entry_id",
)
QUERIES = ("", "?q=Call", "?q=bridge-c91d", "?q=B", "?page=2")
# Pages outside the module that could carry its records.
OTHER_PAGES = ("/sitrep/", "/staff/audit/", "/api/v1/sitrep/")


@dataclass(frozen=True)
class Endpoint:
    route: str  # with Django's <converter:name> placeholders
    name: str
    is_api: bool

    @property
    def keywords(self) -> list[str]:
        return re.findall(r"<(?:\w+:)?(\w+)>", self.route)

    @property
    def compartmented(self) -> bool:
        return any(keyword in COMPARTMENTED_KEYWORDS for keyword in self.keywords)

    def url(self, values: dict) -> str:
        return "/" + re.sub(r"<(?:\w+:)?(\w+)>", lambda match: str(values[match.group(1)]), self.route)

    def __str__(self) -> str:
        return self.route


def _walk(patterns, prefix="", namespace=""):
    for entry in patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            inner = f"{namespace}:{entry.namespace}" if namespace and entry.namespace else entry.namespace or namespace
            yield from _walk(entry.url_patterns, route, inner or "")
        elif isinstance(entry, URLPattern):
            yield route, namespace, entry.name or ""


def module_endpoints() -> list[Endpoint]:
    endpoints = []
    for raw_route, namespace, name in _walk(get_resolver().url_patterns):
        route = raw_route.replace("^", "").replace("$", "")
        if namespace.split(":")[-1] == "diplomacy" or route.startswith(API_PREFIX):
            endpoints.append(Endpoint(route=route, name=name, is_api=route.startswith("api/")))
    return sorted(set(endpoints), key=lambda endpoint: endpoint.route)


ENDPOINTS = module_endpoints()
WITH_IDS = [endpoint for endpoint in ENDPOINTS if endpoint.compartmented]
WITHOUT_IDS = [endpoint for endpoint in ENDPOINTS if not endpoint.compartmented]


def test_the_suite_sees_the_whole_module():
    """The collection works (pages and API alike), and every path keyword is one the suite
    knows how to fill. A new kind of record in a path must be added above, not skipped."""
    assert sum(not endpoint.is_api for endpoint in ENDPOINTS) >= 10
    assert sum(endpoint.is_api for endpoint in ENDPOINTS) >= 10
    unknown = {
        keyword
        for endpoint in ENDPOINTS
        for keyword in endpoint.keywords
        if keyword not in COMPARTMENTED_KEYWORDS and keyword not in PUBLIC_KEYWORDS
    }
    assert not unknown, f"path keywords the non-leakage suite cannot fill: {unknown}"


# --- The world and the clients ------------------------------------------------------------


@pytest.fixture
def leak_world(world, users, diplomat_beta):
    """The conftest world, plus: a follow-up in BRIDGE that was diplomat_beta's before they were
    read out (it must not count in their notification), and public records for the paths."""
    director = users["political_director"]
    bridge = world.bridge.compartment
    services.compartment_read_in(actor=director, origin=SYSTEM, compartment=bridge, user=diplomat_beta, reason="x")
    services.follow_up_add(
        actor=director,
        origin=SYSTEM,
        entry=world.bridge.entry,
        action="beta's old task bridge-c91d",
        owner=diplomat_beta,
        due_on=timezone.localdate() - timedelta(days=2),
    )
    services.compartment_read_out(actor=director, origin=SYSTEM, compartment=bridge, user=diplomat_beta, reason="y")
    statement = services.statement_log(
        actor=users["diplomat"],
        origin=SYSTEM,
        speaker=world.our_minister,
        outlet="KAN",
        said_on=date(2022, 2, 27),
        quote="We keep channels open.",
        stance="neutral",
        topics=["mediation"],
    )
    line = services.line_draft(
        actor=users["diplomat"], origin=SYSTEM, topic="mediation", text="Quietly.", valid_from=date(2022, 2, 24)
    )
    public = {
        "counterpart_id": world.ukraine.pk,
        "official_id": world.our_minister.pk,
        "statement_id": statement.pk,
        "line_id": line.pk,
    }
    return world, public


def _records(compartment_world) -> dict:
    return {
        "channel_id": compartment_world.channel.pk,
        "entry_id": compartment_world.entry.pk,
        "follow_up_id": compartment_world.follow_up.pk,
        "channel_request_id": compartment_world.channel_request.pk,
        "mediation_request_id": compartment_world.mediation_request.pk,
        "approach_id": compartment_world.approach.pk,
        "compartment_id": compartment_world.compartment.pk,
    }


def _web_client(user) -> Client:
    client = Client()
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = TOTPDevice.objects.get(user=user).persistent_id
    session.save()
    return client


def _api_client(user) -> Client:
    _token, raw = token_issue(actor=None, origin=SYSTEM, user=user, label="leak test")
    return Client(headers={"Authorization": f"Bearer {raw}"})


@pytest.fixture
def reader(users, diplomat_beta):
    people = {"diplomat_beta": diplomat_beta, **users}
    clients: dict = {}

    def client(persona: str, *, api: bool) -> Client:
        key = (persona, api)
        if key not in clients:
            clients[key] = (_api_client if api else _web_client)(people[persona])
        return clients[key]

    return client


_VOLATILE = [
    (re.compile(rb'name="csrfmiddlewaretoken" value="[^"]+"'), b'name="csrfmiddlewaretoken" value=""'),
    (re.compile(rb'nonce="[^"]+"'), b'nonce=""'),
    (re.compile(rb'"csrf[_-]?token"\s*:\s*"[^"]+"'), b'"csrf_token": ""'),
    (re.compile(rb"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d+)?([+-]\d{2}:\d{2}|Z)?"), b"<datetime>"),
    # The sitrep prints "As of 2026-12-04T14:45": to the minute, and "T14" leaves no word
    # boundary for the time pattern below, so a render on each side of a minute differed.
    (re.compile(rb"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}"), b"<datetime>"),
    (re.compile(rb"\b\d{1,2}:\d{2}(:\d{2})?\b"), b"<time>"),
]


def _normalised(response, ids=()) -> tuple:
    """Status, content type and body, without what changes between two requests anyway: the
    CSRF token, the CSP nonce, the clock, and the ids the test itself put in the request."""
    body = b"".join(response.streaming_content) if response.streaming else response.content
    for pattern, replacement in _VOLATILE:
        body = pattern.sub(replacement, body)
    for record_id in ids:
        for form in {str(record_id), getattr(record_id, "hex", str(record_id))}:
            body = body.replace(form.encode(), b"<id>")
    return response.status_code, response.get("Content-Type", ""), body


def _request(client: Client, method: str, url: str, data=None, *, api: bool):
    if method == "get":
        return client.get(url)
    if api:
        return client.post(url, data=data or {}, content_type="application/json")
    return client.post(url, data=data or {})


# --- A hidden record answers like a missing one -------------------------------------------


def _values(endpoint: Endpoint, public: dict, records: dict) -> dict:
    return {
        keyword: public[keyword] if keyword in PUBLIC_KEYWORDS else records[keyword] for keyword in endpoint.keywords
    }


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("persona", ["diplomat_beta", "admin"])
@pytest.mark.parametrize("endpoint", WITH_IDS, ids=str)
def test_a_hidden_record_answers_like_a_missing_one(leak_world, reader, endpoint, persona, method):
    world, public = leak_world
    hidden = _records(world.bridge)
    missing = {keyword: uuid.uuid4() for keyword in hidden}
    client = reader(persona, api=endpoint.is_api)

    hidden_answer = _request(client, method, endpoint.url(_values(endpoint, public, hidden)), api=endpoint.is_api)
    missing_answer = _request(client, method, endpoint.url(_values(endpoint, public, missing)), api=endpoint.is_api)

    assert hidden_answer.status_code in {404, 405}
    hidden_normal = _normalised(hidden_answer, hidden.values())
    missing_normal = _normalised(missing_answer, missing.values())
    # The ids themselves differ in the two URLs; nothing else may.
    assert hidden_normal == missing_normal


@pytest.mark.parametrize("endpoint", [endpoint for endpoint in WITH_IDS], ids=str)
def test_the_hidden_records_are_real_to_a_reader_read_in(leak_world, reader, endpoint):
    """The same URLs open for `diplomat`, read into BRIDGE: the suite compares real records."""
    world, public = leak_world
    answer = reader("diplomat", api=endpoint.is_api).get(
        endpoint.url(_values(endpoint, public, _records(world.bridge)))
    )
    assert answer.status_code in {200, 302, 405}, answer.content[:300]


@pytest.mark.parametrize("persona", ["diplomat_beta", "admin"])
@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=str)
def test_hidden_ids_in_a_body_answer_like_missing_ones(leak_world, reader, endpoint, persona):
    world, public = leak_world
    visible = _records(world.lantern)
    path_values = _values(endpoint, public, visible)
    hidden = _records(world.bridge)

    def body(records: dict) -> dict:
        by_field = {
            "channel": records["channel_id"],
            "compartment": records["compartment_id"],
            "request": records["mediation_request_id"],
            "mediation_request": records["mediation_request_id"],
            "repeat_of": records["mediation_request_id"],
            "entry": records["entry_id"],
        }
        return {field: str(by_field[field.removesuffix("_id")]) for field in BODY_REFERENCE_FIELDS}

    missing = {keyword: uuid.uuid4() for keyword in hidden}
    client = reader(persona, api=endpoint.is_api)
    url = endpoint.url(path_values)
    # Each post runs in a savepoint rolled back after it, so both meet the same database.
    answers = []
    for records in (hidden, missing):
        with transaction.atomic():
            savepoint = transaction.savepoint()
            answer = _request(client, "post", url, body(records), api=endpoint.is_api)
            answers.append(_normalised(answer, records.values()))
            transaction.savepoint_rollback(savepoint)
    assert answers[0] == answers[1]


# --- Every page reads as if the hidden records did not exist -----------------------------


def _delete_compartment(compartment_world) -> None:
    compartment = compartment_world.compartment
    requests = MediationRequest.objects.filter(compartment=compartment)
    FollowUp.objects.filter(compartment=compartment).delete()
    Approach.objects.filter(compartment=compartment).delete()
    changes = MediationOutcomeChange.objects.filter(request__in=requests)
    changes._raw_delete(changes.db)  # append-only: only a test takes history away
    MediationRequest.objects.filter(compartment=compartment, repeat_of__isnull=False).delete()
    requests.delete()
    ChannelRequest.objects.filter(compartment=compartment).delete()
    for entry in ContactEntry.objects.filter(compartment=compartment):
        entry.own_participants.clear()
        entry.their_participants.clear()
        entry.delete()
    Channel.objects.filter(compartment=compartment).delete()
    ReadIn.objects.filter(compartment=compartment).delete()
    Compartment.objects.filter(pk=compartment.pk).delete()


def _render_both(world, client, url: str, *, api: bool) -> tuple:
    """The page without the BRIDGE records (deleted in a savepoint, then restored), then with
    them: both renders meet the same database apart from those records."""
    with transaction.atomic():
        savepoint = transaction.savepoint()
        _delete_compartment(world.bridge)
        without = _normalised(_request(client, "get", url, api=api))
        transaction.savepoint_rollback(savepoint)
    with transaction.atomic():
        savepoint = transaction.savepoint()
        with_hidden = _normalised(_request(client, "get", url, api=api))
        transaction.savepoint_rollback(savepoint)
    return without, with_hidden


def _page_urls(endpoint: Endpoint, public: dict, visible: dict) -> list[str]:
    base = endpoint.url(_values(endpoint, public, visible))
    return [base + query for query in QUERIES]


@pytest.mark.parametrize("persona", ["diplomat_beta", "admin", "desk_chief"])
@pytest.mark.parametrize("endpoint", WITHOUT_IDS, ids=str)
def test_every_page_reads_as_if_the_hidden_records_did_not_exist(leak_world, reader, endpoint, persona):
    world, public = leak_world
    client = reader(persona, api=endpoint.is_api)
    for url in _page_urls(endpoint, public, _records(world.lantern)):
        without, with_hidden = _render_both(world, client, url, api=endpoint.is_api)
        assert with_hidden == without, url
        # A search box echoes its own query back; only the records must not carry the secret.
        body = with_hidden[2].replace(b"bridge-c91d", b"") if "bridge-c91d" in url else with_hidden[2]
        assert b"bridge-c91d" not in body, url
        assert b"BRIDGE" not in body, url


@pytest.mark.parametrize("persona", ["diplomat_beta", "admin"])
@pytest.mark.parametrize("url", OTHER_PAGES)
def test_pages_outside_the_module_do_not_carry_its_records(leak_world, reader, url, persona):
    world, _public = leak_world
    client = reader(persona, api=url.startswith("/api/"))
    without, with_hidden = _render_both(world, client, url, api=url.startswith("/api/"))
    assert with_hidden == without
    assert b"bridge-c91d" not in with_hidden[2]


def test_the_comparison_can_fail(leak_world, reader):
    """For a reader read into BRIDGE the two renders differ: deleting its records is seen."""
    world, _public = leak_world
    lists = [endpoint for endpoint in WITHOUT_IDS if not endpoint.keywords]
    differing = [
        endpoint
        for endpoint in lists
        if len(set(_render_both(world, reader("diplomat", api=endpoint.is_api), endpoint.url({}), api=endpoint.is_api)))
        == 2
    ]
    assert len(differing) >= 4, [str(endpoint) for endpoint in differing]
