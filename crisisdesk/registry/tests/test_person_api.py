"""The registry JSON API: /api/v1/registry/persons and the API's own pages."""

from html.parser import HTMLParser

import pytest
from django.contrib.staticfiles import finders
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from crisisdesk.accounts.services import token_issue, token_revoke
from crisisdesk.border.models import CrossingPoint
from crisisdesk.common.models import AuditEvent
from crisisdesk.common.origin import SYSTEM
from crisisdesk.common.testing.personas import ALL_PERSONAS
from crisisdesk.registry.errors import RegistryError
from crisisdesk.registry.models import ContactPoint, IdentityDocument, Person, RiskRule, StatusEvent, StatusKind
from crisisdesk.registry.services import status_event_add
from crisisdesk.registry.tests.factories import household_registered, person_registered

PERSONS = "/api/v1/registry/persons"
PHONE = "+380501234567"
DOCUMENT_NUMBER = "P1234567"


def person_url(person_id: int) -> str:
    return f"{PERSONS}/{person_id}"


def events_url(person_id: int) -> str:
    return f"{PERSONS}/{person_id}/events"


def new_person_body(**overrides) -> dict:
    body = {
        "given_name": "Olena",
        "family_name": "Koval",
        "birth": "1985-06-15",
        "sex": "F",
        "citizenships": ["IL", "ua"],
        "region": "UA-46",
        "city": "Lviv",
        "intent": "leave",
        "contacts": [{"kind": "phone", "value": "+380 50 123 4567"}],
        "documents": [{"kind": "passport", "number": "P7654321", "issuing_country": "IL"}],
        "other_names": [{"kind": "native", "given_name": "Олена", "family_name": "Коваль"}],
        "vulnerabilities": ["medical"],
    }
    body.update(overrides)
    return body


@pytest.fixture
def person(db):
    return person_registered()


@pytest.fixture
def only_test_rules(db):
    """Without the rule the migrations seed, so a test sees only the rules it makes."""
    RiskRule.objects.all().delete()


# Permission matrix. Expectations are written out per endpoint, not derived from
# ROLE_PERMISSIONS, so a change to the role table has to be made here on purpose.

LIST_EXPECTED = {
    "admin": 200,
    "desk_chief": 200,
    "consul": 200,
    "border_officer": 200,
    "case_officer": 200,
    "logistics_officer": 403,
    "diplomat": 403,
    "senior_diplomat": 403,
    "political_director": 403,
    "anonymous": 401,
}
# Detail answers a forbidden person like a missing one.
DETAIL_EXPECTED = {
    **LIST_EXPECTED,
    "logistics_officer": 404,
    "diplomat": 404,
    "senior_diplomat": 404,
    "political_director": 404,
}
CREATE_EXPECTED = {
    "admin": 201,
    "desk_chief": 201,
    "consul": 201,
    "border_officer": 201,
    "case_officer": 403,
    "logistics_officer": 403,
    "diplomat": 403,
    "senior_diplomat": 403,
    "political_director": 403,
    "anonymous": 401,
}
UPDATE_EXPECTED = {
    "admin": 200,
    "desk_chief": 200,
    "consul": 200,
    "border_officer": 403,
    "case_officer": 403,
    "logistics_officer": 403,
    "diplomat": 403,
    "senior_diplomat": 403,
    "political_director": 403,
    "anonymous": 401,
}
EVENT_EXPECTED = {
    "admin": 201,
    "desk_chief": 201,
    "consul": 201,
    "border_officer": 201,
    "case_officer": 403,
    "logistics_officer": 403,
    "diplomat": 403,
    "senior_diplomat": 403,
    "political_director": 403,
    "anonymous": 401,
}


@pytest.mark.parametrize("expected", [LIST_EXPECTED, DETAIL_EXPECTED, CREATE_EXPECTED, UPDATE_EXPECTED, EVENT_EXPECTED])
def test_every_matrix_names_every_persona(expected):
    assert set(expected) == set(ALL_PERSONAS)


@pytest.mark.parametrize("persona", ALL_PERSONAS)
def test_list_permissions(api, person, persona):
    response = api(persona).get(PERSONS)
    assert response.status_code == LIST_EXPECTED[persona], response.content


@pytest.mark.parametrize("persona", ALL_PERSONAS)
def test_detail_permissions(api, person, persona):
    response = api(persona).get(person_url(person.pk))
    assert response.status_code == DETAIL_EXPECTED[persona], response.content


@pytest.mark.parametrize("persona", ALL_PERSONAS)
def test_create_permissions(api, persona):
    before = Person.objects.count()
    response = api(persona).post(PERSONS, new_person_body(), content_type="application/json")
    assert response.status_code == CREATE_EXPECTED[persona], response.content
    assert Person.objects.count() == before + (1 if response.status_code == 201 else 0)


@pytest.mark.parametrize("persona", ALL_PERSONAS)
def test_update_permissions(api, person, persona):
    response = api(persona).patch(
        person_url(person.pk), {"version": person.version, "intent": "stay"}, content_type="application/json"
    )
    assert response.status_code == UPDATE_EXPECTED[persona], response.content
    person.refresh_from_db()
    assert person.intent == ("stay" if response.status_code == 200 else "leave")


@pytest.mark.parametrize("persona", ALL_PERSONAS)
def test_event_permissions(api, person, persona):
    body = {"kind": "en_route", "occurred_at": timezone.now().isoformat()}
    response = api(persona).post(events_url(person.pk), body, content_type="application/json")
    assert response.status_code == EVENT_EXPECTED[persona], response.content
    expected_events = 2 if response.status_code == 201 else 1
    assert StatusEvent.objects.filter(person=person).count() == expected_events


@pytest.mark.parametrize(
    ("method", "persona"),
    [("get", "consul"), ("patch", "consul"), ("post_event", "consul"), ("get", "diplomat")],
)
def test_missing_person_is_404(api, db, method, persona):
    client = api(persona)
    if method == "get":
        response = client.get(person_url(999999))
    elif method == "patch":
        response = client.patch(person_url(999999), {"version": 1}, content_type="application/json")
    else:
        body = {"kind": "en_route", "occurred_at": timezone.now().isoformat()}
        response = client.post(events_url(999999), body, content_type="application/json")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


# Authentication


def test_anonymous_gets_401_with_bearer_challenge(api, person):
    response = api("anonymous").get(PERSONS)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"
    assert response.json()["code"] == "not_authenticated"


def test_revoked_token_is_401(users, person):
    """A revoked token stops working at once."""
    token, raw = token_issue(actor=None, origin=SYSTEM, user=users["consul"])
    client = Client(headers={"Authorization": f"Bearer {raw}"})
    assert client.get(PERSONS).status_code == 200

    token_revoke(actor=None, origin=SYSTEM, token=token)

    assert client.get(PERSONS).status_code == 401


def test_token_of_inactive_user_is_401(api, users, person):
    users["consul"].is_active = False
    users["consul"].save()
    assert api("consul").get(PERSONS).status_code == 401


def test_unknown_token_is_401(db):
    client = Client(headers={"Authorization": "Bearer cdk_00000000_not-a-real-token"})
    assert client.get(PERSONS).status_code == 401


def test_session_login_alone_does_not_open_the_api(as_persona, person):
    """The API takes bearer tokens only, so it needs no CSRF protection."""
    assert as_persona("consul").get(PERSONS).status_code == 401


# Audit


def latest_audit(action: str) -> AuditEvent:
    return AuditEvent.objects.filter(action=action).latest("id")


def test_list_is_audited(api, users, person):
    """The row says who listed which ids with which filters, but not the searched name."""
    api("consul").get(PERSONS, {"region": "UA-46", "q": person.family_name})

    event = latest_audit(AuditEvent.Action.PERSON_LISTED)
    assert (event.channel, event.actor, event.ip_address) == ("api", users["consul"], "127.0.0.1")
    assert event.changes == {"filters": {"region": "UA-46", "query": "…"}, "page": 1, "ids": [person.pk]}


def test_detail_is_audited_with_person_id(api, users, person):
    api("border_officer").get(person_url(person.pk))

    event = latest_audit(AuditEvent.Action.PERSON_VIEWED)
    assert (event.channel, event.person_id, event.actor) == ("api", person.pk, users["border_officer"])


def test_create_is_audited(api, users):
    response = api("consul").post(PERSONS, new_person_body(), content_type="application/json")

    event = latest_audit(AuditEvent.Action.PERSON_CREATED)
    assert (event.channel, event.person_id, event.actor) == ("api", response.json()["id"], users["consul"])
    assert StatusEvent.objects.get(person_id=response.json()["id"]).source == StatusEvent.Source.API


def test_update_is_audited(api, users, person):
    api("consul").patch(person_url(person.pk), {"version": 1, "city": "Kyiv"}, content_type="application/json")

    event = latest_audit(AuditEvent.Action.PERSON_UPDATED)
    assert (event.channel, event.person_id, event.actor) == ("api", person.pk, users["consul"])
    assert event.changes == {"fields": ["city"]}


def test_event_is_audited(api, users, person):
    body = {"kind": "at_border", "occurred_at": timezone.now().isoformat()}
    api("border_officer").post(events_url(person.pk), body, content_type="application/json")

    event = latest_audit(AuditEvent.Action.STATUS_EVENT_ADDED)
    assert (event.channel, event.person_id, event.actor) == ("api", person.pk, users["border_officer"])


def test_denied_calls_write_nothing(api, person):
    before = AuditEvent.objects.count()
    api("diplomat").get(PERSONS)
    api("diplomat").get(person_url(person.pk))
    api("case_officer").patch(person_url(person.pk), {"version": 1, "city": "Kyiv"}, content_type="application/json")
    assert AuditEvent.objects.count() == before


# List


def test_list_shape(api):
    person = person_registered(vulnerabilities=("medical",))
    response = api("consul").get(PERSONS)

    assert response.json() == {
        "count": 1,
        "page": 1,
        "pages": 1,
        "results": [
            {
                "id": person.pk,
                "reference": None,
                "given_name": person.given_name,
                "family_name": person.family_name,
                "birth": "1985-06-15",
                "sex": "F",
                "region": "UA-46",
                "city": "Lviv",
                "intent": "leave",
                "current_status": "registered",
                "citizenships": ["IL"],
                "vulnerabilities": ["medical"],
                "risk_flags": [],
            }
        ],
    }


def test_list_shows_risk_flags(api, only_test_rules):
    RiskRule.objects.create(code="conscription", label="Conscription risk", citizenship="UA", sex="M")
    flagged = person_registered(sex="M", citizenships=("UA",))
    unflagged = person_registered(sex="F", citizenships=("UA",))

    rows = {row["id"]: row for row in api("consul").get(PERSONS).json()["results"]}

    assert rows[flagged.pk]["risk_flags"] == ["conscription"]
    assert rows[unflagged.pk]["risk_flags"] == []


def test_list_reference_of_self_registered_person(api):
    result = household_registered(people=2)
    rows = api("consul").get(PERSONS).json()["results"]
    assert {row["reference"] for row in rows} == {result.registration.reference_display}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"status": "crossed"}, {"crossed"}),
        ({"region": "UA-32"}, {"kyiv"}),
        ({"intent": "stay"}, {"kyiv"}),
        ({"citizenship": "il"}, {"lviv", "crossed"}),
        ({"vulnerability": "mobility"}, {"kyiv"}),
        ({"q": "Shevchenko"}, {"crossed"}),
        ({}, {"lviv", "kyiv", "crossed"}),
    ],
)
def test_list_filters(api, query, expected):
    people = {
        "lviv": person_registered(family_name="Bondar"),
        "kyiv": person_registered(
            family_name="Melnyk", region="UA-32", intent="stay", citizenships=("UA",), vulnerabilities=("mobility",)
        ),
        "crossed": person_registered(family_name="Shevchenko"),
    }
    status_event_add(
        actor=None,
        origin=SYSTEM,
        person=people["crossed"],
        kind=StatusKind.CROSSED,
        occurred_at=timezone.now(),
        source=StatusEvent.Source.STAFF,
        place_note="Shehyni",
    )
    names = {person.pk: name for name, person in people.items()}

    response = api("consul").get(PERSONS, query)

    assert {names[row["id"]] for row in response.json()["results"]} == expected


def test_list_rejects_unknown_choice(api, person):
    response = api("consul").get(PERSONS, {"status": "vanished"})
    assert response.status_code == 422
    assert (response.json()["code"], response.json()["field"]) == ("invalid", "status")


def test_list_pages_by_fifty(api):
    for _ in range(51):
        person_registered()

    first = api("consul").get(PERSONS).json()
    second = api("consul").get(PERSONS, {"page": 2}).json()

    assert (first["count"], first["pages"], len(first["results"])) == (51, 2, 50)
    assert (second["page"], len(second["results"])) == (2, 1)
    assert {row["id"] for row in first["results"]}.isdisjoint({row["id"] for row in second["results"]})


def test_list_query_count_does_not_grow_with_rows(api, django_assert_max_num_queries):
    """Prefetching keeps the list to a fixed number of queries: no N+1."""
    client = api("consul")
    for _ in range(3):
        person_registered(vulnerabilities=("medical",))
    client.get(PERSONS)  # the first call also stamps the token's last use
    with CaptureQueriesContext(connection) as small:
        assert client.get(PERSONS).status_code == 200

    for _ in range(17):
        person_registered(vulnerabilities=("medical",))
    with django_assert_max_num_queries(len(small)) as large:
        response = client.get(PERSONS)

    assert response.json()["count"] == 20
    assert len(large) == len(small)
    assert len(small) <= 8


# Detail


def test_detail_shape(api):
    person = person_registered()
    response = api("consul").get(person_url(person.pk))
    body = response.json()

    assert response.status_code == 200
    assert body["id"] == person.pk
    assert body["version"] == 1
    assert body["birth"] == "1985-06-15"
    assert body["citizenships"] == ["IL"]
    assert body["household"] is None
    assert body["household_members"] == []
    assert [event["kind"] for event in body["timeline"]] == ["registered"]
    assert body["other_names"] == [
        {"kind": "passport", "given_name": "Olena", "family_name": "Koval", "script": "latin"}
    ]


def test_detail_lists_household_members(api):
    result = household_registered(people=3)
    ids = sorted(result.registration.persons.values_list("id", flat=True))

    body = api("border_officer").get(person_url(ids[0])).json()

    assert body["household"] is not None
    assert body["household_members"] == ids[1:]
    assert body["reference"] == result.registration.reference_display


def test_detail_explains_risk_flags(api, only_test_rules):
    RiskRule.objects.create(
        code="conscription", label="Conscription risk", advice="Warn before the crossing.", citizenship="UA", sex="M"
    )
    person = person_registered(sex="M", citizenships=("UA",))

    (flag,) = api("border_officer").get(person_url(person.pk)).json()["risk_flags"]

    assert flag["rule"] == "conscription"
    assert flag["advice"] == "Warn before the crossing."
    assert flag["reasons"] == [{"condition": "citizenship", "country": "UA"}, {"condition": "sex", "sex": "M"}]
    assert len(flag["explanation"]) == 2


def test_detail_timeline_is_newest_first_with_corrections(api):
    person = person_registered()
    point = CrossingPoint.objects.create(
        code="shehyni", name="Shehyni", name_far_side="Medyka", country_from="UA", country_to="PL"
    )
    crossed = status_event_add(
        actor=None,
        origin=SYSTEM,
        person=person,
        kind=StatusKind.CROSSED,
        occurred_at=timezone.now(),
        source=StatusEvent.Source.STAFF,
        crossing_point=point,
    )
    status_event_add(
        actor=None,
        origin=SYSTEM,
        person=person,
        kind=StatusKind.ENTERED_IN_ERROR,
        occurred_at=timezone.now(),
        source=StatusEvent.Source.STAFF,
        corrects=crossed,
    )

    body = api("consul").get(person_url(person.pk)).json()

    assert [event["kind"] for event in body["timeline"]] == ["entered_in_error", "crossed", "registered"]
    assert body["timeline"][0]["corrects"] == crossed.pk
    assert body["timeline"][1]["crossing_point"] == "shehyni"
    assert body["current_status"] == "registered"


@pytest.mark.parametrize(
    ("persona", "sees_contact"), [("consul", True), ("case_officer", True), ("border_officer", False)]
)
def test_contact_details_are_need_to_know(api, person, persona, sees_contact):
    response = api(persona).get(person_url(person.pk))
    body = response.json()

    if sees_contact:
        assert body["contacts"] == [{"kind": "phone", "messenger": "", "value": PHONE}]
        assert body["documents"] == [{"kind": "passport", "issuing_country": "IL", "number": DOCUMENT_NUMBER}]
        assert body["other_names"][0]["family_name"] == "Koval"
    else:
        assert (body["contacts"], body["documents"], body["other_names"]) == (None, None, None)
        assert PHONE not in response.content.decode()
        assert DOCUMENT_NUMBER not in response.content.decode()


def test_contact_details_hidden_in_write_responses(api, person):
    """The rule holds for every endpoint that returns a person, not only GET."""
    created = api("border_officer").post(PERSONS, new_person_body(), content_type="application/json").json()
    assert (created["contacts"], created["documents"], created["other_names"]) == (None, None, None)

    updated = api("admin").patch(person_url(person.pk), {"version": 1}, content_type="application/json").json()
    assert updated["contacts"] == [{"kind": "phone", "messenger": "", "value": PHONE}]


def test_contact_details_are_encrypted_at_rest(api, person):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT value FROM {ContactPoint._meta.db_table} WHERE person_id = %s", [person.pk])  # noqa: S608
        (stored_phone,) = cursor.fetchone()
        cursor.execute(f"SELECT number FROM {IdentityDocument._meta.db_table} WHERE person_id = %s", [person.pk])  # noqa: S608
        (stored_number,) = cursor.fetchone()

    assert stored_phone and "380501234567" not in stored_phone
    assert stored_number and DOCUMENT_NUMBER not in stored_number
    assert ContactPoint.objects.get(person=person).value == PHONE


# Create


def test_create_returns_the_person(api, users):
    response = api("consul").post(PERSONS, new_person_body(), content_type="application/json")
    body = response.json()

    assert response.status_code == 201
    person = Person.objects.get(pk=body["id"])
    assert person.created_by == users["consul"]
    assert body["birth"] == "1985-06-15"
    assert body["citizenships"] == ["IL", "UA"]
    assert body["vulnerabilities"] == ["medical"]
    assert body["contacts"] == [{"kind": "phone", "messenger": "", "value": PHONE}]  # stored in E.164
    assert body["other_names"][0]["script"] == "cyrillic"
    assert [event["source"] for event in body["timeline"]] == ["api"]


def test_create_accepts_a_partial_birth_date(api):
    response = api("consul").post(PERSONS, new_person_body(birth="1985-06"), content_type="application/json")
    person = Person.objects.get(pk=response.json()["id"])
    assert (person.birth_year, person.birth_month, person.birth_day) == (1985, 6, None)


def post_invalid(api, **overrides):
    before = Person.objects.count()
    response = api("consul").post(PERSONS, new_person_body(**overrides), content_type="application/json")
    assert response.status_code == 422, response.content
    assert Person.objects.count() == before, "nothing is saved"
    return response.json()


def test_impossible_birth_date_is_422_and_saves_nothing(api):
    body = post_invalid(api, birth="2022-02-30")
    assert body == {
        "code": RegistryError.BIRTH_DATE_INVALID,
        "field": "birth",
        "message": "This date does not exist. Check the day and the month.",
    }


@pytest.mark.parametrize(
    ("overrides", "code", "field"),
    [
        ({"birth": "1985-6-1"}, RegistryError.BIRTH_DATE_INVALID, "birth"),
        ({"birth": "1985-13"}, RegistryError.BIRTH_DATE_INVALID, "birth"),
        ({"birth": "2999"}, RegistryError.BIRTH_DATE_IN_FUTURE, "birth"),
        ({"birth": "1850"}, RegistryError.BIRTH_YEAR_TOO_EARLY, "birth"),
        ({"contacts": [{"kind": "phone", "value": "12345"}]}, RegistryError.PHONE_INVALID, "contacts.0.value"),
        ({"contacts": [{"kind": "phone", "value": "call me"}]}, RegistryError.PHONE_INVALID, "contacts.0.value"),
        ({"given_name": " \u200b ", "family_name": ""}, RegistryError.NAME_EMPTY, "given_name"),
        ({"citizenships": ["IL", "XX"]}, RegistryError.COUNTRY_UNKNOWN, "citizenships.1"),
        (
            {"documents": [{"kind": "passport", "number": "1", "issuing_country": "QQ"}]},
            RegistryError.COUNTRY_UNKNOWN,
            "documents.0.issuing_country",
        ),
        ({"region": "UA-99"}, RegistryError.REGION_UNKNOWN, "region"),
    ],
)
def test_create_rejects_invalid_fields(api, overrides, code, field):
    body = post_invalid(api, **overrides)
    assert (body["code"], body["field"]) == (code, field)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"sex": "Q"}, "sex"),
        ({"intent": "maybe"}, "intent"),
        ({"relationship": "boss"}, "relationship"),
        ({"vulnerabilities": ["sad"]}, "vulnerabilities.0"),
        ({"contacts": [{"kind": "pigeon", "value": "x"}]}, "contacts.0.kind"),
        ({"given_name": "x" * 201}, "given_name"),
    ],
)
def test_create_rejects_unknown_choices(api, overrides, field):
    body = post_invalid(api, **overrides)
    assert (body["code"], body["field"]) == ("invalid", field)


def test_create_rejects_a_bad_email(api):
    body = post_invalid(api, contacts=[{"kind": "email", "value": "not-an-email"}])
    assert body["code"] == "invalid"


# Update


def patch(api, person, persona="consul", **body):
    return api(persona).patch(person_url(person.pk), body, content_type="application/json")


def test_update_changes_only_the_fields_sent(api, person):
    response = patch(api, person, version=1, city="Kyiv", region="UA-32", birth="1985")

    body = response.json()
    assert response.status_code == 200
    assert (body["version"], body["city"], body["region"], body["birth"]) == (2, "Kyiv", "UA-32", "1985")
    assert (body["given_name"], body["intent"]) == (person.given_name, "leave")
    assert body["timeline"][0]["kind"] == "location_updated"


def test_update_can_clear_the_birth_date(api, person):
    patch(api, person, version=1, birth=None)
    person.refresh_from_db()
    assert (person.birth_year, person.birth_month, person.birth_day) == (None, None, None)


def test_update_replaces_citizenships_and_refreshes_flags(api, person, only_test_rules):
    RiskRule.objects.create(code="ua-citizen", label="Crisis-country citizen", citizenship="UA")

    body = patch(api, person, version=1, citizenships=["UA"]).json()

    assert body["citizenships"] == ["UA"]
    assert [flag["rule"] for flag in body["risk_flags"]] == ["ua-citizen"]


def test_stale_version_is_409(api, person):
    """Two clients edit from the same copy: the second is refused, not applied."""
    assert patch(api, person, version=1, city="Kyiv").status_code == 200

    response = patch(api, person, "desk_chief", version=1, city="Odesa")

    assert response.status_code == 409
    assert response.json()["code"] == "version_conflict"
    person.refresh_from_db()
    assert (person.city, person.version) == ("Kyiv", 2)


def test_create_accepts_a_single_name(api):
    """Some people have one name; either name alone is enough."""
    response = api("consul").post(PERSONS, new_person_body(family_name=""), content_type="application/json")

    assert response.status_code == 201, response.content
    assert response.json()["family_name"] == ""


def test_update_needs_a_version(api, person):
    response = patch(api, person, city="Kyiv")
    assert response.status_code == 422
    assert response.json()["field"] == "version"


@pytest.mark.parametrize(
    ("body", "code", "field"),
    [
        ({"birth": "2022-02-30"}, RegistryError.BIRTH_DATE_INVALID, "birth"),
        ({"given_name": "", "family_name": "  "}, RegistryError.NAME_EMPTY, "given_name"),
        ({"region": "XX-1"}, RegistryError.REGION_UNKNOWN, "region"),
        ({"citizenships": ["ZZ"]}, RegistryError.COUNTRY_UNKNOWN, "citizenships.0"),
        ({"sex": None}, "invalid", "sex"),
        ({"given_name": None}, "invalid", "given_name"),
    ],
)
def test_update_rejects_invalid_fields(api, person, body, code, field):
    response = patch(api, person, version=1, **body)

    assert response.status_code == 422, response.content
    assert (response.json()["code"], response.json()["field"]) == (code, field)
    person.refresh_from_db()
    assert person.version == 1


# Timeline events


def post_event(api, person, persona="border_officer", **body):
    body.setdefault("occurred_at", timezone.now().isoformat())
    return api(persona).post(events_url(person.pk), body, content_type="application/json")


def test_event_at_a_crossing_point(api, person, users):
    CrossingPoint.objects.create(
        code="shehyni", name="Shehyni", name_far_side="Medyka", country_from="UA", country_to="PL"
    )

    response = post_event(api, person, kind="crossed", crossing_point="shehyni", note="with two children")

    body = response.json()
    assert response.status_code == 201
    assert (body["kind"], body["crossing_point"], body["source"], body["note"]) == (
        "crossed",
        "shehyni",
        "api",
        "with two children",
    )
    event = StatusEvent.objects.get(pk=body["id"])
    assert event.recorded_by == users["border_officer"]
    person.refresh_from_db()
    assert person.current_status == "crossed"


def test_event_correction(api, person):
    wrong = post_event(api, person, kind="crossed", place_note="Rava-Ruska").json()

    response = post_event(api, person, kind="entered_in_error", corrects=wrong["id"])

    assert response.status_code == 201
    assert response.json()["corrects"] == wrong["id"]
    person.refresh_from_db()
    assert person.current_status == "registered"


@pytest.mark.parametrize(
    ("body", "code", "field"),
    [
        ({"kind": "crossed", "crossing_point": "nowhere"}, RegistryError.CROSSING_POINT_UNKNOWN, "crossing_point"),
        ({"kind": "crossed"}, RegistryError.CROSSING_NEEDS_PLACE, "crossing_point"),
        ({"kind": "entered_in_error"}, RegistryError.CORRECTION_NEEDS_TARGET, "corrects"),
        ({"kind": "entered_in_error", "corrects": 999999}, RegistryError.CORRECTION_OTHER_PERSON, "corrects"),
        ({"kind": "en_route", "occurred_at": "2999-01-01T00:00:00Z"}, RegistryError.EVENT_IN_FUTURE, "occurred_at"),
        ({"kind": "en_route", "occurred_at": "2024-01-01T10:00:00"}, "invalid", "occurred_at"),
        ({"kind": "teleported"}, "invalid", "kind"),
    ],
)
def test_event_rejects_invalid_input(api, person, body, code, field):
    response = post_event(api, person, **body)

    assert response.status_code == 422, response.content
    assert (response.json()["code"], response.json()["field"]) == (code, field)
    assert StatusEvent.objects.filter(person=person).count() == 1


def test_event_cannot_correct_another_persons_event(api, person):
    other = person_registered()
    other_event = StatusEvent.objects.get(person=other)

    response = post_event(api, person, kind="entered_in_error", corrects=other_event.pk)

    assert response.json()["code"] == RegistryError.CORRECTION_OTHER_PERSON


# OpenAPI and docs


def test_openapi_lists_the_paths(db):
    response = Client().get("/api/openapi.json")
    schema = response.json()

    assert response.status_code == 200
    assert schema["info"]["title"] == "Crisis Desk API"
    assert set(schema["paths"]) >= {
        "/api/v1/registry/persons",
        "/api/v1/registry/persons/{person_id}",
        "/api/v1/registry/persons/{person_id}/events",
    }
    assert set(schema["paths"]["/api/v1/registry/persons/{person_id}"]) == {"get", "patch"}
    assert list(schema["components"]["securitySchemes"].values()) == [{"type": "http", "scheme": "bearer"}]


class _PageAssets(HTMLParser):
    """Collects what a page loads and anything a strict CSP would block."""

    def __init__(self):
        super().__init__()
        self.scripts: list[str | None] = []
        self.urls: list[str] = []
        self.inline_styles: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "script":
            self.scripts.append(attributes.get("src"))
        if tag == "style":
            self.inline_styles.append("<style>")
        if "style" in attributes:
            self.inline_styles.append(f"style= on <{tag}>")
        if any(name.startswith("on") for name in attributes):
            self.inline_styles.append(f"event handler on <{tag}>")
        self.urls += [attributes[name] for name in ("src", "href") if attributes.get(name)]


def test_docs_page_works_under_the_strict_csp(db):
    """The CSP allows scripts and styles from our own origin only: the docs page has no
    inline script (not even a JSON data block), no inline style, and no other host."""
    response = Client().get("/api/docs")
    assets = _PageAssets()
    assets.feed(response.content.decode())

    assert response.status_code == 200
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "style-src 'self'" in csp
    assert assets.scripts and None not in assets.scripts, "every <script> has a src"
    assert assets.inline_styles == []
    for url in assets.urls:
        assert url.startswith("/") and not url.startswith("//"), url
        assert finders.find(url.removeprefix("/static/")), f"{url} is served from our own static files"
    assert "/static/ninja/swagger-ui-bundle.js" in assets.urls
    assert "http://" not in response.content.decode() and "https://" not in response.content.decode()
    assert "/api/openapi.json" in response.content.decode()
