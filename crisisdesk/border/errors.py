"""Border-desk error codes and their messages. Tests import these constants.

A sync result carries the code as its `reason`, so a field device can show the message in
the officer's language and the desk chief can count rejections by kind."""

from enum import StrEnum

from django.utils.translation import gettext_lazy as _

from crisisdesk.common.errors import CodedValidationError


class BorderError(StrEnum):
    EVENT_ID_INVALID = "event_id_invalid"
    EVENT_KIND_UNKNOWN = "event_kind_unknown"
    EVENT_TIME_INVALID = "event_time_invalid"
    PAYLOAD_INVALID = "payload_invalid"
    SAME_ID_OTHER_CONTENT = "same_id_other_content"
    POINT_UNKNOWN = "point_unknown"
    PERSON_UNKNOWN = "person_unknown"
    PERSON_EVENT_UNKNOWN = "person_event_unknown"
    HOUSEHOLD_UNKNOWN = "household_unknown"
    HOUSEHOLD_MEMBER_UNKNOWN = "household_member_unknown"
    BATCH_TOO_LARGE = "batch_too_large"
    POST_CLOSED = "post_closed"
    POST_DATES = "post_dates"
    SHIFT_WINDOW = "shift_window"
    SHIFT_NOT_YOURS = "shift_not_yours"
    SHIFT_STATE = "shift_state"
    HANDOVER_REQUIRED = "handover_required"
    CONFLICT_RESOLVED = "conflict_resolved"
    RESOLUTION_REQUIRED = "resolution_required"


MESSAGES = {
    BorderError.EVENT_ID_INVALID: _("The event has no valid id (a UUID)."),
    BorderError.EVENT_KIND_UNKNOWN: _("This kind of event is unknown."),
    BorderError.EVENT_TIME_INVALID: _("The event's time is missing or not a date and time with a time zone."),
    BorderError.PAYLOAD_INVALID: _("The event's content is incomplete or invalid."),
    BorderError.SAME_ID_OTHER_CONTENT: _(
        "Another event with this id, but different content, was received before. Both are kept for review."
    ),
    BorderError.POINT_UNKNOWN: _("Unknown crossing point."),
    BorderError.PERSON_UNKNOWN: _("This person is not in the registry."),
    BorderError.PERSON_EVENT_UNKNOWN: _("The quick registration this event refers to has not been received."),
    BorderError.HOUSEHOLD_UNKNOWN: _("This household is not in the registry."),
    BorderError.HOUSEHOLD_MEMBER_UNKNOWN: _("A person named here is not a member of the household."),
    BorderError.BATCH_TOO_LARGE: _("Too many events in one batch. Send them in smaller batches."),
    BorderError.POST_CLOSED: _("This post is already closed."),
    BorderError.POST_DATES: _("A post cannot close before it opened."),
    BorderError.SHIFT_WINDOW: _("A shift must end after it starts, and last at most 24 hours."),
    BorderError.SHIFT_NOT_YOURS: _("This is not your shift."),
    BorderError.SHIFT_STATE: _("This shift cannot do that now (not started, or already ended)."),
    BorderError.HANDOVER_REQUIRED: _("Write a handover note for the next shift."),
    BorderError.CONFLICT_RESOLVED: _("This conflict has already been resolved."),
    BorderError.RESOLUTION_REQUIRED: _("Say how the conflict was resolved."),
}


class BorderValidationError(CodedValidationError):
    messages = MESSAGES
