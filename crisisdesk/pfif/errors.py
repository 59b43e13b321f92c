"""PFIF error codes and their messages. Tests import these constants.

A file refused as a whole raises `PfifRefused` (nothing is written). A record that cannot be
imported is kept, with the codes of what is wrong with it per field, as a `PfifRejected` row.
"""

from enum import StrEnum

from django.utils.translation import gettext_lazy as _


class PfifError(StrEnum):
    # the file as a whole
    FILE_TOO_LARGE = "file_too_large"
    FILE_EMPTY = "file_empty"
    XML_MALFORMED = "xml_malformed"
    XML_DTD = "xml_dtd"
    XML_ENTITIES = "xml_entities"
    NOT_PFIF = "not_pfif"
    VERSION_UNSUPPORTED = "version_unsupported"
    TOO_MANY_RECORDS = "too_many_records"
    NO_RECORDS = "no_records"
    SINCE_INVALID = "since_invalid"
    # a field of a record
    FIELD_UNKNOWN = "field_unknown"
    FIELD_NOT_TEXT = "field_not_text"
    FIELD_REPEATED = "field_repeated"
    FIELD_REQUIRED = "field_required"
    FIELD_TOO_LONG = "field_too_long"
    RECORD_ID_INVALID = "record_id_invalid"
    RECORD_ID_REPEATED = "record_id_repeated"
    OWN_RECORD_UNKNOWN = "own_record_unknown"
    DATE_INVALID = "date_invalid"
    DATE_IN_FUTURE = "date_in_future"
    RECORD_EXPIRED = "record_expired"
    SEX_INVALID = "sex_invalid"
    BIRTH_DATE_INVALID = "birth_date_invalid"
    AGE_INVALID = "age_invalid"
    NAME_EMPTY = "name_empty"
    STATUS_INVALID = "status_invalid"
    BOOLEAN_INVALID = "boolean_invalid"
    NOTE_PERSON_MISMATCH = "note_person_mismatch"
    NOTE_PERSON_UNKNOWN = "note_person_unknown"
    NOTE_PERSON_REJECTED = "note_person_rejected"


MESSAGES = {
    PfifError.FILE_TOO_LARGE: _("The file is too large to import."),
    PfifError.FILE_EMPTY: _("The file is empty."),
    PfifError.XML_MALFORMED: _("The file is not well-formed XML."),
    PfifError.XML_DTD: _(
        "The file has a document type declaration (DTD). PFIF files have none, and we refuse them: "
        "they can expand entities or fetch other files."
    ),
    PfifError.XML_ENTITIES: _("The file declares entities or refers to external ones, which we refuse."),
    PfifError.NOT_PFIF: _("The file is not a PFIF document: its root must be pfif in the PFIF 1.4 namespace."),
    PfifError.VERSION_UNSUPPORTED: _("The file is in an older version of PFIF. Only PFIF 1.4 is imported."),
    PfifError.TOO_MANY_RECORDS: _("The file has more records than one import takes. Split it."),
    PfifError.NO_RECORDS: _("The file has no person or note records."),
    PfifError.SINCE_INVALID: _("Give the date as YYYY-MM-DD or YYYY-MM-DDThh:mm:ssZ."),
    PfifError.FIELD_UNKNOWN: _("PFIF 1.4 has no such field in this record."),
    PfifError.FIELD_NOT_TEXT: _("This field holds other elements instead of text."),
    PfifError.FIELD_REPEATED: _("This field is given more than once."),
    PfifError.FIELD_REQUIRED: _("PFIF 1.4 requires this field."),
    PfifError.FIELD_TOO_LONG: _("This field is longer than we keep."),
    PfifError.RECORD_ID_INVALID: _("A record id has the form domain/local-id."),
    PfifError.RECORD_ID_REPEATED: _("The file has another record with this id."),
    PfifError.OWN_RECORD_UNKNOWN: _("The id is in this registry's own domain, but the registry has no such record."),
    PfifError.DATE_INVALID: _("A PFIF date is UTC, written YYYY-MM-DDThh:mm:ssZ."),
    PfifError.DATE_IN_FUTURE: _("This time is in the future."),
    PfifError.RECORD_EXPIRED: _("The record has expired (its expiry_date has passed)."),
    PfifError.SEX_INVALID: _("sex is female, male or other."),
    PfifError.BIRTH_DATE_INVALID: _("date_of_birth is YYYY, YYYY-MM or YYYY-MM-DD, a real date, not in the future."),
    PfifError.AGE_INVALID: _("age is a number of years or a range such as 30-40."),
    PfifError.NAME_EMPTY: _("The record has no name."),
    PfifError.STATUS_INVALID: _(
        "status is one of information_sought, is_note_author, believed_alive, believed_missing, believed_dead."
    ),
    PfifError.BOOLEAN_INVALID: _("The value is true or false."),
    PfifError.NOTE_PERSON_MISMATCH: _("The note names another person than the one it is nested in."),
    PfifError.NOTE_PERSON_UNKNOWN: _("The note is about a person who is neither in the file nor in the registry."),
    PfifError.NOTE_PERSON_REJECTED: _("The note's person was rejected, so the note is kept with it."),
}


def pfif_message(code: str) -> str:
    try:
        return str(MESSAGES[PfifError(code)])
    except ValueError:
        return code


class PfifRefused(Exception):
    """The whole file was refused; nothing was written."""

    def __init__(self, code: PfifError, *, details: dict | None = None):
        super().__init__(code.value)
        self.code = code
        self.details = details or {}

    @property
    def message(self) -> str:
        return str(MESSAGES[self.code])
