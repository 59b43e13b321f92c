"""Writing the demo world into the database, and taking it out again.

Persons go through `persons_insert`, like every other registration, so each demo person has
the "registered" event, risk flags and `person.created` audit row a real one would have.
Registrations, households and the later timeline events are bulk-inserted for speed; the
current status (and the other timeline facts the sitrep counts) is then derived from the stored
timeline with `derive_timeline_facts`, the same function the services use.

Demo data is recognised by `Registration.channel == "demo"`. Removing it deletes the demo
persons and their timelines (the one place the append-only timeline is deleted, by raw SQL,
because the records themselves go) but never the audit log: its rows describe what was done
and stay.
"""

import secrets
from collections import defaultdict
from dataclasses import dataclass, replace

from django.db import transaction
from django.db.models import Count, Q

from crisisdesk.accounts.models import User
from crisisdesk.accounts.services import user_create
from crisisdesk.aid.demo import aid_demo_ensure
from crisisdesk.border.demo import border_demo_ensure
from crisisdesk.border.models import CheckIn, CrossingPoint, DeskConflict, DeskNeed
from crisisdesk.cases.demo import cases_demo_clear, cases_demo_ensure
from crisisdesk.common.audit import audit_record
from crisisdesk.common.models import AuditEvent
from crisisdesk.common.origin import Origin
from crisisdesk.common.references import REFERENCE_ALPHABET, REFERENCE_LENGTH
from crisisdesk.diplomacy.demo import diplomacy_demo_ensure
from crisisdesk.duplicates.models import Merge
from crisisdesk.pfif.models import PfifNote, PfifPerson
from crisisdesk.registry.demo.scenario import (
    BORDER,
    CONSUL,
    CROSSING_POINTS,
    CROSSING_POINTS_UPDATED_AT,
    DEFAULT_SEED,
    DEFAULT_SIZE,
    DEMO_LOGINS,
    DIPLOMAT,
    POLITICAL_DIRECTOR,
    SENIOR_DIPLOMAT,
    DemoLogin,
    HouseholdPlan,
    staff_names,
    world_build,
)
from crisisdesk.registry.models import (
    Channel,
    Citizenship,
    ContactPoint,
    Household,
    IdentityDocument,
    Person,
    PersonName,
    PossibleDuplicate,
    Registration,
    RiskFlag,
    RiskRule,
    StatusEvent,
    StatusKind,
    Vulnerability,
)
from crisisdesk.registry.search import search_changes_record
from crisisdesk.registry.services import (
    TIMELINE_FACT_FIELDS,
    derive_timeline_facts,
    persons_insert,
    update_token_digest,
)
from crisisdesk.sitrep.demo import sitrep_demo_ensure

DEMO_ACTOR_LABEL = "demo scenario"
HOUSEHOLDS_PER_TRANSACTION = 250


@dataclass(frozen=True, slots=True)
class DemoCounts:
    persons: int
    households: int
    registrations: int
    crossed_by_point: tuple[tuple[str, int], ...]  # (point name, persons), busiest first

    @property
    def crossed(self) -> int:
        return sum(n for _, n in self.crossed_by_point)


@dataclass(frozen=True, slots=True)
class DemoStaffAccount:
    login: DemoLogin
    user: User
    created: bool


def demo_counts() -> DemoCounts:
    """What is in the registry now: persons, households, and who crossed where (crossings
    later marked as entered in error do not count)."""
    rows = (
        StatusEvent.objects.filter(kind=StatusKind.CROSSED, crossing_point__isnull=False)
        .exclude(corrections__kind=StatusKind.ENTERED_IN_ERROR)
        .values("crossing_point__name", "crossing_point__name_far_side")
        .annotate(persons=Count("person", distinct=True))
        .order_by("-persons", "crossing_point__name")
    )
    return DemoCounts(
        persons=Person.objects.count(),
        households=Household.objects.count(),
        registrations=Registration.objects.count(),
        crossed_by_point=tuple(
            (f"{row['crossing_point__name']}–{row['crossing_point__name_far_side']}", row["persons"]) for row in rows
        ),
    )


def demo_staff_ensure(*, origin: Origin, seed: int = DEFAULT_SEED) -> list[DemoStaffAccount]:
    """One demo user per role. Existing accounts are kept as they are (never duplicated)."""
    names = staff_names(seed)
    accounts = []
    for login in DEMO_LOGINS:
        user = User.objects.filter(username=login.username).first()
        created = user is None
        if user is None:
            first, last = names[login.username]
            user = user_create(
                actor=None,
                origin=origin,
                username=login.username,
                password=login.password,
                role=login.role,
                email=f"{login.username}@example.org",
                first_name=first,
                last_name=last,
                is_demo=True,
            )
        accounts.append(DemoStaffAccount(login, user, created))
    return accounts


def crossing_points_ensure() -> dict[str, CrossingPoint]:
    """The six Ukraine → Poland crossings of the scenario, by code (updated in place)."""
    points = {}
    for spec in CROSSING_POINTS:
        point, _ = CrossingPoint.objects.update_or_create(
            code=spec.code,
            defaults={
                "name": spec.name,
                "name_far_side": spec.name_far_side,
                "country_from": "UA",
                "country_to": "PL",
                "latitude": spec.latitude,
                "longitude": spec.longitude,
                "status": spec.status,
                "expected_wait_minutes": spec.expected_wait_minutes,
                "status_updated_at": CROSSING_POINTS_UPDATED_AT,
            },
        )
        points[spec.code] = point
    return points


@transaction.atomic
def demo_clear() -> int:
    """Remove the demo registrations with their households, persons and everything that
    hangs off a person. Returns how many persons went. Audit rows stay."""
    registrations = Registration.objects.filter(channel=Channel.DEMO)
    persons = Person.objects.filter(registration__in=registrations)
    removed = persons.count()
    # What other repositories said about demo persons (PFIF) and the merges decided on them hold
    # their rows and timeline events; they go first, with the persons.
    PfifNote.objects.filter(person__in=persons).delete()
    PfifPerson.objects.filter(person__in=persons).delete()
    Merge.objects.filter(Q(survivor__in=persons) | Q(merged__in=persons)).delete()
    # The timeline refuses deletes through the ORM (ADR 0002); demo records are the exception.
    timeline = StatusEvent.objects.filter(person__in=persons)
    timeline._raw_delete(timeline.db)
    # What the border desk recorded about demo persons goes with them; its events stay, as audit rows do.
    for model in (CheckIn, DeskNeed, DeskConflict):
        model.objects.filter(person__in=persons).delete()
    for model in (RiskFlag, Vulnerability, ContactPoint, IdentityDocument, Citizenship, PersonName, PossibleDuplicate):
        model.objects.filter(person__in=persons).delete()
    PossibleDuplicate.objects.filter(candidate__in=persons).delete()
    cases_demo_clear(persons)
    persons.delete()
    search_changes_record([None])  # every process rebuilds its name index
    Household.objects.filter(registration__in=registrations).delete()
    registrations.delete()
    return removed


def demo_load(
    *,
    origin: Origin,
    size: int = DEFAULT_SIZE,
    seed: int = DEFAULT_SEED,
    batch: int = HOUSEHOLDS_PER_TRANSACTION,
) -> tuple[DemoCounts, int]:
    """Replace the demo data with a fresh world of `size` persons from `seed`.

    Returns the counts afterwards and how many demo persons were removed first.
    """
    world = world_build(size=size, seed=seed)
    staff = {account.login.username: account.user for account in demo_staff_ensure(origin=origin, seed=seed)}
    points = crossing_points_ensure()
    border_demo_ensure(officers=[staff[BORDER], staff[CONSUL]], points=points)
    removed = demo_clear()
    rules = list(RiskRule.objects.filter(is_active=True))
    taken = set(Registration.objects.values_list("reference", flat=True))
    households = [
        h if h.reference not in taken else replace(h, reference=_fresh_reference(taken)) for h in world.households
    ]
    for start in range(0, len(households), batch):
        _insert_batch(households[start : start + batch], origin=origin, rules=rules, staff=staff, points=points)
    # Before the sitrep's snapshots, so that their statements section counts the demo's.
    diplomacy_demo_ensure(
        origin=origin, diplomat=staff[DIPLOMAT], senior=staff[SENIOR_DIPLOMAT], director=staff[POLITICAL_DIRECTOR]
    )
    cases_demo_ensure(origin=origin, chief=staff["chief"], officer=staff["caseworker"], border_officer=staff[BORDER])
    aid_demo_ensure(origin=origin, logistics=staff["logistics"])
    # The partner figures are dated in 2022, so the snapshots happen in the partner's present.
    sitrep_demo_ensure(origin=origin, chief=staff["chief"], clearer=staff["admin"], consul=staff[CONSUL])
    counts = demo_counts()
    audit_record(
        actor=None,
        origin=origin,
        action=AuditEvent.Action.DEMO_LOADED,
        changes={"size": size, "seed": seed, "persons": counts.persons, "removed": removed},
        actor_label=DEMO_ACTOR_LABEL,
    )
    return counts, removed


@transaction.atomic
def _insert_batch(plans: list[HouseholdPlan], *, origin: Origin, rules, staff, points) -> None:
    registrations = []
    for plan in plans:
        token = secrets.token_urlsafe(24)  # a bearer secret even in the demo: never derived from the seed
        reporter = plan.reporter
        registrations.append(
            Registration(
                reference=plan.reference,
                submission_key=plan.submission_key,
                update_token_digest=update_token_digest(token),
                update_token=token,
                channel=Channel.DEMO,
                language=plan.language,
                submitted_at=plan.submitted_at,
                for_someone_else=reporter is not None,
                reporter_name=reporter.name if reporter else "",
                reporter_contact=reporter.contact if reporter else "",
                reporter_relationship=reporter.relationship if reporter else "",
                people_count=len(plan.people),
            )
        )
    Registration.objects.bulk_create(registrations)
    households = Household.objects.bulk_create(
        [
            Household(registration=r, created_at=p.submitted_at)
            for p, r in zip(plans, registrations, strict=True)
            if len(p.people) > 1
        ]
    )
    household_of = {h.registration_id: h for h in households}

    events: list[StatusEvent] = []
    corrections: list[tuple[StatusEvent, StatusEvent]] = []  # (correction, the event it corrects)
    for plan, registration in zip(plans, registrations, strict=True):
        persons = persons_insert(
            actor=None,
            origin=origin,
            people=plan.people,
            household=household_of.get(registration.pk),
            registration=registration,
            consent_given_at=None if plan.reporter else plan.submitted_at,
            occurred_at=plan.submitted_at,
            source=StatusEvent.Source.DEMO,
            rules=rules,
            actor_label=DEMO_ACTOR_LABEL,
        )
        planned = []
        for event in plan.events:
            row = StatusEvent(
                person=persons[event.member],
                kind=event.kind,
                occurred_at=event.occurred_at,
                recorded_at=event.recorded_at,
                recorded_by=staff.get(event.recorded_by),
                source=event.source,
                crossing_point=points[event.point] if event.point else None,
                note=event.note,
            )
            planned.append(row)
            if event.corrects is None:
                events.append(row)
            else:
                corrections.append((row, planned[event.corrects]))
    StatusEvent.objects.bulk_create(events)
    for correction, target in corrections:
        correction.corrects = target
    StatusEvent.objects.bulk_create([correction for correction, _ in corrections])

    # Current status and the other timeline facts, exactly as the services derive them.
    changed_ids = {event.person_id for event in events}
    timelines = defaultdict(list)
    for event in StatusEvent.objects.filter(person_id__in=changed_ids):
        timelines[event.person_id].append(event)
    persons = list(Person.objects.filter(id__in=changed_ids).only("id", "created_at"))
    for person in persons:
        derive_timeline_facts(timelines[person.pk]).apply_to(person)
    Person.objects.bulk_update(persons, TIMELINE_FACT_FIELDS)


def _fresh_reference(taken: set[str]) -> str:
    """A reference for the rare demo household whose seeded one is already in use."""
    while True:
        reference = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(REFERENCE_LENGTH))
        if reference not in taken:
            taken.add(reference)
            return reference
