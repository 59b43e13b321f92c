"""What the registry API accepts and returns.

Input schemas validate at the edge with the same field rules as the forms
(`validation.py`) and raise `RegistryValidationError`, so every rejected field reaches the
client as `{"code", "field", "message"}`; `field` is the API's own name for it
(`contacts.0.value`, not `phone`). They then build the framework-neutral inputs the
services take.

Output schemas read model instances. Other names, identity documents and contact points
are need-to-know: `PersonDetailOut` fills them only for a caller with
`Permission.PERSON_VIEW_CONTACT` and returns null otherwise, whichever endpoint returns it.
"""

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any, Literal

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import models
from ninja import Field, Schema
from pydantic import AwareDatetime, BaseModel, field_validator, model_validator

from crisisdesk.accounts.permissions import Permission, has_permission
from crisisdesk.registry.errors import RegistryError, RegistryValidationError
from crisisdesk.registry.inputs import ContactInput, DocumentInput, NameInput, PersonInput
from crisisdesk.registry.models import (
    ContactPoint,
    IdentityDocument,
    Intent,
    PersonName,
    Relationship,
    Sex,
    StatusKind,
    Vulnerability,
)
from crisisdesk.registry.risk import explain_reason
from crisisdesk.registry.selectors import PersonFilters, household_members
from crisisdesk.registry.validation import normalize_phone, validate_birth_date, validate_country, validate_region
from namebridge import clean_name

# "1985", "1985-06" or "1985-06-15": a birth date may be known only in part.
BIRTH_PATTERN = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")


def _choice(choices: type[models.TextChoices]) -> Any:
    """A Literal of the choices' values. Literals render as inline enums in OpenAPI; the
    TextChoices classes themselves would collide there, since four of them are `Kind`."""
    return Literal[tuple(choices.values)]


SexCode = _choice(Sex)
IntentCode = _choice(Intent)
RelationshipCode = _choice(Relationship)
StatusKindCode = _choice(StatusKind)
VulnerabilityKind = _choice(Vulnerability.Kind)
NameKind = _choice(PersonName.Kind)
DocumentKind = _choice(IdentityDocument.Kind)
ContactKind = _choice(ContactPoint.Kind)
MessengerCode = _choice(ContactPoint.Messenger)


@contextmanager
def _as_field(field: str) -> Iterator[None]:
    """Report a validation error under the API's name for the field."""
    try:
        yield
    except RegistryValidationError as error:
        raise RegistryValidationError(error.code, field) from error


def birth_parse(text: str | None) -> tuple[int | None, int | None, int | None]:
    """(year, month, day) of a partial birth date, validated; all None for no date."""
    if text is None or not text.strip():
        return None, None, None
    match = BIRTH_PATTERN.fullmatch(text.strip())
    if match is None:
        raise RegistryValidationError(RegistryError.BIRTH_DATE_INVALID, "birth")
    year, month, day = (int(part) if part else None for part in match.groups())
    with _as_field("birth"):
        validate_birth_date(year, month, day)
    return year, month, day


def _countries(codes: list[str], field: str) -> list[str]:
    valid = []
    for index, code in enumerate(codes):
        with _as_field(f"{field}.{index}"):
            valid.append(validate_country(code))
    return list(dict.fromkeys(valid))


def _region(code: str) -> str:
    with _as_field("region"):
        return validate_region(code.strip())


# Input


class NameIn(Schema):
    kind: NameKind
    given_name: str = Field("", max_length=200)
    family_name: str = Field("", max_length=200)


class DocumentIn(Schema):
    kind: DocumentKind
    number: str = Field(min_length=1, max_length=100)
    issuing_country: str = ""


class ContactIn(Schema):
    kind: ContactKind
    value: str = Field(min_length=1, max_length=300)
    messenger: MessengerCode | None = None


def _contacts(contacts: list[ContactIn]) -> list[ContactIn]:
    """Phone numbers are stored in E.164, so the same number entered twice matches."""
    result = []
    for index, contact in enumerate(contacts):
        value = contact.value.strip()
        if contact.kind == ContactPoint.Kind.PHONE:
            with _as_field(f"contacts.{index}.value"):
                value = normalize_phone(value)
        elif contact.kind == ContactPoint.Kind.EMAIL:
            try:
                validate_email(value)
            except ValidationError as error:
                raise ValueError(f"contacts.{index}.value is not a valid email address") from error
        result.append(contact.model_copy(update={"value": value}))
    return result


def _documents(documents: list[DocumentIn]) -> list[DocumentIn]:
    result = []
    for index, document in enumerate(documents):
        country = ""
        if document.issuing_country.strip():
            with _as_field(f"documents.{index}.issuing_country"):
                country = validate_country(document.issuing_country)
        result.append(document.model_copy(update={"issuing_country": country, "number": document.number.strip()}))
    return result


def _names_present(given_name: str | None, family_name: str | None) -> None:
    """One of the two names is enough (some people have a single name), but not none,
    once invisible characters and spacing are cleaned away (`clean_name`): a name of
    only zero-width spaces must not pass."""
    if not clean_name(given_name or "") and not clean_name(family_name or ""):
        raise RegistryValidationError(RegistryError.NAME_EMPTY, "given_name")


class PersonCreateIn(Schema):
    """A person entered over the API."""

    given_name: str = Field("", max_length=200)
    family_name: str = Field("", max_length=200)
    birth: str | None = Field(None, description="YYYY, YYYY-MM or YYYY-MM-DD", examples=["1985-06-15"])
    sex: SexCode = Sex.UNKNOWN.value
    relationship: RelationshipCode = Relationship.SELF.value
    citizenships: list[str] = Field(default_factory=list, description="ISO 3166-1 alpha-2 codes")
    other_names: list[NameIn] = Field(default_factory=list)
    documents: list[DocumentIn] = Field(default_factory=list)
    contacts: list[ContactIn] = Field(default_factory=list)
    vulnerabilities: list[VulnerabilityKind] = Field(default_factory=list)
    needs_note: str = Field("", max_length=2000)
    region: str = Field("", description="ISO 3166-2 code of a region of the crisis country")
    city: str = Field("", max_length=200)
    location_note: str = Field("", max_length=500)
    intent: IntentCode = Intent.UNKNOWN.value

    @model_validator(mode="after")
    def _names_valid(self) -> "PersonCreateIn":
        _names_present(self.given_name, self.family_name)
        return self

    @field_validator("birth")
    @classmethod
    def _birth_valid(cls, value: str | None) -> str | None:
        birth_parse(value)
        return value

    @field_validator("citizenships")
    @classmethod
    def _citizenships_valid(cls, value: list[str]) -> list[str]:
        return _countries(value, "citizenships")

    @field_validator("region")
    @classmethod
    def _region_valid(cls, value: str) -> str:
        return _region(value)

    @field_validator("contacts")
    @classmethod
    def _contacts_valid(cls, value: list[ContactIn]) -> list[ContactIn]:
        return _contacts(value)

    @field_validator("documents")
    @classmethod
    def _documents_valid(cls, value: list[DocumentIn]) -> list[DocumentIn]:
        return _documents(value)

    def to_input(self) -> PersonInput:
        birth_year, birth_month, birth_day = birth_parse(self.birth)
        return PersonInput(
            given_name=self.given_name,
            family_name=self.family_name,
            sex=self.sex,
            birth_year=birth_year,
            birth_month=birth_month,
            birth_day=birth_day,
            relationship=self.relationship,
            other_names=tuple(NameInput(n.kind, n.given_name, n.family_name) for n in self.other_names),
            citizenships=tuple(self.citizenships),
            documents=tuple(DocumentInput(d.kind, d.number, d.issuing_country) for d in self.documents),
            contacts=tuple(ContactInput(c.kind, c.value, c.messenger or "") for c in self.contacts),
            vulnerabilities=tuple(self.vulnerabilities),
            needs_note=self.needs_note,
            region=self.region,
            city=self.city,
            location_note=self.location_note,
            intent=self.intent,
        )


class PersonUpdateIn(Schema):
    """A partial change. Only the fields present are changed. `version` is the version
    the client last read; a stale one is refused with 409 `version_conflict`."""

    version: int = Field(ge=1)
    given_name: str | None = Field(None, max_length=200)
    family_name: str | None = Field(None, max_length=200)
    birth: str | None = Field(None, description="YYYY, YYYY-MM or YYYY-MM-DD; null clears it")
    sex: SexCode | None = None
    relationship: RelationshipCode | None = None
    citizenships: list[str] | None = None
    vulnerabilities: list[VulnerabilityKind] | None = None
    needs_note: str | None = Field(None, max_length=2000)
    region: str | None = None
    city: str | None = Field(None, max_length=200)
    location_note: str | None = Field(None, max_length=500)
    intent: IntentCode | None = None

    # Validators run only on fields present in the body, so these catch an explicit
    # null. Only `birth` may be null: a birth date may become unknown.
    @field_validator(
        "given_name",
        "family_name",
        "sex",
        "relationship",
        "citizenships",
        "vulnerabilities",
        "needs_note",
        "region",
        "city",
        "location_note",
        "intent",
        mode="before",
    )
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("may not be null")
        return value

    @model_validator(mode="after")
    def _names_valid(self) -> "PersonUpdateIn":
        if self.given_name is not None and self.family_name is not None:
            _names_present(self.given_name, self.family_name)
        return self

    @field_validator("birth")
    @classmethod
    def _birth_valid(cls, value: str | None) -> str | None:
        birth_parse(value)
        return value

    @field_validator("citizenships")
    @classmethod
    def _citizenships_valid(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else _countries(value, "citizenships")

    @field_validator("region")
    @classmethod
    def _region_valid(cls, value: str | None) -> str | None:
        return None if value is None else _region(value)

    def changes(self) -> dict:
        """The changed model fields, for `services.person_update(changes=...)`."""
        fields = self.model_fields_set - {"version", "birth", "citizenships", "vulnerabilities"}
        changes = {name: getattr(self, name) for name in fields}
        if "birth" in self.model_fields_set:
            changes["birth_year"], changes["birth_month"], changes["birth_day"] = birth_parse(self.birth)
        return changes


class _PersonFilterQuery(Schema):
    """The filters the list and the search share."""

    status: StatusKindCode | None = None
    region: str | None = None
    intent: IntentCode | None = None
    citizenship: str | None = Field(None, description="ISO 3166-1 alpha-2 code")
    page: int = Field(1, ge=1)

    def _shared_filters(self) -> dict:
        return {
            "status": self.status or "",
            "region": self.region or "",
            "intent": self.intent or "",
            "citizenship": self.citizenship or "",
        }


class PersonListQuery(_PersonFilterQuery):
    risk_flag: str | None = Field(None, description="code of a risk rule")
    vulnerability: VulnerabilityKind | None = None
    q: str | None = Field(None, max_length=200, description="a name, in any script, or a registration reference")

    def filters(self) -> PersonFilters:
        return PersonFilters(
            **self._shared_filters(),
            risk_flag=self.risk_flag or "",
            vulnerability=self.vulnerability or "",
            query=(self.q or "").strip(),
        )


class PersonSearchQuery(_PersonFilterQuery):
    q: str = Field(min_length=1, max_length=200, description="a name in any script and spelling, or a reference")
    birth_year: int | None = Field(None, ge=1800, le=2200, description="ranks people born that year higher")
    sex: SexCode | None = Field(None, description="ranks people of that sex higher")

    def filters(self) -> PersonFilters:
        return PersonFilters(
            **self._shared_filters(), query=self.q.strip(), birth_year=self.birth_year, sex=self.sex or ""
        )


class StatusEventIn(Schema):
    kind: StatusKindCode
    occurred_at: AwareDatetime
    crossing_point: str | None = Field(None, description="code of a crossing point")
    place_note: str = Field("", max_length=300)
    note: str = Field("", max_length=2000)
    corrects: int | None = Field(None, description="id of the event this one corrects")


# Output


def _may_see_contact(context: dict | None) -> bool:
    request = (context or {}).get("request")
    return request is not None and has_permission(request.auth, Permission.PERSON_VIEW_CONTACT)


def _reference(person) -> str | None:
    return person.registration.reference_display if person.registration_id else None


class PersonListItemOut(BaseModel):
    """A list row. A plain pydantic model fed with dicts (`row`), not a ninja Schema with
    resolvers: those wrap every row in a getter that resolves field by field, 6 ms of a page of
    50 search results at a million persons."""

    id: int
    reference: str | None
    given_name: str
    family_name: str
    birth: str | None
    sex: str
    region: str
    city: str
    intent: str
    current_status: str
    citizenships: list[str]
    vulnerabilities: list[str]
    risk_flags: list[str]

    @staticmethod
    def row(person) -> dict:
        """The row of a person loaded with the list's fields (`selectors._with_list_fields`)."""
        return {
            "id": person.pk,
            "reference": _reference(person),
            "given_name": person.given_name,
            "family_name": person.family_name,
            "birth": person.birth_display or None,
            "sex": person.sex,
            "region": person.region,
            "city": person.city,
            "intent": person.intent,
            "current_status": person.current_status,
            "citizenships": [citizenship.country for citizenship in person.citizenship_list],
            "vulnerabilities": [vulnerability.kind for vulnerability in person.vulnerability_list],
            "risk_flags": [flag.rule.code for flag in person.risk_flag_list],
        }


class PersonPageOut(Schema):
    """One page of persons, read from a Django `Page`."""

    count: int
    page: int
    pages: int
    results: list[PersonListItemOut]

    @staticmethod
    def resolve_count(page) -> int:
        return page.paginator.count

    @staticmethod
    def resolve_page(page) -> int:
        return page.number

    @staticmethod
    def resolve_pages(page) -> int:
        return page.paginator.num_pages

    @staticmethod
    def resolve_results(page) -> list[dict]:
        return [PersonListItemOut.row(person) for person in page.object_list]


class NameOut(Schema):
    kind: str
    given_name: str
    family_name: str
    script: str


class DocumentOut(Schema):
    kind: str
    issuing_country: str
    number: str


class ContactOut(Schema):
    kind: str
    messenger: str
    value: str


class RiskFlagOut(Schema):
    rule: str
    label: str
    advice: str
    reasons: list[dict]
    explanation: list[str]

    @staticmethod
    def resolve_rule(flag) -> str:
        return flag.rule.code

    @staticmethod
    def resolve_label(flag) -> str:
        return flag.rule.label

    @staticmethod
    def resolve_advice(flag) -> str:
        return flag.rule.advice

    @staticmethod
    def resolve_explanation(flag) -> list[str]:
        return [explain_reason(reason) for reason in flag.reasons]


class StatusEventOut(Schema):
    id: int
    kind: str
    occurred_at: datetime
    recorded_at: datetime
    source: str
    crossing_point: str | None
    place_note: str
    note: str
    corrects: int | None

    @staticmethod
    def resolve_crossing_point(event) -> str | None:
        return event.crossing_point.code if event.crossing_point_id else None

    @staticmethod
    def resolve_corrects(event) -> int | None:
        return event.corrects_id


class PersonSearchItemOut(PersonListItemOut):
    score: float | None = Field(None, description="0–100; null when the query was a reference code")
    explanation: str | None = Field(None, description="why the name matched")
    matched_name: str | None = Field(None, description="the spelling that matched")

    @staticmethod
    def row(person) -> dict:
        match = getattr(person, "name_match", None)
        return {
            **PersonListItemOut.row(person),
            "score": round(match.score, 1) if match else None,
            "explanation": match.explanation if match else None,
            "matched_name": match.matched_name if match else None,
        }


class PersonSearchPageOut(PersonPageOut):
    """One page of search results, best match first."""

    results: list[PersonSearchItemOut]

    @staticmethod
    def resolve_results(page) -> list[dict]:
        return [PersonSearchItemOut.row(person) for person in page.object_list]


class PersonDetailOut(Schema):
    id: int
    version: int
    reference: str | None
    given_name: str
    family_name: str
    birth: str | None
    sex: str
    relationship: str
    region: str
    city: str
    location_note: str
    intent: str
    needs_note: str
    current_status: str
    current_status_at: datetime
    created_at: datetime
    updated_at: datetime
    household: int | None
    household_members: list[int]
    citizenships: list[str]
    vulnerabilities: list[str]
    risk_flags: list[RiskFlagOut]
    timeline: list[StatusEventOut] = Field(description="newest first")
    other_names: list[NameOut] | None = Field(description="null without the permission to see contact details")
    documents: list[DocumentOut] | None = Field(description="null without the permission to see contact details")
    contacts: list[ContactOut] | None = Field(description="null without the permission to see contact details")

    @staticmethod
    def resolve_reference(person) -> str | None:
        return _reference(person)

    @staticmethod
    def resolve_birth(person) -> str | None:
        return person.birth_display or None

    @staticmethod
    def resolve_household(person) -> int | None:
        return person.household_id

    @staticmethod
    def resolve_household_members(person, context) -> list[int]:
        actor = context["request"].auth
        return [member.pk for member in household_members(actor=actor, person=person)]

    @staticmethod
    def resolve_citizenships(person) -> list[str]:
        return [citizenship.country for citizenship in person.citizenships.all()]

    @staticmethod
    def resolve_vulnerabilities(person) -> list[str]:
        return [vulnerability.kind for vulnerability in person.vulnerabilities.all()]

    @staticmethod
    def resolve_risk_flags(person) -> list:
        return list(person.risk_flags.all())

    @staticmethod
    def resolve_timeline(person) -> list:
        return sorted(person.timeline.all(), key=lambda event: (event.occurred_at, event.pk), reverse=True)

    @staticmethod
    def resolve_other_names(person, context) -> list | None:
        return list(person.other_names.all()) if _may_see_contact(context) else None

    @staticmethod
    def resolve_documents(person, context) -> list | None:
        return list(person.documents.all()) if _may_see_contact(context) else None

    @staticmethod
    def resolve_contacts(person, context) -> list | None:
        return list(person.contacts.all()) if _may_see_contact(context) else None


class IntakeSummaryOut(Schema):
    """Public registrations received but not in the registry yet. Counts only."""

    waiting: int = Field(description="Received and waiting for the worker to add them.")
    waiting_people: int
    oldest_waiting_at: datetime | None
    failed: int = Field(description="Could not be added; staff see them on the intake page and can send them again.")
