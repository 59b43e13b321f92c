"""Registry error codes and their messages. Tests import these constants."""

from enum import StrEnum

from django.utils.translation import gettext_lazy as _

from crisisdesk.common.errors import CodedValidationError


class RegistryError(StrEnum):
    VERSION_CONFLICT = "version_conflict"
    CORRECTION_OTHER_PERSON = "correction_other_person"
    CORRECTION_NEEDS_TARGET = "correction_needs_target"
    CROSSING_NEEDS_PLACE = "crossing_needs_place"
    CROSSING_POINT_UNKNOWN = "crossing_point_unknown"
    EVENT_IN_FUTURE = "event_in_future"
    BIRTH_DATE_INVALID = "birth_date_invalid"
    BIRTH_DATE_IN_FUTURE = "birth_date_in_future"
    BIRTH_DATE_PARTIAL = "birth_date_partial"
    BIRTH_YEAR_TOO_EARLY = "birth_year_too_early"
    PHONE_INVALID = "phone_invalid"
    NAME_EMPTY = "name_empty"
    REGION_UNKNOWN = "region_unknown"
    COUNTRY_UNKNOWN = "country_unknown"
    CONSENT_REQUIRED = "consent_required"
    REPORTER_REQUIRED = "reporter_required"
    NO_PEOPLE = "no_people"
    TOO_MANY_PEOPLE = "too_many_people"


MESSAGES = {
    RegistryError.VERSION_CONFLICT: _(
        "Someone else changed this record while you were editing it. Reload and apply your change again."
    ),
    RegistryError.CORRECTION_OTHER_PERSON: _("A correction must point at an event of the same person."),
    RegistryError.CORRECTION_NEEDS_TARGET: _("Choose the event this entry marks as entered in error."),
    RegistryError.CROSSING_NEEDS_PLACE: _("Say where the person crossed: a crossing point or a place."),
    RegistryError.CROSSING_POINT_UNKNOWN: _("Unknown crossing point."),
    RegistryError.EVENT_IN_FUTURE: _("This time is in the future."),
    RegistryError.BIRTH_DATE_INVALID: _("This date does not exist. Check the day and the month."),
    RegistryError.BIRTH_DATE_IN_FUTURE: _("A date of birth cannot be in the future."),
    RegistryError.BIRTH_DATE_PARTIAL: _("Give the year with the month, and the month with the day."),
    RegistryError.BIRTH_YEAR_TOO_EARLY: _("Check the year of birth."),
    RegistryError.PHONE_INVALID: _(
        "This is not a valid phone number. Include the country code, for example +380 or +972."
    ),
    RegistryError.NAME_EMPTY: _("Enter a name."),
    RegistryError.REGION_UNKNOWN: _("Choose a region from the list."),
    RegistryError.COUNTRY_UNKNOWN: _("Unknown country code."),
    RegistryError.CONSENT_REQUIRED: _("We can only register you with your consent."),
    RegistryError.REPORTER_REQUIRED: _("Tell us your name so that we can reach you about this person."),
    RegistryError.NO_PEOPLE: _("Register at least one person."),
    RegistryError.TOO_MANY_PEOPLE: _("One form can register at most 15 people. Send another form for the rest."),
}


class RegistryValidationError(CodedValidationError):
    messages = MESSAGES
