"""The registration service: a household in one transaction, idempotent, encrypted at rest."""

import hashlib
import uuid
from dataclasses import replace

import pytest
from django.db import IntegrityError, connection

from crisisdesk.common.models import AuditEvent
from crisisdesk.common.origin import SYSTEM
from crisisdesk.common.references import REFERENCE_ALPHABET, REFERENCE_LENGTH
from crisisdesk.registry.errors import RegistryError, RegistryValidationError
from crisisdesk.registry.inputs import ContactInput, DocumentInput, NameInput, ReporterInput
from crisisdesk.registry.models import (
    Channel,
    Citizenship,
    ContactPoint,
    Household,
    IdentityDocument,
    Person,
    PersonName,
    Registration,
    RiskFlag,
    StatusEvent,
    StatusKind,
    Vulnerability,
)
from crisisdesk.registry.selectors import registration_by_token
from crisisdesk.registry.services import registration_submit
from crisisdesk.registry.tests.factories import PersonInputFactory, registration_input

pytestmark = pytest.mark.django_db

ALL_REGISTRY_MODELS = (
    Registration,
    Household,
    Person,
    PersonName,
    Citizenship,
    IdentityDocument,
    ContactPoint,
    Vulnerability,
    StatusEvent,
    RiskFlag,
)


def _with_people(people, **overrides):
    """A registration input for exactly these people."""
    return replace(registration_input(**overrides), people=tuple(people))


def _three_people():
    return (
        PersonInputFactory(
            given_name="Olena",
            family_name="Koval",
            sex="F",
            citizenships=("IL", "UA"),
            vulnerabilities=("pregnancy",),
            contacts=(ContactInput(kind="phone", value="+380501112233"),),
            documents=(DocumentInput(kind="passport", number="IL7654321", issuing_country="IL"),),
        ),
        PersonInputFactory(
            given_name="Taras",
            family_name="Koval",
            sex="M",
            relationship="spouse",
            citizenships=("UA",),
            contacts=(
                ContactInput(kind="email", value="taras@example.org"),
                ContactInput(kind="messenger", value="@taras", messenger="telegram"),
            ),
            documents=(DocumentInput(kind="internal_passport", number="UA-998877", issuing_country="UA"),),
        ),
        PersonInputFactory(
            given_name="Mariia",
            family_name="Koval",
            sex="F",
            relationship="child",
            birth_year=2015,
            citizenships=("IL",),
            vulnerabilities=("medical", "unaccompanied_minor"),
            other_names=(NameInput(kind="native", given_name="Марія", family_name="Коваль"),),
            contacts=(),
            documents=(DocumentInput(kind="birth_certificate", number="BC-1", issuing_country="UA"),),
        ),
    )


def _row_counts() -> dict[str, int]:
    counts = {model.__name__: model.objects.count() for model in ALL_REGISTRY_MODELS}
    counts["AuditEvent"] = AuditEvent.objects.count()
    return counts


def test_household_of_three_creates_everything_in_one_submission():
    """A household of three is one registration, one household and three complete persons."""
    # given
    data = _with_people(_three_people())

    # when
    result = registration_submit(origin=SYSTEM, data=data)

    # then
    assert result.created is True
    assert Registration.objects.count() == 1
    assert Household.objects.count() == 1
    registration = result.registration
    household = Household.objects.get()
    assert household.registration == registration
    persons = list(Person.objects.order_by("id"))
    assert [(p.given_name, p.family_name, p.relationship) for p in persons] == [
        ("Olena", "Koval", "self"),
        ("Taras", "Koval", "spouse"),
        ("Mariia", "Koval", "child"),
    ]
    assert all(p.household == household and p.registration == registration for p in persons)
    assert all(p.consent_given_at is not None for p in persons)
    olena, taras, mariia = persons
    assert sorted(olena.citizenships.values_list("country", flat=True)) == ["IL", "UA"]
    assert list(taras.citizenships.values_list("country", flat=True)) == ["UA"]
    assert list(mariia.citizenships.values_list("country", flat=True)) == ["IL"]
    assert [(n.kind, n.given_name, n.family_name, n.script) for n in mariia.other_names.all()] == [
        ("native", "Марія", "Коваль", "cyrillic")
    ]
    assert PersonName.objects.count() == 3  # a passport spelling each for Olena and Taras, plus Mariia's
    assert [d.number for d in olena.documents.all()] == ["IL7654321"]
    assert [d.number for d in taras.documents.all()] == ["UA-998877"]
    assert [d.number for d in mariia.documents.all()] == ["BC-1"]
    assert [(c.kind, c.value) for c in olena.contacts.all()] == [("phone", "+380501112233")]
    assert sorted((c.kind, c.messenger, c.value) for c in taras.contacts.all()) == [
        ("email", "", "taras@example.org"),
        ("messenger", "telegram", "@taras"),
    ]
    assert not mariia.contacts.exists()
    assert list(olena.vulnerabilities.values_list("kind", flat=True)) == ["pregnancy"]
    assert sorted(mariia.vulnerabilities.values_list("kind", flat=True)) == ["medical", "unaccompanied_minor"]
    for person in persons:
        assert [(e.kind, e.source) for e in person.timeline.all()] == [
            (StatusKind.REGISTERED, StatusEvent.Source.PUBLIC)
        ]
        assert person.current_status == StatusKind.REGISTERED

    created_rows = AuditEvent.objects.filter(action=AuditEvent.Action.PERSON_CREATED)
    assert sorted(created_rows.values_list("person_id", flat=True)) == [p.pk for p in persons]
    assert set(created_rows.values_list("actor_label", flat=True)) == {"public registrant"}
    submitted = AuditEvent.objects.get(action=AuditEvent.Action.REGISTRATION_SUBMITTED)
    assert submitted.target_id == str(registration.pk)
    assert submitted.changes == {"people": 3}
    assert AuditEvent.objects.count() == 4


def test_one_person_registers_without_a_household():
    """A registration of one person does not create a household."""
    result = registration_submit(origin=SYSTEM, data=registration_input(people=1))

    assert Household.objects.count() == 0
    assert Person.objects.get().registration == result.registration


def test_submission_is_idempotent_on_its_key():
    """A form posted twice returns the first registration, with the same link, and adds nothing."""
    # given
    data = registration_input(people=3)
    first = registration_submit(origin=SYSTEM, data=data)
    counts = _row_counts()

    # when
    second = registration_submit(origin=SYSTEM, data=data)

    # then
    assert second.created is False
    assert second.registration.pk == first.registration.pk
    assert second.registration.reference == first.registration.reference
    assert second.update_token == first.update_token
    assert _row_counts() == counts


def test_resubmission_with_other_content_but_same_key_still_creates_nothing():
    """The key, not the content, identifies a submission: a replay never creates a second one."""
    key = str(uuid.uuid4())
    first = registration_submit(origin=SYSTEM, data=registration_input(people=1, submission_key=key))
    counts = _row_counts()

    second = registration_submit(origin=SYSTEM, data=registration_input(people=2, submission_key=key))

    assert (second.created, second.registration.pk) == (False, first.registration.pk)
    assert _row_counts() == counts


def test_failure_midway_saves_nothing():
    """A person that cannot be stored (no name at all) rolls back the registration and household too."""
    # given: the third person has only invisible characters for names
    people = (PersonInputFactory(), PersonInputFactory(), PersonInputFactory(given_name=" ", family_name="\u200b"))
    before = _row_counts()

    # when
    with pytest.raises(RegistryValidationError) as raised:
        registration_submit(origin=SYSTEM, data=_with_people(people))

    # then
    assert raised.value.code == RegistryError.NAME_EMPTY
    assert _row_counts() == before
    assert all(count == 0 for count in before.values())


def test_database_failure_after_first_inserts_saves_nothing():
    """When the database refuses a row after the registration was inserted, the registration goes too."""
    # given: a month the database's check constraint refuses (the service trusts its input's shape)
    people = (PersonInputFactory(), PersonInputFactory(birth_month=13, birth_day=None))

    # when
    with pytest.raises(IntegrityError):
        registration_submit(origin=SYSTEM, data=_with_people(people))

    # then
    assert all(count == 0 for count in _row_counts().values())


@pytest.mark.parametrize(
    ("people", "code"),
    [(0, RegistryError.NO_PEOPLE), (16, RegistryError.TOO_MANY_PEOPLE)],
)
def test_household_size_is_bounded(people, code):
    """Between 1 and 15 people per submission."""
    with pytest.raises(RegistryValidationError) as raised:
        registration_submit(origin=SYSTEM, data=registration_input(people=people))

    assert raised.value.code == code
    assert Registration.objects.count() == 0


def _raw_column(table: str, column: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table}")  # noqa: S608 - fixed identifiers from the test
        return [row[0] for row in cursor.fetchall()]


def test_contacts_and_document_numbers_are_encrypted_at_rest():
    """The database holds Fernet tokens, never the plaintext; the ORM decrypts them."""
    # given
    people = (
        PersonInputFactory(
            contacts=(
                ContactInput(kind="phone", value="+380671234567"),
                ContactInput(kind="email", value="a@example.org"),
            ),
            documents=(DocumentInput(kind="passport", number="FX123456", issuing_country="UA"),),
        ),
    )
    data = _with_people(people, reporter=ReporterInput(name="Ivan", contact="+972501234567", relationship="brother"))

    # when
    result = registration_submit(origin=SYSTEM, data=data)

    # then: raw SQL sees ciphertext only
    contacts = _raw_column(ContactPoint._meta.db_table, "value")
    numbers = _raw_column(IdentityDocument._meta.db_table, "number")
    reporter_contacts = _raw_column(Registration._meta.db_table, "reporter_contact")
    tokens = _raw_column(Registration._meta.db_table, "update_token")
    stored = [*contacts, *numbers, *reporter_contacts, *tokens]
    assert len(stored) == 5
    assert all(value.startswith("gAAAAA") for value in stored)  # Fernet version byte, base64
    for plaintext in (
        "+380671234567",
        "380671234567",
        "a@example.org",
        "FX123456",
        "+972501234567",
        result.update_token,
    ):
        assert not any(plaintext in value for value in stored)
    # and the ORM gives the plaintext back
    person = Person.objects.get()
    assert sorted(c.value for c in person.contacts.all()) == ["+380671234567", "a@example.org"]
    assert [d.number for d in person.documents.all()] == ["FX123456"]
    registration = Registration.objects.get()
    assert registration.reporter_contact == "+972501234567"
    assert registration.update_token == result.update_token


def test_bidi_and_zero_width_characters_are_stripped_from_names():
    """A name cannot carry a right-to-left override or invisible characters ("Trojan Source")."""
    # given
    people = (
        PersonInputFactory(
            given_name="\u202eanelO\u202c",
            family_name="Ko\u200bval\u2066\u2069",
            city="L\u200dviv\u200f",
            other_names=(NameInput(kind="native", given_name="\u2067Олена\u2069", family_name="\ufeffКоваль"),),
        ),
    )

    # when
    registration_submit(origin=SYSTEM, data=_with_people(people))

    # then
    person = Person.objects.get()
    assert (person.given_name, person.family_name, person.city) == ("anelO", "Koval", "Lviv")
    assert person.name_folded == "anelo koval"
    other = person.other_names.get()
    assert (other.given_name, other.family_name) == ("Олена", "Коваль")


def test_reference_code_uses_an_unambiguous_alphabet():
    """References are 8 characters without 0/O, 1/I/L or U, shown as XXXX-XXXX."""
    references = [registration_submit(origin=SYSTEM, data=registration_input()).registration for _ in range(20)]

    for registration in references:
        assert len(registration.reference) == REFERENCE_LENGTH == 8
        assert set(registration.reference) <= set(REFERENCE_ALPHABET)
        assert not set(registration.reference) & set("01OILU")
        assert registration.reference_display == f"{registration.reference[:4]}-{registration.reference[4:]}"
    assert len({r.reference for r in references}) == len(references)


def test_update_token_is_looked_up_by_its_digest():
    """The private link is found by the SHA-256 digest of its token; unknown tokens find nothing."""
    # given
    result = registration_submit(origin=SYSTEM, data=registration_input(people=2))
    token = result.update_token

    # then
    registration = Registration.objects.get()
    assert registration.update_token_digest == hashlib.sha256(token.encode()).hexdigest()
    assert registration_by_token(token=token) == registration
    assert registration_by_token(token=token + "x") is None
    assert registration_by_token(token="") is None
    assert registration_by_token(token="a" * 65) is None


def test_staff_channel_records_staff_source():
    """A registration entered by staff puts "staff" on the registered events."""
    registration_submit(origin=SYSTEM, data=registration_input(people=1), channel=Channel.STAFF)

    assert StatusEvent.objects.get().source == StatusEvent.Source.STAFF
