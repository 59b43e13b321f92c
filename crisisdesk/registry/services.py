"""Writes to the registry. Each service is atomic and writes its audit rows in the same
transaction, so a record never exists without its trail."""

import secrets
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from functools import cache

from django.db import IntegrityError, InterfaceError, OperationalError, connection, transaction
from django.utils import timezone

from crisisdesk.common.audit import audit_event_new, audit_record, audit_record_many
from crisisdesk.common.inserts import insert_pair_run, insert_prepare, instances_insert, rows_insert
from crisisdesk.common.machine import Pacer
from crisisdesk.common.models import AuditEvent
from crisisdesk.common.origin import SYSTEM, Origin
from crisisdesk.common.references import reference_new, token_digest
from crisisdesk.registry.errors import RegistryError, RegistryValidationError
from crisisdesk.registry.inputs import (
    ContactInput,
    ImportSource,
    PersonInput,
    RegistrationInput,
    people_payload_dumps,
    people_payload_loads,
)
from crisisdesk.registry.models import (
    INFORMATIONAL_KINDS,
    NOT_CONTACT_KINDS,
    VERIFIED_SOURCES,
    Channel,
    Citizenship,
    ContactPoint,
    Household,
    IdentityDocument,
    IntakeState,
    Person,
    PersonName,
    Registration,
    RiskFlag,
    RiskRule,
    StatusEvent,
    StatusKind,
    Vulnerability,
    citizenship_mix_of,
)
from crisisdesk.registry.risk import PersonFacts, rule_reasons
from crisisdesk.registry.search import search_changes_record
from crisisdesk.registry.tasks import registration_duplicates_find, registration_intake_drain
from namebridge import clean_name, detect_script, fold

# Crockford-style: no 0/O, 1/I/L or U, so a code read over a bad phone line survives.
CLOCK_SKEW_ALLOWANCE = timedelta(minutes=10)
MAX_PEOPLE_PER_REGISTRATION = 15
PUBLIC_REGISTRANT_LABEL = "public registrant"
# Relations `full_clean` would check by a query each; the services set them from objects they hold.
PERSON_CLEAN_EXCLUDE = ("household", "registration", "created_by", "import_batch")
# ... and, on insert, the fields the service sets itself rather than from the input: checking
# them cost an import of a hundred thousand persons seconds, and could find nothing.
PERSON_INSERT_CLEAN_EXCLUDE = (
    *PERSON_CLEAN_EXCLUDE,
    "current_status",
    "current_status_at",
    "citizenship_mix",
    "first_crossed_at",
    "first_verified_crossed_at",
    "last_verified_crossed_at",
    "last_self_reported_crossed_at",
    "last_contact_at",
    "consent_given_at",
    "created_at",
    "updated_at",
    "version",
    "import_row",
    "import_key",
)


@dataclass(frozen=True, slots=True)
class RegistrationResult:
    registration: Registration
    update_token: str
    created: bool


update_token_digest = token_digest
_new_reference = reference_new


def _person_id_of(person) -> int:
    return person.pk


def _folded(text: str) -> str:
    """The search key of a name, cut to its column's length. Folding can lengthen a name
    many times over (NFKC turns U+FDFA into 18 letters), and a name that passed the form's
    length check must not then fail on its search key."""
    return fold(text)[: Person._meta.get_field("name_folded").max_length]


def registration_submit(
    *,
    origin: Origin,
    data: RegistrationInput,
    channel: str = Channel.PUBLIC,
    actor=None,
) -> RegistrationResult:
    """Register a household (or one person) in one transaction, people and all.

    Idempotent on `data.submission_key`: a form posted twice returns the first
    registration, with the same reference and private link, and creates nothing.
    Staff and scripts use this; the public form uses `registration_receive`.
    """
    existing = Registration.objects.filter(submission_key=data.submission_key).first()
    if existing is not None:
        return RegistrationResult(existing, existing.update_token, created=False)
    try:
        return _registration_create(origin=origin, data=data, channel=channel, actor=actor)
    except IntegrityError:
        # A concurrent duplicate won the race on the unique submission key.
        existing = Registration.objects.filter(submission_key=data.submission_key).first()
        if existing is None:
            raise
        return RegistrationResult(existing, existing.update_token, created=False)


def _people_check(data: RegistrationInput) -> None:
    if not data.people:
        raise RegistryValidationError(RegistryError.NO_PEOPLE)
    if len(data.people) > MAX_PEOPLE_PER_REGISTRATION:
        raise RegistryValidationError(RegistryError.TOO_MANY_PEOPLE)
    for person in data.people:
        if not (clean_name(person.given_name) or clean_name(person.family_name)):
            raise RegistryValidationError(RegistryError.NAME_EMPTY, "given_name")


def _registration_new(*, data: RegistrationInput, channel: str, token: str, now: datetime) -> Registration:
    reporter = data.reporter
    return Registration(
        reference=_new_reference(),
        submission_key=uuid.UUID(str(data.submission_key)),
        update_token_digest=update_token_digest(token),
        update_token=token,
        channel=channel,
        language=data.language[:8],
        submitted_at=now,
        for_someone_else=reporter is not None,
        reporter_name=clean_name(reporter.name) if reporter else "",
        reporter_contact=reporter.contact if reporter else "",
        reporter_relationship=clean_name(reporter.relationship) if reporter else "",
        people_count=len(data.people),
    )


def _registration_people_add(
    *, registration: Registration, people: tuple[PersonInput, ...], consent_given: bool, origin: Origin, actor
) -> list[Person]:
    now = registration.submitted_at
    household = Household.objects.create(registration=registration, created_at=now) if len(people) > 1 else None
    source = StatusEvent.Source.PUBLIC if registration.channel == Channel.PUBLIC else StatusEvent.Source.STAFF
    persons = persons_insert(
        actor=actor,
        origin=origin,
        people=people,
        household=household,
        registration=registration,
        consent_given_at=now if consent_given else None,
        occurred_at=now,
        source=source,
    )
    if registration.channel == Channel.PUBLIC:
        # Checked by a worker: the registrant never waits for it or sees it. The task row
        # is written in this transaction (the database backend), so it exists exactly when
        # the persons do, and costs no second commit.
        registration_duplicates_find.enqueue(registration.pk)
    return persons


@transaction.atomic
def _registration_create(*, origin: Origin, data: RegistrationInput, channel: str, actor) -> RegistrationResult:
    _people_check(data)
    token = secrets.token_urlsafe(24)
    registration = _registration_new(data=data, channel=channel, token=token, now=data.submitted_at or timezone.now())
    registration.save()
    _registration_people_add(
        registration=registration, people=data.people, consent_given=data.consent_given, origin=origin, actor=actor
    )
    audit_record(
        actor=actor,
        origin=origin,
        action=AuditEvent.Action.REGISTRATION_SUBMITTED,
        target=registration,
        changes={"people": len(data.people)},
        actor_label=None if actor else PUBLIC_REGISTRANT_LABEL,
    )
    return RegistrationResult(registration, token, created=True)


# A reference is 8 of 30 letters: a collision is rare, but possible, and is not the
# registrant's fault. A new reference is drawn this many times before giving up.
REFERENCE_ATTEMPTS = 3


def registration_receive(*, origin: Origin, data: RegistrationInput) -> RegistrationResult:
    """Accept a public registration: one row, its people encrypted in it, and its audit row.

    This is all a registrant waits for. A worker then adds the people to the registry
    (`registrations_add_received`), and the private link adds them at once if it is used
    first: docs/adr/0004-public-registrations-are-received-then-added.md says why.
    The reference and the private link are final from here on.

    Idempotent on `data.submission_key`, like `registration_submit`: a form posted twice
    returns the first registration, and creates nothing.
    """
    _people_check(data)
    for _attempt in range(REFERENCE_ATTEMPTS):
        try:
            return _registration_receive_once(origin=origin, data=data)
        except IntegrityError:
            existing = Registration.objects.filter(submission_key=data.submission_key).first()
            if existing is not None:
                return RegistrationResult(existing, existing.update_token, created=False)
            # Not the key: the reference was taken. Draw another.
    raise IntegrityError("no free reference code after several attempts")


def _registration_receive_once(*, origin: Origin, data: RegistrationInput) -> RegistrationResult:
    token = secrets.token_urlsafe(24)
    registration = _registration_new(
        data=data, channel=Channel.PUBLIC, token=token, now=data.submitted_at or timezone.now()
    )
    registration.intake_state = IntakeState.RECEIVED
    registration.intake_payload = people_payload_dumps(
        people=data.people, consent_given=data.consent_given, ip_address=origin.ip_address
    )
    audit = audit_event_new(
        actor=None,
        origin=origin,
        action=AuditEvent.Action.REGISTRATION_SUBMITTED,
        target=registration,
        changes={"people": len(data.people)},
        actor_label=PUBLIC_REGISTRANT_LABEL,
    )
    # Encrypted and converted before anything is written: on SQLite every public
    # registration waits for the one write lock, so it is held for the statements alone.
    probe = _waiting_drain_probe()
    drain_waits = insert_pair_run(insert_prepare(registration), insert_prepare(audit), link="target_id", probe=probe)
    if not drain_waits:
        registration_intake_drain.enqueue()
    return RegistrationResult(registration, token, created=True)


def _waiting_drain_probe() -> tuple[str, list] | None:
    """A query, run with the registration's INSERTs, for a drain task that waits to start.

    One waiting (READY) drain serves every registration received before it starts, so
    a new one is enqueued only when none is waiting. The waiting drain's row is locked
    until the registration commits: the database backend's worker claims tasks with
    SKIP LOCKED, so it cannot start that drain before the registration is visible to it.
    On SQLite both take the one write lock, which gives the same order. A drain enqueued
    after the commit sees the registration anyway. Other backends (the tests' immediate
    one) have no such row: they get a task each time.
    """
    from django_tasks_db.backend import DatabaseBackend

    backend = registration_intake_drain.get_backend()
    if not isinstance(backend, DatabaseBackend):
        return None
    return (
        _waiting_drain_sql(connection.features.has_select_for_update),
        [registration_intake_drain.module_path, backend.alias, registration_intake_drain.queue_name],
    )


@cache
def _waiting_drain_sql(lock: bool) -> str:
    """The one query every public registration makes besides its INSERTs, written out
    once: through the ORM it cost as much as the INSERTs."""
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    table = connection.ops.quote_name(DBTaskResult._meta.db_table)
    return (
        f"SELECT id FROM {table} WHERE status = '{TaskResultStatus.READY}' AND task_path = %s"  # noqa: S608 - constants only
        f" AND backend_name = %s AND queue_name = %s LIMIT 1{' FOR UPDATE' if lock else ''}"
    )


@dataclass(frozen=True, slots=True)
class IntakeDrainResult:
    added: int
    failed: int


# Registrations read per query of the queue; each is then added in its own transaction,
# so that a worker never holds SQLite's write lock for long while registrants wait.
DRAIN_BATCH = 50


def registrations_add_received(*, limit: int | None = None, busy_share: float = 1.0) -> IntakeDrainResult:
    """Add waiting public registrations to the registry, oldest first, until none wait
    (or `limit` were handled). Safe to run in several workers at once.

    `busy_share` below 1 makes way for registrants: while new registrations keep
    arriving and the rest of the machine keeps the processors busy, the drain pauses
    after each one so that it takes at most that share of the time (`machine.Pacer`).
    With processors to spare it runs flat out. On SQLite a worker adding registrations
    back to back would also hold the one write lock nearly always, and the public form
    would queue behind it (docs/adr/0004-public-registrations-are-received-then-added.md).
    """
    added = failed = 0
    last_id = 0
    newest_seen = _newest_registration_id()
    pacer = Pacer(share=busy_share)
    while True:
        batch = list(
            Registration.objects.filter(intake_state=IntakeState.RECEIVED, id__gt=last_id)
            .order_by("id")
            .values_list("id", flat=True)[:DRAIN_BATCH]
        )
        if not batch:
            return IntakeDrainResult(added=added, failed=failed)
        for registration_id in batch:
            if limit is not None and added + failed >= limit:
                return IntakeDrainResult(added=added, failed=failed)
            last_id = registration_id
            started = time.monotonic()
            outcome = _registration_add(registration_id=registration_id)
            added += outcome == IntakeState.ADDED
            failed += outcome == IntakeState.FAILED
            if busy_share < 1:
                newest = _newest_registration_id()
                if newest != newest_seen:
                    newest_seen = newest
                    pacer.pace(time.monotonic() - started)


def _newest_registration_id() -> int:
    return Registration.objects.order_by("-id").values_list("id", flat=True).first() or 0


def registration_add_received(*, registration_id: int) -> str | None:
    """Add one received registration's people to the registry, with their timeline,
    flags and audit rows, in one transaction. Returns the registration's state after
    (None when it does not exist). Does nothing to one already added or failed.

    A registration that cannot be added is kept, with its people still encrypted in it
    and the reason, as FAILED, for staff to see and send again
    (`registration_add_retry`). Only a database that is unreachable or locked leaves it
    waiting, for the next drain.
    """
    _registration_add(registration_id=registration_id)
    return Registration.objects.filter(pk=registration_id).values_list("intake_state", flat=True).first()


def _registration_add(*, registration_id: int) -> str | None:
    """What this call did: ADDED, FAILED, or None (nothing was waiting)."""
    try:
        with transaction.atomic():
            registration = Registration.objects.select_for_update().filter(pk=registration_id).first()
            if registration is None or registration.intake_state != IntakeState.RECEIVED:
                return None
            payload = people_payload_loads(registration.intake_payload)
            origin = Origin(channel=AuditEvent.Channel.PUBLIC, ip_address=payload.ip_address)
            _registration_people_add(
                registration=registration,
                people=payload.people,
                consent_given=payload.consent_given,
                origin=origin,
                actor=None,
            )
            Registration.objects.filter(pk=registration.pk).update(
                intake_state=IntakeState.ADDED, intake_payload="", intake_error=""
            )
            return IntakeState.ADDED
    except (OperationalError, InterfaceError):
        raise
    except Exception as error:  # kept as FAILED with its reason, never dropped
        reason = error.code.value if isinstance(error, RegistryValidationError) else type(error).__name__
        _registration_add_failed(registration_id=registration_id, reason=reason)
        return IntakeState.FAILED


@transaction.atomic
def _registration_add_failed(*, registration_id: int, reason: str) -> None:
    registration = Registration.objects.select_for_update().get(pk=registration_id)
    registration.intake_state = IntakeState.FAILED
    registration.intake_error = reason[: Registration._meta.get_field("intake_error").max_length]
    registration.save(update_fields=["intake_state", "intake_error"])
    audit_record(
        actor=None,
        origin=SYSTEM,
        action=AuditEvent.Action.REGISTRATION_ADD_FAILED,
        target=registration,
        changes={"reason": registration.intake_error},
    )


def registration_add_retry(*, actor, origin: Origin, registration: Registration) -> str | None:
    """Send a FAILED registration to the registry again (after the cause was fixed).
    Returns its state after the attempt."""
    with transaction.atomic():
        updated = Registration.objects.filter(pk=registration.pk, intake_state=IntakeState.FAILED).update(
            intake_state=IntakeState.RECEIVED
        )
        if updated:
            audit_record(
                actor=actor,
                origin=origin,
                action=AuditEvent.Action.REGISTRATION_ADD_RETRIED,
                target=registration,
                changes={"reason": registration.intake_error},
            )
    return registration_add_received(registration_id=registration.pk)


@cache
def _person_columns() -> tuple[str, ...]:
    return tuple(field.attname for field in Person._meta.concrete_fields)


@dataclass(frozen=True, slots=True)
class _FieldCheck:
    attname: str
    text: bool  # a str field, else an integer one
    null: bool
    blank: bool
    max_length: int | None
    choices: frozenset | None
    low: int | None
    high: int | None


@cache
def _person_field_checks() -> tuple[_FieldCheck, ...] | None:
    """What `full_clean` checks of the fields `persons_insert` validates, when they are all
    plain text and integer fields with no validators but lengths and bounds: then a value that
    passes these passes `full_clean`. None when one is not such a field."""
    from django.core import validators
    from django.db import models

    checks = []
    for field in Person._meta.concrete_fields:
        if (
            field.attname in PERSON_INSERT_CLEAN_EXCLUDE
            or field.name in PERSON_INSERT_CLEAN_EXCLUDE
            or field.primary_key
        ):
            continue
        text = type(field) in (models.CharField, models.TextField)
        if not (text or type(field) in (models.PositiveSmallIntegerField, models.PositiveIntegerField)):
            return None
        low = high = None
        for validator in field.validators:
            if isinstance(validator, validators.MinValueValidator) and not callable(validator.limit_value):
                low = validator.limit_value
            elif isinstance(validator, validators.MaxValueValidator) and not callable(validator.limit_value):
                high = validator.limit_value
            elif not isinstance(validator, (validators.MaxLengthValidator, validators.ProhibitNullCharactersValidator)):
                return None
        checks.append(
            _FieldCheck(
                attname=field.attname,
                text=text,
                null=field.null,
                blank=field.blank,
                max_length=field.max_length if text else None,
                choices=frozenset(str(value) for value, _label in field.flatchoices) if field.choices else None,
                low=low,
                high=high,
            )
        )
    return tuple(checks)


def _person_surely_valid(person: Person) -> bool:
    """True when `full_clean` would certainly find nothing wrong with the fields it checks on
    insert; False when it might, and must run (to raise its own errors, or to pass)."""
    checks = _person_field_checks()
    if checks is None:
        return False
    for check in checks:
        value = getattr(person, check.attname)
        if value is None:
            if not (check.null and check.blank):
                return False
        elif check.text:
            if not isinstance(value, str) or "\x00" in value:
                return False
            if (not value and not check.blank) or (check.max_length is not None and len(value) > check.max_length):
                return False
            if check.choices is not None and value and value not in check.choices:
                return False
        else:
            if type(value) is not int:
                return False
            if (check.low is not None and value < check.low) or (check.high is not None and value > check.high):
                return False
    return True


def persons_insert(
    *,
    actor,
    origin: Origin,
    people: tuple[PersonInput, ...] | list[PersonInput],
    household: Household | None,
    registration: Registration | None,
    consent_given_at: datetime | None,
    occurred_at: datetime,
    source: str,
    rules: list[RiskRule] | None = None,
    audit: bool = True,
    actor_label: str | None = None,
    import_sources: Sequence[ImportSource] | None = None,
) -> list[Person]:
    """Insert persons with all their parts, a "registered" event each, and risk flags.

    Bulk statements keep a household of any size to a fixed number of queries. Callers
    hold the transaction (this is a building block of the services, not a service).
    `import_sources`, one per person, says where imported persons came from.
    """
    if import_sources is not None and len(import_sources) != len(people):
        raise ValueError("one import source per person")
    created_by = actor if actor is not None and actor.is_authenticated else None
    # Every column at its default, then what this call and each person give; the persons are
    # made from positional values as the ORM makes the rows it reads, much faster than by
    # keyword at an import's hundred thousand.
    defaults = {field.attname: field.get_default() for field in Person._meta.concrete_fields}
    defaults.update(
        household_id=household.pk if household is not None else None,
        registration_id=registration.pk if registration is not None else None,
        created_by_id=created_by.pk if created_by is not None else None,
        current_status=StatusKind.REGISTERED,
        current_status_at=occurred_at,
        last_contact_at=occurred_at,  # the "registered" entry below
        consent_given_at=consent_given_at,
        created_at=occurred_at,
        updated_at=occurred_at,
    )
    relations = [
        (name, value)
        for name, value in (("household", household), ("registration", registration), ("created_by", created_by))
        if value is not None
    ]
    columns = _person_columns()
    persons = []
    for position, item in enumerate(people):
        given, family = clean_name(item.given_name), clean_name(item.family_name)
        if not given and not family:
            raise RegistryValidationError(RegistryError.NAME_EMPTY, "given_name")
        values = dict(defaults)
        values.update(
            relationship=item.relationship,
            given_name=given,
            family_name=family,
            name_folded=_folded(f"{given} {family}"),
            birth_year=item.birth_year,
            birth_month=item.birth_month,
            birth_day=item.birth_day,
            sex=item.sex,
            region=item.region,
            city=clean_name(item.city),
            location_note=clean_name(item.location_note),
            intent=item.intent,
            needs_note=item.needs_note.strip(),
            citizenship_mix=citizenship_mix_of(item.citizenships),
        )
        if import_sources is not None:
            source_of = import_sources[position]
            values.update(import_batch_id=source_of.batch_id, import_row=source_of.row, import_key=source_of.key)
        person = Person(*(values[name] for name in columns))
        for name, value in relations:
            Person._meta.get_field(name).set_cached_value(person, value)
        # Constraints are enforced by the database; skipping their Python-side check
        # saves one query per constraint per person. Values that certainly pass skip the
        # rest of the check too (`_person_surely_valid`); any other goes through it.
        if not _person_surely_valid(person):
            person.full_clean(exclude=PERSON_INSERT_CLEAN_EXCLUDE, validate_unique=False, validate_constraints=False)
        persons.append(person)
    instances_insert(persons)

    # The parts go in as rows, not model instances: at an import's hundred thousand persons,
    # making ten instances a person took as long as writing them.
    names, citizenships, documents, contacts, vulnerabilities, events = [], [], [], [], [], []
    for person, item in zip(persons, people, strict=True):
        person_id = person.pk
        for name in item.other_names:
            given, family = clean_name(name.given_name), clean_name(name.family_name)
            if given or family:
                names.append(
                    {
                        "person_id": person_id,
                        "kind": name.kind,
                        "given_name": given,
                        "family_name": family,
                        "script": detect_script(f"{given} {family}").value,
                        "folded": _folded(f"{given} {family}"),
                    }
                )
        citizenships += [{"person_id": person_id, "country": code} for code in dict.fromkeys(item.citizenships)]
        documents += [
            {"person_id": person_id, "kind": d.kind, "number": d.number.strip(), "issuing_country": d.issuing_country}
            for d in item.documents
            if d.number.strip()
        ]
        contacts += [
            {"person_id": person_id, "kind": c.kind, "value": c.value, "messenger": c.messenger}
            for c in item.contacts
            if c.value
        ]
        vulnerabilities += [{"person_id": person_id, "kind": kind} for kind in dict.fromkeys(item.vulnerabilities)]
        events.append(
            {
                "person_id": person_id,
                "kind": StatusKind.REGISTERED.value,
                "occurred_at": occurred_at,
                "recorded_at": occurred_at,
                "recorded_by_id": person.created_by_id,
                "source": source,
            }
        )
    rows_insert(PersonName, names)
    rows_insert(Citizenship, citizenships)
    rows_insert(IdentityDocument, documents)
    rows_insert(ContactPoint, contacts)
    rows_insert(Vulnerability, vulnerabilities)
    rows_insert(StatusEvent, events)

    active_rules = rules if rules is not None else list(RiskRule.objects.filter(is_active=True))
    flags = []
    for person, item in zip(persons, people, strict=True):
        facts = PersonFacts(
            sex=item.sex,
            birth_year=item.birth_year,
            birth_month=item.birth_month,
            birth_day=item.birth_day,
            citizenships=frozenset(item.citizenships),
            vulnerabilities=frozenset(item.vulnerabilities),
        )
        flags += _flags_for(person, facts, active_rules, occurred_at)
    instances_insert(flags)
    search_changes_record(person.pk for person in persons)

    if audit:
        audit_record_many(
            actor=actor,
            origin=origin,
            action=AuditEvent.Action.PERSON_CREATED,
            targets=persons,
            person_id_of=_person_id_of,
            actor_label=actor_label or (None if actor else PUBLIC_REGISTRANT_LABEL),
        )
    return persons


def _flags_for(person: Person, facts: PersonFacts, rules: list[RiskRule], now: datetime) -> list[RiskFlag]:
    flags = []
    for rule in rules:
        reasons = rule_reasons(rule, facts)
        if reasons is not None:
            flags.append(RiskFlag(person=person, rule=rule, reasons=reasons, computed_at=now))
    return flags


def _facts_of(person: Person) -> PersonFacts:
    return PersonFacts(
        sex=person.sex,
        birth_year=person.birth_year,
        birth_month=person.birth_month,
        birth_day=person.birth_day,
        citizenships=frozenset(c.country for c in person.citizenships.all()),
        vulnerabilities=frozenset(v.kind for v in person.vulnerabilities.all()),
    )


def risk_flags_refresh(*, persons=None, batch_size: int = 2000) -> int:
    """Recompute flags for `persons` (default: everyone) from the active rules.

    Flags are derived data: they are replaced, not edited. Returns how many flags exist
    for those persons afterwards.
    """
    rules = list(RiskRule.objects.filter(is_active=True))
    queryset = persons if persons is not None else Person.objects.all()
    ids = list(queryset.values_list("id", flat=True)) if hasattr(queryset, "values_list") else [p.pk for p in queryset]
    total = 0
    now = timezone.now()
    for start in range(0, len(ids), batch_size):
        chunk = ids[start : start + batch_size]
        with transaction.atomic():
            batch = Person.objects.filter(id__in=chunk).prefetch_related("citizenships", "vulnerabilities")
            flags = [flag for person in batch for flag in _flags_for(person, _facts_of(person), rules, now)]
            RiskFlag.objects.filter(person_id__in=chunk).delete()
            RiskFlag.objects.bulk_create(flags)
            total += len(flags)
    return total


@transaction.atomic
def risk_rule_save(*, actor, origin: Origin, rule: RiskRule) -> RiskRule:
    """Save a rule and recompute everyone's flags, so no record shows a stale flag."""
    rule.updated_at = timezone.now()
    rule.full_clean()
    rule.save()
    audit_record(actor=actor, origin=origin, action=AuditEvent.Action.RISK_RULE_CHANGED, target=rule)
    risk_flags_refresh()
    return rule


def derive_current_status(events: list[StatusEvent]) -> tuple[str, datetime | None]:
    """Current status from a timeline: the latest event that is neither informational nor
    corrected by a later entry. Ordered by when it happened, not when it was recorded,
    because field reports arrive late. "Registered" is only the starting point: any other
    standing event outranks it, even one that happened before the registration (a report
    typed right after registering, with the form's minute-precision time, is one)."""
    corrected = {event.corrects_id for event in events if event.corrects_id}
    standing = [e for e in events if e.pk not in corrected and e.kind not in INFORMATIONAL_KINDS]
    if not standing:
        return StatusKind.REGISTERED, None
    latest = max(standing, key=lambda event: (event.kind != StatusKind.REGISTERED, event.occurred_at, event.pk))
    return latest.kind, latest.occurred_at


@dataclass(frozen=True, slots=True)
class TimelineFacts:
    """What the sitrep needs of one timeline, named as the `Person` fields that keep it."""

    current_status: str
    current_status_at: datetime | None
    first_crossed_at: datetime | None
    first_verified_crossed_at: datetime | None
    last_verified_crossed_at: datetime | None
    last_self_reported_crossed_at: datetime | None
    last_contact_at: datetime | None

    def apply_to(self, person: Person) -> None:
        for name in TIMELINE_FACT_FIELDS:
            setattr(person, name, getattr(self, name))
        person.current_status_at = self.current_status_at or person.created_at


TIMELINE_FACT_FIELDS = tuple(field.name for field in fields(TimelineFacts))
_FACT_TIMES = TIMELINE_FACT_FIELDS[2:]  # the crossings and the last contact


def person_state_before(person: Person, **overrides: str) -> dict:
    """What `StatusEvent.person_before` keeps of a person as stored now: where they stand,
    their intent and region (`overrides` give values the caller has changed since), and the
    timeline facts, as JSON."""
    state = timeline_state(person, intent=person.intent, region=person.region)
    state.update(overrides)
    return state


def timeline_state(facts: TimelineFacts | Person, *, intent: str, region: str) -> dict:
    """A `person_before` from timeline facts (or a person's stored ones), intent and region."""
    state = {"current_status": facts.current_status, "intent": intent, "region": region}
    state.update({name: _iso_or_none(getattr(facts, name)) for name in _FACT_TIMES})
    return state


def person_state_read(state: dict) -> tuple[TimelineFacts, str, str]:
    """The timeline facts, intent and region of a `person_state_before`."""
    facts = TimelineFacts(
        current_status=state["current_status"],
        current_status_at=None,
        **{name: datetime.fromisoformat(state[name]) if state[name] else None for name in _FACT_TIMES},
    )
    return facts, state["intent"], state["region"]


def _iso_or_none(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def derive_timeline_facts(events) -> TimelineFacts:
    """The current status (`derive_current_status`), the first and last crossings out that were
    not entered in error (any source, verified, self-reported) and the latest sign of life
    (which a correction does not undo: someone was in touch)."""
    status, status_at = derive_current_status(events)
    corrected = {event.corrects_id for event in events if event.corrects_id}
    crossings = [e for e in events if e.kind == StatusKind.CROSSED and e.pk not in corrected]
    verified = [e.occurred_at for e in crossings if e.source in VERIFIED_SOURCES]
    self_reported = [e.occurred_at for e in crossings if e.source == StatusEvent.Source.SELF_SERVICE]
    return TimelineFacts(
        current_status=status,
        current_status_at=status_at,
        first_crossed_at=min((e.occurred_at for e in crossings), default=None),
        first_verified_crossed_at=min(verified, default=None),
        last_verified_crossed_at=max(verified, default=None),
        last_self_reported_crossed_at=max(self_reported, default=None),
        last_contact_at=max((e.occurred_at for e in events if e.kind not in NOT_CONTACT_KINDS), default=None),
    )


def _lock_person(person: Person) -> Person:
    return Person.objects.select_for_update().get(pk=person.pk)


@transaction.atomic
def status_event_add(
    *,
    actor,
    origin: Origin,
    person: Person,
    kind: str,
    occurred_at: datetime,
    source: str,
    crossing_point=None,
    place_note: str = "",
    note: str = "",
    corrects: StatusEvent | None = None,
    data: dict | None = None,
    actor_label: str | None = None,
) -> StatusEvent:
    """Append an event to a person's timeline and re-derive their current status."""
    person = _lock_person(person)
    if occurred_at > timezone.now() + CLOCK_SKEW_ALLOWANCE:
        raise RegistryValidationError(RegistryError.EVENT_IN_FUTURE, "occurred_at")
    if corrects is not None and corrects.person_id != person.pk:
        raise RegistryValidationError(RegistryError.CORRECTION_OTHER_PERSON, "corrects")
    if kind == StatusKind.ENTERED_IN_ERROR and corrects is None:
        raise RegistryValidationError(RegistryError.CORRECTION_NEEDS_TARGET, "corrects")
    if kind == StatusKind.CROSSED and crossing_point is None and not place_note.strip():
        raise RegistryValidationError(RegistryError.CROSSING_NEEDS_PLACE, "crossing_point")
    event = StatusEvent(
        person=person,
        kind=kind,
        occurred_at=occurred_at,
        recorded_by=actor if actor is not None and actor.is_authenticated else None,
        source=source,
        crossing_point=crossing_point,
        place_note=clean_name(place_note),
        note=note.strip(),
        corrects=corrects,
        data=data or {},
        person_before=person_state_before(person),
    )
    event.full_clean(exclude=["person", "recorded_by", "crossing_point", "corrects"], validate_constraints=False)
    event.save()
    _person_timeline_rederive(person)
    audit_record(
        actor=actor,
        origin=origin,
        action=AuditEvent.Action.STATUS_EVENT_ADDED,
        target=event,
        person_id=person.pk,
        changes={"kind": kind, "corrects": corrects.pk if corrects else None},
        actor_label=actor_label,
    )
    return event


def _person_timeline_rederive(person: Person) -> None:
    derive_timeline_facts(list(StatusEvent.objects.filter(person=person))).apply_to(person)
    Person.objects.filter(pk=person.pk).update(**{name: getattr(person, name) for name in TIMELINE_FACT_FIELDS})


# Fields staff may change directly. Location and intent changes also go on the timeline.
EDITABLE_FIELDS = (
    "given_name",
    "family_name",
    "birth_year",
    "birth_month",
    "birth_day",
    "sex",
    "relationship",
    "region",
    "city",
    "location_note",
    "intent",
    "needs_note",
)
LOCATION_FIELDS = ("region", "city", "location_note")
CLEANED_TEXT_FIELDS = ("given_name", "family_name", "city", "location_note")


@transaction.atomic
def person_update(
    *,
    actor,
    origin: Origin,
    person: Person,
    changes: dict,
    citizenships: list[str] | None = None,
    vulnerabilities: list[str] | None = None,
    contacts: list[ContactInput] | None = None,
    expected_version: int | None = None,
    source: str = StatusEvent.Source.STAFF,
    actor_label: str | None = None,
) -> Person:
    """Change a person's details. Optimistic concurrency: with `expected_version`, an
    edit based on a stale copy is refused rather than silently overwriting."""
    locked = _lock_person(person)
    if expected_version is not None and locked.version != expected_version:
        raise RegistryValidationError(RegistryError.VERSION_CONFLICT)
    before = {name: getattr(locked, name) for name in EDITABLE_FIELDS}
    for name, value in changes.items():
        if name not in EDITABLE_FIELDS:
            raise ValueError(f"{name} is not an editable field")
        setattr(locked, name, clean_name(value or "") if name in CLEANED_TEXT_FIELDS else value)
    if not locked.given_name and not locked.family_name:
        raise RegistryValidationError(RegistryError.NAME_EMPTY, "given_name")
    changed = [name for name in EDITABLE_FIELDS if getattr(locked, name) != before[name]]
    if citizenships is not None:
        current = set(locked.citizenships.values_list("country", flat=True))
        if current != set(citizenships):
            locked.citizenships.exclude(country__in=citizenships).delete()
            Citizenship.objects.bulk_create(
                [Citizenship(person=locked, country=code) for code in set(citizenships) - current]
            )
            locked.citizenship_mix = citizenship_mix_of(citizenships)
            changed.append("citizenships")
    if vulnerabilities is not None:
        current = set(locked.vulnerabilities.values_list("kind", flat=True))
        if current != set(vulnerabilities):
            locked.vulnerabilities.exclude(kind__in=vulnerabilities).delete()
            Vulnerability.objects.bulk_create(
                [Vulnerability(person=locked, kind=kind) for kind in set(vulnerabilities) - current]
            )
            changed.append("vulnerabilities")
    if contacts is not None:
        current_contacts = list(locked.contacts.all())
        wanted = {(c.kind, c.value, c.messenger) for c in contacts}
        # Values are encrypted with a random IV, so compare after decryption, in Python.
        if {(c.kind, c.value, c.messenger) for c in current_contacts} != wanted:
            locked.contacts.all().delete()
            ContactPoint.objects.bulk_create(
                [
                    ContactPoint(person=locked, kind=kind, value=value, messenger=messenger)
                    for kind, value, messenger in sorted(wanted)
                ]
            )
            changed.append("contacts")
    if not changed:
        return locked
    now = timezone.now()
    locked.name_folded = _folded(f"{locked.given_name} {locked.family_name}")
    locked.updated_at = now
    locked.version += 1
    locked.full_clean(exclude=PERSON_CLEAN_EXCLUDE, validate_unique=False, validate_constraints=False)
    locked.save()
    if {"given_name", "family_name", "birth_year", "sex"} & set(changed):
        search_changes_record([locked.pk])
    recorded_by = actor if actor is not None and actor.is_authenticated else None
    # Both entries recorded at one moment, with the person as they were before the change.
    person_before = person_state_before(locked, intent=before["intent"], region=before["region"])
    if "intent" in changed:
        StatusEvent.objects.create(
            person=locked,
            kind=StatusKind.INTENT_CHANGED,
            occurred_at=now,
            recorded_at=now,
            recorded_by=recorded_by,
            source=source,
            data={"from": before["intent"], "to": locked.intent},
            person_before=person_before,
        )
    if any(name in changed for name in LOCATION_FIELDS):
        StatusEvent.objects.create(
            person=locked,
            kind=StatusKind.LOCATION_UPDATED,
            occurred_at=now,
            recorded_at=now,
            recorded_by=recorded_by,
            source=source,
            person_before=person_before,
            # The region before, too: a sitrep "as of" an earlier moment needs where they were.
            data={"region": locked.region, "from_region": before["region"]},
        )
    if "intent" in changed or any(name in changed for name in LOCATION_FIELDS):
        _person_timeline_rederive(locked)  # a new sign of life
    if {"sex", "birth_year", "birth_month", "birth_day", "citizenships", "vulnerabilities"} & set(changed):
        risk_flags_refresh(persons=[locked])
    audit_record(
        actor=actor,
        origin=origin,
        action=AuditEvent.Action.PERSON_UPDATED,
        target=locked,
        person_id=locked.pk,
        changes={"fields": changed},
        actor_label=actor_label,
    )
    return locked


@transaction.atomic
def person_create(
    *, actor, origin: Origin, data: PersonInput, household: Household | None = None, channel: str = Channel.STAFF
) -> Person:
    """A person entered by staff or over the API (not through the public form)."""
    now = timezone.now()
    source = StatusEvent.Source.API if channel == Channel.API else StatusEvent.Source.STAFF
    (person,) = persons_insert(
        actor=actor,
        origin=origin,
        people=[data],
        household=household,
        registration=None,
        consent_given_at=None,
        occurred_at=now,
        source=source,
    )
    return person


SELF_SERVICE_LABEL = "registrant (private link)"


@transaction.atomic
def registration_self_report(
    *,
    origin: Origin,
    registration: Registration,
    persons: list[Person],
    intent: str | None = None,
    location: dict | None = None,
    crossed_point=None,
    crossed_at: datetime | None = None,
    staying: bool = False,
) -> list[StatusEvent]:
    """What a registrant reports through their private link, for the persons they pick.

    Every report becomes timeline events with source "self", attributed to the link.
    """
    events: list[StatusEvent] = []
    for person in persons:
        if person.registration_id != registration.pk:
            raise PermissionError("person is not part of this registration")
        changes = {}
        if intent:
            changes["intent"] = intent
        if staying:
            changes["intent"] = "stay"
        if location:
            changes.update(location)
        if changes:
            person_update(
                actor=None,
                origin=origin,
                person=person,
                changes=changes,
                source=StatusEvent.Source.SELF_SERVICE,
                actor_label=SELF_SERVICE_LABEL,
            )
        if crossed_point is not None:
            events.append(
                status_event_add(
                    actor=None,
                    origin=origin,
                    person=person,
                    kind=StatusKind.CROSSED,
                    occurred_at=crossed_at or timezone.now(),
                    source=StatusEvent.Source.SELF_SERVICE,
                    crossing_point=crossed_point,
                    actor_label=SELF_SERVICE_LABEL,
                )
            )
        if staying:
            events.append(
                status_event_add(
                    actor=None,
                    origin=origin,
                    person=person,
                    kind=StatusKind.STAYING,
                    occurred_at=timezone.now(),
                    source=StatusEvent.Source.SELF_SERVICE,
                    actor_label=SELF_SERVICE_LABEL,
                )
            )
    return events
