"""PFIF 1.4 documents as Python: parsing (through defusedxml) and writing.

Reference: the PFIF 1.4 specification (http://zesty.ca/pfif/1.4) and Google Person Finder's
`app/pfif.py`, whose field orders these are. A record is a plain dict of field name → text.
This module knows the format only, not the registry: crisisdesk/pfif/mapping.py maps records
to persons and timeline entries.

Parsing refuses, as a whole, anything that is not a well-formed PFIF 1.4 document: a file
over the size cap, any DTD (so no entity expansion, "billion laughs", external entities or
external DTDs: defusedxml's `forbid_dtd`), malformed XML, another root element or namespace,
more records than the cap. Refusals are `PfifRefused`, with a code from `PfifError`.
"""

import re
from dataclasses import dataclass, field
from xml.etree.ElementTree import ParseError

import defusedxml
from defusedxml import ElementTree

from crisisdesk.pfif.errors import PfifError, PfifRefused

NAMESPACE = "http://zesty.ca/pfif/1.4"
OTHER_VERSIONS = {f"http://zesty.ca/pfif/{version}" for version in ("1.1", "1.2", "1.3")}

# Fields of a <pfif:person> and of a <pfif:note>, in PFIF 1.4 order (what writing follows).
PERSON_FIELDS = (
    "person_record_id",
    "entry_date",
    "expiry_date",
    "author_name",
    "author_email",
    "author_phone",
    "source_name",
    "source_date",
    "source_url",
    "full_name",
    "given_name",
    "family_name",
    "alternate_names",
    "description",
    "sex",
    "date_of_birth",
    "age",
    "home_street",
    "home_neighborhood",
    "home_city",
    "home_state",
    "home_postal_code",
    "home_country",
    "photo_url",
    "profile_urls",
)
NOTE_FIELDS = (
    "note_record_id",
    "person_record_id",
    "linked_person_record_id",
    "entry_date",
    "author_name",
    "author_email",
    "author_phone",
    "source_date",
    "author_made_contact",
    "status",
    "email_of_found_person",
    "phone_of_found_person",
    "last_known_location",
    "text",
    "photo_url",
)
# Mandatory in PFIF 1.4.
PERSON_REQUIRED = ("person_record_id", "source_date", "full_name")
NOTE_REQUIRED = ("note_record_id", "author_name", "source_date")

SEX_VALUES = ("female", "male", "other")
STATUS_VALUES = ("information_sought", "is_note_author", "believed_alive", "believed_missing", "believed_dead")

# Characters XML 1.0 cannot carry at all, even escaped (https://www.w3.org/TR/xml/#charsets).
_NOT_XML = re.compile("[^\x09\x0a\x0d\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


@dataclass(slots=True)
class Record:
    """One record as read: its fields, where it was in the file (1-based, persons and notes
    counted together in document order), and the problems of its shape (a field given twice)."""

    fields: dict[str, str]
    position: int
    problems: dict[str, list[str]] = field(default_factory=dict)


@dataclass(slots=True)
class Document:
    persons: list[Record]
    notes: list[Record]  # nested notes carry their person's person_record_id


def _tag(name: str) -> str:
    return f"{{{NAMESPACE}}}{name}"


PERSON_TAG = _tag("person")
NOTE_TAG = _tag("note")
ROOT_TAG = _tag("pfif")


def _record(element, allowed: tuple[str, ...], position: int, *, skip: str | None = None) -> Record:
    record = Record(fields={}, position=position)
    for child in element:
        if not isinstance(child.tag, str) or child.tag == skip:
            continue  # comments, processing instructions; nested notes are read apart
        if not child.tag.startswith(f"{{{NAMESPACE}}}"):
            continue  # another namespace: extensions PFIF allows, not ours to read
        name = child.tag[len(NAMESPACE) + 2 :]
        if name not in allowed:
            record.problems.setdefault(name, []).append(PfifError.FIELD_UNKNOWN.value)
            continue
        if len(child):
            record.problems.setdefault(name, []).append(PfifError.FIELD_NOT_TEXT.value)
            continue
        if name in record.fields:
            record.problems.setdefault(name, []).append(PfifError.FIELD_REPEATED.value)
            continue
        record.fields[name] = (child.text or "").strip()
    return record


def document_parse(content: bytes, *, max_bytes: int, max_records: int) -> Document:
    """The persons and notes of a PFIF 1.4 document, or `PfifRefused` for the whole file."""
    if len(content) > max_bytes:
        raise PfifRefused(PfifError.FILE_TOO_LARGE, details={"max_bytes": max_bytes, "bytes": len(content)})
    if not content.strip():
        raise PfifRefused(PfifError.FILE_EMPTY)
    try:
        root = ElementTree.fromstring(content, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except defusedxml.DTDForbidden as error:
        raise PfifRefused(PfifError.XML_DTD) from error
    except (defusedxml.EntitiesForbidden, defusedxml.ExternalReferenceForbidden) as error:
        raise PfifRefused(PfifError.XML_ENTITIES) from error
    except ParseError as error:
        line, column = getattr(error, "position", (None, None))
        raise PfifRefused(PfifError.XML_MALFORMED, details={"line": line, "column": column}) from error
    except (ValueError, defusedxml.DefusedXmlException) as error:
        raise PfifRefused(PfifError.XML_MALFORMED) from error
    if root.tag != ROOT_TAG:
        namespace = root.tag[1:].split("}")[0] if root.tag.startswith("{") else ""
        if namespace in OTHER_VERSIONS:
            raise PfifRefused(PfifError.VERSION_UNSUPPORTED, details={"namespace": namespace})
        raise PfifRefused(PfifError.NOT_PFIF, details={"namespace": namespace})
    persons: list[Record] = []
    notes: list[Record] = []
    position = 0
    for element in root:
        if element.tag == PERSON_TAG:
            position += 1
            person = _record(element, PERSON_FIELDS, position, skip=NOTE_TAG)
            persons.append(person)
            for nested in element.findall(NOTE_TAG):
                position += 1
                note = _record(nested, NOTE_FIELDS, position)
                own = person.fields.get("person_record_id", "")
                given = note.fields.get("person_record_id")
                if given is not None and given != own:
                    note.problems.setdefault("person_record_id", []).append(PfifError.NOTE_PERSON_MISMATCH.value)
                note.fields["person_record_id"] = own
                notes.append(note)
        elif element.tag == NOTE_TAG:
            position += 1
            notes.append(_record(element, NOTE_FIELDS, position))
        if position > max_records:
            raise PfifRefused(PfifError.TOO_MANY_RECORDS, details={"max_records": max_records})
    return Document(persons=persons, notes=notes)


def _escaped(text: str) -> str:
    text = _NOT_XML.sub("", text)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _fields_write(out: list[str], names: tuple[str, ...], record: dict[str, str], indent: str) -> None:
    for name in names:
        value = record.get(name, "")
        if value:
            out.append(f"{indent}<pfif:{name}>{_escaped(value)}</pfif:{name}>\n")


def document_write(persons: list[tuple[dict[str, str], list[dict[str, str]]]]) -> bytes:
    """A PFIF 1.4 document of persons, each with its notes nested, as UTF-8. The same records
    always give the same bytes: fields in the specification's order, empty ones left out,
    two spaces of indent, one element a line."""
    out = ['<?xml version="1.0" encoding="UTF-8"?>\n', f'<pfif:pfif xmlns:pfif="{NAMESPACE}">\n']
    for person, notes in persons:
        out.append("  <pfif:person>\n")
        _fields_write(out, PERSON_FIELDS, person, "    ")
        for note in notes:
            out.append("    <pfif:note>\n")
            _fields_write(out, NOTE_FIELDS, note, "      ")
            out.append("    </pfif:note>\n")
        out.append("  </pfif:person>\n")
    out.append("</pfif:pfif>\n")
    return "".join(out).encode("utf-8")
