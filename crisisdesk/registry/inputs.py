"""Validated input for registry writes, independent of where it came from (form, API, demo).

Forms and API schemas validate at the edge and build these; services trust their shape
but still run model validation before writing.
"""

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
