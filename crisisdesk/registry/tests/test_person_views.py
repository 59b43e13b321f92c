"""Staff pages of the registry: who may open them, what the list filters do, what is
audited, what is hidden, and that nothing a registrant typed can run as script."""

from dataclasses import replace
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from crisisdesk.accounts.models import User
from crisisdesk.accounts.permissions import Permission
from crisisdesk.common.models import AuditEvent
from crisisdesk.common.origin import SYSTEM
from crisisdesk.common.testing.personas import ALL_PERSONAS, PERSONA_ROLES
from crisisdesk.registry import views
from crisisdesk.registry.errors import MESSAGES, RegistryError
from crisisdesk.registry.models import Person, StatusEvent, StatusKind
from crisisdesk.registry.services import person_update, registration_submit, status_event_add
from crisisdesk.registry.tests.factories import PersonInputFactory, person_registered, registration_input

pytestmark = pytest.mark.django_db

LOGIN_URL = "/staff/login/"
ALLOWED, DENIED, LOGIN = 200, 403, 302

# Expected status per view and persona, written out rather than derived from
# permissions.py, so that a change to the matrix has to change this table too.
EXPECTED_STATUS = {
    "person_list": {
        "admin": ALLOWED,
        "desk_chief": ALLOWED,
        "consul": ALLOWED,
        "border_officer": ALLOWED,
        "case_officer": ALLOWED,
        "logistics_officer": DENIED,
        "diplomat": DENIED,
        "senior_diplomat": DENIED,
        "political_director": DENIED,
        "anonymous": LOGIN,
    },
    "person_detail": {
        "admin": ALLOWED,
        "desk_chief": ALLOWED,
        "consul": ALLOWED,
        "border_officer": ALLOWED,
        "case_officer": ALLOWED,
        "logistics_officer": DENIED,
        "diplomat": DENIED,
        "senior_diplomat": DENIED,
        "political_director": DENIED,
        "anonymous": LOGIN,
    },
    "person_edit": {
        "admin": ALLOWED,
        "desk_chief": ALLOWED,
        "consul": ALLOWED,
        "border_officer": DENIED,
        "case_officer": DENIED,
        "logistics_officer": DENIED,
        "diplomat": DENIED,
        "senior_diplomat": DENIED,
        "political_director": DENIED,
        "anonymous": LOGIN,
    },
    "status_event_create": {
        "admin": ALLOWED,
        "desk_chief": ALLOWED,
        "consul": ALLOWED,
        "border_officer": ALLOWED,
        "case_officer": DENIED,
        "logistics_officer": DENIED,
        "diplomat": DENIED,
        "senior_diplomat": DENIED,
        "political_director": DENIED,
        "anonymous": LOGIN,
    },
    "household_register": {
        "admin": ALLOWED,
        "desk_chief": ALLOWED,
        "consul": ALLOWED,
        "border_officer": ALLOWED,
        "case_officer": DENIED,
        "logistics_officer": DENIED,
        "diplomat": DENIED,
        "senior_diplomat": DENIED,
        "political_director": DENIED,
        "anonymous": LOGIN,
    },
    "registration_intake": {
        "admin": ALLOWED,
        "desk_chief": ALLOWED,
        "consul": ALLOWED,
        "border_officer": ALLOWED,
        "case_officer": DENIED,
        "logistics_officer": DENIED,
        "diplomat": DENIED,
        "senior_diplomat": DENIED,
        "political_director": DENIED,
        "anonymous": LOGIN,
    },
}
REQUIRED_PERMISSION = {
    "person_list": Permission.PERSON_VIEW,
    "person_detail": Permission.PERSON_VIEW,
    "person_edit": Permission.PERSON_CHANGE,
    "status_event_create": Permission.STATUS_EVENT_ADD,
    "household_register": Permission.PERSON_CREATE,
    "registration_intake": Permission.PERSON_CREATE,
}
PERSON_URLS = {"person_detail", "person_edit", "status_event_create"}


def _url(view: str, person: Person) -> str:
    args = [person.pk] if view in PERSON_URLS else []
    return reverse(f"registry:{view}", args=args)


def test_matrix_covers_every_persona():
    """The table below names every persona, so a new role cannot slip through untested."""
    for view, row in EXPECTED_STATUS.items():
        assert set(row) == set(ALL_PERSONAS), view
    assert set(ALL_PERSONAS) == {*PERSONA_ROLES, "anonymous"}


@pytest.mark.parametrize("view", sorted(REQUIRED_PERMISSION))
def test_each_view_declares_its_permission(view):
    """Every staff view is behind staff_required with the permission the matrix assumes."""
    assert getattr(views, view).required_permission == REQUIRED_PERMISSION[view]


@pytest.mark.parametrize("persona", ALL_PERSONAS)
@pytest.mark.parametrize("view", sorted(EXPECTED_STATUS))
def test_permission_matrix(view, persona, as_persona):
    """Allowed roles get the page, other roles 403, anonymous visitors go to the login page."""
    person = person_registered()
    url = _url(view, person)

    response = as_persona(persona).get(url)

    expected = EXPECTED_STATUS[view][persona]
    assert response.status_code == expected
    if expected == LOGIN:
        assert response["Location"].startswith(f"{LOGIN_URL}?next=")
    if expected == DENIED:
        assert person.given_name not in response.content.decode()


def _register(*people, **overrides):
    data = replace(registration_input(**overrides), people=tuple(people))
    return registration_submit(origin=SYSTEM, data=data).registration


@pytest.fixture
def population():
    """Three people who differ in every filterable way."""
    anna = person_registered(
        given_name="Anna",
        family_name="Alphaeva",
        other_names=(),
        region="UA-46",
        intent="leave",
        citizenships=("IL",),
        sex="F",
        vulnerabilities=(),
    )
    boris = person_registered(
        given_name="Boris",
        family_name="Betenko",
        other_names=(),
        region="UA-32",
        intent="stay",
        citizenships=("IL", "UA"),
        sex="M",
        birth_year=1980,
        vulnerabilities=("medical",),
    )
    registration = _register(
        PersonInputFactory(
            given_name="Chava",
            family_name="Gamma",
            other_names=(),
            region="UA-46",
            intent="undecided",
            citizenships=("IL",),
            sex="F",
            vulnerabilities=("mobility",),
        )
    )
    chava = registration.persons.get()
    status_event_add(
        actor=None,
        origin=SYSTEM,
        person=chava,
        kind=StatusKind.CROSSED,
        occurred_at=timezone.now(),
        source=StatusEvent.Source.STAFF,
        place_note="Shehyni",
    )
    return {"anna": anna, "boris": boris, "chava": chava, "reference": registration.reference_display}


def _listed(client, **params) -> set[int]:
    response = client.get(reverse("registry:person_list"), params)
    assert response.status_code == 200
    return {person.pk for person in response.context["page"].object_list}


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, {"anna", "boris", "chava"}),
        ({"status": "crossed"}, {"chava"}),
        ({"status": "registered"}, {"anna", "boris"}),
        ({"region": "UA-32"}, {"boris"}),
        ({"region": "UA-46"}, {"anna", "chava"}),
        ({"intent": "stay"}, {"boris"}),
        ({"intent": "undecided"}, {"chava"}),
        ({"citizenship": "UA"}, {"boris"}),
        ({"citizenship": "IL"}, {"anna", "boris", "chava"}),
        ({"risk_flag": "conscription-risk"}, {"boris"}),
        ({"vulnerability": "medical"}, {"boris"}),
        ({"vulnerability": "mobility"}, {"chava"}),
        ({"q": "boris"}, {"boris"}),
        ({"q": "ALPHAEVA"}, {"anna"}),
        ({"q": "nobody-has-this-name"}, set()),
        ({"region": "UA-46", "intent": "leave"}, {"anna"}),
    ],
)
def test_list_filters_narrow_the_list(population, as_persona, params, expected):
    """Each filter keeps exactly the people it describes."""
    assert _listed(as_persona("consul"), **params) == {population[name].pk for name in expected}


@pytest.mark.parametrize("spelling", ["display", "compact", "lowercase"])
def test_search_by_reference_code(population, as_persona, spelling):
    """A reference code finds the registration's people, typed with or without the dash."""
    reference = population["reference"]
    query = {"display": reference, "compact": reference.replace("-", ""), "lowercase": reference.lower()}[spelling]

    assert _listed(as_persona("consul"), q=query) == {population["chava"].pk}


def test_search_finds_other_spellings(as_persona):
    """A passport spelling finds the person whose name is written in another script."""
    person = person_registered(given_name="Олена", family_name="Коваль")  # passport spelling Olena Koval

    assert _listed(as_persona("consul"), q="koval") == {person.pk}


def test_list_is_paginated_by_fifty(as_persona):
    """55 people: the first page shows 50, the second the remaining 5."""
    for _ in range(55):
        person_registered()
    client = as_persona("consul")

    first = client.get(reverse("registry:person_list"))
    second = client.get(reverse("registry:person_list"), {"page": 2})

    assert len(first.context["page"].object_list) == 50
    assert len(second.context["page"].object_list) == 5
    assert not {p.pk for p in first.context["page"].object_list} & {p.pk for p in second.context["page"].object_list}


def _populate(count: int) -> None:
    """People with everything a list row shows: citizenships, flags, needs, a reference."""
    for index in range(count):
        if index % 2:
            _register(
                PersonInputFactory(sex="M", birth_year=1980, citizenships=("IL", "UA"), vulnerabilities=("medical",))
            )
        else:
            person_registered(citizenships=("IL", "RU"), vulnerabilities=("mobility", "elderly_alone"))


def test_list_query_count_does_not_grow_with_rows(as_persona, django_assert_num_queries, django_assert_max_num_queries):
    """The same number of queries for 5 rows as for 30: no N+1."""
    # given
    client = as_persona("consul")
    url = reverse("registry:person_list")
    client.get(url)  # warm caches that only the first request fills
    _populate(5)

    # when
    with django_assert_max_num_queries(20) as five_rows:
        response = client.get(url)
    assert len(response.context["page"].object_list) == 5
    _populate(25)

    # then
    with django_assert_num_queries(len(five_rows)):
        response = client.get(url)
    assert len(response.context["page"].object_list) == 30


def test_viewing_a_person_is_audited_with_actor_and_address(users, as_persona):
    """Opening a record writes person.viewed with who and from where."""
    person = person_registered()

    as_persona("case_officer").get(_url("person_detail", person), REMOTE_ADDR="203.0.113.9")

    row = AuditEvent.objects.get(action=AuditEvent.Action.PERSON_VIEWED)
    assert (row.actor, row.actor_label) == (users["case_officer"], "case_officer")
    assert row.ip_address == "203.0.113.9"
    assert row.person_id == person.pk
    assert row.channel == AuditEvent.Channel.WEB


def test_listing_is_audited_with_the_ids_shown(users, as_persona):
    """The list writes person.listed with the ids on the page, and the query's presence only."""
    people = [person_registered(given_name=name, family_name="Shown", other_names=()) for name in ("Ada", "Bea")]
    person_registered(given_name="Cyd", family_name="Hidden", other_names=())

    as_persona("consul").get(reverse("registry:person_list"), {"q": "shown", "region": "UA-46"})

    row = AuditEvent.objects.get(action=AuditEvent.Action.PERSON_LISTED)
    assert row.actor == users["consul"]
    assert sorted(row.changes["ids"]) == sorted(p.pk for p in people)
    assert row.changes["filters"] == {"region": "UA-46", "query": "…"}
    assert "shown" not in str(row.changes).lower()


def test_contacts_are_hidden_from_border_officers(as_persona):
    """Contact details and document numbers are need-to-know: the border desk does not see them."""
    person = person_registered()  # phone +380501234567, passport P1234567

    page = as_persona("border_officer").get(_url("person_detail", person)).content.decode()

    assert "+380501234567" not in page
    assert "P1234567" not in page


def test_contacts_are_visible_to_consuls(as_persona):
    """The consular desk sees how to reach the person and their documents."""
    person = person_registered()

    page = as_persona("consul").get(_url("person_detail", person)).content.decode()

    assert "+380501234567" in page
    assert "P1234567" in page


def test_names_are_escaped_in_list_and_detail(as_persona):
    """A name with markup is shown as text, never run as script."""
    person = person_registered(given_name="<script>x</script>", family_name="<b>Bold</b>")
    client = as_persona("consul")

    for url in (reverse("registry:person_list"), _url("person_detail", person)):
        page = client.get(url).content.decode()
        assert "&lt;script&gt;x&lt;/script&gt;" in page
        assert "<script>x" not in page
        assert "<b>Bold" not in page


def _edit_data(person: Person, **changes) -> dict:
    data = {
        "version": person.version,
        "given_name": person.given_name,
        "family_name": person.family_name,
        "relationship": person.relationship,
        "birth_year": person.birth_year or "",
        "birth_month": person.birth_month or "",
        "birth_day": person.birth_day or "",
        "sex": person.sex,
        "citizenships": list(person.citizenships.values_list("country", flat=True)),
        "region": person.region,
        "city": person.city,
        "location_note": person.location_note,
        "intent": person.intent,
        "vulnerabilities": list(person.vulnerabilities.values_list("kind", flat=True)),
        "needs_note": person.needs_note,
        "phones": "\n".join(c.value for c in person.contacts.filter(kind="phone")),
        "emails": "\n".join(c.value for c in person.contacts.filter(kind="email")),
    }
    data.update(changes)
    return data


def test_edit_saves_and_redirects_to_the_person(as_persona):
    """A valid edit on the current version is saved."""
    person = person_registered(given_name="Olena", city="Lviv")

    response = as_persona("consul").post(_url("person_edit", person), _edit_data(person, city="Kyiv"))

    assert response.status_code == 302
    assert response["Location"] == _url("person_detail", person)
    person.refresh_from_db()
    assert (person.city, person.version) == ("Kyiv", 2)


def test_edit_with_stale_version_shows_the_conflict_and_changes_nothing(as_persona):
    """Someone saved in between: the form says so and the record keeps the other edit."""
    # given: the officer opened the form on version 1, then a colleague saved
    person = person_registered(given_name="Olena", city="Lviv")
    stale = _edit_data(person, given_name="Olha")
    person_update(actor=None, origin=SYSTEM, person=person, changes={"city": "Kyiv"})

    # when
    response = as_persona("consul").post(_url("person_edit", person), stale)

    # then
    assert response.status_code == 200
    assert str(MESSAGES[RegistryError.VERSION_CONFLICT]) in response.content.decode()
    person.refresh_from_db()
    assert (person.given_name, person.city, person.version) == ("Olena", "Kyiv", 2)


def _event_data(kind: str, **extra) -> dict:
    occurred = timezone.localtime(timezone.now() - timedelta(minutes=5))
    data = {"kind": kind, "occurred_at": occurred.strftime("%Y-%m-%d %H:%M"), "place_note": "", "note": ""}
    data.update(extra)
    return data


def test_adding_a_status_event_through_the_form(users, as_persona):
    """A border officer records that the person is at the border."""
    person = person_registered()

    response = as_persona("border_officer").post(_url("status_event_create", person), _event_data("at_border"))

    assert response.status_code == 302
    event = StatusEvent.objects.get(person=person, kind=StatusKind.AT_BORDER)
    assert (event.recorded_by, event.source) == (users["border_officer"], StatusEvent.Source.STAFF)
    person.refresh_from_db()
    assert person.current_status == StatusKind.AT_BORDER


def test_crossed_without_place_shows_the_error(as_persona):
    """The form says where the problem is instead of failing."""
    person = person_registered()

    response = as_persona("consul").post(_url("status_event_create", person), _event_data("crossed"))

    assert response.status_code == 200
    assert str(MESSAGES[RegistryError.CROSSING_NEEDS_PLACE]) in response.content.decode()
    assert not StatusEvent.objects.filter(person=person, kind=StatusKind.CROSSED).exists()


def test_correction_strikes_the_corrected_event(as_persona):
    """ "Entered in error" keeps the wrong entry visible, struck through, and reverts the status."""
    # given
    person = person_registered()
    client = as_persona("consul")
    client.post(_url("status_event_create", person), _event_data("missing"))
    wrong = StatusEvent.objects.get(person=person, kind=StatusKind.MISSING)

    # when
    response = client.post(_url("status_event_create", person), _event_data("entered_in_error", corrects=wrong.pk))

    # then
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.current_status == StatusKind.REGISTERED
    detail = client.get(_url("person_detail", person))
    assert detail.context["corrected_ids"] == {wrong.pk}
    assert "text-decoration-line-through" in detail.content.decode()
    assert StatusEvent.objects.filter(person=person).count() == 3


def _logged_in_without_second_factor(client, user: User):
    client.force_login(user)
    return client


def test_unverified_second_factor_goes_back_to_login(client, users):
    """A user with a device who has not typed a code this session sees no data."""
    person = person_registered()
    client = _logged_in_without_second_factor(client, users["consul"])

    for url in (reverse("registry:person_list"), _url("person_detail", person)):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(f"{LOGIN_URL}?next=")
    assert not AuditEvent.objects.filter(action__in=["person.viewed", "person.listed"]).exists()


def test_user_without_device_is_sent_to_enrolment(client):
    """A user who never set up a second factor is sent to set one up."""
    user = User.objects.create_user(username="new-consul", password="x" * 20, role="consular_officer")
    client = _logged_in_without_second_factor(client, user)

    response = client.get(reverse("registry:person_list"))

    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:otp_setup")


def test_demo_users_may_skip_the_second_factor_when_allowed(client, settings):
    """With CRISISDESK_DEMO_USERS_SKIP_OTP, a demo user gets in without a code..."""
    settings.CRISISDESK_DEMO_USERS_SKIP_OTP = True
    demo = User.objects.create_user(username="demo-consul", password="x" * 20, role="consular_officer", is_demo=True)

    response = _logged_in_without_second_factor(client, demo).get(reverse("registry:person_list"))

    assert response.status_code == 200


def test_non_demo_users_never_skip_the_second_factor(client, settings, users):
    """...but a real account still needs it."""
    settings.CRISISDESK_DEMO_USERS_SKIP_OTP = True

    response = _logged_in_without_second_factor(client, users["consul"]).get(reverse("registry:person_list"))

    assert response.status_code == 302


def test_demo_users_need_the_second_factor_by_default(client):
    """Without the setting, demo users are treated like everyone else."""
    demo = User.objects.create_user(username="demo-consul", password="x" * 20, role="consular_officer", is_demo=True)

    response = _logged_in_without_second_factor(client, demo).get(reverse("registry:person_list"))

    assert response.status_code == 302


def test_list_rows_show_citizenships_and_needs(as_persona):
    person_registered(given_name="Rivka", citizenships=("IL", "RU"), vulnerabilities=("mobility",))

    response = as_persona("consul").get(reverse("registry:person_list"))

    row = next(line for line in response.content.decode().split("<tr") if "Rivka" in line)
    assert '<span class="badge text-bg-light">IL</span>' in row
    assert '<span class="badge text-bg-light">RU</span>' in row
    assert "text-bg-warning" in row
