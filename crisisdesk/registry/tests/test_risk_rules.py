"""Risk rules: the conscription-risk rule created by the migration, partial birth dates,
explanations, and recomputation when a rule or a person changes."""

import pytest
from django.utils import translation

from crisisdesk.common.models import AuditEvent
from crisisdesk.common.origin import SYSTEM
from crisisdesk.registry.models import RiskFlag, RiskRule
from crisisdesk.registry.risk import explain_reason
from crisisdesk.registry.services import person_update, risk_rule_save
from crisisdesk.registry.tests.factories import person_registered

pytestmark = pytest.mark.django_db

RULE = "conscription-risk"


def _flag(person):
    return RiskFlag.objects.filter(person=person, rule__code=RULE).first()


def _man(**fields):
    values = {"sex": "M", "citizenships": ("IL", "UA"), "birth_year": 1980, "birth_month": 6, "birth_day": 15}
    values.update(fields)
    return person_registered(**values)


def test_migration_creates_the_conscription_rule():
    """The data migration creates the scenario's rule from the crisis settings."""
    rule = RiskRule.objects.get(code=RULE)

    assert (rule.citizenship, rule.sex, rule.age_min, rule.age_max) == ("UA", "M", 16, 60)
    assert rule.age_on.isoformat() == "2022-02-24"
    assert rule.is_active


def test_ukrainian_citizen_man_born_1980_is_flagged_with_reasons():
    """A dual IL/UA man aged 41 on the crisis date matches every condition, each a reason."""
    person = _man()

    flag = _flag(person)

    assert flag is not None
    assert flag.reasons == [
        {"condition": "citizenship", "country": "UA"},
        {"condition": "sex", "sex": "M"},
        {"condition": "age", "on": "2022-02-24", "low": 41, "high": 41, "min": 16, "max": 60},
    ]


@pytest.mark.parametrize(
    "fields",
    [
        pytest.param({"sex": "F"}, id="woman"),
        pytest.param({"citizenships": ("IL",)}, id="israeli-only-man"),
        pytest.param({"birth_year": 1960, "birth_month": 6, "birth_day": 15}, id="aged-61"),
        pytest.param({"birth_year": None, "birth_month": None, "birth_day": None}, id="no-birth-year"),
    ],
)
def test_people_outside_the_rule_are_not_flagged(fields):
    """Every condition must hold: sex, citizenship and an age inside the window."""
    assert _flag(_man(**fields)) is None


@pytest.mark.parametrize(
    ("born", "flagged"),
    [
        pytest.param((2006, 2, 24), True, id="16-on-the-day"),
        pytest.param((2006, 2, 25), False, id="15-turning-16-the-next-day"),
        pytest.param((1961, 2, 25), True, id="60-turning-61-the-next-day"),
        pytest.param((1961, 2, 24), False, id="61-on-the-day"),
    ],
)
def test_age_window_boundaries_are_inclusive(born, flagged):
    """16 and 60 on 2022-02-24 are inside the window; 15 and 61 are not."""
    year, month, day = born

    person = _man(birth_year=year, birth_month=month, birth_day=day)

    assert (_flag(person) is not None) is flagged


@pytest.mark.parametrize(
    ("year", "month", "ages"),
    [
        pytest.param(1961, None, (60, 61), id="1961-may-be-60"),
        pytest.param(2006, None, (15, 16), id="2006-may-be-16"),
        pytest.param(1961, 2, (60, 61), id="feb-1961-may-be-60"),
    ],
)
def test_partial_birth_date_overlapping_the_window_is_flagged_as_may(year, month, ages):
    """A year-only (or year-and-month) birth is an age range; overlapping the window flags it."""
    person = _man(birth_year=year, birth_month=month, birth_day=None)

    flag = _flag(person)

    assert flag is not None
    age = next(reason for reason in flag.reasons if reason["condition"] == "age")
    assert (age["low"], age["high"]) == ages
    with translation.override("en"):
        assert "may fall inside the window 16–60" in explain_reason(age)


@pytest.mark.parametrize("year", [1950, 2007])
def test_partial_birth_date_wholly_outside_the_window_is_not_flagged(year):
    """Born in 1950 (71–72) or 2007 (14–15): no age in the range is inside 16–60."""
    assert _flag(_man(birth_year=year, birth_month=None, birth_day=None)) is None


@pytest.mark.parametrize(
    ("reason", "sentence"),
    [
        ({"condition": "citizenship", "country": "UA"}, "Holds citizenship of Ukraine."),
        ({"condition": "sex", "sex": "M"}, "Sex recorded as male."),
        (
            {"condition": "age", "on": "2022-02-24", "low": 41, "high": 41, "min": 16, "max": 60},
            "Aged 41 on Feb. 24, 2022, inside the window 16–60.",
        ),
        (
            {"condition": "age", "on": "2022-02-24", "low": 60, "high": 61, "min": 16, "max": 60},
            "Aged 60–61 on Feb. 24, 2022 (the birth date is incomplete), which may fall inside the window 16–60.",
        ),
        ({"condition": "vulnerability", "kind": "medical"}, "Recorded need: Medical needs."),
        ({"condition": "something-new"}, "Unknown condition."),
    ],
)
def test_explain_reason_gives_a_sentence_for_each_reason(reason, sentence):
    """Staff see why a flag is there, one sentence per matched condition."""
    with translation.override("en"):
        assert explain_reason(reason) == sentence


def test_explain_reason_follows_the_active_language():
    """Explanations are translated like the rest of the page (no crash in any language)."""
    reason = {"condition": "age", "on": "2022-02-24", "low": 41, "high": 41, "min": 16, "max": 60}
    for language in ("he", "en", "uk", "ru"):
        with translation.override(language):
            assert "41" in explain_reason(reason)


def test_changing_the_rule_recomputes_flags(users):
    """Lowering the maximum age to 50 through the service removes flags that no longer hold."""
    # given
    aged_41 = _man(birth_year=1980)
    aged_57 = _man(birth_year=1965, birth_month=1, birth_day=1)
    assert _flag(aged_41) is not None
    assert _flag(aged_57) is not None
    rule = RiskRule.objects.get(code=RULE)
    rule.age_max = 50

    # when
    risk_rule_save(actor=users["desk_chief"], origin=SYSTEM, rule=rule)

    # then
    assert _flag(aged_41) is not None
    assert _flag(aged_41).reasons[-1]["max"] == 50
    assert _flag(aged_57) is None
    audit = AuditEvent.objects.get(action=AuditEvent.Action.RISK_RULE_CHANGED)
    assert (audit.actor, audit.target_id) == (users["desk_chief"], str(rule.pk))


def test_deactivating_the_rule_clears_its_flags():
    """An inactive rule flags nobody."""
    person = _man()
    rule = RiskRule.objects.get(code=RULE)
    rule.is_active = False

    risk_rule_save(actor=None, origin=SYSTEM, rule=rule)

    assert _flag(person) is None


def test_person_update_of_sex_recomputes_flags():
    """Correcting the recorded sex of a UA-citizen man of military age adds the flag."""
    person = _man(sex="F")
    assert _flag(person) is None

    person_update(actor=None, origin=SYSTEM, person=person, changes={"sex": "M"})

    assert _flag(person) is not None


def test_person_update_of_citizenship_recomputes_flags():
    """Removing the crisis-country citizenship removes the flag; adding it back restores it."""
    person = _man()
    assert _flag(person) is not None

    person_update(actor=None, origin=SYSTEM, person=person, changes={}, citizenships=["IL"])
    assert _flag(person) is None

    person_update(actor=None, origin=SYSTEM, person=person, changes={}, citizenships=["IL", "UA"])
    assert _flag(person) is not None


def test_person_update_of_birth_date_recomputes_flags():
    """Correcting a birth year to outside the window removes the flag."""
    person = _man()

    person_update(actor=None, origin=SYSTEM, person=person, changes={"birth_year": 1950})

    assert _flag(person) is None
