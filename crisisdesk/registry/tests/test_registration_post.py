"""The public form's shortcut (`registration_post`) against the forms it stands in for.

The shortcut may decline anything, but whenever it returns an input, the forms must accept
the same POST and build an equal input. And it must actually take the submissions that
people send, or it saves nothing.
"""

import uuid

import pytest
from django.http import QueryDict
from django.utils import translation
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from crisisdesk.registry.forms import PersonFormSet, RegistrationForm, registration_forms_input
from crisisdesk.registry.registration_post import PERSON_FIELDS, registration_input_from_post
from crisisdesk.registry.tests.test_registration_properties import ANY_TEXT

LANGUAGES = ("he", "en", "uk", "ru")
PROPERTY_SETTINGS = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def forms_input(pairs: list[tuple[str, str]], language: str):
    """What the forms make of a POST: the input they would register, or None."""
    post = _query_dict(pairs)
    with translation.override(language):
        form = RegistrationForm(post)
        people = PersonFormSet(post, prefix="person")
        if not (form.is_valid() and people.is_valid()):
            return None
        return registration_forms_input(form, people, language=language)


def fast_input(pairs: list[tuple[str, str]], language: str):
    with translation.override(language):
        return registration_input_from_post(_query_dict(pairs), language=language)


def _query_dict(pairs: list[tuple[str, str]]) -> QueryDict:
    post = QueryDict(mutable=True)
    for key, value in pairs:
        post.appendlist(key, value)
    post._mutable = False
    return post


# --- what people send ----------------------------------------------------------------------

NAMES = st.sampled_from(["Olena", "Коваль", "Зеленський", "שרה", "כהן", "Yosef", "Łukasz", "O'Neil", "Анна-Марія"])
REGIONS = st.sampled_from(["", "UA-46", "UA-30", "UA-51", "UA-63"])
PHONES = st.sampled_from(["", "+380 50 123 45 67", "+972 52 555 0100", "050 123 45 67", "+380501234567"])
EMAILS = st.sampled_from(["", "olena@example.org", "Olena.Koval@Example.ORG", "  sara@example.com "])
DOCUMENTS = st.sampled_from(
    [(), ("passport", "FE123456", "UA"), ("", "31234567", "IL"), ("birth_certificate", "І-ЛВ 123456", "")]
)


@st.composite
def realistic_person(draw, index: int) -> list[tuple[str, str]]:
    prefix = f"person-{index}-"
    fields = [
        ("relationship", "self" if index == 0 else draw(st.sampled_from(["spouse", "child", "parent", "other"]))),
        ("given_name", draw(NAMES)),
        ("family_name", draw(st.one_of(NAMES, st.just("")))),
        ("sex", draw(st.sampled_from(["F", "M", "X", "U"]))),
        ("birth_year", draw(st.sampled_from(["", "1950", "1985", "2010"]))),
    ]
    if draw(st.booleans()) and fields[-1][1]:
        fields += [("birth_month", str(draw(st.integers(1, 12)))), ("birth_day", str(draw(st.integers(1, 28))))]
    if draw(st.booleans()):
        fields += [("passport_given_name", "OLENA"), ("passport_family_name", "KOVAL")]
    if draw(st.booleans()):
        fields.append(("other_names", draw(st.sampled_from(["Елена Коваль", "אולנה\r\nOlena Kowal", "Kowal"]))))
    fields += [("citizenships_common", code) for code in draw(st.lists(st.sampled_from(["IL", "UA", "RU"])))]
    fields += [("citizenships_other", code) for code in draw(st.lists(st.sampled_from(["PL", "DE", "US"])))]
    document = draw(DOCUMENTS)
    if document:
        fields += [("document_kind", document[0]), ("document_number", document[1]), ("document_country", document[2])]
    fields += [("phone", draw(PHONES)), ("email", draw(EMAILS))]
    if draw(st.booleans()):
        fields += [("messenger", draw(st.sampled_from(["", "telegram", "signal"]))), ("messenger_handle", "@olena")]
    fields += [("vulnerabilities", kind) for kind in draw(st.lists(st.sampled_from(["medical", "pregnancy"])))]
    if draw(st.booleans()):
        fields.append(("needs_note", "Потрібні ліки / needs medication"))
    return [(prefix + name, value) for name, value in fields]


@st.composite
def realistic_post(draw) -> list[tuple[str, str]]:
    size = draw(st.integers(1, 5))
    pairs = [
        ("csrfmiddlewaretoken", "x" * 64),
        ("submission_key", str(uuid.UUID(int=draw(st.integers(0, 2**128 - 1))))),
        ("person-TOTAL_FORMS", str(size)),
        ("person-INITIAL_FORMS", "0"),
        ("person-MIN_NUM_FORMS", "1"),
        ("person-MAX_NUM_FORMS", "15"),
        ("region", draw(REGIONS)),
        ("city", draw(st.sampled_from(["", "Львів", "Kharkiv", "חרקוב"]))),
        ("location_note", draw(st.sampled_from(["", "Shelter in school No. 5"]))),
        ("intent", draw(st.sampled_from(["leave", "stay", "undecided"]))),
        ("consent", "on"),
    ]
    if draw(st.booleans()):
        pairs += [("for_someone_else", "on"), ("reporter_name", "Rivka Levi"), ("reporter_contact", "+972 3 555 0100")]
    for index in range(size):
        pairs += draw(realistic_person(index))
    return pairs


@PROPERTY_SETTINGS
@given(pairs=realistic_post(), language=st.sampled_from(LANGUAGES))
def test_what_people_send_takes_the_shortcut_and_registers_the_same(pairs, language):
    """A well-formed household, as the form's page sends it, is read by the shortcut, into
    exactly the input the forms would build."""
    expected = forms_input(pairs, language)
    assert expected is not None
    assert fast_input(pairs, language) == expected


# --- anything at all ---------------------------------------------------------------------

# Values that sit on the edge of a field's rules, or over it.
EDGE = st.sampled_from(
    [
        "",
        " ",
        "0",
        "00",
        "1",
        "01",
        " 12",
        "12 ",
        "12.0",
        "+3",
        "1_0",
        "٣",
        "13",
        "31",
        "32",
        "9999",
        "10000",
        "2022",
        "1899",
        "on",
        "off",
        "false",
        "true",
        "0x1",
        "self",
        "Self",
        "F",
        "f",
        "IL",
        "il",
        "ISR",
        "XX",
        "UA-46",
        "UA-99",
        "leave",
        "passport",
        "telegram",
        "medical",
        "+380 50 123 45 67",
        "+380 50",
        "a@b",
        "olena@example.org",
        "x" * 41,
        "x" * 201,
        "\x00",
    ]
)
VALUE = st.one_of(EDGE, ANY_TEXT)
HOUSEHOLD_FIELDS = [
    "submission_key",
    "person-TOTAL_FORMS",
    "person-INITIAL_FORMS",
    "person-MIN_NUM_FORMS",
    "person-MAX_NUM_FORMS",
    "region",
    "city",
    "location_note",
    "intent",
    "for_someone_else",
    "reporter_name",
    "reporter_contact",
    "reporter_relationship",
    "consent",
]
FIELD = st.one_of(
    st.sampled_from(HOUSEHOLD_FIELDS),
    st.builds(lambda index, name: f"person-{index}-{name}", st.integers(0, 3), st.sampled_from(PERSON_FIELDS)),
)


@st.composite
def mutated_post(draw) -> list[tuple[str, str]]:
    """A well-formed POST with some fields changed, repeated, added or dropped."""
    pairs = draw(realistic_post())
    for _ in range(draw(st.integers(1, 4))):
        action = draw(st.sampled_from(["replace", "append", "drop"]))
        key = draw(FIELD)
        if action == "drop":
            pairs = [pair for pair in pairs if pair[0] != key]
        elif action == "replace":
            pairs = [pair for pair in pairs if pair[0] != key] + [(key, draw(VALUE))]
        else:
            pairs.append((key, draw(VALUE)))
    return pairs


@PROPERTY_SETTINGS
@given(pairs=mutated_post(), language=st.sampled_from(LANGUAGES))
@example(pairs=[("submission_key", "not-a-uuid")], language="en")
def test_whenever_the_shortcut_accepts_the_forms_accept_the_same(pairs, language):
    """The shortcut never accepts what the forms would reject, and never reads a field
    differently: its input is the forms' input, or it declines."""
    fast = fast_input(pairs, language)
    if fast is not None:
        assert forms_input(pairs, language) == fast


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("person-0-birth_day", "30"),  # with month 2: 30 February
        ("person-0-phone", "+380 50"),
        ("person-0-email", "a@b"),
        ("person-0-relationship", "Self"),
        ("person-0-citizenships_other", "XX"),
        ("consent", ""),
        ("person-TOTAL_FORMS", "16"),
        ("region", "UA-99"),
        ("person-0-given_name", "\u200b"),
    ],
)
def test_the_shortcut_declines_what_the_forms_must_explain(field, value):
    """An impossible date, a bad phone or email, an unknown code, a missing consent, too many
    people: the shortcut leaves each to the forms, which render the error."""
    pairs = [
        ("submission_key", str(uuid.uuid4())),
        ("person-TOTAL_FORMS", "1"),
        ("person-INITIAL_FORMS", "0"),
        ("intent", "leave"),
        ("consent", "on"),
        ("person-0-relationship", "self"),
        ("person-0-given_name", "Olena"),
        ("person-0-family_name", "" if field == "person-0-given_name" else "Koval"),
        ("person-0-sex", "F"),
        ("person-0-birth_year", "1990"),
        ("person-0-birth_month", "2"),
    ]
    assert fast_input(pairs, "en") is not None
    changed = [pair for pair in pairs if pair[0] != field] + [(field, value)]

    assert fast_input(changed, "en") is None
    assert forms_input(changed, "en") is None
