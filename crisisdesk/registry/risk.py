"""Evaluating risk rules against persons, and explaining each flag.

Birth dates may be partial (year only, or year and month), so a person's age on a day
is a range. A rule's age window matches when that range overlaps it: for a safety flag,
"may be 16–60" must be flagged, and the explanation says the age is uncertain.
"""

import calendar
from dataclasses import dataclass
from datetime import date

from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django_countries import countries

from crisisdesk.registry.models import RiskRule, Sex, Vulnerability


@dataclass(frozen=True, slots=True)
class PersonFacts:
    """What a rule can look at, independent of how the person is stored."""

    sex: str
    birth_year: int | None
    birth_month: int | None
    birth_day: int | None
    citizenships: frozenset[str]
    vulnerabilities: frozenset[str]


def age_on(born: date, day: date) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def age_range_on(facts: PersonFacts, day: date) -> tuple[int, int] | None:
    """(youngest, oldest) age the person can be on `day`, or None without a birth year."""
    if facts.birth_year is None:
        return None
    year = facts.birth_year
    first_month = facts.birth_month or 1
    last_month = facts.birth_month or 12
    earliest = date(year, first_month, facts.birth_day or 1)
    latest = date(year, last_month, facts.birth_day or calendar.monthrange(year, last_month)[1])
    return age_on(latest, day), age_on(earliest, day)


def rule_reasons(rule: RiskRule, facts: PersonFacts) -> list[dict] | None:
    """The reasons `rule` matches, one per condition, or None if it does not match."""
    reasons: list[dict] = []
    if rule.citizenship:
        if rule.citizenship not in facts.citizenships:
            return None
        reasons.append({"condition": "citizenship", "country": rule.citizenship})
    if rule.sex:
        if facts.sex != rule.sex:
            return None
        reasons.append({"condition": "sex", "sex": rule.sex})
    if rule.age_min is not None or rule.age_max is not None:
        day = rule.age_on or date.today()
        ages = age_range_on(facts, day)
        if ages is None:
            return None
        low, high = ages
        window_low = rule.age_min if rule.age_min is not None else 0
        window_high = rule.age_max if rule.age_max is not None else 200
        if high < window_low or low > window_high:
            return None
        reasons.append(
            {"condition": "age", "on": day.isoformat(), "low": low, "high": high, "min": window_low, "max": window_high}
        )
    if rule.vulnerability:
        if rule.vulnerability not in facts.vulnerabilities:
            return None
        reasons.append({"condition": "vulnerability", "kind": rule.vulnerability})
    return reasons


def explain_reason(reason: dict) -> str:
    """One reason as a sentence in the active language."""
    condition = reason.get("condition")
    if condition == "citizenship":
        return _("Holds citizenship of %(country)s.") % {
            "country": countries.name(reason["country"]) or reason["country"]
        }
    if condition == "sex":
        return _("Sex recorded as %(sex)s.") % {"sex": Sex(reason["sex"]).label.lower()}
    if condition == "age":
        values = {
            "day": date_format(date.fromisoformat(reason["on"]), "DATE_FORMAT"),
            "low": reason["low"],
            "high": reason["high"],
            "min": reason["min"],
            "max": reason["max"],
        }
        if reason["low"] == reason["high"]:
            return _("Aged %(low)s on %(day)s, inside the window %(min)s–%(max)s.") % values
        return (
            _(
                "Aged %(low)s–%(high)s on %(day)s (the birth date is incomplete), which may fall inside the window %(min)s–%(max)s."
            )
            % values
        )
    if condition == "vulnerability":
        return _("Recorded need: %(need)s.") % {"need": Vulnerability.Kind(reason["kind"]).label}
    return _("Unknown condition.")


# The texts of the rule created by migration 0002, so that makemessages puts them in the
# catalogues and pages can show them translated (`|translated`). Edited rules show as written.
DEFAULT_RULE_TEXTS = (
    gettext_noop("May be stopped at exit (conscription risk)"),
    gettext_noop(
        "Men of military age who also hold the crisis country's citizenship may be "
        "stopped at the border and conscripted. Advise before they travel."
    ),
)
