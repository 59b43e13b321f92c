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
# The version lets a worker of a later release still read what an earlier one received.
PEOPLE_PAYLOAD_VERSION = 1
_NESTED = {"other_names": NameInput, "documents": DocumentInput, "contacts": ContactInput}


def _person_to_json(person: PersonInput) -> dict:
    data = {name: getattr(person, name) for name in PersonInput.__slots__}
    for name in _NESTED:
        data[name] = [[getattr(item, slot) for slot in item.__slots__] for item in data[name]]
    return data


def _person_from_json(data: dict) -> PersonInput:
    values = dict(data)
    for name, kind in _NESTED.items():
        values[name] = tuple(kind(*item) for item in values[name])
    values["citizenships"] = tuple(values["citizenships"])
    values["vulnerabilities"] = tuple(values["vulnerabilities"])
    return PersonInput(**values)


def people_payload_dumps(*, people: tuple[PersonInput, ...], consent_given: bool, ip_address: str | None) -> str:
    """The part of a registration that the registry's own columns do not hold yet."""
    return json.dumps(
        {
            "version": PEOPLE_PAYLOAD_VERSION,
            "consent_given": consent_given,
            "ip_address": ip_address,
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
        people=tuple(_person_from_json(person) for person in data["people"]),
        consent_given=bool(data["consent_given"]),
        ip_address=data["ip_address"],
    )
