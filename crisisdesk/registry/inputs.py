"""Validated input for registry writes, independent of where it came from (form, API, demo).

Forms and API schemas validate at the edge and build these; services trust their shape
but still run model validation before writing.
"""

import json
from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True, slots=True)
class NameInput:
    kind: str
    given_name: str
    family_name: str


@dataclass(frozen=True, slots=True)
class DocumentInput:
    kind: str
    number: str
    issuing_country: str = ""


@dataclass(frozen=True, slots=True)
class ContactInput:
    kind: str
    value: str
    messenger: str = ""


@dataclass(frozen=True, slots=True)
class PersonInput:
    given_name: str
    family_name: str
    sex: str
    birth_year: int | None = None
    birth_month: int | None = None
    birth_day: int | None = None
    relationship: str = "self"
    other_names: tuple[NameInput, ...] = ()
    citizenships: tuple[str, ...] = ()
    documents: tuple[DocumentInput, ...] = ()
    contacts: tuple[ContactInput, ...] = ()
    vulnerabilities: tuple[str, ...] = ()
    needs_note: str = ""
    region: str = ""
    city: str = ""
    location_note: str = ""
    intent: str = "unknown"


@dataclass(frozen=True, slots=True)
class ImportSource:
    """Where an imported person came from: the import batch, the file's row, and the row's
    key (`imports.person_import_key`), which the registry holds once."""

    batch_id: int
    row: int
    key: str


@dataclass(frozen=True, slots=True)
class ReporterInput:
    """Someone registering another person, e.g. a relative they cannot reach."""

    name: str
    contact: str = ""
    relationship: str = ""


@dataclass(frozen=True, slots=True)
class RegistrationInput:
    people: tuple[PersonInput, ...]
    submission_key: str
    language: str = ""
    consent_given: bool = False
    reporter: ReporterInput | None = None
    submitted_at: datetime | None = None
    extra: dict = field(default_factory=dict)


# A received public registration waits for the worker as JSON (encrypted by the column).
# People are lists in the order of `fields`, which the payload carries, so that a worker of
# a later release still reads what an earlier one received; lists rather than objects keep
# the row small, and the row is written while registrants wait.
PEOPLE_PAYLOAD_VERSION = 1
_NESTED = {"other_names": NameInput, "documents": DocumentInput, "contacts": ContactInput}
_PERSON_FIELDS = PersonInput.__slots__


def _person_to_json(person: PersonInput) -> list:
    values = [getattr(person, name) for name in _PERSON_FIELDS]
    for position, name in enumerate(_PERSON_FIELDS):
        if name in _NESTED:
            values[position] = [[getattr(item, slot) for slot in item.__slots__] for item in values[position]]
    return values


def _person_from_json(fields: list[str], values: list) -> PersonInput:
    data = dict(zip(fields, values, strict=True))
    for name, kind in _NESTED.items():
        data[name] = tuple(kind(*item) for item in data[name])
    data["citizenships"] = tuple(data["citizenships"])
    data["vulnerabilities"] = tuple(data["vulnerabilities"])
    return PersonInput(**data)


def people_payload_dumps(*, people: tuple[PersonInput, ...], consent_given: bool, ip_address: str | None) -> str:
    """The part of a registration that the registry's own columns do not hold yet."""
    return json.dumps(
        {
            "version": PEOPLE_PAYLOAD_VERSION,
            "consent_given": consent_given,
            "ip_address": ip_address,
            "fields": _PERSON_FIELDS,
            "people": [_person_to_json(person) for person in people],
        },
        ensure_ascii=False,
        separators=(",", ":"),
    )


@dataclass(frozen=True, slots=True)
class PeoplePayload:
    people: tuple[PersonInput, ...]
    consent_given: bool
    ip_address: str | None


def people_payload_loads(text: str) -> PeoplePayload:
    data = json.loads(text)
    if data.get("version") != PEOPLE_PAYLOAD_VERSION:
        raise ValueError(f"unknown people payload version {data.get('version')!r}")
    return PeoplePayload(
        people=tuple(_person_from_json(data["fields"], person) for person in data["people"]),
        consent_given=bool(data["consent_given"]),
        ip_address=data["ip_address"],
    )
