"""The registry ↔ PFIF 1.4 mapping: record ids, times, a person's fields, and which timeline
entries become notes with which status (the tables in docs/subsystems/pfif.md).

What is never exported, whoever asks: contact details and document numbers (encrypted at
rest), citizenships (a dual-citizenship marker), risk flags (the military-age rule), needs,
vulnerabilities, intent, the free-text "where exactly" and the staff's notes on timeline
entries, households and registration references, and the contact fields of records received
from other repositories. Diplomatic records are in another module and never reach this one.
"""

import re
from datetime import UTC, date, datetime

from django.conf import settings

from crisisdesk.registry.models import Person, Sex, StatusEvent, StatusKind

# --- record ids --------------------------------------------------------------------------------

RECORD_ID = re.compile(r"^(?P<domain>[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?)/(?P<local>\S(?:.*\S)?)$")
_OWN_PERSON = re.compile(r"^person\.(?P<pk>[1-9][0-9]{0,18})$")


def pfif_domain() -> str:
    return settings.PFIF_DOMAIN


def record_id_valid(text: str) -> bool:
    return bool(RECORD_ID.match(text)) and "\n" not in text


def own_person_pk(record_id: str) -> int | None:
    """The registry id of a person record id in our own domain ("domain/person.17"), else None."""
    match = RECORD_ID.match(record_id)
    if match is None or match["domain"].lower() != pfif_domain().lower():
        return None
    own = _OWN_PERSON.match(match["local"])
    return int(own["pk"]) if own else None


def in_own_domain(record_id: str) -> bool:
    match = RECORD_ID.match(record_id)
    return match is not None and match["domain"].lower() == pfif_domain().lower()


def person_record_id_local(pk: int) -> str:
    return f"{pfif_domain()}/person.{pk}"


def note_record_id_local(pk: int) -> str:
    return f"{pfif_domain()}/note.{pk}"


def link_note_record_id(this_pk: int, other_pk: int) -> str:
    return f"{pfif_domain()}/link.{this_pk}.{other_pk}"


# --- times ---------------------------------------------------------------------------------------

_PFIF_TIME = re.compile(r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d+)?Z$")


def pfif_time(moment: datetime | None) -> str:
    """A PFIF date: UTC, to the second, "2026-12-04T10:30:00Z"."""
    if moment is None:
        return ""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def pfif_time_parse(text: str) -> datetime:
    """A PFIF date as an aware datetime; ValueError when it is not one."""
    match = _PFIF_TIME.match(text)
    if match is None:
        raise ValueError(text)
    return datetime(*(int(part) for part in match.groups()), tzinfo=UTC)


def since_parse(text: str) -> datetime | None:
    """An export's `since` / `min_entry_date`: a PFIF date, or a day (from its midnight UTC).
    ValueError when it is neither."""
    text = (text or "").strip()
    if not text:
        return None
    try:
        return pfif_time_parse(text)
    except ValueError:
        pass
    return datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=UTC)


# --- persons --------------------------------------------------------------------------------------

SEX_TO_PFIF = {Sex.FEMALE: "female", Sex.MALE: "male", Sex.OTHER: "other"}
SEX_FROM_PFIF = {value: key for key, value in SEX_TO_PFIF.items()}

# The fields of a person we export (besides the record id, the dates and the source fields):
# an imported person unchanged since is passed on with these as received.
PERSON_MAPPED_FIELDS = (
    "full_name",
    "given_name",
    "family_name",
    "alternate_names",
    "sex",
    "date_of_birth",
    "age",
    "home_city",
    "home_state",
    "home_country",
)
# Where the record came from: kept from the record received, ours for our own persons.
PERSON_SOURCE_FIELDS = ("expiry_date", "author_name", "source_name", "source_date", "source_url")
PERSON_CONTACT_FIELDS = ("author_email", "author_phone")
NOTE_CONTACT_FIELDS = ("author_email", "author_phone", "email_of_found_person", "phone_of_found_person")


def age_text(year: int | None, month: int | None, day: int | None, on: date) -> str:
    """The age on `on` of someone born then: "45", or "45-46" when the birth date is partial."""
    if year is None:
        return ""
    if month is None:
        low, high = on.year - year - 1, on.year - year
    elif day is None:
        low = on.year - year - (1 if on.month <= month else 0)
        high = on.year - year - (1 if on.month < month else 0)
    else:
        low = high = on.year - year - (1 if (on.month, on.day) < (month, day) else 0)
    low, high = max(low, 0), max(high, 0)
    return str(low) if low == high else f"{low}-{high}"


def alternate_names_text(other_names) -> str:
    """Other spellings, one a line (PFIF's alternate_names), in the order given."""
    return "\n".join(text for text in (str(name) for name in other_names) if text)


def person_fields(person: Person, *, other_names=()) -> dict[str, str]:
    """The PFIF person record of a registry person (no notes), with their other spellings
    (`PersonName`s, by kind then id). Reads `pfif_record`, which the caller selects."""
    record = getattr(person, "pfif_record", None)
    received = record.received if record is not None else {}
    fields = {
        "person_record_id": record.record_id if record is not None else person_record_id_local(person.pk),
        "entry_date": pfif_time(person.updated_at),
    }
    if record is not None:
        fields.update({name: received.get(name, "") for name in PERSON_SOURCE_FIELDS})
    else:
        fields.update(source_name=settings.PFIF_SOURCE_NAME, source_date=pfif_time(person.created_at))
    if record is not None and person.version == record.person_version:
        fields.update({name: received.get(name, "") for name in PERSON_MAPPED_FIELDS})
        return fields
    source_date = (
        pfif_time_parse(fields["source_date"]).date() if fields.get("source_date") else person.created_at.date()
    )
    located = bool(person.region or person.city)
    fields.update(
        full_name=person.full_name,
        given_name=person.given_name,
        family_name=person.family_name,
        alternate_names=alternate_names_text(other_names),
        sex=SEX_TO_PFIF.get(person.sex, ""),
        date_of_birth=person.birth_display,
        age=age_text(person.birth_year, person.birth_month, person.birth_day, source_date),
        home_city=person.city,
        home_state=person.region,
        home_country=settings.CRISISDESK_CRISIS_COUNTRY if located else "",
    )
    return fields


# --- notes ---------------------------------------------------------------------------------------

# Where the person stands after an entry of this kind, as a PFIF note status. Kinds not listed
# (location and intent changes, "entered in error") are not exported; neither is an entry a
# later one withdrew, nor a "registered" entry except a public self-registration's.
STATUS_OF_KIND = {
    StatusKind.CONTACTED: "believed_alive",
    StatusKind.EN_ROUTE: "believed_alive",
    StatusKind.AT_BORDER: "believed_alive",
    StatusKind.CROSSED: "believed_alive",
    StatusKind.RETURNED: "believed_alive",
    StatusKind.ARRIVED_HOME: "believed_alive",
    StatusKind.STAYING: "believed_alive",
    StatusKind.FOUND_SAFE: "believed_alive",
    StatusKind.MISSING: "believed_missing",
    StatusKind.DECEASED: "believed_dead",
}
# ... and back: the timeline entry a received note becomes (none for information_sought or no
# status: such a note is kept with the person, not put on the timeline).
KIND_OF_STATUS = {
    "believed_alive": StatusKind.FOUND_SAFE,
    "believed_missing": StatusKind.MISSING,
    "believed_dead": StatusKind.DECEASED,
    "is_note_author": StatusKind.CONTACTED,
}
# The note's text: the kind in plain words. Data of an interchange file, in English, not the
# reader's language: the same record must always be the same bytes.
NOTE_TEXT = {
    StatusKind.REGISTERED: "Registered with the crisis desk.",
    StatusKind.CONTACTED: "Contacted by the crisis desk.",
    StatusKind.EN_ROUTE: "On the way out of the crisis area.",
    StatusKind.AT_BORDER: "At the border.",
    StatusKind.CROSSED: "Crossed the border.",
    StatusKind.RETURNED: "Came back into the crisis country.",
    StatusKind.ARRIVED_HOME: "Arrived home.",
    StatusKind.STAYING: "Staying in the crisis country.",
    StatusKind.FOUND_SAFE: "Found safe.",
    StatusKind.MISSING: "Reported missing.",
    StatusKind.DECEASED: "Reported deceased.",
}
# Sources where whoever recorded the entry was in touch with the person themselves.
_CONTACT_SOURCES = frozenset({StatusEvent.Source.BORDER_DESK, StatusEvent.Source.SELF_SERVICE})
LINK_NOTE_TEXT = "The crisis desk reviewed these records and found them to be the same person."


def note_status(event: StatusEvent) -> str | None:
    """The PFIF status of an entry, or None when the entry is not exported."""
    if event.kind == StatusKind.REGISTERED:
        if event.source != StatusEvent.Source.PUBLIC:
            return None
        registration = event.person.registration
        if registration is not None and registration.for_someone_else:
            return "information_sought"
        return "is_note_author" if event.person.relationship == "self" else None
    status = STATUS_OF_KIND.get(event.kind)
    if status is None:
        return None
    if event.source == StatusEvent.Source.SELF_SERVICE:
        return "is_note_author"
    return status


def event_note(event: StatusEvent, *, person_record_id: str) -> dict[str, str] | None:
    """The PFIF note of a timeline entry, or None when it is not exported."""
    status = note_status(event)
    if status is None:
        return None
    made_contact = event.kind == StatusKind.CONTACTED or event.source in _CONTACT_SOURCES
    point = event.crossing_point
    return {
        "note_record_id": note_record_id_local(event.pk),
        "person_record_id": person_record_id,
        "entry_date": pfif_time(event.recorded_at),
        "author_name": settings.PFIF_SOURCE_NAME,
        "source_date": pfif_time(event.occurred_at),
        "author_made_contact": "true" if made_contact or status == "is_note_author" else "false",
        "status": status,
        "last_known_location": point.name if point is not None else "",
        "text": NOTE_TEXT[event.kind],
    }


def received_note(received: dict, *, person_record_id: str, received_at: datetime) -> dict[str, str]:
    """A note received from another repository, passed on: its own fields, not its contact ones."""
    note = {name: value for name, value in received.items() if name not in NOTE_CONTACT_FIELDS}
    note["person_record_id"] = person_record_id
    note["entry_date"] = pfif_time(received_at)
    return note


def link_note(*, this_pk: int, person_record_id: str, linked_record_id: str, other_pk: int, decided_at) -> dict:
    return {
        "note_record_id": link_note_record_id(this_pk, other_pk),
        "person_record_id": person_record_id,
        "linked_person_record_id": linked_record_id,
        "entry_date": pfif_time(decided_at),
        "author_name": settings.PFIF_SOURCE_NAME,
        "source_date": pfif_time(decided_at),
        "text": LINK_NOTE_TEXT,
    }
