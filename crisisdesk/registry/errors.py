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
    IMPORT_FILE_REFUSED = "import_file_refused"
    IMPORT_ALREADY = "import_already"
    IMPORT_COLUMNS_MISSING = "import_columns_missing"
    IMPORT_COLUMNS_DUPLICATE = "import_columns_duplicate"
    IMPORT_NO_ROWS = "import_no_rows"
    IMPORT_ROW_INVALID = "import_row_invalid"
    IMPORT_ROW_RESOLVED = "import_row_resolved"
    MAPPING_NAME_EMPTY = "mapping_name_empty"
    MAPPING_FIELD_UNKNOWN = "mapping_field_unknown"


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
    RegistryError.IMPORT_FILE_REFUSED: _("The file could not be imported."),
    RegistryError.IMPORT_ALREADY: _("This file has already been imported. Nothing was added."),
    RegistryError.IMPORT_COLUMNS_MISSING: _(
        "The file has no column of names: it needs a given name or a family name column (or a saved mapping that names one)."
    ),
    RegistryError.IMPORT_COLUMNS_DUPLICATE: _(
        "Two columns of the file hold the same field: keep one, or map one to nothing."
    ),
    RegistryError.IMPORT_NO_ROWS: _("The file has a header but no rows under it."),
    RegistryError.IMPORT_ROW_INVALID: _("The row still has errors."),
    RegistryError.IMPORT_ROW_RESOLVED: _("This row has already been corrected and imported."),
    RegistryError.MAPPING_NAME_EMPTY: _("Give the mapping a name."),
    RegistryError.MAPPING_FIELD_UNKNOWN: _("The mapping names a field that persons do not have."),
}


class RegistryValidationError(CodedValidationError):
    messages = MESSAGES


class ImportRefused(RegistryValidationError):
    """A person import (or a correction of one of its rows) refused as a whole, with what a
    reader needs to fix it: the missing columns, the rows' errors, the spreadsheet's own
    reason. `details` never holds a cell's content."""

    def __init__(self, code: StrEnum, field: str | None = None, details: dict | None = None):
        super().__init__(code, field)
        self.details = details or {}


class ImportFieldError(StrEnum):
    """Why one field of an imported row was refused; kept as codes on the rejected row."""

    NAME_EMPTY = "name_empty"
    TOO_LONG = "too_long"
    NOT_A_DATE = "not_a_date"
    DATE_INVALID = "date_invalid"
    DATE_IN_FUTURE = "date_in_future"
    DATE_TOO_EARLY = "date_too_early"
    SEX_UNKNOWN = "sex_unknown"
    COUNTRY_UNKNOWN = "country_unknown"
    PHONE_INVALID = "phone_invalid"
    EMAIL_INVALID = "email_invalid"
    REGION_UNKNOWN = "region_unknown"
    INTENT_UNKNOWN = "intent_unknown"


IMPORT_FIELD_MESSAGES = {
    ImportFieldError.NAME_EMPTY: _("Give a given name or a family name."),
    ImportFieldError.TOO_LONG: _("Too long."),
    ImportFieldError.NOT_A_DATE: _("Not a date: write it as 1985-06-15, 15.06.1985, 06/1985 or 1985."),
    ImportFieldError.DATE_INVALID: _("This date does not exist. Check the day and the month."),
    ImportFieldError.DATE_IN_FUTURE: _("A date of birth cannot be in the future."),
    ImportFieldError.DATE_TOO_EARLY: _("Check the year of birth."),
    ImportFieldError.SEX_UNKNOWN: _("Write M, F, X or U (or male, female, other, not stated)."),
    ImportFieldError.COUNTRY_UNKNOWN: _("Unknown country: write ISO codes such as UA or IL, separated by commas."),
    ImportFieldError.PHONE_INVALID: _(
        "This is not a valid phone number. Include the country code, for example +380 or +972."
    ),
    ImportFieldError.EMAIL_INVALID: _("This is not a valid email address."),
    ImportFieldError.REGION_UNKNOWN: _("Unknown region: write its ISO 3166-2 code, for example UA-46."),
    ImportFieldError.INTENT_UNKNOWN: _("Write leave, stay, undecided or unknown."),
}


def import_field_messages(errors: dict[str, list[str]]) -> dict[str, list[str]]:
    """A rejected row's codes as messages in the reader's language (an unknown code, from a
    later release, as itself)."""
    return {
        field: [str(IMPORT_FIELD_MESSAGES.get(code, code)) for code in codes]  # type: ignore[call-overload]
        for field, codes in errors.items()
    }
