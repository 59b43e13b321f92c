"""Factories for registry tests. Persons are made through the services, so every test
record has its timeline, flags and audit rows exactly as real ones do."""

import uuid

import factory

from crisisdesk.common.origin import SYSTEM
from crisisdesk.registry.inputs import ContactInput, DocumentInput, NameInput, PersonInput, RegistrationInput
from crisisdesk.registry.models import Channel, Person
from crisisdesk.registry.services import person_create, registration_submit


class PersonInputFactory(factory.Factory):
    class Meta:
        model = PersonInput

    given_name = factory.Faker("first_name", locale="uk_UA")
    family_name = factory.Faker("last_name", locale="uk_UA")
    sex = "F"
    birth_year = 1985
    birth_month = 6
    birth_day = 15
    citizenships = ("IL",)
    region = "UA-46"
    city = "Lviv"
    intent = "leave"
    other_names = factory.LazyAttribute(
        lambda o: (NameInput(kind="passport", given_name="Olena", family_name="Koval"),)
    )
    contacts = (ContactInput(kind="phone", value="+380501234567"),)
    documents = (DocumentInput(kind="passport", number="P1234567", issuing_country="IL"),)


def registration_input(people: int = 1, **overrides) -> RegistrationInput:
    values = {
        "people": tuple(PersonInputFactory() for _ in range(people)),
        "submission_key": str(uuid.uuid4()),
        "language": "en",
        "consent_given": True,
    }
    values.update(overrides)
    return RegistrationInput(**values)


def person_registered(*, actor=None, **fields) -> Person:
    """A person as staff would create them; `fields` override PersonInputFactory."""
    return person_create(actor=actor, origin=SYSTEM, data=PersonInputFactory(**fields), channel=Channel.STAFF)


def household_registered(people: int = 3, **overrides):
    return registration_submit(origin=SYSTEM, data=registration_input(people=people, **overrides))
