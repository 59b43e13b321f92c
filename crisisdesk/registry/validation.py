"""Field rules shared by the public form, the staff forms and the API."""

import calendar
import gettext
from datetime import date
from functools import cache

import phonenumbers
import pycountry
from django.conf import settings
from django.utils import timezone
from django.utils.translation import get_language
from django_countries import countries

from crisisdesk.registry.errors import RegistryError, RegistryValidationError

EARLIEST_BIRTH_YEAR = 1900


def validate_birth_date(year: int | None, month: int | None, day: int | None, *, today: date | None = None) -> None:
    """A birth date may be a year, a year and month, or a full date; never in the future
    (after `today`, by default the local date now)."""
    if (month is not None and year is None) or (day is not None and month is None):
        raise RegistryValidationError(RegistryError.BIRTH_DATE_PARTIAL, "birth_month" if year is None else "birth_day")
    if year is None:
        return
    today = today or timezone.localdate()
    if year < EARLIEST_BIRTH_YEAR:
        raise RegistryValidationError(RegistryError.BIRTH_YEAR_TOO_EARLY, "birth_year")
    if year > today.year:
        raise RegistryValidationError(RegistryError.BIRTH_DATE_IN_FUTURE, "birth_year")
    if month is None:
        return
    if not 1 <= month <= 12:
        raise RegistryValidationError(RegistryError.BIRTH_DATE_INVALID, "birth_month")
    if (year, month) > (today.year, today.month):
        raise RegistryValidationError(RegistryError.BIRTH_DATE_IN_FUTURE, "birth_month")
    if day is None:
        return
    if not 1 <= day <= calendar.monthrange(year, month)[1]:
        raise RegistryValidationError(RegistryError.BIRTH_DATE_INVALID, "birth_day")
    if date(year, month, day) > today:
        raise RegistryValidationError(RegistryError.BIRTH_DATE_IN_FUTURE, "birth_day")


def normalize_phone(raw: str, *, country: str | None = None) -> str:
    """E.164 form of a phone number. Numbers without a country code are read as numbers
    of the crisis country, where most registrants are (`country`, by default the setting's)."""
    try:
        number = phonenumbers.parse(raw, country or settings.CRISISDESK_CRISIS_COUNTRY)
    except phonenumbers.NumberParseException as exc:
        raise RegistryValidationError(RegistryError.PHONE_INVALID, "phone") from exc
    if not phonenumbers.is_valid_number(number):
        raise RegistryValidationError(RegistryError.PHONE_INVALID, "phone")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def validate_country(code: str) -> str:
    code = (code or "").strip().upper()
    if code not in countries:
        raise RegistryValidationError(RegistryError.COUNTRY_UNKNOWN, "citizenships")
    return code


@cache
def _regions_of(country: str, language: str) -> tuple[tuple[str, str], ...]:
    """Subdivision names in `language` from pycountry's own iso3166-2 catalogues;
    English where a language has no translation."""
    translation = gettext.translation("iso3166-2", pycountry.LOCALES_DIR, languages=[language], fallback=True)
    subdivisions = pycountry.subdivisions.get(country_code=country) or []
    named = ((s.code, translation.gettext(s.name)) for s in subdivisions)
    return tuple(sorted(named, key=lambda pair: pair[1]))


@cache
def region_codes(country: str) -> frozenset[str]:
    """The ISO 3166-2 codes of a country's regions, in any language."""
    return frozenset(code for code, _name in _regions_of(country, "en"))


def region_choices() -> tuple[tuple[str, str], ...]:
    """Regions (ISO 3166-2) of the crisis country in the active language, e.g. UA-46
    Lvivska oblast / Львівська область."""
    return _regions_of(settings.CRISISDESK_CRISIS_COUNTRY, (get_language() or "en").split("-")[0])


def region_name(code: str) -> str:
    return dict(region_choices()).get(code, code)


def validate_region(code: str) -> str:
    if code and code not in dict(region_choices()):
        raise RegistryValidationError(RegistryError.REGION_UNKNOWN, "region")
    return code


def region_names(country: str) -> tuple[tuple[str, str], ...]:
    """(code, name) of each region of a country in every language of the site and in English,
    for reading a region written out (an imported spreadsheet's "Львівська область")."""
    languages = dict.fromkeys(["en", *(code.split("-")[0] for code, _name in settings.LANGUAGES)])
    return tuple(pair for language in languages for pair in _regions_of(country, language))
