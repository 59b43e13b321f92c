"""Persons imported from a spreadsheet (CSV or XLSX): every row accounted for, none twice.

Every data row of a file ends up in exactly one place (`ImportBatch`'s counts add up, a
database constraint says so): a person, who keeps the batch and the row it came from
(`Person.import_batch`, `Person.import_row`); an `ImportRejectedRow`, with the mapped cells as
read and every field's errors as codes (`ImportFieldError`); or, for a row the registry already
holds, the count of rows skipped. Wholly blank rows are not data rows.

- Reading is `common.spreadsheets.sheet_read` (encodings, delimiters, XLSX checks); the file is
  refused whole when it cannot be read, is over the limits, has no name column, or was imported
  before (its SHA-256 is unique).
- Columns map to person fields by their header (`HEADER_SYNONYMS`, in English, Hebrew,
  Ukrainian and Russian, matched as `header_key` normalises them), or by a saved
  `ColumnMapping`, which wins for the headers it names. Other columns are not imported, and
  not kept.
- Rows are checked by `person_row_parse`, every field at once, as the staff form checks a
  person. A cell longer than `CELL_MAX_CHARS` (the issue's ten-megabyte cells) is refused and
  kept cut short, never whole. A cell that looks like a formula is text like any other: it is
  imported as written, and every file we write neutralises it (`spreadsheet_safe`); the one
  apostrophe our own files put in front of such a cell is taken off again on reading, so that a
  file of errors, fixed, imports cleanly.
- The same row never makes two persons: each imported person holds a keyed digest of the
  row's values as parsed (`person_import_key`), unique in the registry, so a row already
  imported (from this file, an earlier one, or a corrected errors file) is counted as
  skipped, not inserted. The digest is keyed (HMAC with the site's secret key) because the row
  holds encrypted fields: a plain hash of a name and a phone number could be tested against
  guesses. Changing the secret key therefore starts the keys afresh.
- The writes are one transaction: the batch, the persons (through `services.persons_insert`,
  with their "registered" event, risk flags and a `person.created` audit row each), the
  rejected rows, and the batch's audit row (counts and the file's digest, never a cell). A dry
  run does all the reading and checking and writes nothing.
"""

import codecs
import csv
import gc
import hashlib
import hmac
import io
import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from functools import cache, lru_cache

import pycountry
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import EmailValidator
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import pgettext
from django_countries import countries

from crisisdesk.accounts.permissions import Permission, has_permission
from crisisdesk.common.audit import audit_record
from crisisdesk.common.documents import safe_file_name
from crisisdesk.common.models import AuditEvent
from crisisdesk.common.origin import Origin
from crisisdesk.common.spreadsheets import (
    FORMULA_PREFIXES,
    Sheet,
    SheetRejected,
    header_key,
    sheet_read,
    spreadsheet_safe,
)
from crisisdesk.registry.errors import (
    ImportFieldError,
    ImportRefused,
    RegistryError,
    RegistryValidationError,
    import_field_messages,
)
from crisisdesk.registry.inputs import ContactInput, DocumentInput, ImportSource, NameInput, PersonInput
from crisisdesk.registry.models import (
    ColumnMapping,
    ContactPoint,
    IdentityDocument,
    ImportBatch,
    ImportRejectedRow,
    Intent,
    Person,
    PersonName,
    RiskRule,
    Sex,
    StatusEvent,
)
from crisisdesk.registry.services import persons_insert
from crisisdesk.registry.validation import normalize_phone, region_codes, region_names, validate_birth_date
from namebridge import clean_name

IMPORT_MAX_BYTES = 50 * 1024 * 1024
IMPORT_MAX_ROWS = 200_000
IMPORT_MAX_COLUMNS = 100
# What an XLSX of IMPORT_MAX_ROWS persons unpacks to, with room: its sheet XML is a few hundred
# bytes a row.
IMPORT_MAX_UNPACKED_BYTES = 512 * 1024 * 1024
# The longest cell an import reads (the longest field, the needs note, holds as much). A longer
# one is refused, and kept this long with CUT_MARKER after it.
CELL_MAX_CHARS = 2000
CUT_MARKER = " [...]"
FILE_NAME_LENGTH = 120
# Persons per `persons_insert` call: its statements are bulk, and its objects stay in memory
# for one chunk only.
INSERT_CHUNK = 2000
# Rows a result carries for showing: the first rejected ones, the first accepted ones.
FIRST_REJECTED = 20
FIRST_ACCEPTED = 10
# Existing import keys looked up per query (under SQLite's 999 parameters).
KEY_LOOKUP_CHUNK = 900

FIELDS = (
    "given_name",
    "family_name",
    "passport_given_name",
    "passport_family_name",
    "sex",
    "birth_date",
    "citizenships",
    "phone",
    "email",
    "passport_number",
    "region",
    "city",
    "intent",
    "needs_note",
)
NAME_FIELDS = ("given_name", "family_name")
# Longest value per field, as the staff form and the columns hold them.
LENGTHS = {
    "given_name": 200,
    "family_name": 200,
    "passport_given_name": 200,
    "passport_family_name": 200,
    "citizenships": 200,
    "phone": 40,
    "email": 254,
    "passport_number": 40,
    "region": 200,
    "city": 200,
    "needs_note": CELL_MAX_CHARS,
}

# Header text (normalised by `header_key`) → person field. Each field's own name is one too,
# which is how the file of rejected rows imports again.
HEADER_SYNONYMS = {
    "given_name": (
        "given name",
        "given names",
        "first name",
        "first names",
        "forename",
        "имя",
        "ім'я",
        "імя",
        "שם פרטי",
    ),
    "family_name": ("family name", "last name", "surname", "фамилия", "прізвище", "שם משפחה"),
    "passport_given_name": (
        "passport given name",
        "given name in passport",
        "given name (passport)",
        "given name (latin)",
        "first name in passport",
        "first name (passport)",
        "first name (latin)",
        "first name latin",
        "имя латиницей",
        "имя в паспорте",
        "имя (латиницей)",
        "ім'я латиницею",
        "ім'я в паспорті",
        "ім'я (латиницею)",
        "שם פרטי באנגלית",
        "שם פרטי בדרכון",
    ),
    "passport_family_name": (
        "passport family name",
        "family name in passport",
        "family name (passport)",
        "family name (latin)",
        "last name in passport",
        "last name (passport)",
        "last name (latin)",
        "last name latin",
        "surname in passport",
        "surname (latin)",
        "фамилия латиницей",
        "фамилия в паспорте",
        "фамилия (латиницей)",
        "прізвище латиницею",
        "прізвище в паспорті",
        "прізвище (латиницею)",
        "שם משפחה באנגלית",
        "שם משפחה בדרכון",
    ),
    "sex": ("sex", "gender", "пол", "стать", "מין", "מגדר"),
    "birth_date": (
        "birth date",
        "date of birth",
        "dob",
        "d.o.b.",
        "birthday",
        "born",
        "year of birth",
        "birth year",
        "дата рождения",
        "год рождения",
        "дата народження",
        "рік народження",
        "תאריך לידה",
        "שנת לידה",
    ),
    "citizenships": (
        "citizenship",
        "citizenships",
        "nationality",
        "nationalities",
        "гражданство",
        "громадянство",
        "אזרחות",
        "אזרחויות",
    ),
    "phone": (
        "phone",
        "phone number",
        "telephone",
        "tel",
        "mobile",
        "mobile phone",
        "cell phone",
        "телефон",
        "номер телефона",
        "номер телефону",
        "мобильный",
        "мобільний",
        "טלפון",
        "מספר טלפון",
        "טלפון נייד",
        "נייד",
    ),
    "email": (
        "email",
        "e-mail",
        "email address",
        "e-mail address",
        "электронная почта",
        "эл. почта",
        "електронна пошта",
        "ел. пошта",
        'דוא"ל',
        "דואר אלקטרוני",
        "אימייל",
    ),
    "passport_number": (
        "passport",
        "passport number",
        "passport no",
        "passport no.",
        "номер паспорта",
        "паспорт",
        "номер паспорту",
        "מספר דרכון",
        "דרכון",
    ),
    "region": ("region", "oblast", "region code", "область", "регион", "регіон", "מחוז", "אזור"),
    "city": (
        "city",
        "town",
        "city or town",
        "город",
        "місто",
        "населенный пункт",
        "населений пункт",
        "עיר",
        "יישוב",
    ),
    "intent": ("intent", "intention", "plans", "намерение", "планы", "намір", "плани", "כוונה", "תוכניות"),
    "needs_note": ("needs", "needs note", "special needs", "потребности", "потреби", "צרכים"),
}


@cache
def _field_of_header() -> dict[str, str]:
    return {header_key(text): field for field, texts in HEADER_SYNONYMS.items() for text in (field, *texts)}


def column_field(header: str) -> str | None:
    """The person field a column header names by the synonyms, or None."""
    return _field_of_header().get(header_key(header))


# Cell words → codes, normalised by `header_key` as headers are.
_SEX_WORDS = {
    Sex.MALE: ("m", "male", "man", "boy", "м", "муж", "мужской", "мужчина", "ч", "чол", "чоловік", "чоловіча", "ז", "זכר", "גבר"),
    Sex.FEMALE: ("f", "female", "woman", "girl", "ж", "жен", "женский", "женщина", "жін", "жінка", "жіноча", "נ", "נקבה", "אישה"),
    Sex.OTHER: ("x", "other", "non-binary", "nonbinary", "другое", "другой", "інше", "інша", "אחר"),
    Sex.UNKNOWN: ("u", "unknown", "not stated", "prefer not to say", "не указан", "не указано", "не вказано", "לא ידוע"),
}  # fmt: skip
_INTENT_WORDS = {
    Intent.LEAVE: (
        "leave", "wants to leave", "evacuate", "evacuation", "уехать", "выехать", "эвакуация",
        "виїхати", "поїхати", "евакуація", "לעזוב", "לצאת", "פינוי",
    ),
    Intent.STAY: ("stay", "wants to stay", "остаться", "залишитися", "лишитися", "להישאר"),
    Intent.UNDECIDED: ("undecided", "not sure", "не решил", "не знаю", "не вирішив", "не вирішила", "לא החלטתי", "מתלבט"),
    Intent.UNKNOWN: ("unknown", "неизвестно", "невідомо", "לא ידוע"),
}  # fmt: skip


@cache
def _words(table_name: str) -> dict[str, str]:
    table = {"sex": _SEX_WORDS, "intent": _INTENT_WORDS}[table_name]
    return {header_key(word): code.value for code, words in table.items() for word in (code.value, *words)}


# The cells of a column repeat (sexes, intents, countries, regions, birth years): each text is
# read once. Bounded, so that a file of all-different texts cannot grow them without end.
CELL_CACHE_SIZE = 65_536


@lru_cache(maxsize=CELL_CACHE_SIZE)
def _word_code(table_name: str, text: str) -> str | None:
    return _words(table_name).get(header_key(text))


# Country names people write that are neither ISO codes nor the names in the lists.
_COUNTRY_ALIASES = {"uk": "GB", "england": "GB", "great britain": "GB", "usa": "US", "america": "US"}


@cache
def _country_of_name() -> dict[str, str]:
    """Each country by its codes (alpha-2 and alpha-3) and its names in English, Hebrew,
    Ukrainian and Russian (django-countries' and ISO 3166's), normalised."""
    found: dict[str, str] = {}
    for record in pycountry.countries:
        if record.alpha_2 not in countries:
            continue
        for name in (
            record.alpha_3,
            record.name,
            getattr(record, "official_name", ""),
            getattr(record, "common_name", ""),
        ):
            if name:
                found.setdefault(header_key(name), record.alpha_2)
    for language in ("en", *(code for code, _name in settings.LANGUAGES)):
        with translation.override(language):
            for code, name in countries:
                found.setdefault(header_key(str(name)), code)
    found.update({header_key(alias): code for alias, code in _COUNTRY_ALIASES.items()})
    # Two-letter codes last, so that they win over any name that happens to normalise alike.
    found.update({header_key(code): code for code, _name in countries})
    return found


@cache
def _region_of_name(country: str) -> dict[str, str]:
    found = {header_key(name): code for code, name in region_names(country)}
    found.update({header_key(code): code for code in region_codes(country)})
    return found


# Dates of birth: the whole date, a month or a year. Day first where the order is in doubt, as
# the desk's countries write dates (15.06.1985, 15/06/1985); a time of day after a date (what a
# spreadsheet's date cell may carry) is dropped.
_YEAR_FIRST = re.compile(r"(\d{4})(?:[-./](\d{1,2})(?:[-./](\d{1,2}))?)?")
_DAY_FIRST = re.compile(r"(\d{1,2})[-./](\d{1,2})[-./](\d{4})")
_MONTH_YEAR = re.compile(r"(\d{1,2})[-./](\d{4})")
_TIME_OF_DAY = re.compile(r"[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?$")
_BIRTH_ERRORS = {
    RegistryError.BIRTH_DATE_INVALID: ImportFieldError.DATE_INVALID,
    RegistryError.BIRTH_DATE_PARTIAL: ImportFieldError.DATE_INVALID,
    RegistryError.BIRTH_DATE_IN_FUTURE: ImportFieldError.DATE_IN_FUTURE,
    RegistryError.BIRTH_YEAR_TOO_EARLY: ImportFieldError.DATE_TOO_EARLY,
}
_LIST_SEPARATORS = re.compile(r"[,;/|]")
_email_check = EmailValidator()


class PersonRowInvalid(Exception):
    """A row's fields that were refused, each with its codes (`ImportFieldError`)."""

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__(", ".join(sorted(errors)))
        self.errors = errors


@lru_cache(maxsize=CELL_CACHE_SIZE)
def _birth_parse(text: str, today: date) -> tuple[int | None, int | None, int | None] | ImportFieldError:
    """(year, month, day) of a date of birth, some of them None; or why it is not one."""
    text = _TIME_OF_DAY.sub("", text)
    year = month = day = None
    if match := _YEAR_FIRST.fullmatch(text):
        year, month, day = (int(part) if part else None for part in match.groups())
    elif match := _DAY_FIRST.fullmatch(text):
        day, month, year = (int(part) for part in match.groups())
    elif match := _MONTH_YEAR.fullmatch(text):
        month, year = (int(part) for part in match.groups())
    else:
        return ImportFieldError.NOT_A_DATE
    try:
        validate_birth_date(year, month, day, today=today)
    except RegistryValidationError as error:
        return _BIRTH_ERRORS[error.code]
    return year, month, day


@lru_cache(maxsize=CELL_CACHE_SIZE)
def _citizenships_parse(text: str) -> tuple[str, ...] | None:
    """The country codes of a list of countries ("UA, Israel"), or None if one is unknown."""
    codes = []
    lookup = _country_of_name()
    for part in _LIST_SEPARATORS.split(text):
        key = header_key(part)
        if not key:
            continue
        code = lookup.get(key)
        if code is None:
            return None
        codes.append(code)
    return tuple(dict.fromkeys(codes))


@lru_cache(maxsize=CELL_CACHE_SIZE)
def _region_code(text: str, country: str) -> str | None:
    return _region_of_name(country).get(header_key(text))


@lru_cache(maxsize=CELL_CACHE_SIZE)
def _phone_normalized(raw: str, country: str) -> str | None:
    """`normalize_phone`, or None for a number that is not valid; remembered, as a file often
    repeats a household's or an office's number. (`country` is the crisis country, which the
    number is read in; it keys the cache.)"""
    try:
        return normalize_phone(raw, country=country)
    except RegistryValidationError:
        return None


def _unescaped(text: str) -> str:
    """The cell without the apostrophe that `spreadsheet_safe` puts before a formula-like
    text (the file of rejected rows has them); any other apostrophe is the cell's own."""
    if text[:1] == "'" and text[1:].startswith(FORMULA_PREFIXES):
        return text[1:]
    return text


# Fields kept as text, cleaned as names are (`clean_name`: invisible and bidi characters out,
# NFC, spaces collapsed); the others are codes or words read through `header_key`, which
# drops such characters itself, and the needs note, free text, keeps its lines.
_CLEANED_FIELDS = frozenset(
    {
        "given_name",
        "family_name",
        "passport_given_name",
        "passport_family_name",
        "birth_date",
        "phone",
        "email",
        "passport_number",
        "city",
    }
)


def cell_kept(text: str) -> str:
    """A cell's text as a rejected row keeps it: whole, or cut to `CELL_MAX_CHARS` and marked."""
    return text if len(text) <= CELL_MAX_CHARS else text[:CELL_MAX_CHARS] + CUT_MARKER


def person_row_parse(
    values: Mapping[str, str], *, today: date | None = None, country: str | None = None
) -> PersonInput:
    """Check one row's values, by field, and return the person they describe; or raise
    `PersonRowInvalid` with every field's errors at once. Fields not given are empty. `today`
    (for dates of birth) and `country` (the crisis country, for phone numbers and regions)
    default to now's and the settings'; an import passes them once for all its rows."""
    today = today or timezone.localdate()
    country = country or settings.CRISISDESK_CRISIS_COUNTRY
    errors: dict[str, list[str]] = {}

    def fail(field: str, code: ImportFieldError) -> None:
        errors.setdefault(field, []).append(code.value)

    text = dict.fromkeys(FIELDS, "")
    for field, raw in values.items():
        if not raw or field not in text:
            continue
        if len(raw) > CELL_MAX_CHARS:
            fail(field, ImportFieldError.TOO_LONG)
            del text[field]
            continue
        cell = _unescaped(raw) if raw[0] == "'" else raw
        cleaned = clean_name(cell) if field in _CLEANED_FIELDS else cell.strip()
        if len(cleaned) > LENGTHS.get(field, CELL_MAX_CHARS):
            fail(field, ImportFieldError.TOO_LONG)
            del text[field]
            continue
        text[field] = cleaned

    if "given_name" in text and "family_name" in text and not (text["given_name"] or text["family_name"]):
        fail("given_name", ImportFieldError.NAME_EMPTY)
    sex = Sex.UNKNOWN.value
    if text.get("sex"):
        code = _word_code("sex", text["sex"])
        if code is None:
            fail("sex", ImportFieldError.SEX_UNKNOWN)
        sex = code or sex
    intent = Intent.UNKNOWN.value
    if text.get("intent"):
        code = _word_code("intent", text["intent"])
        if code is None:
            fail("intent", ImportFieldError.INTENT_UNKNOWN)
        intent = code or intent
    birth: tuple[int | None, int | None, int | None] = (None, None, None)
    if text.get("birth_date"):
        parsed = _birth_parse(text["birth_date"], today)
        if isinstance(parsed, ImportFieldError):
            fail("birth_date", parsed)
        else:
            birth = parsed
    citizenships: tuple[str, ...] = ()
    if text.get("citizenships"):
        citizenships = _citizenships_parse(text["citizenships"]) or ()
        if not citizenships:
            fail("citizenships", ImportFieldError.COUNTRY_UNKNOWN)
    contacts = []
    if text.get("phone"):
        phone = _phone_normalized(text["phone"], country)
        if phone is None:
            fail("phone", ImportFieldError.PHONE_INVALID)
        else:
            contacts.append(ContactInput(kind=ContactPoint.Kind.PHONE.value, value=phone))
    if text.get("email"):
        email = text["email"].lower()
        try:
            _email_check(email)
        except ValidationError:
            fail("email", ImportFieldError.EMAIL_INVALID)
        else:
            contacts.append(ContactInput(kind=ContactPoint.Kind.EMAIL.value, value=email))
    region = ""
    if text.get("region"):
        region = _region_code(text["region"], country) or ""
        if not region:
            fail("region", ImportFieldError.REGION_UNKNOWN)
    if errors:
        raise PersonRowInvalid({field: errors[field] for field in FIELDS if field in errors})

    other_names: tuple[NameInput, ...] = ()
    if text["passport_given_name"] or text["passport_family_name"]:
        other_names = (
            NameInput(
                kind=PersonName.Kind.PASSPORT.value,
                given_name=text["passport_given_name"],
                family_name=text["passport_family_name"],
            ),
        )
    documents: tuple[DocumentInput, ...] = ()
    if text["passport_number"]:
        documents = (DocumentInput(kind=IdentityDocument.Kind.PASSPORT.value, number=text["passport_number"]),)
    return PersonInput(
        given_name=text["given_name"],
        family_name=text["family_name"],
        sex=sex,
        birth_year=birth[0],
        birth_month=birth[1],
        birth_day=birth[2],
        other_names=other_names,
        citizenships=citizenships,
        documents=documents,
        contacts=tuple(contacts),
        needs_note=text["needs_note"],
        region=region,
        city=text["city"],
        intent=intent,
    )


IMPORT_KEY_SALT = "crisisdesk.registry.imports.person_import_key"


@lru_cache(maxsize=4)
def _import_key_secret(secret_key: str) -> bytes:
    # As Django's salted_hmac derives its key, done once rather than once per row.
    return hashlib.sha256((IMPORT_KEY_SALT + secret_key).encode()).digest()


def person_import_key(person: PersonInput) -> str:
    """A keyed digest of everything a row says about a person, as parsed (so "15.06.1985" and
    "1985-06-15" are one row) and with letter case ignored: equal for the same row read twice,
    from whichever file."""
    parts = [
        person.given_name,
        person.family_name,
        *(f"{name.kind}:{name.given_name}:{name.family_name}" for name in person.other_names),
        person.sex,
        f"{person.birth_year}-{person.birth_month}-{person.birth_day}",
        ",".join(sorted(person.citizenships)),
        *(f"{contact.kind}:{contact.value}" for contact in person.contacts),
        *(f"{document.kind}:{document.number}" for document in person.documents),
        person.region,
        person.city,
        person.intent,
        person.needs_note,
    ]
    # Unit separators between the parts: cleaned names and cells hold no control characters.
    text = "\x1f".join(str(part) for part in parts).casefold()
    return hmac.new(_import_key_secret(settings.SECRET_KEY), text.encode(), hashlib.sha256).hexdigest()


# --- columns ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ImportColumns:
    """How a file's columns are read: each used column's index → its person field."""

    fields: dict[int, str]
    ignored: tuple[str, ...]  # the headers of the columns not imported


def import_columns(header: Sequence[str], mapping: ColumnMapping | None = None) -> ImportColumns:
    """Map a file's header to person fields: by the saved mapping for the headers it names
    (one mapped to "" is ignored), by the synonyms for the others. Refused when no column holds
    a name, or when two hold the same field."""
    saved = {header_key(text): field for text, field in (mapping.columns if mapping else {}).items()}
    fields: dict[int, str] = {}
    ignored: list[str] = []
    headers_of: dict[str, list[str]] = {}
    for index, text in enumerate(header):
        key = header_key(text)
        field = saved[key] if key in saved else column_field(text) if key else None
        if not field:
            if text.strip():
                ignored.append(text.strip())
            continue
        fields[index] = field
        headers_of.setdefault(field, []).append(text.strip())
    duplicated = {field: texts for field, texts in headers_of.items() if len(texts) > 1}
    if duplicated:
        raise ImportRefused(RegistryError.IMPORT_COLUMNS_DUPLICATE, "file", details={"duplicated": duplicated})
    if not any(field in headers_of for field in NAME_FIELDS):
        raise ImportRefused(RegistryError.IMPORT_COLUMNS_MISSING, "file", details={"missing": list(NAME_FIELDS)})
    return ImportColumns(fields=fields, ignored=tuple(ignored))


# --- the import ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RejectedPreview:
    """A rejected row as a result shows it: its number, its errors (codes by field) and its
    mapped values, for a screen; never for a log."""

    row_number: int
    errors: dict[str, list[str]]
    values: dict[str, str]


@dataclass(frozen=True, slots=True)
class ImportResult:
    batch: ImportBatch | None  # None on a dry run
    dry_run: bool
    file_format: str
    encoding: str
    delimiter: str
    mapping_name: str
    columns: dict[str, str]  # header → person field, for the columns imported
    ignored_columns: tuple[str, ...]
    rows_total: int
    rows_imported: int
    rows_rejected: int
    rows_skipped_duplicate: int
    first_rejected: tuple[RejectedPreview, ...]
    first_accepted: tuple[tuple[int, PersonInput], ...]  # (row number, person), as they will be imported


@dataclass(slots=True)
class _Checked:
    accepted: list[tuple[int, PersonInput, str]]  # (row number, person, import key)
    rejected: list[tuple[int, dict[str, str], dict[str, list[str]]]]  # (row, values, errors)
    skipped: int


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cycle collector off while an import holds its rows: they are hundreds of
    thousands of small objects that form no cycles, and the collector walked them again and
    again as they grew, a sixth of a 100,000-row import's time (docs/benchmarks.md). They are
    freed by reference counting all the same; the collector runs again after."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _require(actor, permission: Permission) -> None:
    if not has_permission(actor, permission):
        raise PermissionDenied


def _sheet(content: bytes) -> Sheet:
    try:
        return sheet_read(
            content,
            max_bytes=IMPORT_MAX_BYTES,
            max_rows=IMPORT_MAX_ROWS,
            max_columns=IMPORT_MAX_COLUMNS,
            max_unpacked_bytes=IMPORT_MAX_UNPACKED_BYTES,
        )
    except SheetRejected as rejected:
        raise ImportRefused(
            RegistryError.IMPORT_FILE_REFUSED,
            "file",
            details={"reason": rejected.code.value, "message": rejected.message, **rejected.details},
        ) from rejected


def sheet_header(content: bytes) -> tuple[str, ...]:
    """The header of a file to import, for a screen that maps its columns; `ImportRefused`
    when the file cannot be imported at all (unreadable, empty, over the limits)."""
    return _sheet(content).header


def _already_imported(sha256: str) -> None:
    batch_id = ImportBatch.objects.filter(sha256=sha256).values_list("id", flat=True).first()
    if batch_id is not None:
        raise ImportRefused(RegistryError.IMPORT_ALREADY, "file", details={"batch": batch_id})


def _keys_present(keys: Sequence[str]) -> set[str]:
    present: set[str] = set()
    for start in range(0, len(keys), KEY_LOOKUP_CHUNK):
        chunk = keys[start : start + KEY_LOOKUP_CHUNK]
        present.update(Person.objects.filter(import_key__in=chunk).values_list("import_key", flat=True))
    return present


def _rows_checked(sheet: Sheet, columns: ImportColumns) -> _Checked:
    today = timezone.localdate()
    country = settings.CRISISDESK_CRISIS_COUNTRY
    accepted: list[tuple[int, PersonInput, str]] = []
    rejected: list[tuple[int, dict[str, str], dict[str, list[str]]]] = []
    for row in sheet.rows:
        cells = row.cells
        values = {field: (cells[index] if index < len(cells) else "") for index, field in columns.fields.items()}
        try:
            person = person_row_parse(values, today=today, country=country)
        except PersonRowInvalid as invalid:
            rejected.append((row.number, {field: cell_kept(value) for field, value in values.items()}, invalid.errors))
            continue
        accepted.append((row.number, person, person_import_key(person)))
    return _Checked(accepted=accepted, rejected=rejected, skipped=0)


def _duplicates_dropped(checked: _Checked) -> None:
    """Leave out the rows the registry already holds, and a row repeated within the file."""
    present = _keys_present([key for _number, _person, key in checked.accepted])
    kept = []
    for entry in checked.accepted:
        key = entry[2]
        if key in present:
            checked.skipped += 1
            continue
        present.add(key)
        kept.append(entry)
    checked.accepted = kept


def person_import(
    *,
    actor,
    origin: Origin,
    file_name: str,
    content: bytes,
    mapping: ColumnMapping | None = None,
    dry_run: bool = False,
) -> ImportResult:
    """Import the persons of a CSV or XLSX file: its valid rows become persons, its invalid
    rows are kept with their reasons, the rows the registry already holds are counted and
    skipped, all in one transaction. A file refused as a whole (`ImportRefused`) writes
    nothing; so does a dry run, which returns the same counts."""
    _require(actor, Permission.PERSON_CREATE)
    sha256 = hashlib.sha256(content).hexdigest()
    _already_imported(sha256)
    with _collector_paused():
        return _person_import(
            actor=actor,
            origin=origin,
            file_name=file_name,
            content=content,
            sha256=sha256,
            mapping=mapping,
            dry_run=dry_run,
        )


def _person_import(
    *,
    actor,
    origin: Origin,
    file_name: str,
    content: bytes,
    sha256: str,
    mapping: ColumnMapping | None,
    dry_run: bool,
) -> ImportResult:
    sheet = _sheet(content)
    columns = import_columns(sheet.header, mapping)
    if not sheet.rows:
        raise ImportRefused(RegistryError.IMPORT_NO_ROWS, "file")
    checked = _rows_checked(sheet, columns)
    mapping_name = mapping.name if mapping is not None else ""
    if dry_run:
        _duplicates_dropped(checked)
        return _result(None, sheet, columns, checked, mapping_name=mapping_name)
    try:
        with transaction.atomic():
            _duplicates_dropped(checked)  # inside: an import that committed meanwhile counts
            batch = _batch_write(
                actor=actor,
                origin=origin,
                file_name=file_name,
                sha256=sha256,
                sheet=sheet,
                checked=checked,
                mapping_name=mapping_name,
            )
    except IntegrityError as error:
        # The same file imported at the same moment by someone else: the unique digest decided.
        if ImportBatch.objects.filter(sha256=sha256).exists():
            raise ImportRefused(RegistryError.IMPORT_ALREADY, "file") from error
        raise
    return _result(batch, sheet, columns, checked, mapping_name=mapping_name)


def _batch_write(
    *, actor, origin: Origin, file_name: str, sha256: str, sheet: Sheet, checked: _Checked, mapping_name: str
) -> ImportBatch:
    now = timezone.now()
    batch = ImportBatch.objects.create(
        file_name=safe_file_name(file_name, sheet.file_format, fallback="persons", length=FILE_NAME_LENGTH),
        sha256=sha256,
        file_format=sheet.file_format,
        encoding=sheet.encoding,
        delimiter=sheet.delimiter,
        mapping_name=mapping_name,
        rows_total=len(sheet.rows),
        rows_imported=len(checked.accepted),
        rows_rejected=len(checked.rejected),
        rows_skipped_duplicate=checked.skipped,
        imported_by=actor if actor is not None and actor.is_authenticated else None,
        imported_at=now,
    )
    rules = list(RiskRule.objects.filter(is_active=True))
    for start in range(0, len(checked.accepted), INSERT_CHUNK):
        chunk = checked.accepted[start : start + INSERT_CHUNK]
        persons_insert(
            actor=actor,
            origin=origin,
            people=[person for _number, person, _key in chunk],
            household=None,
            registration=None,
            consent_given_at=None,
            occurred_at=now,
            source=StatusEvent.Source.IMPORT,
            rules=rules,
            import_sources=[ImportSource(batch_id=batch.pk, row=number, key=key) for number, _person, key in chunk],
        )
    ImportRejectedRow.objects.bulk_create(
        ImportRejectedRow(batch=batch, row_number=number, values=values, errors=errors)
        for number, values, errors in checked.rejected
    )
    audit_record(
        actor=actor,
        origin=origin,
        action=AuditEvent.Action.PERSONS_IMPORTED,
        target=batch,
        changes={
            "file": sha256[:12],
            "format": sheet.file_format,
            "mapping": mapping_name,
            "rows": batch.rows_total,
            "imported": batch.rows_imported,
            "rejected": batch.rows_rejected,
            "skipped_duplicate": batch.rows_skipped_duplicate,
        },
    )
    return batch


def _result(
    batch: ImportBatch | None, sheet: Sheet, columns: ImportColumns, checked: _Checked, *, mapping_name: str
) -> ImportResult:
    return ImportResult(
        batch=batch,
        dry_run=batch is None,
        file_format=sheet.file_format,
        encoding=sheet.encoding,
        delimiter=sheet.delimiter,
        mapping_name=mapping_name,
        columns={sheet.header[index]: field for index, field in columns.fields.items()},
        ignored_columns=columns.ignored,
        rows_total=len(sheet.rows),
        rows_imported=len(checked.accepted),
        rows_rejected=len(checked.rejected),
        rows_skipped_duplicate=checked.skipped,
        first_rejected=tuple(
            RejectedPreview(row_number=number, errors=errors, values=values)
            for number, values, errors in checked.rejected[:FIRST_REJECTED]
        ),
        first_accepted=tuple((number, person) for number, person, _key in checked.accepted[:FIRST_ACCEPTED]),
    )


# --- rejected rows: correction and the file of errors ------------------------------------------


@transaction.atomic
def import_row_correct(*, actor, origin: Origin, row: ImportRejectedRow, values: Mapping[str, str]) -> Person:
    """Import a rejected row with corrected values, by field; fields not given keep what the
    file said. The row keeps the file's values and points at the person it became; if the
    registry already holds that person (the row was imported since, from another file), the
    row points at them and nothing is inserted. Refused for a row already resolved, and for
    values that still have errors (`ImportRefused`, its `details` the errors by field, as codes)."""
    _require(actor, Permission.PERSON_CREATE)
    unknown = set(values) - set(FIELDS)
    if unknown:
        raise ValueError(f"not person import fields: {', '.join(sorted(unknown))}")
    row = ImportRejectedRow.objects.select_for_update().select_related("batch").get(pk=row.pk)
    if row.resolved_person_id is not None:
        raise ImportRefused(RegistryError.IMPORT_ROW_RESOLVED)
    merged = {**row.values, **values}
    try:
        person_input = person_row_parse(merged)
    except PersonRowInvalid as invalid:
        raise ImportRefused(RegistryError.IMPORT_ROW_INVALID, details=invalid.errors) from invalid
    key = person_import_key(person_input)
    person = Person.objects.filter(import_key=key).first()
    duplicate = person is not None
    if person is None:
        (person,) = persons_insert(
            actor=actor,
            origin=origin,
            people=[person_input],
            household=None,
            registration=None,
            consent_given_at=None,
            occurred_at=timezone.now(),
            source=StatusEvent.Source.IMPORT,
            import_sources=[ImportSource(batch_id=row.batch_id, row=row.row_number, key=key)],
        )
    row.resolved_person = person
    row.resolved_at = timezone.now()
    row.save(update_fields=["resolved_person", "resolved_at"])
    audit_record(
        actor=actor,
        origin=origin,
        action=AuditEvent.Action.IMPORT_ROW_CORRECTED,
        target=row,
        person_id=person.pk,
        changes={
            "batch": row.batch_id,
            "row": row.row_number,
            "fields": sorted(field for field in values if values[field] != row.values.get(field, "")),
            "already_in_registry": duplicate,
        },
    )
    return person


def _errors_text(errors: Mapping[str, list[str]]) -> str:
    """ "birth_date: Not a date: … | phone: This is not a valid phone number. …", the fields
    by the names the file's columns have, the reasons in the reader's language."""
    return " | ".join(f"{field}: {' '.join(messages)}" for field, messages in import_field_messages(errors).items())


def import_rejected_csv(*, actor, origin: Origin, batch: ImportBatch) -> bytes:
    """The batch's rows still waiting for a correction, as a CSV to fix in a spreadsheet and
    import again: the row number, the mapped columns named by their field (which the import
    reads back), and the reasons in the reader's language (a column the import ignores). UTF-8
    with a byte-order mark, so that Excel reads it as UTF-8; every cell neutralised against
    formulas (`spreadsheet_safe`).

    The rows hold contact details: the file is for those who see them, and for whoever imported
    the batch (who had the file anyway)."""
    _require(actor, Permission.PERSON_CREATE)
    if not has_permission(actor, Permission.PERSON_VIEW_CONTACT) and batch.imported_by_id != actor.pk:
        raise PermissionDenied
    rows = list(batch.rejected_rows.filter(resolved_person__isnull=True).order_by("row_number"))
    present = {field for row in rows for field in row.values}
    fields = [field for field in FIELDS if field in present]
    row_label = pgettext("rejected import rows file", "row")
    errors_label = pgettext("rejected import rows file", "errors")
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(spreadsheet_safe(cell) for cell in (row_label, *fields, errors_label))
    for row in rows:
        cells = (row.row_number, *(row.values.get(field, "") for field in fields), _errors_text(row.errors))
        writer.writerow(spreadsheet_safe(cell) for cell in cells)
    audit_record(
        actor=actor,
        origin=origin,
        action=AuditEvent.Action.IMPORT_REJECTED_EXPORTED,
        target=batch,
        changes={"rows": len(rows)},
    )
    return codecs.BOM_UTF8 + buffer.getvalue().encode("utf-8")


# --- saved mappings ----------------------------------------------------------------------------

MAPPING_NAME_LENGTH = 100


@transaction.atomic
def column_mapping_save(*, actor, origin: Origin, name: str, columns: Mapping[str, str]) -> ColumnMapping:
    """Save the mapping called `name` (a new one, or replacing the columns of the one of that
    name): header as written → person field, or "" for a column to ignore."""
    _require(actor, Permission.PERSON_CREATE)
    name = clean_name(name)
    if not name or len(name) > MAPPING_NAME_LENGTH:
        raise RegistryValidationError(RegistryError.MAPPING_NAME_EMPTY, "name")
    cleaned = {str(header).strip(): (field or "") for header, field in columns.items() if str(header).strip()}
    if any(field and field not in FIELDS for field in cleaned.values()):
        raise RegistryValidationError(RegistryError.MAPPING_FIELD_UNKNOWN, "columns")
    now = timezone.now()
    mapping, created = ColumnMapping.objects.select_for_update().get_or_create(
        name=name,
        defaults={
            "columns": cleaned,
            "created_by": actor if actor.is_authenticated else None,
            "created_at": now,
            "updated_at": now,
        },
    )
    if not created:
        mapping.columns = cleaned
        mapping.updated_at = now
        mapping.save(update_fields=["columns", "updated_at"])
    audit_record(
        actor=actor,
        origin=origin,
        action=AuditEvent.Action.COLUMN_MAPPING_SAVED,
        target=mapping,
        changes={"columns": len(cleaned), "created": created},
    )
    return mapping
