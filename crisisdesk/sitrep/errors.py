"""Sitrep error codes and their messages. Tests import these constants."""

from enum import StrEnum

from django.utils.translation import gettext_lazy as _

from crisisdesk.common.errors import CodedValidationError


class SitrepError(StrEnum):
    AS_OF_IN_FUTURE = "as_of_in_future"
    AS_OF_INVALID = "as_of_invalid"
    AUDIENCE_UNKNOWN = "audience_unknown"
    AUDIENCE_NOT_ALLOWED = "audience_not_allowed"
    SNAPSHOT_STATE = "snapshot_state"
    CLEARER_IS_AUTHOR = "clearer_is_author"
    PERIOD_ORDER = "period_order"
    PERIOD_IN_FUTURE = "period_in_future"
    PERIOD_OVERLAPS = "period_overlaps"
    SOURCE_REQUIRED = "source_required"


MESSAGES = {
    SitrepError.AS_OF_IN_FUTURE: _("A sitrep cannot be of a moment that has not come yet."),
    SitrepError.AS_OF_INVALID: _("Give the moment as a date and time with a time zone, e.g. 2022-02-27T18:00+02:00."),
    SitrepError.AUDIENCE_UNKNOWN: _("The audience must be internal, inter_ministry or public."),
    SitrepError.AUDIENCE_NOT_ALLOWED: _("Your role may not read the internal sitrep, which names persons."),
    SitrepError.SNAPSHOT_STATE: _("The snapshot is not in a state that allows this step."),
    SitrepError.CLEARER_IS_AUTHOR: _("A snapshot is cleared by a second person, not by the one who saved it."),
    SitrepError.PERIOD_ORDER: _("The period must end after it starts."),
    SitrepError.PERIOD_IN_FUTURE: _("The period cannot end in the future."),
    SitrepError.PERIOD_OVERLAPS: _(
        "This source already gave a figure for a period that overlaps this one at this point; "
        "figures of one source are added up, so their periods must not overlap."
    ),
    SitrepError.SOURCE_REQUIRED: _("Name the source of the figure."),
}


class SitrepValidationError(CodedValidationError):
    messages = MESSAGES
