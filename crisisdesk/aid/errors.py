"""Aid shipment error codes and their messages. Tests import these constants."""

from enum import StrEnum

from django.utils.translation import gettext_lazy as _

from crisisdesk.common.errors import CodedValidationError


class AidError(StrEnum):
    NOT_FOUND = "not_found"
    STALE = "stale"
    STATUS_NOT_NEXT = "status_not_next"
    CLOSED = "closed"
    REASON_REQUIRED = "reason_required"
    CLEARANCE_INCOMPLETE = "clearance_incomplete"
    MANIFEST_EMPTY = "manifest_empty"
    MANIFEST_LOCKED = "manifest_locked"
    RECEIPT_REQUIRED = "receipt_required"
    NOT_ARRIVED = "not_arrived"
    ALREADY_HANDED_OVER = "already_handed_over"
    DISCREPANCY_TOO_LARGE = "discrepancy_too_large"
    DISCREPANCY_NOT_NOW = "discrepancy_not_now"
    LINE_INVALID = "line_invalid"
    ROUTE_REQUIRED = "route_required"
    CONSIGNEE_REQUIRED = "consignee_required"
    ARRIVAL_BEFORE_DEPARTURE = "arrival_before_departure"
    IMPORT_FILE_UNREADABLE = "import_file_unreadable"
    IMPORT_COLUMNS_MISSING = "import_columns_missing"
    IMPORT_COLUMNS_DUPLICATE = "import_columns_duplicate"
    IMPORT_ALREADY = "import_already"
    IMPORT_TOO_LARGE = "import_too_large"
    ROW_RESOLVED = "row_resolved"
    SIGNATURE_INVALID = "signature_invalid"
    FILE_EMPTY = "file_empty"
    FILE_TOO_LARGE = "file_too_large"
    FILE_TYPE = "file_type"
    FILE_DAMAGED = "file_damaged"


MESSAGES = {
    AidError.NOT_FOUND: _("Not found."),
    AidError.STALE: _("Someone else changed this shipment meanwhile. Reload it and try again."),
    AidError.STATUS_NOT_NEXT: _("The shipment cannot move to that status from where it is."),
    AidError.CLOSED: _("This shipment is closed."),
    AidError.REASON_REQUIRED: _("Give the reason."),
    AidError.CLEARANCE_INCOMPLETE: _(
        "The clearance checklist is not complete. Complete it, or have a logistics officer override it with a reason."
    ),
    AidError.MANIFEST_EMPTY: _("A shipment departs with a manifest: add its lines first."),
    AidError.MANIFEST_LOCKED: _("The shipment has left: its manifest is what was sent and no longer changes."),
    AidError.RECEIPT_REQUIRED: _("A handover needs a receipt: the receiver's signature or a signed receipt."),
    AidError.NOT_ARRIVED: _("A shipment is handed over after it has arrived."),
    AidError.ALREADY_HANDED_OVER: _("This shipment has already been handed over."),
    AidError.DISCREPANCY_TOO_LARGE: _("More is reported short or damaged than the line dispatched."),
    AidError.DISCREPANCY_NOT_NOW: _("Discrepancies are recorded on arrival and at handover."),
    AidError.LINE_INVALID: _("The line has errors."),
    AidError.ROUTE_REQUIRED: _("Give where the shipment leaves from and where it goes."),
    AidError.CONSIGNEE_REQUIRED: _("Choose the consignee organisation."),
    AidError.ARRIVAL_BEFORE_DEPARTURE: _("The arrival is before the departure."),
    AidError.IMPORT_FILE_UNREADABLE: _("The file could not be read as CSV or XLSX."),
    AidError.IMPORT_COLUMNS_MISSING: _("The file lacks required columns."),
    AidError.IMPORT_COLUMNS_DUPLICATE: _("Two columns of the file hold the same field: keep one."),
    AidError.IMPORT_ALREADY: _("This file was already imported into this shipment."),
    AidError.IMPORT_TOO_LARGE: _("The file has too many rows for one manifest."),
    AidError.ROW_RESOLVED: _("This row has already been corrected and imported."),
    AidError.SIGNATURE_INVALID: _("The signature could not be read. Sign again."),
    AidError.FILE_EMPTY: _("The file is empty."),
    AidError.FILE_TOO_LARGE: _("The file is too large."),
    AidError.FILE_TYPE: _("Send a PDF, JPEG or PNG file."),
    AidError.FILE_DAMAGED: _("The file could not be read. It may be damaged."),
}


class AidValidationError(CodedValidationError):
    messages = MESSAGES

    def __init__(self, code: StrEnum, field: str | None = None, details: dict | None = None):
        super().__init__(code, field)
        # Per-field messages, for a line or a row with several errors.
        self.details = details or {}
