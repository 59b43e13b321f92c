"""Reading the public household form quickly, for the submissions that need no help.

Django's forms (`forms.RegistrationForm` and `forms.PersonFormSet`) validate the public
form and render its errors next to the fields, in the registrant's language. They are
also the largest cost of a registration: about 1.9 ms for a household of two, more than
everything else the request does (docs/benchmarks.md). In a surge nearly every
submission is well-formed, so `registration_input_from_post` reads the POST directly,
with the same field rules and the same checks from `validation`, and returns the same
`RegistrationInput` the forms would build.

It is a shortcut, not a second judge. Whatever it does not accept outright (an error, an
unusual but maybe valid value, a field it does not read) makes it return None, and the
view then runs the forms, which decide and explain. A property test holds it to this:
whenever it returns an input, the forms accept the same POST and build an equal one
(registry/tests/test_registration_post.py).
"""

import re
import uuid
from datetime import date

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.http import QueryDict
from django.utils import timezone
from django_countries import countries

from crisisdesk.registry.errors import RegistryValidationError
from crisisdesk.registry.forms import COMMON_CITIZENSHIPS, NAME_MAX_LENGTH
from crisisdesk.registry.inputs import (
    ContactInput,
    DocumentInput,
    NameInput,
    PersonInput,
    RegistrationInput,
    ReporterInput,
)
from crisisdesk.registry.models import (
    ContactPoint,
    IdentityDocument,
    Intent,
    PersonName,
    Relationship,
    Sex,
    Vulnerability,
)
from crisisdesk.registry.services import MAX_PEOPLE_PER_REGISTRATION
from crisisdesk.registry.validation import normalize_phone, region_codes, validate_birth_date
from namebridge import clean_name

PREFIX = "person"
_CANONICAL_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_MONTHS = frozenset(str(n) for n in range(1, 13))
_RELATIONSHIPS = frozenset(Relationship.values)
_SEXES = frozenset(Sex.values)
_INTENTS = frozenset(Intent.values)
_DOCUMENT_KINDS = frozenset(IdentityDocument.Kind.values)
_MESSENGERS = frozenset(ContactPoint.Messenger.values)
_VULNERABILITIES = frozenset(Vulnerability.Kind.values)
# Plain values, equal to the enum members the forms use: a member costs a lookup each time.
_PASSPORT, _OTHER_NAME = PersonName.Kind.PASSPORT.value, PersonName.Kind.OTHER.value
_PHONE, _EMAIL, _MESSENGER = (
    ContactPoint.Kind.PHONE.value,
    ContactPoint.Kind.EMAIL.value,
    ContactPoint.Kind.MESSENGER.value,
)
_OTHER_MESSENGER, _OTHER_DOCUMENT = ContactPoint.Messenger.OTHER.value, IdentityDocument.Kind.OTHER.value


class _Declined(Exception):
    """This submission is for the forms to judge."""


# The POST as a plain dict of lists, read once: QueryDict.get costs a microsecond a field.
Fields = dict[str, list[str]]


def _one(post: Fields, key: str) -> str | None:
    """What QueryDict.get gives: the last value sent under `key`."""
    values = post.get(key)
    return values[-1] if values else None


def _text(post: Fields, key: str, max_length: int) -> str:
    """A CharField: stripped, at most `max_length`, no NUL."""
    value = (_one(post, key) or "").strip()
    if len(value) > max_length or "\x00" in value:
        raise _Declined
    return value


def _name(post: Fields, key: str, max_length: int = NAME_MAX_LENGTH) -> str:
    """A NameField: stripped, then cleaned of invisible characters; the length is the cleaned one's."""
    value = _one(post, key)
    if not value:
        return ""
    value = clean_name(value.strip())
    if len(value) > max_length:
        raise _Declined
    return value


def _choice(post: Fields, key: str, allowed, *, required: bool) -> str:
    value = _one(post, key) or ""
    if value == "" and not required:
        return ""
    if value not in allowed:
        raise _Declined
    return value


def _choices(post: Fields, key: str, allowed) -> list[str]:
    values = post.get(key, [])
    if not all(value in allowed for value in values):
        raise _Declined
    return values


def _number(post: Fields, key: str, *, low: int, high: int) -> int | None:
    value = _one(post, key) or ""
    if value == "":
        return None
    if not (value.isascii() and value.isdigit() and len(value) <= 4) or not low <= int(value) <= high:
        raise _Declined
    return int(value)


def _checkbox(post: Fields, key: str) -> bool:
    if key not in post:
        return False
    if _one(post, key) != "on":
        raise _Declined
    return True


def _management_number(post: Fields, key: str, *, required: bool) -> int | None:
    value = _one(post, f"{PREFIX}-{key}")
    if value is None or value == "":
        if required:
            raise _Declined
        return None
    if not (value.isascii() and value.isdigit() and len(value) <= 4):
        raise _Declined
    return int(value)


PERSON_FIELDS = (
    "relationship",
    "given_name",
    "family_name",
    "passport_given_name",
    "passport_family_name",
    "other_names",
    "birth_year",
    "birth_month",
    "birth_day",
    "sex",
    "citizenships_common",
    "citizenships_other",
    "document_kind",
    "document_number",
    "document_country",
    "phone",
    "email",
    "messenger",
    "messenger_handle",
    "vulnerabilities",
    "needs_note",
)
_PERSON_KEYS = tuple(
    {name: f"{PREFIX}-{index}-{name}" for name in PERSON_FIELDS} for index in range(MAX_PEOPLE_PER_REGISTRATION)
)


def _person(
    post: Fields, index: int, *, region: str, city: str, location_note: str, intent: str, today: date
) -> PersonInput:
    key = _PERSON_KEYS[index].__getitem__

    relationship = _choice(post, key("relationship"), _RELATIONSHIPS, required=True)
    given_name, family_name = _name(post, key("given_name")), _name(post, key("family_name"))
    if not given_name and not family_name:
        # The forms skip an untouched extra block and reject an empty first one: theirs to say.
        raise _Declined
    passport_given, passport_family = _name(post, key("passport_given_name")), _name(post, key("passport_family_name"))
    other_names_text = _text(post, key("other_names"), 1000)
    birth_year = _number(post, key("birth_year"), low=1, high=9999)
    month_text = _one(post, key("birth_month")) or ""
    if month_text and month_text not in _MONTHS:
        raise _Declined
    birth_month = int(month_text) if month_text else None
    birth_day = _number(post, key("birth_day"), low=1, high=31)
    sex = _choice(post, key("sex"), _SEXES, required=True)
    citizenships = _choices(post, key("citizenships_common"), COMMON_CITIZENSHIPS) + _choices(
        post, key("citizenships_other"), countries
    )
    document_kind = _choice(post, key("document_kind"), _DOCUMENT_KINDS, required=False)
    document_number = _text(post, key("document_number"), 40)
    document_country = _choice(post, key("document_country"), countries, required=False)
    phone = _text(post, key("phone"), 40)
    email = _text(post, key("email"), 254)
    messenger = _choice(post, key("messenger"), _MESSENGERS, required=False)
    messenger_handle = _text(post, key("messenger_handle"), 100)
    vulnerabilities = _choices(post, key("vulnerabilities"), _VULNERABILITIES)
    needs_note = _text(post, key("needs_note"), 2000)
    try:
        validate_birth_date(birth_year, birth_month, birth_day, today=today)
        phone = normalize_phone(phone) if phone else ""
        if email:
            validate_email(email)
    except (RegistryValidationError, ValidationError):
        raise _Declined from None

    other_names = []
    if passport_given or passport_family:
        other_names.append(NameInput(kind=_PASSPORT, given_name=passport_given, family_name=passport_family))
    for raw_line in other_names_text.splitlines():
        line = clean_name(raw_line)
        if len(line) > NAME_MAX_LENGTH:
            raise _Declined
        if line:
            given, _space, family = line.rpartition(" ")
            other_names.append(NameInput(kind=_OTHER_NAME, given_name=given, family_name=family))
    contacts = []
    if phone:
        contacts.append(ContactInput(kind=_PHONE, value=phone))
    if email:
        contacts.append(ContactInput(kind=_EMAIL, value=email.lower()))
    if messenger_handle:
        contacts.append(
            ContactInput(
                kind=_MESSENGER,
                value=messenger_handle,
                messenger=messenger or _OTHER_MESSENGER,
            )
        )
    documents = ()
    if document_number:
        documents = (
            DocumentInput(
                kind=document_kind or _OTHER_DOCUMENT,
                number=document_number,
                issuing_country=document_country,
            ),
        )
    return PersonInput(
        given_name=given_name,
        family_name=family_name,
        sex=sex,
        birth_year=birth_year,
        birth_month=birth_month,
        birth_day=birth_day,
        relationship=relationship,
        other_names=tuple(other_names),
        citizenships=tuple(dict.fromkeys(citizenships)),
        documents=documents,
        contacts=tuple(contacts),
        vulnerabilities=tuple(vulnerabilities),
        needs_note=needs_note,
        region=region,
        city=city,
        location_note=location_note,
        intent=intent,
    )


def _registration(post: Fields, *, language: str) -> RegistrationInput:
    submission_key = (_one(post, "submission_key") or "").strip()
    if not _CANONICAL_UUID.fullmatch(submission_key):
        raise _Declined
    total = _management_number(post, "TOTAL_FORMS", required=True)
    if _management_number(post, "INITIAL_FORMS", required=True) != 0 or not 1 <= total <= MAX_PEOPLE_PER_REGISTRATION:
        raise _Declined
    _management_number(post, "MIN_NUM_FORMS", required=False)
    _management_number(post, "MAX_NUM_FORMS", required=False)

    region = _choice(post, "region", region_codes(settings.CRISISDESK_CRISIS_COUNTRY), required=False)
    city = _name(post, "city")
    location_note = _name(post, "location_note", 500)
    intent = _choice(post, "intent", _INTENTS, required=True)
    for_someone_else = _checkbox(post, "for_someone_else")
    reporter_name = _name(post, "reporter_name")
    reporter_contact = _text(post, "reporter_contact", 200)
    reporter_relationship = _name(post, "reporter_relationship", 100)
    if not _checkbox(post, "consent") or (for_someone_else and not reporter_name):
        raise _Declined
    today = timezone.localdate()
    people = tuple(
        _person(post, index, region=region, city=city, location_note=location_note, intent=intent, today=today)
        for index in range(total)
    )
    return RegistrationInput(
        people=people,
        submission_key=str(uuid.UUID(submission_key)),
        language=language,
        consent_given=True,
        reporter=ReporterInput(name=reporter_name, contact=reporter_contact, relationship=reporter_relationship)
        if for_someone_else
        else None,
    )


def registration_input_from_post(post: QueryDict, *, language: str) -> RegistrationInput | None:
    """The public form's POST as the input the forms would build, or None when the forms
    must judge it (see the module docstring)."""
    try:
        return _registration(dict(post.lists()), language=language)
    except _Declined:
        return None
