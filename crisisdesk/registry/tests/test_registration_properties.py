"""Properties of the public form under arbitrary input: whatever Unicode a registrant
types, the page answers with the form or a redirect, never a server error, and what is
stored carries no invisible or control characters."""

import unicodedata
import uuid

import pytest
from django.core.cache import cache
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from crisisdesk.registry.errors import RegistryValidationError
from crisisdesk.registry.models import Person, PersonName, Registration
from crisisdesk.registry.validation import validate_birth_date

pytestmark = pytest.mark.django_db

PROPERTY_SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

# Characters that make text display as something other than what it is.
BIDI_AND_INVISIBLE = (
    "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c\u200b\u200c\u200d\u2060\ufeff\u00ad"
)
TRICKY = st.sampled_from(
    [
        *BIDI_AND_INVISIBLE,
        "\x00",
        "\x07",
        "\x1b",
        "\t",
        "\n",
        "\r",
        "\x85",
        "\u2028",
        "\ufdfa",  # NFKC: 18 characters
        "\u0958",  # NFC: 2 characters
        "\U0001f600",
        "\U00020000",
        "א",
        "ש",
        "ё",
        "й",
        "ł",
        " ",
        "<",
        "&",
        "'",
    ]
)
# Arbitrary Unicode, biased towards the characters above, from empty to very long. Only what
# UTF-8 can carry: a browser cannot post a lone surrogate, and the test client cannot encode one.
ANY_TEXT = st.one_of(
    st.text(max_size=50),
    st.text(alphabet=st.one_of(st.characters(codec="utf-8"), TRICKY), max_size=260),
    st.builds(lambda char, count: char * count, TRICKY, st.integers(min_value=1, max_value=1200)),
)


@pytest.fixture(autouse=True)
def no_rate_limit(settings):
    """Hundreds of POSTs from one address: the limiter is not what these tests are about."""
    settings.CRISISDESK_PUBLIC_RATE_LIMIT = 0
    cache.clear()


def _is_forbidden(char: str) -> bool:
    return unicodedata.category(char) in {"Cf", "Cc", "Cs"} or char in BIDI_AND_INVISIBLE


FIELDS = ("given_name", "family_name", "other_names", "city", "location_note")
TYPED = st.fixed_dictionaries(dict.fromkeys(FIELDS, ANY_TEXT))


def _typed(**fields) -> dict:
    """An explicit example: ordinary values except the fields given."""
    return {"given_name": "Olena", "family_name": "Koval", "other_names": "", "city": "", "location_note": ""} | fields


def _post(client, typed: dict):
    key = str(uuid.uuid4())
    data = {
        "submission_key": key,
        "person-TOTAL_FORMS": "1",
        "person-INITIAL_FORMS": "0",
        "person-MIN_NUM_FORMS": "1",
        "person-MAX_NUM_FORMS": "15",
        "person-0-relationship": "self",
        "person-0-given_name": typed["given_name"],
        "person-0-family_name": typed["family_name"],
        "person-0-other_names": typed["other_names"],
        "person-0-sex": "F",
        "region": "UA-46",
        "city": typed["city"],
        "location_note": typed["location_note"],
        "intent": "leave",
        "consent": "on",
    }
    return client.post("/register/", data), key


@PROPERTY_SETTINGS
@given(typed=TYPED)
@example(typed=_typed(given_name="\ufdfa" * 200, family_name="\ufdfa" * 200))  # folds to 7,201 letters
@example(typed=_typed(other_names="x" * 999))  # one line longer than a stored name
@example(typed=_typed(other_names="\ufdfa" * 200))
@example(typed=_typed(city="\u0958" * 100, location_note="\u0958" * 500))  # NFC doubles their length
@example(
    typed=_typed(
        given_name="\u202eanelO\u202c",
        family_name="Ko\u200bval",
        other_names="\u2067Олена Коваль\u2069",
        city="L\x07viv",
        location_note="\u200b",
    )
)
def test_any_text_gives_a_form_or_a_redirect_never_an_error(client, typed):
    """Any Unicode in names, other spellings, city and place: 200 (form with errors) or 302
    (registered); when registered, no stored name contains a format or control character."""
    response, key = _post(client, typed)

    assert response.status_code in {200, 302}
    if response.status_code == 302:
        registration = Registration.objects.get(submission_key=key)
        person = Person.objects.get(registration=registration)
        stored = [person.given_name, person.family_name, person.city, person.location_note]
        stored += [
            text for name in PersonName.objects.filter(person=person) for text in (name.given_name, name.family_name)
        ]
        for text in stored:
            assert not any(_is_forbidden(char) for char in text), repr(text)
        assert person.given_name or person.family_name


WIDE = st.one_of(st.none(), st.integers(min_value=-(10**12), max_value=10**12))


@PROPERTY_SETTINGS
@given(year=WIDE, month=WIDE, day=WIDE)
@example(year=2022, month=2, day=30)
@example(year=10**12, month=13, day=32)
@example(year=0, month=0, day=0)
@example(year=None, month=5, day=None)
def test_validate_birth_date_only_raises_its_own_error(year, month, day):
    """Whatever integers a client sends, the birth-date check answers with a registry error
    (shown next to the field), never an OverflowError, ValueError or the like."""
    try:
        validate_birth_date(year, month, day)
    except RegistryValidationError as error:
        assert error.field in {"birth_year", "birth_month", "birth_day"}
