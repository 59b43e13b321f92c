"""Case error codes and their messages. Tests import these constants."""

from enum import StrEnum

from django.utils.translation import gettext_lazy as _

from crisisdesk.common.errors import CodedValidationError


class CaseError(StrEnum):
    NOT_FOUND = "not_found"
    CLOSED = "closed"
    STAGE_NOT_NEXT = "stage_not_next"
    REASON_REQUIRED = "reason_required"
    NOTE_REQUIRED = "note_required"
    NOT_AT_DECISION = "not_at_decision"
    REJECTION_PENDING = "rejection_pending"
    NO_REJECTION_PENDING = "no_rejection_pending"
    SECOND_OFFICER_REQUIRED = "second_officer_required"
    TRAVEL_NEEDS_APPROVAL = "travel_needs_approval"
    NOT_YOURS = "not_yours"
    ALREADY_ASSIGNED = "already_assigned"
    OFFICER_CANNOT_WORK = "officer_cannot_work"
    APPLICANT_REQUIRED = "applicant_required"
    ONE_APPLICANT = "one_applicant"
    UNKNOWN_TYPE = "unknown_type"
    UNKNOWN_BASIS = "unknown_basis"
    FILE_EMPTY = "file_empty"
    FILE_TOO_LARGE = "file_too_large"
    FILE_TYPE = "file_type"
    FILE_DAMAGED = "file_damaged"
    DOCUMENT_KIND = "document_kind"
    PIPELINE_INVALID = "pipeline_invalid"
    STALE = "stale"
    MEMBER_TWICE = "member_twice"


MESSAGES = {
    CaseError.NOT_FOUND: _("Not found."),
    CaseError.CLOSED: _("This case is closed."),
    CaseError.STAGE_NOT_NEXT: _("The case cannot move to that stage from where it is."),
    CaseError.REASON_REQUIRED: _("Give the reason."),
    CaseError.NOTE_REQUIRED: _("Write the note."),
    CaseError.NOT_AT_DECISION: _("A decision is taken when the case is awaiting decision."),
    CaseError.REJECTION_PENDING: _("A rejection is waiting for a second officer's review."),
    CaseError.NO_REJECTION_PENDING: _("No rejection is waiting for review."),
    CaseError.SECOND_OFFICER_REQUIRED: _("A rejection is confirmed by an officer other than the one who proposed it."),
    CaseError.TRAVEL_NEEDS_APPROVAL: _("Travel is arranged only for an approved request."),
    CaseError.NOT_YOURS: _("This case is assigned to another officer."),
    CaseError.ALREADY_ASSIGNED: _("This case is already assigned."),
    CaseError.OFFICER_CANNOT_WORK: _("This user cannot work on cases."),
    CaseError.APPLICANT_REQUIRED: _("A request needs an applicant."),
    CaseError.ONE_APPLICANT: _("A request has one applicant; the others are family members."),
    CaseError.UNKNOWN_TYPE: _("Choose a request type."),
    CaseError.UNKNOWN_BASIS: _("Choose a basis of eligibility."),
    CaseError.FILE_EMPTY: _("The file is empty."),
    CaseError.FILE_TOO_LARGE: _("The file is too large."),
    CaseError.FILE_TYPE: _("Send a PDF, JPEG or PNG file."),
    CaseError.FILE_DAMAGED: _("The file could not be read. It may be damaged."),
    CaseError.DOCUMENT_KIND: _("Choose what the document is."),
    CaseError.PIPELINE_INVALID: _("A pipeline runs from received to a decision, and travel follows an approval."),
    CaseError.MEMBER_TWICE: _("The same person is named twice on the request."),
    CaseError.STALE: _("Someone else changed this case meanwhile. Reload it and try again."),
}


class CaseValidationError(CodedValidationError):
    messages = MESSAGES
