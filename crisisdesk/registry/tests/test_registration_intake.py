"""Public registrations are received at once and added to the registry by a worker
(docs/adr/0004-public-registrations-are-received-then-added.md).

These tests run the real database task backend and its worker (`db_worker --batch`),
not the immediate backend the rest of the suite uses, so that "received" and "added"
are two moments, as in production.
"""

import re
from dataclasses import replace

import pytest
from django.core.management import call_command
from django.db import connection
from django.urls import reverse
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from crisisdesk.common.models import AuditEvent
from crisisdesk.common.origin import SYSTEM, Origin
from crisisdesk.registry.inputs import people_payload_dumps, people_payload_loads
from crisisdesk.registry.models import (
    ContactPoint,
    IntakeState,
    Person,
    Registration,
    RiskFlag,
    StatusEvent,
    StatusKind,
)
from crisisdesk.registry.services import (
    registration_add_received,
    registration_add_retry,
    registration_receive,
    registrations_add_received,
)
from crisisdesk.registry.tasks import registration_intake_drain
from crisisdesk.registry.tests.factories import PersonInputFactory, registration_input
from crisisdesk.registry.tests.test_public_views import REGISTER_URL, registration_post

pytestmark = pytest.mark.django_db

PUBLIC = Origin(channel=AuditEvent.Channel.PUBLIC, ip_address="203.0.113.7")
DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


@pytest.fixture
def database_tasks(settings, monkeypatch):
    """Tasks go to the database and wait for a worker, as in production.

    The worker checks its connection between tasks, as Django does between requests, and
    closes one that is not in autocommit. Inside a test's transaction that would throw the
    test's data away, so here that check is skipped; the worker is otherwise the real one."""
    settings.TASKS = DATABASE_TASKS
    settings.CRISISDESK_PUBLIC_RATE_LIMIT = 0
    monkeypatch.setattr("django_tasks_db.management.commands.db_worker.close_old_connections", lambda: None)


def worker_run() -> None:
    """What `make run`'s worker does, until the queue is empty."""
    call_command("db_worker", batch=True, startup_delay=False, reload=False, verbosity=0)


def waiting_drains() -> int:
    return DBTaskResult.objects.filter(
        status=TaskResultStatus.READY, task_path=registration_intake_drain.module_path
    ).count()


def _raw_column(registration: Registration, column: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM registry_registration WHERE id = %s", [registration.pk])  # noqa: S608
        return cursor.fetchone()[0]


# -- receiving -----------------------------------------------------------------------------


def test_a_received_registration_is_one_encrypted_row_and_its_audit_row(database_tasks):
    """Received: the registration exists with its reference and link, its people wait
    encrypted in it, the audit row names the public channel and address; no person yet."""
    data = registration_input(people=2)

    result = registration_receive(origin=PUBLIC, data=data)

    registration = Registration.objects.get()
    assert result.created
    assert registration.intake_state == IntakeState.RECEIVED
    assert registration.people_count == 2
    assert Person.objects.count() == 0
    raw = _raw_column(registration, "intake_payload")
    for person in data.people:
        assert person.given_name not in raw
        assert person.contacts[0].value not in raw
    assert people_payload_loads(registration.intake_payload).people == data.people
    (audit,) = AuditEvent.objects.filter(action=AuditEvent.Action.REGISTRATION_SUBMITTED)
    assert (audit.channel, audit.ip_address, audit.target_id) == ("public", "203.0.113.7", str(registration.pk))
    assert audit.changes == {"people": 2}


def test_receiving_the_same_form_twice_keeps_one_registration(database_tasks):
    """A double submit returns the first registration, its reference and its private link."""
    data = registration_input()

    first = registration_receive(origin=PUBLIC, data=data)
    second = registration_receive(origin=PUBLIC, data=replace(data, people=(PersonInputFactory(),)))

    assert Registration.objects.count() == 1
    assert not second.created
    assert (second.registration.reference, second.update_token) == (first.registration.reference, first.update_token)


def test_one_waiting_drain_serves_every_registration_before_it_starts(database_tasks):
    """The first registration enqueues a drain; the next ones find it waiting and add none.
    Once a worker has claimed it, the next registration enqueues a new one."""
    registration_receive(origin=PUBLIC, data=registration_input())
    registration_receive(origin=PUBLIC, data=registration_input())
    assert waiting_drains() == 1

    DBTaskResult.objects.filter(task_path=registration_intake_drain.module_path).update(status=TaskResultStatus.RUNNING)
    registration_receive(origin=PUBLIC, data=registration_input())

    assert waiting_drains() == 1


def test_the_worker_adds_received_people_with_timeline_flags_and_audit(database_tasks):
    """After the worker: persons with their contacts, a "registered" event at the time of
    submission, risk flags, one audit row each from the registrant's address, and the
    waiting copy of their data gone."""
    man, woman = PersonInputFactory(sex="M", birth_year=1990, citizenships=("IL", "UA")), PersonInputFactory()
    registration_receive(origin=PUBLIC, data=replace(registration_input(), people=(man, woman)))

    worker_run()

    registration = Registration.objects.get()
    assert registration.intake_state == IntakeState.ADDED
    assert registration.intake_payload == ""
    persons = list(registration.persons.order_by("id"))
    assert [p.given_name for p in persons] == [man.given_name, woman.given_name]
    assert persons[0].household_id == persons[1].household_id is not None
    assert ContactPoint.objects.filter(person=persons[0]).get().value == man.contacts[0].value
    (registered,) = StatusEvent.objects.filter(person=persons[0])
    assert (registered.kind, registered.occurred_at, registered.source) == (
        StatusKind.REGISTERED,
        registration.submitted_at,
        StatusEvent.Source.PUBLIC,
    )
    assert RiskFlag.objects.filter(person=persons[0], rule__code="conscription-risk").exists()
    created = AuditEvent.objects.filter(action=AuditEvent.Action.PERSON_CREATED)
    assert sorted(created.values_list("person_id", flat=True)) == [p.pk for p in persons]
    assert set(created.values_list("channel", "ip_address")) == {("public", "203.0.113.7")}
    assert waiting_drains() == 0


def test_draining_twice_adds_nothing_twice(database_tasks):
    registration_receive(origin=PUBLIC, data=registration_input(people=3))

    first = registrations_add_received()
    second = registrations_add_received()

    assert (first.added, first.failed, second.added, second.failed) == (1, 0, 0, 0)
    assert Person.objects.count() == 3


def test_a_drain_that_makes_way_still_adds_everything(database_tasks):
    """With a busy share below 1 the drain pauses while registrations arrive, but it adds
    each one, including those received while it runs."""
    for _ in range(3):
        registration_receive(origin=PUBLIC, data=registration_input())

    result = registrations_add_received(busy_share=0.5)

    assert result.added == 3
    assert not Registration.objects.exclude(intake_state=IntakeState.ADDED).exists()


def test_a_registration_that_cannot_be_added_is_kept_with_its_reason(database_tasks, users):
    """Nothing is dropped: a registration the worker cannot add stays, with its people
    still encrypted in it and the reason, and staff can send it again once fixed."""
    data = registration_input()
    result = registration_receive(origin=PUBLIC, data=data)
    good_payload = result.registration.intake_payload
    Registration.objects.filter(pk=result.registration.pk).update(intake_payload='{"version": 99}')

    worker_run()

    registration = Registration.objects.get()
    assert registration.intake_state == IntakeState.FAILED
    assert registration.intake_error == "ValueError"
    assert registration.intake_payload == '{"version": 99}'
    assert Person.objects.count() == 0
    assert AuditEvent.objects.filter(action=AuditEvent.Action.REGISTRATION_ADD_FAILED).get().changes == {
        "reason": "ValueError"
    }

    Registration.objects.filter(pk=registration.pk).update(intake_payload=good_payload)
    state = registration_add_retry(actor=users["consul"], origin=SYSTEM, registration=registration)

    assert state == IntakeState.ADDED
    assert Person.objects.get().given_name == data.people[0].given_name
    assert AuditEvent.objects.filter(action=AuditEvent.Action.REGISTRATION_ADD_RETRIED, actor=users["consul"]).exists()


def test_people_payload_round_trip():
    """What waits in the queue comes back exactly as it went in."""
    people = tuple(PersonInputFactory(vulnerabilities=("medical",), needs_note="ліки") for _ in range(3))

    payload = people_payload_loads(people_payload_dumps(people=people, consent_given=True, ip_address=None))

    assert (payload.people, payload.consent_given, payload.ip_address) == (people, True, None)


# -- the public form and the private link ----------------------------------------------------


def test_the_public_form_answers_before_the_worker_and_the_link_works_at_once(client, database_tasks):
    """The registrant gets their reference and link straight away. Opening the link before
    the worker came adds the people there and then, so they see them."""
    response = client.post(REGISTER_URL, registration_post([{"given_name": "Олена"}, {"given_name": "Taras"}]))

    assert response.status_code == 302
    registration = Registration.objects.get()
    assert registration.intake_state == IntakeState.RECEIVED
    done = client.get(response["Location"]).content.decode()
    assert f'data-testid="reference">{registration.reference_display}<' in done
    assert "We registered 2 people." in done
    link = re.search(r'value="http://testserver(/u/[^"/]+/)"', done).group(1)

    page = client.get(link).content.decode()

    registration.refresh_from_db()
    assert registration.intake_state == IntakeState.ADDED
    assert "Олена" in page
    assert "Taras" in page


def test_the_private_link_of_a_failed_registration_says_it_is_being_checked(client, database_tasks):
    result = registration_receive(origin=PUBLIC, data=registration_input())
    Registration.objects.filter(pk=result.registration.pk).update(intake_payload="{}")

    page = client.get(reverse("registry:self_update", args=[result.update_token])).content.decode()

    assert 'data-testid="not-added"' in page
    assert Registration.objects.get().intake_state == IntakeState.FAILED


def test_the_done_page_cookie_is_private_short_lived_and_signed(client, database_tasks):
    """The done page reads a signed, HttpOnly cookie for that page only; a forged or
    missing one shows nothing and sends the visitor back to the form."""
    response = client.post(REGISTER_URL, registration_post([{}]))
    cookie = response.cookies["crisisdesk_registered"]

    assert cookie["httponly"]
    assert cookie["samesite"] == "Strict"
    assert cookie["path"] == reverse("registry:register_done")
    assert 0 < int(cookie["max-age"]) <= 3600
    client.cookies["crisisdesk_registered"] = cookie.value[:-3] + "xyz"
    forged = client.get(reverse("registry:register_done"))
    assert forged.status_code == 302
    assert forged["Location"] == reverse("registry:register")


def test_a_registration_sent_twice_shows_the_same_reference_and_link_twice(client, database_tasks):
    data = registration_post([{}])
    shown = []
    for _ in range(2):
        response = client.post(REGISTER_URL, data)
        done = client.get(response["Location"]).content.decode()
        shown.append(
            re.search(r'data-testid="reference">([^<]+)<.*id="update-link" value="([^"]+)"', done, re.S).groups()
        )

    assert Registration.objects.count() == 1
    assert shown[0] == shown[1]
    assert shown[0][0] == Registration.objects.get().reference_display


def test_registrations_add_received_command(database_tasks, capsys):
    for _ in range(2):
        registration_receive(origin=PUBLIC, data=registration_input())

    call_command("registrations_add_received")

    assert "Added 2 registrations to the registry; 0 could not be added." in capsys.readouterr().out
    assert not Registration.objects.exclude(intake_state=IntakeState.ADDED).exists()


def test_adding_a_missing_registration_is_a_no_op(database_tasks):
    assert registration_add_received(registration_id=123456) is None


# -- what staff see ------------------------------------------------------------------------

INTAKE_URL = "/staff/registrations/intake/"
INTAKE_API = "/api/v1/registry/registrations/intake"
# Who may read the counts over the API (person.view), written out on purpose.
INTAKE_API_EXPECTED = {
    "admin": 200,
    "desk_chief": 200,
    "consul": 200,
    "border_officer": 200,
    "case_officer": 200,
    "logistics_officer": 403,
    "diplomat": 403,
    "anonymous": 401,
}


def test_the_registry_list_says_what_is_not_in_it_yet(as_persona, database_tasks):
    """Staff are told how many registrations, and people, are not in the list yet."""
    registration_receive(origin=PUBLIC, data=registration_input(people=3))
    registration_receive(origin=PUBLIC, data=registration_input(people=1))

    page = as_persona("consul").get("/staff/persons/").content.decode()

    assert 'data-testid="intake-banner"' in page
    assert "2 public registrations are being added to the registry and are not in this list yet (people: 4;" in page
    assert f'href="{INTAKE_URL}"' in page


def test_the_intake_page_lists_without_anyones_data_and_adds_on_request(as_persona, database_tasks):
    """The page shows references, times, sizes and reasons, never names; "add them now"
    adds the waiting ones, and "try again" sends a failed one again."""
    waiting = registration_receive(origin=PUBLIC, data=registration_input(people=2))
    failing = registration_receive(origin=PUBLIC, data=registration_input())
    Registration.objects.filter(pk=failing.registration.pk).update(intake_state=IntakeState.FAILED, intake_error="X")
    consul = as_persona("consul")

    page = consul.get(INTAKE_URL).content.decode()

    assert waiting.registration.reference_display in page
    assert failing.registration.reference_display in page
    for registration in (waiting, failing):
        assert registration.registration.persons.count() == 0
    assert "Received, being added to the registry" in page
    assert "Could not be added to the registry" in page

    response = consul.post(INTAKE_URL, {"action": "add_waiting"})
    assert response.status_code == 302
    assert Registration.objects.get(pk=waiting.registration.pk).intake_state == IntakeState.ADDED

    consul.post(INTAKE_URL, {"action": "retry", "registration": failing.registration.pk})
    assert Registration.objects.get(pk=failing.registration.pk).intake_state == IntakeState.ADDED
    assert "Every registration is in the registry." in consul.get(INTAKE_URL).content.decode()


def test_trying_again_a_registration_that_did_not_fail_is_not_found(as_persona, database_tasks):
    waiting = registration_receive(origin=PUBLIC, data=registration_input())

    response = as_persona("consul").post(INTAKE_URL, {"action": "retry", "registration": waiting.registration.pk})

    assert response.status_code == 404


@pytest.mark.parametrize("persona", sorted(INTAKE_API_EXPECTED))
def test_intake_counts_over_the_api(api, persona, database_tasks):
    registration_receive(origin=PUBLIC, data=registration_input(people=2))

    response = api(persona).get(INTAKE_API)

    assert response.status_code == INTAKE_API_EXPECTED[persona], response.content
    if response.status_code == 200:
        body = response.json()
        assert (body["waiting"], body["waiting_people"], body["failed"]) == (1, 2, 0)
        assert body["oldest_waiting_at"] is not None


def test_reference_codes_use_every_letter_of_their_alphabet_and_no_other():
    """Eight letters from the alphabet without look-alikes, each letter in use."""
    from collections import Counter

    from crisisdesk.common.references import REFERENCE_ALPHABET, REFERENCE_LENGTH
    from crisisdesk.registry.services import _new_reference

    references = [_new_reference() for _ in range(3000)]
    letters = Counter("".join(references))

    assert {len(reference) for reference in references} == {REFERENCE_LENGTH}
    assert set(letters) == set(REFERENCE_ALPHABET)
    expected = 3000 * REFERENCE_LENGTH / len(REFERENCE_ALPHABET)  # 800 each
    assert all(0.8 * expected < count < 1.2 * expected for count in letters.values()), letters
