"""The single access path for the module's compartmented records.

Every read of a channel, a channel request, a contact entry, a follow-up, a mediation request
or an approach goes through `visible(model, actor)` or `access_by_id(model, actor, id)`. A
record is visible when the actor's role may open the module, the actor is read into the
record's compartment, and every record it hangs off is visible too (an entry on a channel the
reader cannot see would give the channel away). Missing and hidden records raise the same
`Http404`, so a reader outside a compartment cannot tell the two apart.
"""

import uuid

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from crisisdesk.accounts.permissions import Permission, has_permission
from crisisdesk.diplomacy.models import (
    Approach,
    Channel,
    ChannelRequest,
    Compartment,
    ContactEntry,
    FollowUp,
    MediationRequest,
    ReadIn,
)

# Each guarded model and the paths to the compartments it depends on: its own, and those of
# the records it refers to (nullable ones count only when set).
_COMPARTMENT_PATHS: dict[type, tuple[str, ...]] = {
    Compartment: ("id",),
    Channel: ("compartment",),
    ChannelRequest: ("compartment", "channel__compartment"),
    ContactEntry: ("compartment", "channel__compartment"),
    FollowUp: ("compartment", "entry__compartment", "entry__channel__compartment"),
    MediationRequest: ("compartment", "channel__compartment"),
    Approach: ("compartment", "channel__compartment", "request__compartment", "request__channel__compartment"),
}
_NULLABLE_PREFIXES = {
    ChannelRequest: {"channel__compartment": "channel"},
    MediationRequest: {"channel__compartment": "channel"},
    Approach: {
        "channel__compartment": "channel",
        "request__compartment": "request",
        "request__channel__compartment": "request__channel",
    },
}
GUARDED_MODELS = tuple(_COMPARTMENT_PATHS)


def may_open_module(actor) -> bool:
    return has_permission(actor, Permission.DIPLOMACY_VIEW)


def read_in_compartment_ids(actor) -> list[uuid.UUID]:
    """The compartments `actor` is read into now. Empty for anyone the module is closed to."""
    if not may_open_module(actor):
        return []
    return list(
        ReadIn.objects.filter(user=actor, read_out_at__isnull=True, read_in_at__lte=timezone.now()).values_list(
            "compartment_id", flat=True
        )
    )


def is_read_in(actor, compartment_id) -> bool:
    return compartment_id in read_in_compartment_ids(actor)


def visible_condition(model: type, compartment_ids) -> Q:
    nullable = _NULLABLE_PREFIXES.get(model, {})
    condition = Q()
    for path in _COMPARTMENT_PATHS[model]:
        allowed = Q(**{f"{path}__in": compartment_ids}) if path != "id" else Q(pk__in=compartment_ids)
        if path in nullable:
            allowed |= Q(**{f"{nullable[path]}__isnull": True})
        condition &= allowed
    return condition


def visible(model: type, actor, queryset: QuerySet | None = None) -> QuerySet:
    """The records of `model` that `actor` may see: none at all without a read-in."""
    if model not in _COMPARTMENT_PATHS:
        raise TypeError(f"{model.__name__} is not a compartmented model")
    rows = model.objects.all() if queryset is None else queryset
    compartment_ids = read_in_compartment_ids(actor)
    if not compartment_ids:
        return rows.none()
    return rows.filter(visible_condition(model, compartment_ids))


def related_channel_condition(actor, prefix: str) -> Q:
    """For counts across a relation (a counterpart's channels): only the visible ones."""
    compartment_ids = read_in_compartment_ids(actor)
    if not compartment_ids:
        return Q(pk__in=[])
    return Q(**{f"{prefix}compartment__in": compartment_ids})


def _as_uuid(value) -> uuid.UUID | None:
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except (TypeError, ValueError, AttributeError):
        return None


def access_by_id(model: type, actor, record_id, queryset: QuerySet | None = None):
    """The record, or `Http404` whether it is missing or hidden: the same answer for both."""
    key = _as_uuid(record_id)
    if key is None:
        raise Http404
    record = visible(model, actor, queryset).filter(pk=key).first()
    if record is None:
        raise Http404
    return record
