"""A shipment's manifest imported from a spreadsheet (XLSX or CSV): row-level errors, nothing lost.

Every data row of the file ends up in exactly one place: a manifest line (with the import and
the row it came from, `source_import` / `source_row`), or a `RejectedRow` keeping the cells as
they were read (by line field for the columns the manifest uses, by header for the others)
and the reasons per field, as codes. Wholly blank rows are the only ones skipped. A
rejected row is corrected later (`rejected_row_correct`), or downloaded with its reasons as a
CSV to fix in a spreadsheet (`rejected_rows_csv`). Rows are checked by `lines.line_parse`, the
same check as a line typed into the form.

Reading, by the file's content and never its name:
- XLSX (a zip): the first worksheet, through openpyxl in read-only mode with cached values for
  formulas. Before openpyxl sees it, the zip's declared sizes are checked (a zip bomb is refused
  unopened; Python's zipfile never inflates a member beyond its declared size, so the check
  holds) and its parts are scanned for a DTD, which no Excel file has and XML attacks need.
  openpyxl without defusedxml parses with the standard library's expat, which neither fetches
  external entities nor expands entities exponentially (expat >= 2.4); the scan makes that
  independent of the library versions.
- CSV: the encoding from its byte-order mark, else UTF-8, else Windows-1251 (Ukrainian,
  Russian) or ISO-8859-8 / Windows-1255 (Hebrew), whichever the letters say (`_decoded`); the
  delimiter comma, semicolon or tab, whichever splits the header and the rows alike.

Limits: `MANIFEST_MAX_BYTES` for the upload, `MAX_ROWS` data rows, `MAX_COLUMNS` columns.

Header names map to line fields by their normalised text and common synonyms (`column_field`);
a weight column must say it is in kilograms ("Gross weight (kg)"), because a weight in tonnes
read as kilograms would be a thousand times wrong and look plausible.
"""

import codecs
import csv
import hashlib
import io
import re
import unicodedata
import zipfile
import zlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time

from django.db import IntegrityError, transaction
from django.utils.text import capfirst
from django.utils.translation import pgettext

from crisisdesk.accounts.permissions import Permission
from crisisdesk.aid.errors import AidError, AidValidationError
from crisisdesk.aid.lines import FIELDS, REQUIRED, LineInput, LineInvalid, line_error_messages, line_parse
from crisisdesk.aid.models import ManifestImport, ManifestLine, RejectedRow, Shipment, ShipmentEvent
from crisisdesk.aid.services import _audit, _event, _locked, _manifest_open, _require, _touch, lines_insert
from crisisdesk.common.documents import safe_file_name
from crisisdesk.common.models import AuditEvent
from crisisdesk.common.origin import Origin
from crisisdesk.common.spreadsheets import spreadsheet_safe

MANIFEST_MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 5000
MAX_COLUMNS = 100
# What an XLSX may unpack to. A 5,000-row manifest is a few megabytes of XML.
XLSX_MAX_UNPACKED_BYTES = 64 * 1024 * 1024
XLSX_MAX_MEMBERS = 1000
FILE_NAME_LENGTH = 120
CSV, XLSX = "csv", "xlsx"

# Files that are plainly something else, whatever their name: refused before any decoding
# (most single-byte encodings decode anything, so a PDF would otherwise "read" as text).
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

# Normalised header text (see `_header_key`) → line field. English as manifests are written
# by suppliers and agencies, and the words of the desk's own languages.
_SYNONYMS = {
    "item": (
        "item",
        "items",
        "item name",
        "item description",
        "description",
        "description of goods",
        "goods",
        "goods description",
        "product",
        "article",
        "commodity",
        "найменування",
        "назва",
        "наименование",
        "товар",
        "פריט",
        "תיאור",
        "מוצר",
    ),
    "category": ("category", "item category", "cat", "type", "категорія", "категория", "קטגוריה", "סוג"),
    "quantity": ("quantity", "qty", "qnty", "quant", "кількість", "количество", "כמות"),
    "unit": (
        "unit",
        "units",
        "uom",
        "u m",
        "unit of measure",
        "unit of measurement",
        "одиниця",
        "одиниця виміру",
        "од",
        "единица",
        "ед",
        "יחידה",
        "יחידת מידה",
    ),
    "gross_weight_kg": (
        "gross weight kg",
        "gross weight in kg",
        "gross weight kgs",
        "weight kg",
        "weight kgs",
        "weight in kg",
        "total weight kg",
        "gw kg",
        "g w kg",
        "gross kg",
        "kg",
        "вага кг",
        "вага брутто кг",
        "вес кг",
        "вес брутто кг",
        "משקל ק ג",
        "משקל ברוטו ק ג",
    ),
    "pallets": (
        "pallets",
        "pallet",
        "no of pallets",
        "number of pallets",
        "pallet count",
        "plt",
        "plts",
        "палети",
        "піддони",
        "паллеты",
        "משטחים",
    ),
    "volume_m3": (
        "volume m3",
        "volume",
        "volume cbm",
        "vol m3",
        "cbm",
        "m3",
        "об єм м3",
        "об єм",
        "объем м3",
        "объём м3",
        "נפח",
        "נפח מ ק",
    ),
    "lot": (
        "lot",
        "lot number",
        "lot no",
        "batch",
        "batch number",
        "batch no",
        "lot batch",
        "партія",
        "серія",
        "партия",
        "אצווה",
    ),
    "expiry_date": (
        "expiry",
        "expiry date",
        "exp",
        "exp date",
        "expiration",
        "expiration date",
        "best before",
        "use by",
        "термін придатності",
        "придатний до",
        "срок годности",
        "תוקף",
        "תאריך תפוגה",
        "תפוגה",
    ),
    "cold_chain": (
        "cold chain",
        "cold chain y n",
        "cold chain yes no",
        "refrigerated",
        "temperature controlled",
        "холодовий ланцюг",
        "холодовая цепь",
        "שרשרת קירור",
        "קירור",
    ),
    "donor": (
        "donor",
        "donors",
        "donated by",
        "donor name",
        "donor organisation",
        "donor organization",
        "sponsor",
        "донор",
        "жертводавець",
        "благодійник",
        "жертвователь",
        "תורם",
        "תורמים",
    ),
}


def _header_key(text: str) -> str:
    """ "Gross Weight (kg)", "gross_weight_kg" and "GROSS WEIGHT, KG" are one name; so are
    "Volume (m³)" and "volume m3" (NFKC makes ³ a 3)."""
    text = unicodedata.normalize("NFKC", text).casefold().replace("_", " ")
    return " ".join(re.sub(r"[^\w]+", " ", text).split())


_FIELD_OF_HEADER = {_header_key(header): field for field, headers in _SYNONYMS.items() for header in (field, *headers)}


def column_field(header: str) -> str | None:
    """The line field a column header names, or None for a column the manifest does not use."""
    return _FIELD_OF_HEADER.get(_header_key(header))


# --- reading the file -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SheetRow:
    number: int  # as the spreadsheet numbers it, the header row counting
    cells: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Sheet:
    file_format: str
    header: tuple[str, ...]
    rows: list[SheetRow]  # the non-blank rows under the header


def _unreadable(**details) -> AidValidationError:
    return AidValidationError(AidError.IMPORT_FILE_UNREADABLE, "file", details=details)


def _too_many_rows() -> AidValidationError:
    return AidValidationError(AidError.IMPORT_TOO_LARGE, "file", details={"max_rows": MAX_ROWS})


def _blank(cells: Iterable[str]) -> bool:
    return not any(cell.strip() for cell in cells)


def _sheet_of(file_format: str, records: Iterator[tuple[int, tuple[str, ...]]]) -> Sheet:
    """The first non-blank record is the header; blank records are skipped everywhere."""
    header: tuple[str, ...] | None = None
    rows: list[SheetRow] = []
    for number, cells in records:
        if _blank(cells):
            continue
        if header is None:
            header = cells
            continue
        if len(rows) == MAX_ROWS:
            raise _too_many_rows()
        rows.append(SheetRow(number=number, cells=cells))
    if header is None:
        raise AidValidationError(AidError.FILE_EMPTY, "file")
    while header and not header[-1].strip():  # formatted but empty columns at the right
        header = header[:-1]
    if len(header) > MAX_COLUMNS:
        raise AidValidationError(AidError.IMPORT_TOO_LARGE, "file", details={"max_columns": MAX_COLUMNS})
    return Sheet(file_format=file_format, header=header, rows=rows)


def _hebrew_reading(content: bytes) -> str | None:
    """Windows-1255, what Hebrew Excel saves; it reads every letter and mark of ISO-8859-8
    alike, differing only where ISO has control codes, and 0xA4, which it reads as ₪, not ¤.
    ISO-8859-8 when a byte undefined in Windows-1255 (0xDF, ‗) says the file is that."""
    for encoding in ("cp1255", "iso-8859-8"):
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    return None


def _decoded(content: bytes) -> str:
    """The text of a CSV file, decoded strictly.

    A byte-order mark decides; then UTF-8, which a legacy file practically never passes by
    accident. Between the two legacy encodings of the desk's languages, note that the Hebrew
    letters' bytes (0xE0-0xFA) read as Windows-1251 are the Cyrillic а-ъ, so every Hebrew text
    also "reads" as Cyrillic (and its direction marks, 0xFD-0xFE, as э ю). What decides is the
    Cyrillic letters a Hebrew text cannot give: capitals, я, і ї є ґ (ы and ь are bytes no
    Hebrew encoding has, so with them the Hebrew reading fails outright). Ukrainian or Russian
    has plenty, a word starting with a capital is enough; if they are under 5% of the
    Cyrillic letters, the text is Hebrew.
    """
    for bom, encoding in _BOMS:
        if content.startswith(bom):
            try:
                return content.decode(encoding)
            except UnicodeDecodeError as error:
                raise _unreadable(encoding=encoding) from error
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        cyrillic_text = content.decode("cp1251")
    except UnicodeDecodeError:
        cyrillic_text = None
    hebrew_text = _hebrew_reading(content)
    if cyrillic_text is None or hebrew_text is None:
        text = cyrillic_text if hebrew_text is None else hebrew_text
        if text is None:
            raise _unreadable()
        return text
    cyrillic = [byte for byte, char in zip(content, cyrillic_text, strict=True) if "\u0400" <= char <= "\u04ff"]
    not_hebrew = sum(1 for byte in cyrillic if not 0xE0 <= byte <= 0xFE)
    return cyrillic_text if cyrillic and not_hebrew * 20 >= len(cyrillic) else hebrew_text


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


def _csv_read(content: bytes) -> Sheet:
    text = _decoded(content)
    if _CONTROL.search(text):
        raise _unreadable()
    try:
        return _sheet_of(CSV, _records(text, _delimiter(text)))
    except csv.Error as error:  # an unterminated quote over a field's size, for one
        raise _unreadable() from error


def _xlsx_checked(content: bytes) -> None:
    """Refuse, before parsing, an archive that unpacks to far more than a manifest, and any
    part carrying a DTD (entities are how XML bombs and external-entity reads work)."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            members = archive.infolist()
            if len(members) > XLSX_MAX_MEMBERS or sum(m.file_size for m in members) > XLSX_MAX_UNPACKED_BYTES:
                raise AidValidationError(AidError.FILE_TOO_LARGE, "file")
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


def _xlsx_read(content: bytes) -> Sheet:
    _xlsx_checked(content)
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
            rows = sheet.iter_rows(min_row=1, max_col=MAX_COLUMNS + 1, values_only=True)
            for number, values in enumerate(rows, start=1):
                cells = tuple(_cell_text(value) for value in values)
                if len(cells) > MAX_COLUMNS and cells[MAX_COLUMNS].strip():
                    raise AidValidationError(AidError.IMPORT_TOO_LARGE, "file", details={"max_columns": MAX_COLUMNS})
                yield number, cells[:MAX_COLUMNS]

        return _sheet_of(XLSX, records())
    except AidValidationError:
        raise
    except Exception as error:  # a damaged sheet part fails while its rows are read
        raise _unreadable() from error
    finally:
        workbook.close()


def sheet_read(content: bytes) -> Sheet:
    """The header and the non-blank rows of a CSV or XLSX file, every cell as text; or
    `AidValidationError` when the file is empty, too large or neither."""
    if not content:
        raise AidValidationError(AidError.FILE_EMPTY, "file")
    if len(content) > MANIFEST_MAX_BYTES:
        raise AidValidationError(AidError.FILE_TOO_LARGE, "file", details={"max_bytes": MANIFEST_MAX_BYTES})
    if content.startswith(_ZIP_SIGNATURE):
        return _xlsx_read(content)
    if content.startswith(_BINARY_SIGNATURES):
        raise _unreadable()
    return _csv_read(content)


# --- from rows to lines ---------------------------------------------------------------------


def _column_letters(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA: how a spreadsheet names a column without a header."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters


@dataclass(frozen=True, slots=True)
class _Columns:
    # Each column's key in a rejected row's values, unique: the line field for a column the
    # manifest uses (so that the correction form and the file of errors speak in fields),
    # the header as written for any other, its letter for one without a header.
    names: tuple[str, ...]
    fields: dict[int, str]  # column index → line field


def _columns(header: tuple[str, ...]) -> _Columns:
    names: list[str] = []
    fields: dict[int, str] = {}
    headers_of: dict[str, list[str]] = {}
    for index, text in enumerate(header):
        field = column_field(text) if text.strip() else None
        if field is not None:
            fields[index] = field
            headers_of.setdefault(field, []).append(text.strip())
            name = field
        else:
            name = text.strip() or _column_letters(index)
        while name in names:  # two "Notes" columns keep both
            name = f"{name} ({_column_letters(index)})"
        names.append(name)
    duplicated = {field: headers for field, headers in headers_of.items() if len(headers) > 1}
    if duplicated:
        # "Weight kg" beside "GW kg": importing either could be the wrong one.
        raise AidValidationError(AidError.IMPORT_COLUMNS_DUPLICATE, "file", details={"duplicated": duplicated})
    missing = [field for field in REQUIRED if field not in headers_of]
    if missing:
        raise AidValidationError(AidError.IMPORT_COLUMNS_MISSING, "file", details={"missing": missing})
    return _Columns(names=tuple(names), fields=fields)


def _row_values(columns: _Columns, cells: tuple[str, ...]) -> dict[str, str]:
    """The row's cells by column, as read; cells beyond the header keep their letters."""
    values = {name: (cells[index] if index < len(cells) else "") for index, name in enumerate(columns.names)}
    for index in range(len(columns.names), len(cells)):
        if cells[index].strip():
            values[_column_letters(index)] = cells[index]
    return values


@dataclass(frozen=True, slots=True)
class _Checked:
    accepted: list[tuple[int, LineInput]]
    rejected: list[tuple[int, dict[str, str], dict[str, list[str]]]]


def _rows_checked(sheet: Sheet) -> _Checked:
    columns = _columns(sheet.header)
    if not sheet.rows:  # a header and nothing under it
        raise AidValidationError(AidError.FILE_EMPTY, "file")
    accepted, rejected = [], []
    for row in sheet.rows:
        raw = {field: row.cells[index] if index < len(row.cells) else "" for index, field in columns.fields.items()}
        try:
            accepted.append((row.number, line_parse(raw)))
        except LineInvalid as invalid:
            rejected.append((row.number, _row_values(columns, row.cells), invalid.errors))
    return _Checked(accepted=accepted, rejected=rejected)


def _already_imported(shipment: Shipment, sha256: str) -> None:
    if ManifestImport.objects.filter(shipment=shipment, sha256=sha256).exists():
        raise AidValidationError(AidError.IMPORT_ALREADY, "file")


def manifest_import(*, actor, origin: Origin, shipment: Shipment, file_name: str, content: bytes) -> ManifestImport:
    """Import a manifest file into the shipment: its valid rows become lines numbered after
    the last, its invalid rows are kept with their reasons, all in one transaction. The file
    is read and checked before any lock is taken; a file refused as a whole writes nothing."""
    _require(actor, Permission.AID_MANAGE)
    sha256 = hashlib.sha256(content).hexdigest()
    # Cheap refusals first, so that the officer hears about the shipment before the file.
    _manifest_open(shipment)
    _already_imported(shipment, sha256)
    sheet = sheet_read(content)
    checked = _rows_checked(sheet)
    with transaction.atomic():
        shipment = _locked(shipment)
        _manifest_open(shipment)
        _already_imported(shipment, sha256)
        try:
            with transaction.atomic():
                batch = ManifestImport.objects.create(
                    shipment=shipment,
                    file_name=safe_file_name(
                        file_name, sheet.file_format, fallback="manifest", length=FILE_NAME_LENGTH
                    ),
                    file_format=sheet.file_format,
                    sha256=sha256,
                    rows_total=len(sheet.rows),
                    rows_imported=len(checked.accepted),
                    rows_rejected=len(checked.rejected),
                    imported_by=actor if actor is not None and actor.is_authenticated else None,
                )
        except IntegrityError as error:  # the constraint, should the check above be raced
            raise AidValidationError(AidError.IMPORT_ALREADY, "file") from error
        if checked.accepted:
            lines_insert(
                shipment=shipment,
                lines=[line for _number, line in checked.accepted],
                source_import=batch,
                rows=[number for number, _line in checked.accepted],
            )
        RejectedRow.objects.bulk_create(
            RejectedRow(manifest_import=batch, row_number=number, values=values, errors=errors)
            for number, values, errors in checked.rejected
        )
        _touch(shipment)
        counts = {"rows": batch.rows_total, "imported": batch.rows_imported, "rejected": batch.rows_rejected}
        _event(
            shipment,
            actor=actor,
            kind=ShipmentEvent.Kind.IMPORTED,
            data={"import": batch.pk, "file": sha256[:12], **counts},
        )
        _audit(actor, origin, shipment, imported=batch.rows_imported, rejected=batch.rows_rejected, file=sha256[:12])
    return batch


@transaction.atomic
def rejected_row_correct(*, actor, origin: Origin, row: RejectedRow, values: Mapping[str, str]) -> ManifestLine:
    """Import a rejected row with corrected values, keyed by line field as the row's own
    values are. The row keeps what the file said and points at the line made from it."""
    _require(actor, Permission.AID_MANAGE)
    shipment = _locked(row.manifest_import.shipment)
    row = RejectedRow.objects.select_for_update().select_related("manifest_import").get(pk=row.pk)
    if row.resolved_line_id is not None:
        raise AidValidationError(AidError.ROW_RESOLVED)
    _manifest_open(shipment)
    try:
        line = line_parse(values)
    except LineInvalid as invalid:
        raise AidValidationError(AidError.LINE_INVALID, details=invalid.errors) from invalid
    batch = row.manifest_import
    (made,) = lines_insert(shipment=shipment, lines=[line], source_import=batch, rows=[row.row_number])
    made = ManifestLine.objects.get(shipment=shipment, line_number=made.line_number)
    row.resolved_line = made
    row.save(update_fields=["resolved_line"])
    _touch(shipment)
    _event(
        shipment,
        actor=actor,
        kind=ShipmentEvent.Kind.LINES_CHANGED,
        data={"added": made.line_number, "import": batch.pk, "row": row.row_number},
    )
    _audit(actor, origin, shipment, line_added=made.line_number, corrected_row=row.row_number, file=batch.sha256[:12])
    return made


def _errors_text(row: RejectedRow) -> str:
    """ "Quantity: Not a number. | Expiry date: Already expired: …" in the reader's language."""
    parts = []
    for field, messages in line_error_messages(row.errors).items():
        label = capfirst(ManifestLine._meta.get_field(field).verbose_name)
        parts.append(f"{label}: {' '.join(messages)}")
    return " | ".join(parts)


def _field_order(header: str) -> int:
    field = column_field(header)
    return FIELDS.index(field) if field is not None else len(FIELDS)


def rejected_rows_csv(*, actor, origin: Origin, manifest_import: ManifestImport) -> bytes:
    """The import's rows still waiting for a correction, as a CSV to fix in a spreadsheet and
    import again: the row number, the file's columns (those the manifest uses named by their
    field, which the import reads back), and the reasons in the reader's language. UTF-8 with
    a byte-order mark, so that Excel reads it as UTF-8; every cell neutralised against
    formulas (common/spreadsheets.py)."""
    _require(actor, Permission.AID_VIEW)
    rows = list(manifest_import.rejected_rows.filter(resolved_line__isnull=True).order_by("row_number"))
    headers: list[str] = []
    for row in rows:
        headers.extend(header for header in row.values if header not in headers)
    # The line's columns in the manifest's order, the file's others after them (a database
    # may return a JSON object's keys in its own order, so the file's order is not kept).
    headers.sort(key=_field_order)
    row_label, errors_label = pgettext("rejected rows file", "row"), pgettext("rejected rows file", "errors")
    marker = pgettext("rejected rows file", "import")
    while row_label in headers:  # the file had a column of that name: both are kept
        row_label = f"{row_label} ({marker})"
    while errors_label in headers:
        errors_label = f"{errors_label} ({marker})"
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(spreadsheet_safe(cell) for cell in (row_label, *headers, errors_label))
    for row in rows:
        cells = (row.row_number, *(row.values.get(header, "") for header in headers), _errors_text(row))
        writer.writerow(spreadsheet_safe(cell) for cell in cells)
    _audit(actor, origin, manifest_import.shipment, AuditEvent.Action.AID_EXPORTED, rejected_rows=len(rows))
    return codecs.BOM_UTF8 + buffer.getvalue().encode("utf-8")
