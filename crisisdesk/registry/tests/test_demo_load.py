"""`manage.py demo_load`: the demo scenario loads through the registry services, is
consistent with itself, reloads cleanly and is refused outside local settings."""

import importlib
from collections import Counter
from datetime import date, datetime, timedelta
from io import StringIO

import phonenumbers
import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection

from crisisdesk.accounts.models import User
from crisisdesk.border.models import CrossingPoint
from crisisdesk.common.models import AuditEvent
from crisisdesk.common.origin import SYSTEM
from crisisdesk.pfif.imports import pfif_import
from crisisdesk.pfif.models import PfifBatch, PfifNote
from crisisdesk.registry.demo import CROSSING_POINTS, DEMO_LOGINS, world_build
from crisisdesk.registry.demo.scenario import KYIV
from crisisdesk.registry.models import (
    Channel,
    ContactPoint,
    Household,
    Person,
    PersonName,
    Registration,
    RiskFlag,
    StatusEvent,
    StatusKind,
)
from crisisdesk.registry.risk import age_range_on
from crisisdesk.registry.services import TIMELINE_FACT_FIELDS, _facts_of, derive_timeline_facts
from crisisdesk.registry.validation import region_choices
from namebridge import Script, detect_script

SIZE = 300
# The scenario: 1,500–2,000 of about 8,000 crossed. Scaled to SIZE.
CROSSED_RANGE = (SIZE * 1500 // 8000, SIZE * 2000 // 8000)


def demo_load(*args: str) -> str:
    out = StringIO()
    call_command("demo_load", "--size", str(SIZE), *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def loaded(db) -> str:
    return demo_load()


def crossed_person_ids() -> set[int]:
    standing = StatusEvent.objects.filter(kind=StatusKind.CROSSED).exclude(
        corrections__kind=StatusKind.ENTERED_IN_ERROR
    )
    return set(standing.values_list("person_id", flat=True))


def test_loads_persons_households_points_and_staff(loaded):
    """Exactly `size` demo persons, households of 2–6 sharing one registration, the six
    crossing points, and one demo user per role; the output lists the logins."""
    assert Person.objects.count() == SIZE
    assert Registration.objects.exclude(channel=Channel.DEMO).count() == 0
    households = Household.objects.all()
    assert households.count() > SIZE // 6
    for household in households.prefetch_related("members"):
        members = list(household.members.all())
        assert 2 <= len(members) <= 6
        assert {m.registration_id for m in members} == {household.registration_id}
    singles = Person.objects.filter(household__isnull=True)
    assert Registration.objects.count() == households.count() + singles.count()

    points = CrossingPoint.objects.all()
    assert sorted(p.code for p in points) == sorted(spec.code for spec in CROSSING_POINTS)
    assert {(p.country_from, p.country_to) for p in points} == {("UA", "PL")}
    assert points.filter(status=CrossingPoint.Status.LONG_QUEUE, expected_wait_minutes__gt=0).exists()

    for login in DEMO_LOGINS:
        user = User.objects.get(username=login.username)
        assert (user.role, user.is_demo) == (login.role, True)
        assert user.check_password(login.password)
        assert f"{login.username:<12} {login.password}" in loaded
    assert "http://127.0.0.1:8000/staff/login/" in loaded
    assert f"Persons: {SIZE}" in loaded


def test_crossings_fit_the_scenario(loaded):
    """About 1,500–2,000 per 8,000 crossed, each at a crossing point, over 25–27 February,
    and a few wrong crossings corrected."""
    crossed = crossed_person_ids()
    assert CROSSED_RANGE[0] <= len(crossed) <= CROSSED_RANGE[1]
    crossings = StatusEvent.objects.filter(kind=StatusKind.CROSSED)
    assert not crossings.filter(crossing_point__isnull=True).exists()
    first, last = datetime(2022, 2, 25, tzinfo=KYIV), datetime(2022, 2, 28, tzinfo=KYIV)
    assert not crossings.exclude(occurred_at__gte=first, occurred_at__lt=last).exists()
    assert {event.occurred_at.astimezone(KYIV).date() for event in crossings} == {
        date(2022, 2, 25),
        date(2022, 2, 26),
        date(2022, 2, 27),
    }
    corrections = StatusEvent.objects.filter(kind=StatusKind.ENTERED_IN_ERROR).select_related("corrects")
    assert 3 <= corrections.count() <= 5
    for correction in corrections:
        assert correction.corrects.kind == StatusKind.CROSSED
        assert correction.corrects.person_id == correction.person_id
        assert correction.person.current_status == StatusKind.CROSSED  # the right crossing stands
    # Most who crossed had said they would leave.
    leavers = Person.objects.filter(id__in=crossed, intent="leave").count()
    assert leavers > 0.8 * len(crossed)


def test_every_person_has_a_registered_event(loaded):
    registered = StatusEvent.objects.filter(kind=StatusKind.REGISTERED)
    assert registered.count() == SIZE
    assert set(registered.values_list("person_id", flat=True)) == set(Person.objects.values_list("id", flat=True))


def _stored_facts() -> dict[int, tuple]:
    return {
        person["id"]: tuple(person[name] for name in TIMELINE_FACT_FIELDS)
        for person in Person.objects.values("id", *TIMELINE_FACT_FIELDS)
    }


def test_current_status_is_derived_from_the_timeline(loaded):
    """Every person's stored status and the other facts of their timeline (crossings, last
    contact) are what `derive_timeline_facts` makes of their events, and registration
    precedes every other event."""
    persons = Person.objects.prefetch_related("timeline")
    statuses = set()
    crossers = 0
    for person in persons:
        events = list(person.timeline.all())
        facts = derive_timeline_facts(events)
        status, at = facts.current_status, facts.current_status_at
        assert (person.current_status, person.current_status_at) == (status, at or person.created_at), person.pk
        for name in TIMELINE_FACT_FIELDS[2:]:
            assert getattr(person, name) == getattr(facts, name), (person.pk, name)
        crossers += facts.first_crossed_at is not None
        registered = next(e for e in events if e.kind == StatusKind.REGISTERED)
        assert all(e.occurred_at > registered.occurred_at for e in events if e is not registered)
        statuses.add(status)
    assert {StatusKind.REGISTERED, StatusKind.CROSSED, StatusKind.EN_ROUTE, StatusKind.STAYING} <= statuses
    assert CROSSED_RANGE[0] <= crossers


def test_the_migration_fills_the_timeline_facts_as_the_services_keep_them(loaded):
    """Migration 0010 derived the facts of registries that existed before them in one SQL
    statement; on the demo's timelines (corrections, self-reports, desk check-ins) it must
    agree with `derive_timeline_facts`, on either database."""
    kept = _stored_facts()
    migration = importlib.import_module("crisisdesk.registry.migrations.0010_person_timeline_facts")
    Person.objects.update(**{name: None for name in TIMELINE_FACT_FIELDS[2:]})

    with connection.cursor() as cursor:  # the statement `fill_timeline_facts` runs
        cursor.execute(migration.FILL)

    assert _stored_facts() == kept
    assert any(facts[2] for facts in kept.values())  # some crossed


def test_names_come_in_hebrew_cyrillic_and_latin(loaded):
    """Names are multi-script, and each Hebrew or Cyrillic name has a Latin passport spelling."""
    scripts = {detect_script(p.full_name) for p in Person.objects.all()}
    assert {Script.HEBREW, Script.CYRILLIC, Script.LATIN} <= scripts
    passports = {n.person_id: n for n in PersonName.objects.filter(kind=PersonName.Kind.PASSPORT)}
    for person in Person.objects.all():
        if detect_script(person.full_name) in (Script.HEBREW, Script.CYRILLIC):
            assert detect_script(str(passports[person.pk])) is Script.LATIN, person.pk
            assert passports[person.pk].script == Script.LATIN


def test_conscription_flag_marks_ukrainian_men_of_military_age_only(loaded):
    """The migration's rule flags some UA-citizen men 16–60, never a woman or a non-UA citizen."""
    flags = RiskFlag.objects.filter(rule__code="conscription-risk").select_related("person")
    assert flags.exists()
    for flag in flags:
        facts = _facts_of(flag.person)
        assert facts.sex == "M"
        assert "UA" in facts.citizenships
        low, high = age_range_on(facts, date(2022, 2, 24))
        assert high >= 16 and low <= 60
    flagged = {flag.person_id for flag in flags}
    for person in Person.objects.filter(sex="M", citizenships__country="UA", birth_day__isnull=False):
        low, high = age_range_on(_facts_of(person), date(2022, 2, 24))
        assert (person.pk in flagged) == (16 <= low <= 60), person.pk
    assert not Person.objects.filter(id__in=flagged, sex="F").exists()


def test_contacts_are_valid_encrypted_and_fictional(loaded):
    """Phones are valid E.164 numbers, stored encrypted; e-mails use reserved domains only;
    regions are ISO 3166-2 codes of the crisis country."""
    phones = ContactPoint.objects.filter(kind__in=[ContactPoint.Kind.PHONE, ContactPoint.Kind.MESSENGER])
    assert phones.count() > SIZE // 4
    for contact in phones:
        number = phonenumbers.parse(contact.value)
        assert phonenumbers.is_valid_number(number), contact.value
        assert contact.value == phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
        assert contact.value[:4] in ("+380", "+972")
    with connection.cursor() as cursor:
        cursor.execute("SELECT value FROM registry_contactpoint")
        stored = [row[0] for row in cursor.fetchall()]
    assert stored and not any("+" in value or "@" in value for value in stored)
    for email in ContactPoint.objects.filter(kind=ContactPoint.Kind.EMAIL):
        assert email.value.rsplit("@", 1)[1] in ("example.org", "example.com")
    assert set(Person.objects.values_list("region", flat=True)) <= set(dict(region_choices()))


def test_audit_has_one_row_per_person_and_one_for_the_load(loaded):
    created = AuditEvent.objects.filter(action=AuditEvent.Action.PERSON_CREATED)
    assert created.count() == SIZE
    assert set(created.values_list("actor_label", "channel")) == {("demo scenario", AuditEvent.Channel.CLI)}
    loads = AuditEvent.objects.filter(action=AuditEvent.Action.DEMO_LOADED)
    assert loads.count() == 1
    assert loads.get().channel == AuditEvent.Channel.CLI


def test_if_empty_skips_when_persons_exist_and_still_prints_logins(loaded):
    ids = set(Person.objects.values_list("id", flat=True))
    users = User.objects.count()

    output = demo_load("--if-empty")

    assert "Demo data already present; not loading it again." in output
    assert "demo-consul-2022" in output
    assert set(Person.objects.values_list("id", flat=True)) == ids
    assert User.objects.count() == users
    assert AuditEvent.objects.filter(action=AuditEvent.Action.DEMO_LOADED).count() == 1


def test_if_empty_loads_into_an_empty_registry(db):
    output = demo_load("--if-empty")
    assert Person.objects.count() == SIZE
    assert "Demo scenario loaded" in output


def test_reload_replaces_the_data_and_keeps_the_audit_log(loaded):
    """Same world, new rows; staff accounts are kept; audit rows of the old persons stay."""
    # given a loaded demo
    old_ids = set(Person.objects.values_list("id", flat=True))
    old_names = sorted(Person.objects.values_list("given_name", "family_name"))
    old_users = dict(User.objects.values_list("username", "id"))
    # The sitrep's, the cases' and the aid shipments' demo parts audit their own steps; counted apart.
    registry_audit = (
        AuditEvent.objects.exclude(action__startswith="sitrep.")
        .exclude(action__startswith="case.")
        .exclude(action__startswith="aid.")
    )
    audit_before = registry_audit.count()

    # when it is loaded again
    output = demo_load()

    # then the persons are replaced by the same world
    new_ids = set(Person.objects.values_list("id", flat=True))
    assert len(new_ids) == SIZE
    assert not new_ids & old_ids
    assert sorted(Person.objects.values_list("given_name", "family_name")) == old_names
    assert f"Removed the previous demo data ({SIZE} persons" in output
    # and the staff accounts and the old audit rows are still there
    assert dict(User.objects.values_list("username", "id")) == old_users
    assert AuditEvent.objects.filter(action=AuditEvent.Action.PERSON_CREATED, person_id__in=old_ids).count() == SIZE
    assert registry_audit.count() == audit_before + SIZE + 1


def test_reload_takes_away_what_a_pfif_import_said_about_demo_persons(loaded):
    """A partner's PFIF note about a demo person is on their timeline; reloading still works."""
    # given a note from another repository about one of the demo persons
    olena = Person.objects.order_by("id").first()
    content = (
        '<pfif:pfif xmlns:pfif="http://zesty.ca/pfif/1.4"><pfif:note>'
        "<pfif:note_record_id>personfinder.example.net/about-demo</pfif:note_record_id>"
        f"<pfif:person_record_id>{settings.PFIF_DOMAIN}/person.{olena.pk}</pfif:person_record_id>"
        "<pfif:author_name>A neighbour</pfif:author_name><pfif:source_date>2022-02-26T00:00:00Z</pfif:source_date>"
        "<pfif:status>believed_alive</pfif:status></pfif:note></pfif:pfif>"
    ).encode()
    chief = User.objects.get(username="chief")
    assert pfif_import(actor=chief, origin=SYSTEM, file_name="partner.xml", content=content).batch.notes_imported == 1
    assert PfifNote.objects.filter(person=olena).exists()

    # when the demo is loaded again
    output = demo_load()

    # then the old persons and the note about them went; the batch that brought it stays
    assert f"Removed the previous demo data ({SIZE} persons" in output
    assert not Person.objects.filter(pk=olena.pk).exists()
    assert not PfifNote.objects.exists()
    assert PfifBatch.objects.count() == 1


def test_refused_unless_demo_allowed(db, settings):
    settings.CRISISDESK_DEMO_ALLOWED = False
    with pytest.raises(CommandError, match="CRISISDESK_DEMO_ALLOWED"):
        demo_load()
    assert not Person.objects.exists()
    assert not User.objects.exists()


def test_world_is_deterministic():
    """The same seed gives the same world; another seed a different one (no database)."""
    assert world_build(size=120, seed=5) == world_build(size=120, seed=5)
    assert world_build(size=120, seed=5) != world_build(size=120, seed=6)
    world = world_build(size=120, seed=5)
    assert world.person_count == 120
    for household in world.households:
        for event in household.events:
            assert event.occurred_at > household.submitted_at
            assert event.recorded_at >= event.occurred_at
            assert event.occurred_at < datetime(2022, 2, 28, tzinfo=KYIV) + timedelta(hours=1)


def test_full_world_matches_the_scenario():
    """At full size (no database): 1,500–2,000 crossed, Shehyni–Medyka busiest, about 35 %
    Hebrew-written names, 30 % with Ukrainian and 8 % with Russian citizenship."""
    world = world_build()
    people = [person for household in world.households for person in household.people]
    assert len(people) == 8000
    crossings = Counter()
    for household in world.households:
        corrected = {event.corrects for event in household.events if event.corrects is not None}
        crossings.update(
            event.point
            for index, event in enumerate(household.events)
            if event.kind == StatusKind.CROSSED and index not in corrected
        )
    assert 1500 <= sum(crossings.values()) <= 2000
    assert crossings.most_common(1)[0][0] == "shehyni-medyka"
    assert 0.30 <= sum(detect_script(p.given_name) is Script.HEBREW for p in people) / len(people) <= 0.40
    assert 0.25 <= sum("UA" in p.citizenships for p in people) / len(people) <= 0.35
    assert 0.05 <= sum("RU" in p.citizenships for p in people) / len(people) <= 0.11


def test_the_demo_has_partner_figures_and_two_snapshots_that_answer_the_three_questions(loaded):
    """The sitrep of the demo: the scenario's "1,500–2,000 crossed of about 8,000", scaled."""
    from crisisdesk.sitrep.models import PartnerFigure, SitrepSnapshot

    first, second = SitrepSnapshot.objects.order_by("number")
    assert (first.state, second.state) == (SitrepSnapshot.State.DISTRIBUTED, SitrepSnapshot.State.DRAFT)
    assert PartnerFigure.objects.count() == 3
    crossed = second.report["crossed"]
    assert crossed["identified"] <= crossed["range"][1]
    # Crossings seen by staff plus self-reports: the scenario's crossers, scaled to SIZE.
    low, high = CROSSED_RANGE
    assert low <= crossed["identified"] + crossed["self_reported"] <= high
    assert second.report["remaining"]["registered_not_departed"] < SIZE
