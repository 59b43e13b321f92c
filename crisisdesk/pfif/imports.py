"""PFIF 1.4 import: persons with their notes from another repository (Person Finder, or a
system that speaks PFIF), every record accounted for, none twice.

- The file is read by `format.document_parse` (defusedxml; DTDs, entities, malformed XML,
  other namespaces and files over the caps refused as a whole, nothing written).
- Each person record is checked as a person the registry would take (names cleaned, partial
  dates of birth, sex, region); one that passes becomes a registry person, through the
  registry's bulk `persons_insert` (a "registered" entry, risk flags, the search outbox and a
  `person.created` audit row each), and a `PfifPerson` keeps its record id and the record as
  received. Contact fields are kept encrypted, apart.
- Each note is attached to the person it names: a person of the file, one imported before, or
  one of ours ("<PFIF_DOMAIN>/person.<id>"). A note with a status that says where the person
  stands is put on their timeline too (mapping.KIND_OF_STATUS), as bulk rows, and each person's
  current status and timeline facts are derived again; the others are kept with the person.
- A note's linked_person_record_id puts the two persons in the duplicates review queue
  (`DuplicatePair`, source PFIF): never merged automatically. A link to a person not here yet
  is kept, and queued when that person arrives.
- Idempotent on record ids: a record whose id was imported before is skipped, never updated,
  never doubled; our own persons coming back are skipped too. A record that cannot be taken
  in is kept as `PfifRejected` with the codes of what is wrong per field.
- All of it is one transaction, with the batch's audit row.
"""

import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.utils import timezone

from crisisdesk.accounts.permissions import Permission, has_permission
from crisisdesk.common.audit import audit_record, audit_record_many
from crisisdesk.common.documents import safe_file_name
from crisisdesk.common.inserts import instances_insert
from crisisdesk.common.models import AuditEvent
from crisisdesk.common.origin import Origin
from crisisdesk.duplicates.models import DuplicatePair, PairSource
from crisisdesk.pfif import mapping
from crisisdesk.pfif.audit_actions import PFIF_IMPORT_REFUSED, PFIF_IMPORTED
from crisisdesk.pfif.errors import PfifError, PfifRefused
from crisisdesk.pfif.format import (
    NOTE_REQUIRED,
    PERSON_REQUIRED,
    SEX_VALUES,
    STATUS_VALUES,
    Document,
    Record,
    document_parse,
)
from crisisdesk.pfif.models import PfifBatch, PfifNote, PfifPerson, PfifRejected
from crisisdesk.registry.errors import RegistryValidationError
from crisisdesk.registry.inputs import NameInput, PersonInput
from crisisdesk.registry.models import Person, PersonName, RiskRule, StatusEvent
from crisisdesk.registry.services import (
    CLOCK_SKEW_ALLOWANCE,
    TIMELINE_FACT_FIELDS,
    derive_timeline_facts,
    person_state_before,
    persons_insert,
)
from crisisdesk.registry.validation import region_codes, region_names, validate_birth_date
from namebridge import clean_name

# Lengths we keep. A longer field rejects its record (kept cut to this, marked).
NAME_MAX = 200
FULL_NAME_MAX = 400
ALTERNATE_NAMES_MAX = 20  # lines
LOCATION_NOTE_MAX = 500
TEXT_MAX = 20_000
FIELD_MAX = 2_000
CUT_MARKER = " [...]"
# Persons per `persons_insert` call, and ids per lookup (under SQLite's 999 parameters).
INSERT_CHUNK = 2000
LOOKUP_CHUNK = 900
FIRST_REJECTED = 20
# A link from another repository is an assertion, not a score: the reviewer sees its source.
LINK_MATCH_WEIGHT = 0.0
LINK_MATCH_PROBABILITY = 0.5

_LONG_FIELDS = {"text": TEXT_MAX, "description": TEXT_MAX, "alternate_names": TEXT_MAX, "profile_urls": TEXT_MAX}


@dataclass(frozen=True, slots=True)
class RejectedPreview:
    kind: str
    position: int
    record_id: str
    errors: dict[str, list[str]]


@dataclass(frozen=True, slots=True)
class PfifImportResult:
    batch: PfifBatch
    first_rejected: tuple[RejectedPreview, ...]


@dataclass(slots=True)
class _Plan:
    """What a file will do, decided before anything is written."""

    new_persons: list[tuple[Record, PersonInput]] = field(default_factory=list)
    person_of: dict[str, int | None] = field(default_factory=dict)  # record id → person (None: new)
    rejected_person_ids: set[str] = field(default_factory=set)
    persons_skipped: int = 0
    new_notes: list[Record] = field(default_factory=list)
    notes_skipped: int = 0
    rejected: list[tuple[str, Record, dict[str, list[str]]]] = field(default_factory=list)


def _chunks(items: list, size: int = LOOKUP_CHUNK) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _cut(value: str, limit: int) -> str:
    return value if len(value) <= limit else value[:limit] + CUT_MARKER


def _split(fields: dict[str, str], contact_fields: tuple[str, ...]) -> tuple[dict[str, str], str]:
    """The fields to keep in the clear, and the contact ones as encrypted JSON ("" if none)."""
    plain = {name: value for name, value in fields.items() if name not in contact_fields and value}
    contacts = {name: fields[name] for name in contact_fields if fields.get(name)}
    return plain, json.dumps(contacts, ensure_ascii=False, sort_keys=True) if contacts else ""


def _lengths_check(fields: dict[str, str], errors: dict[str, list[str]]) -> None:
    for name, value in fields.items():
        if len(value) > _LONG_FIELDS.get(name, FIELD_MAX):
            errors.setdefault(name, []).append(PfifError.FIELD_TOO_LONG.value)


def _required_check(fields: dict[str, str], required: tuple[str, ...], errors: dict[str, list[str]]) -> None:
    for name in required:
        if not fields.get(name):
            errors.setdefault(name, []).append(PfifError.FIELD_REQUIRED.value)


def _id_check(fields: dict[str, str], name: str, errors: dict[str, list[str]]) -> None:
    value = fields.get(name, "")
    if value and not mapping.record_id_valid(value):
        errors.setdefault(name, []).append(PfifError.RECORD_ID_INVALID.value)


def _time_check(fields: dict[str, str], name: str, errors: dict[str, list[str]]) -> datetime | None:
    value = fields.get(name, "")
    if not value:
        return None
    try:
        return mapping.pfif_time_parse(value)
    except ValueError:
        errors.setdefault(name, []).append(PfifError.DATE_INVALID.value)
        return None


def _birth_parse(text: str, errors: dict[str, list[str]]) -> tuple[int | None, int | None, int | None]:
    if not text:
        return None, None, None
    parts = text.split("-")
    if not (1 <= len(parts) <= 3 and all(part.isascii() and part.isdigit() for part in parts)):
        errors.setdefault("date_of_birth", []).append(PfifError.BIRTH_DATE_INVALID.value)
        return None, None, None
    if len(parts[0]) != 4 or any(len(part) != 2 for part in parts[1:]):
        errors.setdefault("date_of_birth", []).append(PfifError.BIRTH_DATE_INVALID.value)
        return None, None, None
    year, month, day = (int(parts[i]) if i < len(parts) else None for i in range(3))
    try:
        validate_birth_date(year, month, day)
    except RegistryValidationError:
        errors.setdefault("date_of_birth", []).append(PfifError.BIRTH_DATE_INVALID.value)
        return None, None, None
    return year, month, day


def _age_check(text: str, errors: dict[str, list[str]]) -> None:
    parts = text.split("-") if text else []
    if parts and not (
        len(parts) <= 2
        and all(part.isascii() and part.isdigit() and len(part) <= 3 for part in parts)
        and int(parts[0]) <= int(parts[-1])
    ):
        errors.setdefault("age", []).append(PfifError.AGE_INVALID.value)


def _names_of(fields: dict[str, str]) -> tuple[str, str]:
    """Given and family name; from the full name when the record gives neither (all but the
    last word, and the last word)."""
    given, family = clean_name(fields.get("given_name", "")), clean_name(fields.get("family_name", ""))
    if given or family:
        return given, family
    words = clean_name(fields.get("full_name", "")).split()
    if not words:
        return "", ""
    return " ".join(words[:-1]), words[-1]


def _location_of(fields: dict[str, str]) -> tuple[str, str]:
    """(region, location note) from home_state and home_country: a region of the crisis country
    by code or name; anything else as text in the note."""
    country = settings.CRISISDESK_CRISIS_COUNTRY
    state = clean_name(fields.get("home_state", ""))
    home_country = clean_name(fields.get("home_country", "")).upper()
    if home_country in ("", country) and state:
        if state.upper() in region_codes(country):
            return state.upper(), ""
        wanted = state.casefold()
        for code, name in region_names(country):
            if name.casefold() == wanted:
                return code, ""
    note = ", ".join(part for part in (state, fields.get("home_country", "").strip()) if part)
    return "", note[:LOCATION_NOTE_MAX]


def person_record_check(fields: dict[str, str], errors: dict[str, list[str]], *, now: datetime) -> PersonInput | None:
    """The person a PFIF person record makes, or None with `errors` filled in."""
    _required_check(fields, PERSON_REQUIRED, errors)
    _lengths_check(fields, errors)
    _id_check(fields, "person_record_id", errors)
    for name in ("entry_date", "source_date"):
        _time_check(fields, name, errors)
    expiry = _time_check(fields, "expiry_date", errors)
    if expiry is not None and expiry < now:
        errors.setdefault("expiry_date", []).append(PfifError.RECORD_EXPIRED.value)
    if len(fields.get("full_name", "")) > FULL_NAME_MAX:
        errors.setdefault("full_name", []).append(PfifError.FIELD_TOO_LONG.value)
    given, family = _names_of(fields)
    if fields.get("full_name") and not (given or family):
        errors.setdefault("full_name", []).append(PfifError.NAME_EMPTY.value)
    for name, value in (("given_name", given), ("family_name", family)):
        if len(value) > NAME_MAX:
            errors.setdefault(name, []).append(PfifError.FIELD_TOO_LONG.value)
    alternates = [clean_name(line) for line in fields.get("alternate_names", "").splitlines()]
    alternates = [line for line in alternates if line]
    if len(alternates) > ALTERNATE_NAMES_MAX or any(len(line) > NAME_MAX for line in alternates):
        errors.setdefault("alternate_names", []).append(PfifError.FIELD_TOO_LONG.value)
    sex = fields.get("sex", "")
    if sex and sex not in SEX_VALUES:
        errors.setdefault("sex", []).append(PfifError.SEX_INVALID.value)
    year, month, day = _birth_parse(fields.get("date_of_birth", ""), errors)
    _age_check(fields.get("age", ""), errors)
    city = clean_name(fields.get("home_city", ""))
    if len(city) > NAME_MAX:
        errors.setdefault("home_city", []).append(PfifError.FIELD_TOO_LONG.value)
    if errors:
        return None
    region, location_note = _location_of(fields)
    return PersonInput(
        given_name=given,
        family_name=family,
        sex=mapping.SEX_FROM_PFIF.get(sex, "U"),
        birth_year=year,
        birth_month=month,
        birth_day=day,
        other_names=tuple(
            NameInput(kind=PersonName.Kind.OTHER, given_name="", family_name=line) for line in alternates
        ),
        region=region,
        city=city,
        location_note=location_note,
    )


def note_record_check(fields: dict[str, str], errors: dict[str, list[str]], *, now: datetime) -> None:
    _required_check(fields, NOTE_REQUIRED, errors)
    _lengths_check(fields, errors)
    for name in ("note_record_id", "person_record_id", "linked_person_record_id"):
        _id_check(fields, name, errors)
    if not fields.get("person_record_id"):
        errors.setdefault("person_record_id", []).append(PfifError.FIELD_REQUIRED.value)
    _time_check(fields, "entry_date", errors)
    source_date = _time_check(fields, "source_date", errors)
    if source_date is not None and source_date > now + CLOCK_SKEW_ALLOWANCE:
        errors.setdefault("source_date", []).append(PfifError.DATE_IN_FUTURE.value)
    status = fields.get("status", "")
    if status and status not in STATUS_VALUES:
        errors.setdefault("status", []).append(PfifError.STATUS_INVALID.value)
    if fields.get("author_made_contact", "") not in ("", "true", "false"):
        errors.setdefault("author_made_contact", []).append(PfifError.BOOLEAN_INVALID.value)
    if len(fields.get("author_name", "")) > NAME_MAX:
        errors.setdefault("author_name", []).append(PfifError.FIELD_TOO_LONG.value)


# --- deciding -------------------------------------------------------------------------------------


def _existing(model, record_ids: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for chunk in _chunks(record_ids):
        found.update(model.objects.filter(record_id__in=chunk).values_list("record_id", "person_id"))
    return found


def _own_persons(pks: list[int]) -> set[int]:
    found: set[int] = set()
    for chunk in _chunks(pks):
        found.update(Person.objects.filter(pk__in=chunk).values_list("pk", flat=True))
    return found


def _plan(document: Document, *, now: datetime) -> _Plan:
    plan = _Plan()
    person_ids = [record.fields.get("person_record_id", "") for record in document.persons]
    imported = _existing(PfifPerson, [value for value in person_ids if value])
    own_pks = {value: mapping.own_person_pk(value) for value in person_ids if value}
    own_present = _own_persons([pk for pk in own_pks.values() if pk])
    seen: set[str] = set()
    for record in document.persons:
        errors = {name: list(codes) for name, codes in record.problems.items()}
        record_id = record.fields.get("person_record_id", "")
        person = person_record_check(record.fields, errors, now=now)
        if record_id in seen:
            errors.setdefault("person_record_id", []).append(PfifError.RECORD_ID_REPEATED.value)
        elif record_id in imported and not errors:
            plan.person_of[record_id] = imported[record_id]
            plan.persons_skipped += 1
            seen.add(record_id)
            continue
        elif mapping.in_own_domain(record_id) and not errors:
            pk = own_pks.get(record_id)
            if pk in own_present:
                plan.person_of[record_id] = pk
                plan.persons_skipped += 1
                seen.add(record_id)
                continue
            errors.setdefault("person_record_id", []).append(PfifError.OWN_RECORD_UNKNOWN.value)
        seen.add(record_id)
        if errors or person is None:
            plan.rejected.append((PfifRejected.Kind.PERSON, record, errors))
            if record_id:
                plan.rejected_person_ids.add(record_id)
            continue
        plan.new_persons.append((record, person))
        plan.person_of[record_id] = None

    # Persons the notes name that the file does not hold: imported before, or ours.
    named = {record.fields.get("person_record_id", "") for record in document.notes} - set(plan.person_of)
    named.discard("")
    plan.person_of.update(_existing(PfifPerson, sorted(named)))
    own_named = {value: mapping.own_person_pk(value) for value in named - set(plan.person_of)}
    own_named_present = _own_persons([pk for pk in own_named.values() if pk])
    plan.person_of.update({value: pk for value, pk in own_named.items() if pk in own_named_present})

    notes_done = set(
        _existing(PfifNote, [r.fields["note_record_id"] for r in document.notes if r.fields.get("note_record_id")])
    )
    seen_notes: set[str] = set()
    for record in document.notes:
        errors = {name: list(codes) for name, codes in record.problems.items()}
        note_record_check(record.fields, errors, now=now)
        record_id = record.fields.get("note_record_id", "")
        person_record_id = record.fields.get("person_record_id", "")
        if record_id in seen_notes:
            errors.setdefault("note_record_id", []).append(PfifError.RECORD_ID_REPEATED.value)
        elif record_id in notes_done and not errors:
            plan.notes_skipped += 1
            seen_notes.add(record_id)
            continue
        seen_notes.add(record_id)
        if not errors and person_record_id not in plan.person_of:
            code = (
                PfifError.NOTE_PERSON_REJECTED
                if person_record_id in plan.rejected_person_ids
                else PfifError.NOTE_PERSON_UNKNOWN
            )
            errors.setdefault("person_record_id", []).append(code.value)
        if errors:
            plan.rejected.append((PfifRejected.Kind.NOTE, record, errors))
            continue
        plan.new_notes.append(record)
    return plan


# --- writing --------------------------------------------------------------------------------------


def _persons_write(*, actor, origin: Origin, batch: PfifBatch, plan: _Plan, now: datetime) -> None:
    rules = list(RiskRule.objects.filter(is_active=True))
    rows = []
    for chunk in _chunks(plan.new_persons, INSERT_CHUNK):
        persons = persons_insert(
            actor=actor,
            origin=origin,
            people=[person for _record, person in chunk],
            household=None,
            registration=None,
            consent_given_at=None,
            occurred_at=now,
            source=StatusEvent.Source.IMPORT,
            rules=rules,
        )
        for (record, _input), person in zip(chunk, persons, strict=True):
            record_id = record.fields["person_record_id"]
            plan.person_of[record_id] = person.pk
            received, contacts = _split(record.fields, mapping.PERSON_CONTACT_FIELDS)
            rows.append(
                PfifPerson(
                    record_id=record_id,
                    person_id=person.pk,
                    batch=batch,
                    received=received,
                    contacts=contacts,
                    person_version=person.version,
                    received_at=now,
                )
            )
    instances_insert(rows)


def _notes_write(*, actor, origin: Origin, batch: PfifBatch, plan: _Plan, now: datetime) -> list[PfifNote]:
    """The notes, and the timeline entries of those with a status, in bulk; then each affected
    person's status and timeline facts derived again."""
    affected = sorted({plan.person_of[record.fields["person_record_id"]] for record in plan.new_notes})
    persons: dict[int, Person] = {}
    for chunk in _chunks(affected):
        # Locked in id order: a concurrent import or timeline entry waits, never deadlocks.
        persons.update((p.pk, p) for p in Person.objects.select_for_update().filter(pk__in=chunk).order_by("pk"))
    state_before = {pk: person_state_before(person) for pk, person in persons.items()}
    events, notes = [], []
    for record in plan.new_notes:
        fields = record.fields
        person_id = plan.person_of[fields["person_record_id"]]
        kind = mapping.KIND_OF_STATUS.get(fields.get("status", ""))
        event = None
        if kind is not None:
            # Every entry of one import is recorded at one moment: each keeps the person as
            # they stood before the import (what the sitrep "as of" an earlier moment reads).
            event = StatusEvent(
                person_id=person_id,
                kind=kind,
                occurred_at=mapping.pfif_time_parse(fields["source_date"]),
                recorded_at=now,
                recorded_by=actor if actor is not None and actor.is_authenticated else None,
                source=StatusEvent.Source.IMPORT,
                place_note=clean_name(fields.get("last_known_location", ""))[:300],
                note=fields.get("text", "").strip(),
                data={"pfif_note": fields["note_record_id"]},
                person_before=state_before[person_id],
            )
            events.append(event)
        received, contacts = _split(fields, mapping.NOTE_CONTACT_FIELDS)
        notes.append(
            PfifNote(
                record_id=fields["note_record_id"],
                person_id=person_id,
                batch=batch,
                received=received,
                contacts=contacts,
                linked_record_id=fields.get("linked_person_record_id", ""),
                status_event=event,
                received_at=now,
            )
        )
    instances_insert(events)
    for note in notes:
        if note.status_event is not None:
            note.status_event_id = note.status_event.pk
    instances_insert(notes)
    if events:
        audit_record_many(
            actor=actor,
            origin=origin,
            action=AuditEvent.Action.STATUS_EVENT_ADDED,
            targets=events,
            person_id_of=lambda event: event.person_id,
            changes={"source": "pfif"},
        )
    _timelines_rederive(sorted({event.person_id for event in events}))
    return notes


def _timelines_rederive(person_ids: list[int]) -> None:
    """Each person's current status and timeline facts, derived again from their whole timeline
    (`derive_timeline_facts`, the registry's one implementation) and written with one
    `executemany`: `bulk_update`'s CASE per column cost more than everything else of an import."""
    names = TIMELINE_FACT_FIELDS  # the status, its moment, the crossings and the last contact
    columns = [Person._meta.get_field(name) for name in names]
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(column.column)} = %s" for column in columns)
    sql = f"UPDATE {quote(Person._meta.db_table)} SET {assignments} WHERE {quote('id')} = %s"  # noqa: S608 - names are the model's
    for chunk in _chunks(person_ids):
        timelines: dict[int, list[StatusEvent]] = defaultdict(list)
        for event in StatusEvent.objects.filter(person_id__in=chunk).only(
            "id", "person_id", "kind", "occurred_at", "source", "corrects_id"
        ):
            timelines[event.person_id].append(event)
        rows = []
        for person in Person.objects.filter(pk__in=chunk).only("id", "created_at"):
            derive_timeline_facts(timelines[person.pk]).apply_to(person)
            values = [column.get_db_prep_save(getattr(person, column.attname), connection) for column in columns]
            rows.append([*values, person.pk])
        with connection.cursor() as cursor:
            cursor.executemany(sql, rows)


def _links_queue(*, plan: _Plan, notes: list[PfifNote], new_record_ids: list[str], now: datetime) -> int:
    """Pairs for a reviewer from the links of this file's notes, and from links received
    before to persons this file brought. Returns how many pairs were queued."""
    wanted: dict[tuple[int, int], dict] = {}
    links = [(note.person_id, note.linked_record_id, note.record_id) for note in notes if note.linked_record_id]
    for chunk in _chunks(new_record_ids):
        links += PfifNote.objects.filter(linked_record_id__in=chunk).values_list(
            "person_id", "linked_record_id", "record_id"
        )
    unresolved = sorted({linked for _person, linked, _note in links if linked not in plan.person_of})
    plan.person_of.update(_existing(PfifPerson, unresolved))
    own = {value: mapping.own_person_pk(value) for value in unresolved if value not in plan.person_of}
    present = _own_persons([pk for pk in own.values() if pk])
    plan.person_of.update({value: pk for value, pk in own.items() if pk in present})
    record_of = {pk: value for value, pk in plan.person_of.items() if pk is not None}
    for person_id, linked, note_id in links:
        other = plan.person_of.get(linked)
        if other is None or other == person_id:
            continue
        a, b = sorted((person_id, other))
        wanted.setdefault(
            (a, b),
            {
                "field": "pfif_link",
                "level": "linked_person_record_id",
                "bayes_factor": None,
                "a": record_of.get(a, mapping.person_record_id_local(a)),
                "b": record_of.get(b, mapping.person_record_id_local(b)),
                "note": note_id,
            },
        )
    if not wanted:
        return 0
    existing = set()
    for chunk in _chunks(sorted({a for a, _b in wanted})):
        existing.update(DuplicatePair.objects.filter(person_a_id__in=chunk).values_list("person_a_id", "person_b_id"))
    pairs = [
        DuplicatePair(
            person_a_id=a,
            person_b_id=b,
            match_weight=LINK_MATCH_WEIGHT,
            match_probability=LINK_MATCH_PROBABILITY,
            evidence=[evidence],
            source=PairSource.PFIF,
            found_at=now,
            updated_at=now,
        )
        for (a, b), evidence in sorted(wanted.items())
        if (a, b) not in existing
    ]
    DuplicatePair.objects.bulk_create(pairs)
    return len(pairs)


def _rejected_rows(batch: PfifBatch, plan: _Plan) -> list[PfifRejected]:
    rows = []
    for kind, record, errors in sorted(plan.rejected, key=lambda item: item[1].position):
        contact_fields = (
            mapping.PERSON_CONTACT_FIELDS if kind == PfifRejected.Kind.PERSON else mapping.NOTE_CONTACT_FIELDS
        )
        received, contacts = _split(record.fields, contact_fields)
        id_field = "person_record_id" if kind == PfifRejected.Kind.PERSON else "note_record_id"
        rows.append(
            PfifRejected(
                batch=batch,
                kind=kind,
                position=record.position,
                record_id=record.fields.get(id_field, "")[: PfifRejected._meta.get_field("record_id").max_length],
                received={name: _cut(value, _LONG_FIELDS.get(name, FIELD_MAX)) for name, value in received.items()},
                contacts=contacts[:TEXT_MAX],
                errors=errors,
            )
        )
    return rows


def _require(actor) -> None:
    if not has_permission(actor, Permission.PFIF_EXCHANGE):
        raise PermissionDenied


def pfif_import(*, actor, origin: Origin, file_name: str, content: bytes) -> PfifImportResult:
    """Import the persons and notes of a PFIF 1.4 file in one transaction. A file refused as a
    whole raises `PfifRefused` and writes nothing but the refusal's audit row."""
    _require(actor)
    sha256 = hashlib.sha256(content).hexdigest()
    try:
        document = document_parse(
            content, max_bytes=settings.PFIF_IMPORT_MAX_BYTES, max_records=settings.PFIF_IMPORT_MAX_RECORDS
        )
        if not document.persons and not document.notes:
            raise PfifRefused(PfifError.NO_RECORDS)
    except PfifRefused as refused:
        audit_record(
            actor=actor,
            origin=origin,
            action=PFIF_IMPORT_REFUSED,
            changes={"file": sha256[:12], "bytes": len(content), "reason": refused.code.value},
        )
        raise
    now = timezone.now()
    with transaction.atomic():
        plan = _plan(document, now=now)
        batch = PfifBatch.objects.create(
            file_name=safe_file_name(file_name, "xml", fallback="pfif", length=120),
            sha256=sha256,
            imported_by=actor if actor is not None and actor.is_authenticated else None,
            imported_at=now,
            persons_total=len(document.persons),
            persons_imported=len(plan.new_persons),
            persons_skipped=plan.persons_skipped,
            persons_rejected=sum(1 for kind, _r, _e in plan.rejected if kind == PfifRejected.Kind.PERSON),
            notes_total=len(document.notes),
            notes_imported=len(plan.new_notes),
            notes_skipped=plan.notes_skipped,
            notes_rejected=sum(1 for kind, _r, _e in plan.rejected if kind == PfifRejected.Kind.NOTE),
        )
        _persons_write(actor=actor, origin=origin, batch=batch, plan=plan, now=now)
        notes = _notes_write(actor=actor, origin=origin, batch=batch, plan=plan, now=now)
        new_record_ids = [record.fields["person_record_id"] for record, _person in plan.new_persons]
        batch.links_queued = _links_queue(plan=plan, notes=notes, new_record_ids=new_record_ids, now=now)
        if batch.links_queued:
            PfifBatch.objects.filter(pk=batch.pk).update(links_queued=batch.links_queued)
        rejected = _rejected_rows(batch, plan)
        PfifRejected.objects.bulk_create(rejected)
        audit_record(
            actor=actor,
            origin=origin,
            action=PFIF_IMPORTED,
            target=batch,
            changes={
                "file": sha256[:12],
                "persons": [batch.persons_imported, batch.persons_skipped, batch.persons_rejected],
                "notes": [batch.notes_imported, batch.notes_skipped, batch.notes_rejected],
                "links_queued": batch.links_queued,
            },
        )
    return PfifImportResult(
        batch=batch,
        first_rejected=tuple(
            RejectedPreview(kind=row.kind, position=row.position, record_id=row.record_id, errors=row.errors)
            for row in rejected[:FIRST_REJECTED]
        ),
    )
