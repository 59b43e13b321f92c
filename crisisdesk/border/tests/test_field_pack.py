"""The field pack (`GET /api/v1/desk/pack`) and the field devices' tokens.

A pack goes onto a phone at a border crossing, and a phone can be lost: it holds only what an
officer needs to find someone, never a contact or a document."""

import json
from datetime import datetime, timedelta

import pytest
from django.urls import reverse

from crisisdesk.accounts.models import ApiToken
from crisisdesk.border.models import CrossingPoint
from crisisdesk.common.models import AuditEvent
from crisisdesk.common.origin import SYSTEM
from crisisdesk.registry.inputs import ContactInput, DocumentInput, NameInput
from crisisdesk.registry.models import StatusKind
from crisisdesk.registry.services import status_event_add
from crisisdesk.registry.tests.factories import person_registered
from namebridge import offline_tables

pytestmark = pytest.mark.django_db

PACK = reverse("api:desk_field_pack")
PHONE, EMAIL, PASSPORT = "+380501234567", "olena.k@example.org", "FA123456"


@pytest.fixture
def point():
    return CrossingPoint.objects.create(
        code="shehyni", name="Shehyni", name_far_side="Medyka", country_from="UA", country_to="PL"
    )


def test_a_field_pack_holds_no_contact_or_document_field(api, point):
    person = person_registered(
        given_name="Олена",
        family_name="Коваленко",
        other_names=(NameInput(kind="passport", given_name="Olena", family_name="Kovalenko"),),
        contacts=(ContactInput(kind="phone", value=PHONE), ContactInput(kind="email", value=EMAIL)),
        documents=(DocumentInput(kind="passport", number=PASSPORT, issuing_country="UA"),),
        city="Chernihiv",
        location_note="basement of school 5",
    )

    response = api("border_officer").get(PACK, {"point": "shehyni"})

    assert response.status_code == 200
    pack = response.json()
    assert pack["fields"] == [
        "id",
        "given",
        "family",
        "spellings",
        "birth_year",
        "reference",
        "household",
        "intent",
        "status",
        "flags",
    ]
    (row,) = pack["persons"]
    record = dict(zip(pack["fields"], row, strict=True))
    assert record["id"] == person.pk and record["family"] == "Коваленко"
    assert record["spellings"] == [["Olena", "Kovalenko"]] and record["birth_year"] == 1985
    text = response.content.decode()
    for secret in (PHONE, "501234567", EMAIL, PASSPORT, "Chernihiv", "basement"):
        assert secret not in text
    assert datetime.fromisoformat(pack["expires_at"]) - datetime.fromisoformat(pack["generated_at"]) == timedelta(
        hours=24
    )


def test_the_pack_leaves_out_those_already_through_and_its_read_is_audited(api, users, point):
    still_inside = person_registered(given_name="Богдан", family_name="Шевчук")
    crossed = person_registered(given_name="Ірина", family_name="Бондаренко")
    status_event_add(
        actor=users["consul"],
        origin=SYSTEM,
        person=crossed,
        kind=StatusKind.CROSSED,
        occurred_at=crossed.created_at,
        source="staff",
        crossing_point=point,
    )

    pack = api("border_officer").get(PACK).json()

    assert [row[0] for row in pack["persons"]] == [still_inside.pk]
    audit = AuditEvent.objects.filter(action=AuditEvent.Action.PERSON_LISTED).latest("at")
    assert audit.actor == users["border_officer"] and audit.changes["list"] == "field_pack"
    assert audit.changes["ids"] == [still_inside.pk]


def test_the_pack_is_capped_and_says_so(api, point, settings):
    settings.CRISISDESK_FIELD_PACK_MAX_PERSONS = 2
    for family in ("Мельник", "Ткаченко", "Кравченко"):
        person_registered(family_name=family)

    pack = api("border_officer").get(PACK).json()

    assert len(pack["persons"]) == 2 and pack["truncated"] is True


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("admin", 200),
        ("desk_chief", 200),
        ("consul", 200),
        ("border_officer", 200),
        ("case_officer", 403),
        ("logistics_officer", 403),
        ("diplomat", 403),
        ("anonymous", 401),
    ],
)
def test_pack_permission_matrix(api, point, persona, status):
    person_registered()

    assert api(persona).get(PACK).status_code == status


def test_a_device_gets_its_own_token_and_signing_out_revokes_it(as_persona, users, point):
    officer = as_persona("border_officer")

    issued = officer.post(reverse("desk:device_issue"), {"device": "tablet at Shehyni"})
    token = issued.json()["token"]
    bearer = {"Authorization": f"Bearer {token}"}
    pack_before = officer.get(PACK, headers=bearer)
    signed_out = officer.post(reverse("api:desk_device_sign_out"), headers=bearer)
    pack_after = officer.get(PACK, headers=bearer)

    assert issued.status_code == 200 and issued["Cache-Control"] == "no-store"
    assert ApiToken.objects.get(user=users["border_officer"]).label == "desk: tablet at Shehyni"
    assert (pack_before.status_code, signed_out.status_code, pack_after.status_code) == (200, 204, 401)
    assert as_persona("case_officer").post(reverse("desk:device_issue")).status_code == 403


def test_the_desk_chief_signs_out_a_lost_device(as_persona, users, point):
    token = as_persona("border_officer").post(reverse("desk:device_issue"), {"device": "lost phone"}).json()["token"]
    device = ApiToken.objects.get(label="desk: lost phone")

    other = as_persona("consul").post(reverse("border:device_revoke", args=[device.pk]))
    listed = as_persona("desk_chief").get(reverse("border:device_list")).content.decode()
    revoked = as_persona("desk_chief").post(reverse("border:device_revoke", args=[device.pk]))

    assert other.status_code == 404 and "lost phone" in listed and revoked.status_code == 302
    device.refresh_from_db()
    assert device.revoked_at is not None
    assert as_persona("border_officer").get(PACK, headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_the_shell_the_worker_and_the_manifest_are_served_for_an_offline_app(as_persona, client, point):
    shell = as_persona("border_officer").get(reverse("desk:app"))
    worker = client.get(reverse("desk:service_worker"))
    manifest = json.loads(client.get(reverse("desk:manifest")).content)
    tables = as_persona("border_officer").get(reverse("desk:name_tables"))

    assert shell.status_code == 200 and 'id="desk"' in shell.content.decode()
    assert worker.status_code == 200 and worker["Service-Worker-Allowed"] == "/desk/"
    assert "caches.open" in worker.content.decode()
    assert manifest["start_url"] == "/desk/" and manifest["display"] == "standalone"
    assert tables.status_code == 200 and tables.json() == json.loads(json.dumps(offline_tables()))
    assert as_persona("diplomat").get(reverse("desk:app")).status_code == 403
