"""Public pages: the household registration form in four languages, its errors, the
private update link, and rate limiting. No account is needed for any of them."""

import base64
import html
import re
import uuid
from dataclasses import replace

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone, translation

from crisisdesk.border.models import CrossingPoint
from crisisdesk.common.models import AuditEvent
from crisisdesk.common.origin import SYSTEM
from crisisdesk.common.qr import qr_svg_data_uri
from crisisdesk.registry.errors import MESSAGES, RegistryError
from crisisdesk.registry.models import Person, Registration, StatusEvent, StatusKind
from crisisdesk.registry.selectors import registration_by_token
from crisisdesk.registry.services import registration_submit
from crisisdesk.registry.tests.factories import PersonInputFactory, registration_input

pytestmark = pytest.mark.django_db

REGISTER_URL = "/register/"


@pytest.fixture(autouse=True)
def fresh_cache():
    """The rate limiter counts in the cache; every test starts from zero."""
    cache.clear()
    yield
    cache.clear()


def registration_post(people: list[dict], **fields) -> dict:
    """POST data for the household form: `people` override each person's fields, `fields`
    override the household's; a value of None leaves the field out."""
    data = {
        "submission_key": str(uuid.uuid4()),
        "person-TOTAL_FORMS": str(len(people)),
        "person-INITIAL_FORMS": "0",
        "person-MIN_NUM_FORMS": "1",
        "person-MAX_NUM_FORMS": "15",
        "region": "UA-46",
        "city": "Lviv",
        "location_note": "",
        "intent": "leave",
        "consent": "on",
    }
    for index, overrides in enumerate(people):
        person = {
            "relationship": "self" if index == 0 else "child",
            "given_name": f"Person{index}",
            "family_name": "Koval",
            "sex": "F",
            "birth_year": "1985",
        }
        person.update(overrides)
        data.update({f"person-{index}-{name}": value for name, value in person.items()})
    data.update(fields)
    return {name: value for name, value in data.items() if value is not None}


def _field_error(page: str, field_id: str) -> str | None:
    """The error text shown next to a field (forms/field.html links it by id)."""
    match = re.search(rf'id="id_{re.escape(field_id)}_error"[^>]*>(.*?)</div>', page, re.S)
    return html.unescape(match.group(1)).strip() if match else None


# -- language and direction ------------------------------------------------------------


@pytest.mark.parametrize(("language", "direction"), [("he", "rtl"), ("en", "ltr"), ("uk", "ltr"), ("ru", "ltr")])
def test_registration_page_in_each_language(client, language, direction):
    """The form follows the browser's language; Hebrew is laid out right to left."""
    response = client.get(REGISTER_URL, HTTP_ACCEPT_LANGUAGE=language)

    assert response.status_code == 200
    page = response.content.decode()
    assert f'<html lang="{language}" dir="{direction}">' in page
    with translation.override(language):
        assert translation.gettext("Register with the embassy") in page


def test_switching_language_sets_the_cookie(client):
    """The language switcher stores the choice in a cookie, and later pages follow it."""
    response = client.post("/i18n/setlang/", {"language": "uk", "next": REGISTER_URL})

    assert response.status_code == 302
    assert response["Location"] == REGISTER_URL
    assert response.cookies["crisisdesk_language"].value == "uk"
    assert '<html lang="uk" dir="ltr">' in client.get(REGISTER_URL, HTTP_ACCEPT_LANGUAGE="he").content.decode()


# -- submitting the form ---------------------------------------------------------------


def test_household_of_three_registers_and_shows_reference_and_link(client):
    """One POST registers three people; the done page shows the reference and the private link."""
    # given
    data = registration_post(
        [
            {
                "given_name": "Олена",
                "family_name": "Коваль",
                "phone": "050 123 4567",
                "citizenships_common": ["IL", "UA"],
            },
            {"given_name": "Taras", "sex": "M", "relationship": "spouse", "birth_year": "1980"},
            {"given_name": "Mariia", "birth_year": "2015", "birth_month": "2", "birth_day": "28"},
        ]
    )

    # when
    response = client.post(REGISTER_URL, data)

    # then
    assert response.status_code == 302
    assert response["Location"] == reverse("registry:register_done")
    registration = Registration.objects.get()
    assert registration.persons.count() == 3
    assert registration.households.count() == 1
    olena = registration.persons.get(given_name="Олена")
    assert [c.value for c in olena.contacts.all()] == ["+380501234567"]  # read as a Ukrainian number
    done = client.get(response["Location"]).content.decode()
    assert f'data-testid="reference">{registration.reference_display}<' in done
    link = re.search(r'value="http://testserver(/u/[^"/]+/)"', done).group(1)
    token = link.split("/")[2]
    assert registration_by_token(token=token) == registration
    assert client.get(link).status_code == 200
    # The QR code border staff scan carries the reference, never the private link.
    qr = re.search(r'<img src="(data:image/svg\+xml;base64,[^"]+)"[^>]*data-testid="reference-qr"', done).group(1)
    assert qr == qr_svg_data_uri(registration.reference_display, box_size=6)
    assert token not in base64.b64decode(qr.split(",", 1)[1]).decode()


def test_done_page_without_a_registration_goes_back_to_the_form(client):
    """Nothing registered in this session: there is nothing to show."""
    response = client.get(reverse("registry:register_done"))

    assert response.status_code == 302
    assert response["Location"] == reverse("registry:register")


def test_double_post_creates_one_registration(client):
    """A double click or a resent form registers the household once."""
    data = registration_post([{}, {}])

    first = client.post(REGISTER_URL, data)
    second = client.post(REGISTER_URL, data)

    assert (first.status_code, second.status_code) == (302, 302)
    assert Registration.objects.count() == 1
    assert Person.objects.count() == 2


def _assert_nothing_saved():
    assert Registration.objects.count() == 0
    assert Person.objects.count() == 0


def test_impossible_date_is_shown_next_to_the_day(client):
    """30 February: the form comes back with the error at the day field, and nothing is saved."""
    data = registration_post([{}, {"birth_year": "2022", "birth_month": "2", "birth_day": "30"}])

    response = client.post(REGISTER_URL, data)

    assert response.status_code == 200
    page = response.content.decode()
    assert _field_error(page, "person-1-birth_day") == str(MESSAGES[RegistryError.BIRTH_DATE_INVALID])
    assert _field_error(page, "person-0-birth_day") is None
    assert 'data-testid="form-has-errors"' in page
    _assert_nothing_saved()


def test_future_birth_year_is_refused(client):
    """A year of birth after this year is an error at the year field."""
    next_year = str(timezone.localdate().year + 1)

    response = client.post(REGISTER_URL, registration_post([{"birth_year": next_year}]))

    assert response.status_code == 200
    assert _field_error(response.content.decode(), "person-0-birth_year") == str(
        MESSAGES[RegistryError.BIRTH_DATE_IN_FUTURE]
    )
    _assert_nothing_saved()


def test_month_without_year_is_refused(client):
    """A month needs a year."""
    response = client.post(REGISTER_URL, registration_post([{"birth_year": "", "birth_month": "5"}]))

    assert response.status_code == 200
    assert _field_error(response.content.decode(), "person-0-birth_month") == str(
        MESSAGES[RegistryError.BIRTH_DATE_PARTIAL]
    )
    _assert_nothing_saved()


def test_bad_phone_is_refused(client):
    """A phone number that cannot be a real number is an error at the phone field."""
    response = client.post(REGISTER_URL, registration_post([{"phone": "12345"}]))

    assert response.status_code == 200
    assert _field_error(response.content.decode(), "person-0-phone") == str(MESSAGES[RegistryError.PHONE_INVALID])
    _assert_nothing_saved()


def test_consent_is_required(client):
    """Without consent nothing is stored."""
    response = client.post(REGISTER_URL, registration_post([{}], consent=None))

    assert response.status_code == 200
    assert _field_error(response.content.decode(), "consent") == str(MESSAGES[RegistryError.CONSENT_REQUIRED])
    _assert_nothing_saved()


def test_registering_someone_else_requires_the_reporters_name(client):
    """Someone registering a relative must say who they are."""
    response = client.post(REGISTER_URL, registration_post([{}], for_someone_else="on"))

    assert response.status_code == 200
    assert _field_error(response.content.decode(), "reporter_name") == str(MESSAGES[RegistryError.REPORTER_REQUIRED])
    _assert_nothing_saved()


def test_registering_someone_else_with_reporter(client):
    """With the reporter's name, the registration records who reported it."""
    data = registration_post(
        [{}],
        for_someone_else="on",
        reporter_name="Ivan Koval",
        reporter_contact="+972501234567",
        reporter_relationship="son",
    )

    response = client.post(REGISTER_URL, data)

    assert response.status_code == 302
    registration = Registration.objects.get()
    assert registration.for_someone_else
    assert (registration.reporter_name, registration.reporter_contact) == ("Ivan Koval", "+972501234567")


# -- the "add another person" fragment -------------------------------------------------


def test_person_fragment_adds_the_next_block_and_counts_it(client):
    """HTMX asks for person 2 (index 1): a fieldset with prefix person-1, and TOTAL_FORMS=2 out of band."""
    response = client.get(reverse("registry:person_form_fragment"), {"index": 1})

    assert response.status_code == 200
    page = response.content.decode()
    assert '<fieldset class="card mb-3" data-testid="person-block" id="person-block-1">' in page
    assert 'name="person-1-given_name"' in page
    assert 'name="person-0-given_name"' not in page
    assert re.search(
        r'<input type="hidden" name="person-TOTAL_FORMS" value="2" id="id_person-TOTAL_FORMS" hx-swap-oob="true">', page
    )
    assert "?index=2" in page  # the next "add" button asks for the third person


@pytest.mark.parametrize("index", ["15", "-1"])
def test_person_fragment_refuses_more_than_the_maximum(client, index):
    """Fifteen people per form at most."""
    assert client.get(reverse("registry:person_form_fragment"), {"index": index}).status_code == 404


# -- the private link ------------------------------------------------------------------


@pytest.fixture
def household():
    """A registered household of three and its private link."""
    people = (
        PersonInputFactory(given_name="Olena", family_name="Koval", intent="leave"),
        PersonInputFactory(given_name="Taras", family_name="Koval", intent="leave"),
        PersonInputFactory(given_name="Mariia", family_name="Koval", intent="leave"),
    )
    result = registration_submit(origin=SYSTEM, data=replace(registration_input(), people=people))
    persons = list(result.registration.persons.order_by("id"))
    return {"url": reverse("registry:self_update", args=[result.update_token]), "persons": persons}


@pytest.fixture
def crossing_point():
    return CrossingPoint.objects.create(
        code="shehyni", name="Shehyni", name_far_side="Medyka", country_from="UA", country_to="PL"
    )


def test_private_link_shows_the_household(client, household):
    """The link shows everyone registered together, and the view is audited."""
    response = client.get(household["url"])

    assert response.status_code == 200
    page = response.content.decode()
    for name in ("Olena Koval", "Taras Koval", "Mariia Koval"):
        assert name in page
    assert AuditEvent.objects.filter(action=AuditEvent.Action.REGISTRATION_VIEWED).count() == 1


@pytest.mark.parametrize("report", ["crossed", "staying", "intent", "location"])
def test_private_link_offers_each_report(client, household, crossing_point, report):
    """Each "what changed" link opens its form, with the household's people to choose from."""
    response = client.get(household["url"], {"report": report})

    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-testid="self-update-form"' in page
    assert f'name="report" value="{report}"' in page
    for person in household["persons"]:
        assert f'value="{person.pk}"' in page


def test_reporting_crossed_adds_events_for_the_chosen_persons_only(client, household, crossing_point):
    """Two of three crossed at Shehyni: they get a "crossed" event from the person themselves."""
    # given
    olena, taras, _mariia = household["persons"]

    # when
    response = client.post(
        household["url"], {"report": "crossed", "persons": [olena.pk, taras.pk], "crossing_point": "shehyni"}
    )

    # then
    assert response.status_code == 302
    assert response["Location"] == f"{household['url']}?saved=1"
    crossed = StatusEvent.objects.filter(kind=StatusKind.CROSSED)
    assert {event.person_id for event in crossed} == {olena.pk, taras.pk}
    assert {(event.source, event.crossing_point_id) for event in crossed} == {
        (StatusEvent.Source.SELF_SERVICE, crossing_point.pk)
    }
    statuses = dict(Person.objects.values_list("given_name", "current_status"))
    assert statuses == {"Olena": "crossed", "Taras": "crossed", "Mariia": "registered"}
    assert 'data-testid="saved"' in client.get(response["Location"]).content.decode()


def test_reporting_crossed_needs_a_crossing_point(client, household, crossing_point):
    """Without saying where, the form asks again and nothing is recorded."""
    response = client.post(household["url"], {"report": "crossed", "persons": [household["persons"][0].pk]})

    assert response.status_code == 200
    assert not StatusEvent.objects.filter(kind=StatusKind.CROSSED).exists()


def test_reporting_staying_sets_intent_and_adds_staying(client, household):
    """ "I am staying" records the intent and a staying event."""
    olena = household["persons"][0]

    response = client.post(household["url"], {"report": "staying", "persons": [olena.pk]})

    assert response.status_code == 302
    olena.refresh_from_db()
    assert (olena.intent, olena.current_status) == ("stay", StatusKind.STAYING)
    kinds = list(StatusEvent.objects.filter(person=olena).order_by("id").values_list("kind", "source"))
    assert kinds == [
        (StatusKind.REGISTERED, StatusEvent.Source.PUBLIC),
        (StatusKind.INTENT_CHANGED, StatusEvent.Source.SELF_SERVICE),
        (StatusKind.STAYING, StatusEvent.Source.SELF_SERVICE),
    ]


def test_reporting_an_intent_change(client, household):
    """ "My plans changed" records intent_changed with the old and new intent."""
    taras = household["persons"][1]

    response = client.post(household["url"], {"report": "intent", "persons": [taras.pk], "intent": "undecided"})

    assert response.status_code == 302
    event = StatusEvent.objects.get(kind=StatusKind.INTENT_CHANGED)
    assert (event.person_id, event.source, event.data) == (
        taras.pk,
        StatusEvent.Source.SELF_SERVICE,
        {"from": "leave", "to": "undecided"},
    )
    update = AuditEvent.objects.get(action=AuditEvent.Action.PERSON_UPDATED)
    assert update.actor_label == "registrant (private link)"


def test_reporting_a_move(client, household):
    """ "I moved" updates the location and adds location_updated."""
    mariia = household["persons"][2]

    response = client.post(
        household["url"], {"report": "location", "persons": [mariia.pk], "region": "UA-32", "city": "Kyiv"}
    )

    assert response.status_code == 302
    mariia.refresh_from_db()
    assert (mariia.region, mariia.city) == ("UA-32", "Kyiv")
    assert StatusEvent.objects.filter(person=mariia, kind=StatusKind.LOCATION_UPDATED).exists()


def test_private_link_cannot_report_for_another_household(client, household):
    """Only the link's own people can be chosen."""
    stranger = registration_submit(origin=SYSTEM, data=registration_input()).registration.persons.get()

    response = client.post(household["url"], {"report": "staying", "persons": [stranger.pk]})

    assert response.status_code == 200
    stranger.refresh_from_db()
    assert stranger.current_status == StatusKind.REGISTERED
    assert not StatusEvent.objects.filter(kind=StatusKind.STAYING).exists()


@pytest.mark.parametrize("token", ["not-a-real-token", "x" * 80])
def test_unknown_token_is_a_clear_404(client, token):
    """A mistyped link says so, and does not hint at anything else."""
    response = client.get(reverse("registry:self_update", args=[token]))

    assert response.status_code == 404
    with translation.override("en"):
        assert translation.gettext("This link is not valid") in response.content.decode()


# -- rate limiting ---------------------------------------------------------------------


def test_rate_limit_answers_429_with_a_clear_page(client, settings):
    """Over the limit, a clear "too many requests" page, never a server error."""
    # given
    settings.CRISISDESK_PUBLIC_RATE_LIMIT = 3
    for _ in range(3):
        assert client.post(REGISTER_URL, registration_post([{}], consent=None)).status_code == 200

    # when
    response = client.post(REGISTER_URL, registration_post([{}]))

    # then
    assert response.status_code == 429
    assert 'data-testid="rate-limited"' in response.content.decode()
    assert response["Retry-After"] == str(settings.CRISISDESK_PUBLIC_RATE_WINDOW_SECONDS)
    assert Registration.objects.count() == 0
    assert client.get(REGISTER_URL).status_code == 200  # reading the form is not limited


def test_rate_limit_is_per_client_address(client, settings):
    """Another address has its own allowance."""
    settings.CRISISDESK_PUBLIC_RATE_LIMIT = 1
    client.post(REGISTER_URL, registration_post([{}], consent=None), REMOTE_ADDR="198.51.100.1")

    assert client.post(REGISTER_URL, registration_post([{}]), REMOTE_ADDR="198.51.100.1").status_code == 429
    assert client.post(REGISTER_URL, registration_post([{}]), REMOTE_ADDR="198.51.100.2").status_code == 302


def test_private_link_is_rate_limited_too(client, settings, household):
    """Guessing tokens is throttled: the link page counts reads as well as writes."""
    settings.CRISISDESK_PUBLIC_RATE_LIMIT = 2
    client.get(reverse("registry:self_update", args=["guess-1"]))
    client.get(reverse("registry:self_update", args=["guess-2"]))

    response = client.get(household["url"])

    assert response.status_code == 429
    assert 'data-testid="rate-limited"' in response.content.decode()
