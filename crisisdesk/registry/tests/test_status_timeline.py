"""The status timeline: current status is derived from it, and it is append-only."""

from datetime import timedelta

import pytest
from django.utils import timezone

from crisisdesk.border.models import CrossingPoint
from crisisdesk.common.models import AuditEvent
from crisisdesk.common.origin import SYSTEM
from crisisdesk.registry.errors import RegistryError, RegistryValidationError
from crisisdesk.registry.models import Person, StatusEvent, StatusKind, TimelineIsAppendOnly
from crisisdesk.registry.services import (
    TIMELINE_FACT_FIELDS,
    derive_current_status,
    derive_timeline_facts,
    registration_submit,
    status_event_add,
)
from crisisdesk.registry.tests.factories import person_registered as factory_person_registered
from crisisdesk.registry.tests.factories import registration_input


def person_registered() -> Person:
    """A person registered a day ago, so that events of the last hours come after it."""
    data = registration_input(people=1, submitted_at=timezone.now() - timedelta(days=1))
    return registration_submit(origin=SYSTEM, data=data).registration.persons.get()


NOW = timezone.now()


def _event(
    pk: int, kind: str, hours_ago: float, corrects: int | None = None, source: str = StatusEvent.Source.STAFF
) -> StatusEvent:
    """An unsaved event, enough for the pure derivation."""
    return StatusEvent(
        id=pk, kind=kind, occurred_at=NOW - timedelta(hours=hours_ago), corrects_id=corrects, source=source
    )


def _hours_ago(hours: float):
    return NOW - timedelta(hours=hours)


def _add(
    person: Person, kind: str, *, hours_ago: float = 0, actor=None, source=StatusEvent.Source.STAFF, **kwargs
) -> StatusEvent:
    return status_event_add(
        actor=actor,
        origin=SYSTEM,
        person=person,
        kind=kind,
        occurred_at=timezone.now() - timedelta(hours=hours_ago),
        source=source,
        **kwargs,
    )


class TestDeriveCurrentStatus:
    def test_empty_timeline_is_registered(self):
        """Without events a person is simply registered."""
        assert derive_current_status([]) == (StatusKind.REGISTERED, None)

    def test_latest_by_occurrence_wins_not_latest_recorded(self):
        """A late field report of an earlier event does not override a later one."""
        crossed = _event(1, StatusKind.CROSSED, hours_ago=1)
        at_border_reported_late = _event(2, StatusKind.AT_BORDER, hours_ago=5)

        status, at = derive_current_status([crossed, at_border_reported_late])

        assert status == StatusKind.CROSSED
        assert at == crossed.occurred_at

    def test_any_status_outranks_registered_even_if_it_happened_before(self):
        """Registration is the starting point: an event reported with an earlier time
        (a late field report, or the form's minute-precision time) still sets the status."""
        events = [_event(1, StatusKind.REGISTERED, hours_ago=1), _event(2, StatusKind.AT_BORDER, hours_ago=2)]

        assert derive_current_status(events)[0] == StatusKind.AT_BORDER

    @pytest.mark.parametrize("kind", [StatusKind.LOCATION_UPDATED, StatusKind.INTENT_CHANGED])
    def test_informational_events_do_not_change_status(self, kind):
        """A location or intent update is recorded but leaves the status where it was."""
        events = [_event(1, StatusKind.EN_ROUTE, hours_ago=3), _event(2, kind, hours_ago=1)]

        assert derive_current_status(events)[0] == StatusKind.EN_ROUTE

    def test_corrected_events_are_ignored(self):
        """An event that a later entry marks as entered in error no longer counts."""
        events = [
            _event(1, StatusKind.AT_BORDER, hours_ago=3),
            _event(2, StatusKind.CROSSED, hours_ago=2),
            _event(3, StatusKind.ENTERED_IN_ERROR, hours_ago=1, corrects=2),
        ]

        assert derive_current_status(events)[0] == StatusKind.AT_BORDER

    def test_correcting_the_only_event_leaves_registered(self):
        """With every standing event corrected, the person is back to registered."""
        events = [
            _event(1, StatusKind.MISSING, hours_ago=2),
            _event(2, StatusKind.ENTERED_IN_ERROR, hours_ago=1, corrects=1),
        ]

        assert derive_current_status(events) == (StatusKind.REGISTERED, None)


class TestDeriveTimelineFacts:
    def test_crossings_by_source_first_and_last(self):
        """Desk and staff crossings are verified; a crossing the person reported is not; the
        first crossing of any source counts either."""
        events = [
            _event(1, StatusKind.REGISTERED, hours_ago=80),
            _event(2, StatusKind.CROSSED, hours_ago=70, source=StatusEvent.Source.SELF_SERVICE),
            _event(3, StatusKind.CROSSED, hours_ago=60, source=StatusEvent.Source.BORDER_DESK),
            _event(4, StatusKind.CROSSED, hours_ago=50, source=StatusEvent.Source.STAFF),
            _event(5, StatusKind.CROSSED, hours_ago=40, source=StatusEvent.Source.SELF_SERVICE),
        ]

        facts = derive_timeline_facts(events)

        assert facts.first_crossed_at == _hours_ago(70)
        assert facts.first_verified_crossed_at == _hours_ago(60)
        assert facts.last_verified_crossed_at == _hours_ago(50)
        assert facts.last_self_reported_crossed_at == _hours_ago(40)
        assert (facts.current_status, facts.current_status_at) == (StatusKind.CROSSED, _hours_ago(40))

    def test_a_crossing_entered_in_error_is_not_a_crossing(self):
        """The struck crossing is gone from every crossing fact; the one that stands remains."""
        events = [
            _event(1, StatusKind.REGISTERED, hours_ago=80),
            _event(2, StatusKind.CROSSED, hours_ago=60, source=StatusEvent.Source.BORDER_DESK),
            _event(3, StatusKind.CROSSED, hours_ago=30, source=StatusEvent.Source.BORDER_DESK),
            _event(4, StatusKind.ENTERED_IN_ERROR, hours_ago=20, corrects=2),
        ]

        facts = derive_timeline_facts(events)

        assert facts.first_crossed_at == facts.first_verified_crossed_at == _hours_ago(30)
        assert facts.last_verified_crossed_at == _hours_ago(30)
        assert facts.last_self_reported_crossed_at is None

    def test_no_crossing_leaves_the_crossing_facts_empty(self):
        facts = derive_timeline_facts([_event(1, StatusKind.REGISTERED, hours_ago=5)])

        assert facts.first_crossed_at is facts.first_verified_crossed_at is None
        assert facts.last_verified_crossed_at is facts.last_self_reported_crossed_at is None
        assert facts.last_contact_at == _hours_ago(5)

    @pytest.mark.parametrize("kind", [StatusKind.MISSING, StatusKind.DECEASED, StatusKind.ENTERED_IN_ERROR])
    def test_a_report_about_the_person_is_not_contact_with_them(self, kind):
        """Reported missing or dead, or a correction by staff: nobody heard from the person."""
        events = [_event(1, StatusKind.EN_ROUTE, hours_ago=50), _event(2, kind, hours_ago=1)]

        assert derive_timeline_facts(events).last_contact_at == _hours_ago(50)

    @pytest.mark.parametrize("kind", [StatusKind.INTENT_CHANGED, StatusKind.LOCATION_UPDATED, StatusKind.FOUND_SAFE])
    def test_news_from_the_person_is_contact(self, kind):
        """An update that leaves the status alone is still a sign of life."""
        events = [_event(1, StatusKind.EN_ROUTE, hours_ago=50), _event(2, kind, hours_ago=1)]

        assert derive_timeline_facts(events).last_contact_at == _hours_ago(1)


@pytest.mark.django_db
class TestStatusEventAdd:
    def test_the_person_keeps_the_facts_of_their_timeline(self):
        """After every kind of change, including a correction, the person's stored facts are
        those of their timeline: the sitrep counts from them."""
        person = person_registered()
        steps = [
            dict(kind=StatusKind.AT_BORDER, hours_ago=6),
            dict(kind=StatusKind.CROSSED, hours_ago=5, place_note="Shehyni"),
            dict(kind=StatusKind.CROSSED, hours_ago=4, place_note="Medyka", source=StatusEvent.Source.SELF_SERVICE),
            dict(kind=StatusKind.MISSING, hours_ago=1),
        ]
        for step in steps:
            _add(person, **step)
            self._assert_facts_of_timeline(person)
        first_crossing = StatusEvent.objects.get(person=person, kind=StatusKind.CROSSED, source="staff")

        _add(person, StatusKind.ENTERED_IN_ERROR, corrects=first_crossing)

        person.refresh_from_db()
        self._assert_facts_of_timeline(person)
        assert person.first_verified_crossed_at is None
        assert person.first_crossed_at == person.last_self_reported_crossed_at
        assert person.last_contact_at < person.current_status_at  # "missing" is not contact

    @staticmethod
    def _assert_facts_of_timeline(person):
        stored = Person.objects.get(pk=person.pk)
        facts = derive_timeline_facts(list(StatusEvent.objects.filter(person=person)))
        assert {name: getattr(stored, name) for name in TIMELINE_FACT_FIELDS} == {
            name: getattr(facts, name) for name in TIMELINE_FACT_FIELDS
        }

    def test_late_report_of_earlier_event_keeps_current_status(self):
        """Recorded after "crossed" but happened before it: the person stays crossed."""
        # given
        person = person_registered()
        _add(person, StatusKind.CROSSED, hours_ago=1, place_note="Shehyni")

        # when
        _add(person, StatusKind.AT_BORDER, hours_ago=3)

        # then
        person.refresh_from_db()
        assert person.current_status == StatusKind.CROSSED

    def test_entered_in_error_on_crossed_reverts_to_previous_status(self):
        """Striking a wrong "crossed" puts the person back to where they were before it."""
        # given
        person = person_registered()
        _add(person, StatusKind.AT_BORDER, hours_ago=3)
        crossed = _add(person, StatusKind.CROSSED, hours_ago=2, place_note="Shehyni")
        person.refresh_from_db()
        assert person.current_status == StatusKind.CROSSED

        # when
        correction = _add(person, StatusKind.ENTERED_IN_ERROR, corrects=crossed)

        # then
        person.refresh_from_db()
        assert person.current_status == StatusKind.AT_BORDER
        assert correction.corrects == crossed
        assert StatusEvent.objects.filter(person=person).count() == 4  # registered, at_border, crossed, correction

    def test_event_timed_just_before_registration_sets_the_status(self):
        """Recorded a minute after registering but timed a few minutes earlier: it still counts."""
        person = factory_person_registered()  # registered now

        _add(person, StatusKind.AT_BORDER, hours_ago=5 / 60)

        person.refresh_from_db()
        assert person.current_status == StatusKind.AT_BORDER

    def test_informational_event_keeps_status(self):
        """Adding an intent change through the timeline does not move the status."""
        person = person_registered()
        _add(person, StatusKind.EN_ROUTE, hours_ago=2)

        _add(person, StatusKind.INTENT_CHANGED)

        person.refresh_from_db()
        assert person.current_status == StatusKind.EN_ROUTE

    def test_crossed_needs_a_place(self):
        """A crossing without a crossing point or a place is refused and nothing is stored."""
        person = person_registered()

        with pytest.raises(RegistryValidationError) as raised:
            _add(person, StatusKind.CROSSED, place_note="   ")

        assert raised.value.code == RegistryError.CROSSING_NEEDS_PLACE
        assert raised.value.field == "crossing_point"
        assert not StatusEvent.objects.filter(person=person, kind=StatusKind.CROSSED).exists()

    def test_crossed_at_a_crossing_point_is_accepted(self):
        """A crossing point is enough to record a crossing."""
        person = person_registered()
        point = CrossingPoint.objects.create(
            code="shehyni", name="Shehyni", name_far_side="Medyka", country_from="UA", country_to="PL"
        )

        event = _add(person, StatusKind.CROSSED, crossing_point=point)

        assert event.crossing_point == point
        person.refresh_from_db()
        assert person.current_status == StatusKind.CROSSED

    def test_future_time_is_refused(self):
        """An event more than the clock-skew allowance in the future is refused."""
        person = person_registered()

        with pytest.raises(RegistryValidationError) as raised:
            _add(person, StatusKind.EN_ROUTE, hours_ago=-1)

        assert raised.value.code == RegistryError.EVENT_IN_FUTURE
        assert StatusEvent.objects.filter(person=person).count() == 1

    def test_small_clock_skew_is_allowed(self):
        """A device clock a few minutes fast is not an error."""
        person = person_registered()

        event = _add(person, StatusKind.EN_ROUTE, hours_ago=-(5 / 60))

        assert event.pk is not None

    def test_correction_of_another_persons_event_is_refused(self):
        """A correction must point at an event of the same person."""
        # given
        alice, bob = person_registered(), person_registered()
        bobs_event = _add(bob, StatusKind.MISSING, hours_ago=1)

        # when
        with pytest.raises(RegistryValidationError) as raised:
            _add(alice, StatusKind.ENTERED_IN_ERROR, corrects=bobs_event)

        # then
        assert raised.value.code == RegistryError.CORRECTION_OTHER_PERSON
        bob.refresh_from_db()
        assert bob.current_status == StatusKind.MISSING
        assert not StatusEvent.objects.filter(kind=StatusKind.ENTERED_IN_ERROR).exists()

    def test_entered_in_error_needs_a_target(self):
        """ "Entered in error" without the event it corrects is refused."""
        person = person_registered()

        with pytest.raises(RegistryValidationError) as raised:
            _add(person, StatusKind.ENTERED_IN_ERROR)

        assert raised.value.code == RegistryError.CORRECTION_NEEDS_TARGET

    def test_adding_an_event_is_audited_with_the_person(self, users):
        """Each added event writes status_event.added with the actor, the event and the person."""
        person = person_registered()

        event = _add(person, StatusKind.EN_ROUTE, actor=users["consul"])

        row = AuditEvent.objects.get(action=AuditEvent.Action.STATUS_EVENT_ADDED)
        assert row.person_id == person.pk
        assert row.actor == users["consul"]
        assert (row.target_type, row.target_id) == ("registry.statusevent", str(event.pk))
        assert row.changes == {"kind": StatusKind.EN_ROUTE, "corrects": None}


@pytest.mark.django_db
class TestTimelineIsAppendOnly:
    @pytest.fixture
    def event(self):
        person = person_registered()
        return StatusEvent.objects.get(person=person)

    def test_saving_an_existing_event_is_refused(self, event):
        """An event cannot be edited in place."""
        event.note = "changed"

        with pytest.raises(TimelineIsAppendOnly):
            event.save()

        assert StatusEvent.objects.get(pk=event.pk).note == ""

    def test_deleting_an_event_is_refused(self, event):
        """An event cannot be deleted."""
        with pytest.raises(TimelineIsAppendOnly):
            event.delete()

        assert StatusEvent.objects.filter(pk=event.pk).exists()

    def test_queryset_update_is_refused(self, event):
        """Bulk updates are refused too."""
        with pytest.raises(TimelineIsAppendOnly):
            StatusEvent.objects.filter(pk=event.pk).update(kind=StatusKind.DECEASED)

        assert StatusEvent.objects.get(pk=event.pk).kind == StatusKind.REGISTERED

    def test_queryset_delete_is_refused(self, event):
        """Bulk deletes are refused too."""
        with pytest.raises(TimelineIsAppendOnly):
            StatusEvent.objects.all().delete()

        assert StatusEvent.objects.count() == 1
