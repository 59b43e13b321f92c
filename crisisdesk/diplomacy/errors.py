"""Diplomacy error codes and their messages. Tests import these constants.

No message names a record the reader may not see: a reference to a hidden channel, request
or entry is answered as "not found", exactly like one that does not exist."""

from enum import StrEnum

from django.utils.translation import gettext_lazy as _

from crisisdesk.common.errors import CodedValidationError


class DiplomacyError(StrEnum):
    NOT_FOUND = "not_found"
    NOT_READ_IN = "not_read_in"
    ALREADY_READ_IN = "already_read_in"
    NOT_READ_IN_NOW = "not_read_in_now"
    REASON_REQUIRED = "reason_required"
    REQUEST_DECIDED = "request_decided"
    OWN_REQUEST = "own_request"
    RANK_TOO_LOW = "rank_too_low"
    LEVEL_NOT_HIGHER = "level_not_higher"
    CHANNEL_CLOSED = "channel_closed"
    CHANNEL_NOT_CLOSED = "channel_not_closed"
    STATUS_UNCHANGED = "status_unchanged"
    FOLLOW_UP_DONE = "follow_up_done"
    OWNER_NOT_READ_IN = "owner_not_read_in"
    PARTICIPANT_SIDE = "participant_side"
    PARTIES_REQUIRED = "parties_required"
    DATE_IN_FUTURE = "date_in_future"
    LINE_ALREADY_APPROVED = "line_already_approved"
    LINE_OWN_DRAFT = "line_own_draft"
    INTERMEDIARY_REQUIRED = "intermediary_required"
    TEXT_REQUIRED = "text_required"


MESSAGES = {
    DiplomacyError.NOT_FOUND: _("Not found."),
    DiplomacyError.NOT_READ_IN: _("Choose a compartment you are read into."),
    DiplomacyError.ALREADY_READ_IN: _("This user is already read in."),
    DiplomacyError.NOT_READ_IN_NOW: _("This user is not read in."),
    DiplomacyError.REASON_REQUIRED: _("Give a reason."),
    DiplomacyError.REQUEST_DECIDED: _("This request has already been decided."),
    DiplomacyError.OWN_REQUEST: _("You cannot decide your own request."),
    DiplomacyError.RANK_TOO_LOW: _("This request needs the decision of a more senior role."),
    DiplomacyError.LEVEL_NOT_HIGHER: _("An escalation must raise the channel to a higher level."),
    DiplomacyError.CHANNEL_CLOSED: _("This channel is closed. Ask for it to be reopened first."),
    DiplomacyError.CHANNEL_NOT_CLOSED: _("Only a closed channel can be reopened."),
    DiplomacyError.STATUS_UNCHANGED: _("The channel already has this status."),
    DiplomacyError.FOLLOW_UP_DONE: _("This follow-up is already done."),
    DiplomacyError.OWNER_NOT_READ_IN: _("The owner must be read into the compartment."),
    DiplomacyError.PARTICIPANT_SIDE: _("Participants on our side must be our officials, and theirs the counterpart's."),
    DiplomacyError.PARTIES_REQUIRED: _("Name at least two parties."),
    DiplomacyError.DATE_IN_FUTURE: _("This date is in the future."),
    DiplomacyError.LINE_ALREADY_APPROVED: _("This line has already been approved."),
    DiplomacyError.LINE_OWN_DRAFT: _("A line is approved by someone other than its drafter."),
    DiplomacyError.INTERMEDIARY_REQUIRED: _("Name the intermediary."),
    DiplomacyError.TEXT_REQUIRED: _("This field is required."),
}


class DiplomacyValidationError(CodedValidationError):
    messages = MESSAGES
