"""Changing a person: timeline events for intent and location, optimistic concurrency,
and an audit row that names the changed fields but never their values."""

import json

import pytest

from crisisdesk.common.models import AuditEvent
from crisisdesk.common.origin import SYSTEM
from crisisdesk.registry.errors import RegistryError, RegistryValidationError
from crisisdesk.registry.models import Person, StatusEvent, StatusKind
from crisisdesk.registry.services import person_update
from crisisdesk.registry.tests.factories import person_registered

pytestmark = pytest.mark.django_db


def _kinds(person) -> list[str]:
    return list(StatusEvent.objects.filter(person=person).order_by("id").values_list("kind", flat=True))


def _updates(person):
    return AuditEvent.objects.filter(action=AuditEvent.Action.PERSON_UPDATED, person_id=person.pk)


def test_intent_change_adds_intent_changed_event():
    """A new intent goes on the timeline with where it came from and where it went."""
    person = person_registered(intent="undecided")

    person_update(actor=None, origin=SYSTEM, person=person, changes={"intent": "leave"})

    event = StatusEvent.objects.get(person=person, kind=StatusKind.INTENT_CHANGED)
    assert event.data == {"from": "undecided", "to": "leave"}
    assert event.source == StatusEvent.Source.STAFF
    person.refresh_from_db()
    assert person.intent == "leave"
    assert person.current_status == StatusKind.REGISTERED  # informational: status unchanged


@pytest.mark.parametrize(
    "changes",
    [{"region": "UA-32"}, {"city": "Kyiv"}, {"location_note": "Shelter at school no. 5"}],
)
def test_location_change_adds_location_updated_event(changes):
    """Any change of region, city or exact place is one location_updated event."""
    person = person_registered(region="UA-46", city="Lviv")

    updated = person_update(actor=None, origin=SYSTEM, person=person, changes=changes)

    assert _kinds(person) == [StatusKind.REGISTERED, StatusKind.LOCATION_UPDATED]
    event = StatusEvent.objects.get(person=person, kind=StatusKind.LOCATION_UPDATED)
    assert event.data == {"region": updated.region, "from_region": "UA-46"}


def test_intent_and_location_together_add_both_events_once():
    """One edit of intent, region and city gives one event of each kind."""
    person = person_registered(intent="leave", region="UA-46", city="Lviv")

    person_update(
        actor=None, origin=SYSTEM, person=person, changes={"intent": "stay", "region": "UA-32", "city": "Kyiv"}
    )

    assert _kinds(person) == [StatusKind.REGISTERED, StatusKind.INTENT_CHANGED, StatusKind.LOCATION_UPDATED]


def test_other_changes_add_no_event_but_bump_the_version():
    """A corrected name changes the record and its version, not the timeline."""
    person = person_registered(given_name="Olena")

    updated = person_update(actor=None, origin=SYSTEM, person=person, changes={"given_name": "Olha"})

    assert _kinds(person) == [StatusKind.REGISTERED]
    assert updated.version == 2
    person.refresh_from_db()
    assert person.given_name == "Olha"
    assert person.name_folded.startswith("olha ")


def test_no_change_writes_nothing():
    """Saving the same values again is not a change: no version bump, no event, no audit row."""
    person = person_registered(given_name="Olena", intent="leave")

    person_update(actor=None, origin=SYSTEM, person=person, changes={"given_name": "Olena", "intent": "leave"})

    person.refresh_from_db()
    assert person.version == 1
    assert _kinds(person) == [StatusKind.REGISTERED]
    assert not _updates(person).exists()


def test_stale_version_is_refused_and_changes_nothing():
    """An edit based on a copy someone else has since changed raises VERSION_CONFLICT."""
    # given: two officers loaded version 1; the first saves
    person = person_registered(given_name="Olena", city="Lviv")
    person_update(actor=None, origin=SYSTEM, person=person, changes={"city": "Kyiv"}, expected_version=1)

    # when: the second saves on top of version 1
    with pytest.raises(RegistryValidationError) as raised:
        person_update(actor=None, origin=SYSTEM, person=person, changes={"given_name": "Olha"}, expected_version=1)

    # then
    assert raised.value.code == RegistryError.VERSION_CONFLICT
    person.refresh_from_db()
    assert (person.given_name, person.city, person.version) == ("Olena", "Kyiv", 2)
    assert _updates(person).count() == 1


def test_current_version_is_accepted():
    """With the expected version current, the edit goes through."""
    person = person_registered()

    updated = person_update(actor=None, origin=SYSTEM, person=person, changes={"city": "Odesa"}, expected_version=1)

    assert (updated.city, updated.version) == ("Odesa", 2)


def test_emptying_both_names_is_refused():
    """A person keeps at least one name."""
    person = person_registered()

    with pytest.raises(RegistryValidationError) as raised:
        person_update(actor=None, origin=SYSTEM, person=person, changes={"given_name": "\u200b", "family_name": " "})

    assert raised.value.code == RegistryError.NAME_EMPTY


def test_unknown_field_is_a_programming_error():
    """Only the editable fields can be changed through the service."""
    person = person_registered()

    with pytest.raises(ValueError, match="current_status"):
        person_update(actor=None, origin=SYSTEM, person=person, changes={"current_status": "crossed"})


def test_audit_lists_changed_field_names_and_never_values(users):
    """The audit row says which fields changed, never what they were or became."""
    # given
    person = person_registered(given_name="Olena", family_name="Koval", city="Lviv")

    # when
    person_update(
        actor=users["consul"],
        origin=SYSTEM,
        person=person,
        changes={"given_name": "Zoryslava", "city": "Chernivtsi"},
        citizenships=["IL", "UA"],
    )

    # then
    row = _updates(person).get()
    assert row.actor == users["consul"]
    assert row.changes == {"fields": ["given_name", "city", "citizenships"]}
    every_audit_row = json.dumps([event.changes for event in AuditEvent.objects.all()], ensure_ascii=False)
    for value in ("Zoryslava", "Olena", "Chernivtsi", "Lviv"):
        assert value not in every_audit_row
    assert "Zoryslava" not in str(row)


def test_names_are_cleaned_on_update():
    """Invisible and bidi characters are stripped from changed names as on registration."""
    person = person_registered()

    person_update(actor=None, origin=SYSTEM, person=person, changes={"given_name": "\u202eO\u200blha\u202c"})

    assert Person.objects.get(pk=person.pk).given_name == "Olha"


@pytest.mark.parametrize(("changes", "is_contact"), [({"intent": "stay"}, True), ({"given_name": "Olha"}, False)])
def test_news_of_intent_is_a_sign_of_life_a_corrected_name_is_not(changes, is_contact):
    """The sitrep's "last contact over 48 h ago" counts from the stored last contact: an
    intent change from the person moves it, a clerk's correction of a name does not."""
    person = person_registered(given_name="Olena", intent="undecided")
    registered_at = person.last_contact_at
    assert registered_at == StatusEvent.objects.get(person=person).occurred_at

    person_update(actor=None, origin=SYSTEM, person=person, changes=changes)

    person.refresh_from_db()
    latest_event = StatusEvent.objects.filter(person=person).latest("occurred_at")
    assert person.last_contact_at == latest_event.occurred_at
    assert (person.last_contact_at > registered_at) is is_contact
