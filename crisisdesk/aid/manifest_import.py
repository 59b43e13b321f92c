"""A shipment's manifest imported from a spreadsheet (XLSX or CSV): row-level errors, nothing lost.

Every data row of the file ends up in exactly one place: a manifest line (with the import and
the row it came from, `source_import` / `source_row`), or a `RejectedRow` keeping the cells as
they were read (by line field for the columns the manifest uses, by header for the others)
and the reasons per field, as codes. Wholly blank rows are the only ones skipped. A
rejected row is corrected later (`rejected_row_correct`), or downloaded with its reasons as a
CSV to fix in a spreadsheet (`rejected_rows_csv`). Rows are checked by `lines.line_parse`, the
same check as a line typed into the form.

The file is read by `common.spreadsheets.sheet_read` (XLSX or CSV by its content, the encoding
and the delimiter found, zip bombs and DTDs refused; the rules are in that module), within a
manifest's limits, and its refusals become the aid codes (`AidError.FILE_EMPTY`,
`FILE_TOO_LARGE`, `IMPORT_FILE_UNREADABLE`, `IMPORT_TOO_LARGE`).

Limits: `MANIFEST_MAX_BYTES` for the upload, `MAX_ROWS` data rows, `MAX_COLUMNS` columns,
`XLSX_MAX_UNPACKED_BYTES` for what an XLSX unpacks to.

Header names map to line fields by their normalised text and common synonyms (`column_field`);
a weight column must say it is in kilograms ("Gross weight (kg)"), because a weight in tonnes
read as kilograms would be a thousand times wrong and look plausible.
"""

import codecs
import csv
import hashlib
import io
from collections.abc import Mapping
from dataclasses import dataclass

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
from crisisdesk.common.spreadsheets import Sheet, SheetError, SheetRejected, header_key, sheet_read, spreadsheet_safe

MANIFEST_MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 5000
MAX_COLUMNS = 100
# What an XLSX may unpack to. A 5,000-row manifest is a few megabytes of XML.
XLSX_MAX_UNPACKED_BYTES = 64 * 1024 * 1024
FILE_NAME_LENGTH = 120

# Normalised header text (see `header_key`) → line field. English as manifests are written
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


_FIELD_OF_HEADER = {header_key(header): field for field, headers in _SYNONYMS.items() for header in (field, *headers)}


def column_field(header: str) -> str | None:
    """The line field a column header names, or None for a column the manifest does not use."""
    return _FIELD_OF_HEADER.get(header_key(header))


# --- reading the file -----------------------------------------------------------------------

# The refusals of the common reading, in the codes (and with the details) the desk already
# shows for a manifest.
_AID_ERROR_OF_SHEET_ERROR = {
    SheetError.EMPTY: AidError.FILE_EMPTY,
    SheetError.TOO_LARGE: AidError.FILE_TOO_LARGE,
    SheetError.UNREADABLE: AidError.IMPORT_FILE_UNREADABLE,
    SheetError.TOO_MANY_ROWS: AidError.IMPORT_TOO_LARGE,
    SheetError.TOO_MANY_COLUMNS: AidError.IMPORT_TOO_LARGE,
}


def _manifest_sheet(content: bytes) -> Sheet:
    """The file's header and rows within a manifest's limits (common/spreadsheets.py)."""
    try:
        return sheet_read(
            content,
            max_bytes=MANIFEST_MAX_BYTES,
            max_rows=MAX_ROWS,
            max_columns=MAX_COLUMNS,
            max_unpacked_bytes=XLSX_MAX_UNPACKED_BYTES,
        )
    except SheetRejected as rejected:
        code = _AID_ERROR_OF_SHEET_ERROR[rejected.code]
        raise AidValidationError(code, rejected.field, details=rejected.details) from rejected


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
    sheet = _manifest_sheet(content)
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
