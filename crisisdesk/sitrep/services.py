"""Writing: partner figures and sitrep snapshots. Keyword-only, atomic, audited."""

from __future__ import annotations

import json
from datetime import datetime

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from crisisdesk.accounts.permissions import Permission, has_permission
from crisisdesk.common.audit import audit_record
from crisisdesk.common.models import AuditEvent
from crisisdesk.common.origin import Origin
from crisisdesk.registry.services import CLOCK_SKEW_ALLOWANCE
from crisisdesk.sitrep.errors import SitrepError, SitrepValidationError
from crisisdesk.sitrep.models import PartnerFigure, SitrepSnapshot
from crisisdesk.sitrep.selectors import audience_for, sitrep_compute


def _require(actor, permission: Permission) -> None:
    if not has_permission(actor, permission):
        raise PermissionDenied


@transaction.atomic
def partner_figure_add(
    *,
    actor,
    origin: Origin,
    source: str,
    crossed: int,
    period_start: datetime,
    period_end: datetime,
    point=None,
    note: str = "",
) -> PartnerFigure:
    _require(actor, Permission.PARTNER_FIGURE_ADD)
    source = " ".join(source.split())
    if not source:
        raise SitrepValidationError(SitrepError.SOURCE_REQUIRED, "source")
    if period_end <= period_start:
        raise SitrepValidationError(SitrepError.PERIOD_ORDER, "period_end")
    if period_end > timezone.now() + CLOCK_SKEW_ALLOWANCE:
        raise SitrepValidationError(SitrepError.PERIOD_IN_FUTURE, "period_end")
    overlapping = PartnerFigure.objects.filter(
        source__iexact=source, point=point, period_start__lt=period_end, period_end__gt=period_start
    )
    if overlapping.exists():
        raise SitrepValidationError(SitrepError.PERIOD_OVERLAPS, "period_start")
    figure = PartnerFigure(
        source=source,
        point=point,
        period_start=period_start,
        period_end=period_end,
        crossed=crossed,
        note=note.strip(),
        entered_by=actor,
    )
    figure.full_clean(exclude=["entered_by", "point"])
    figure.save()
    audit_record(
        actor=actor,
        origin=origin,
        action=AuditEvent.Action.PARTNER_FIGURE_ADDED,
        target=figure,
        changes={"source": source, "crossed": crossed, "point": point.code if point else None},
    )
    return figure


def sitrep_snapshot_save(
    *, actor, origin: Origin, audience: str, as_of: datetime | None = None, note: str = ""
) -> SitrepSnapshot:
    """Freeze the sitrep of `as_of` for `audience` as the next numbered draft."""
    _require(actor, Permission.SITREP_DRAFT)
    audience = audience_for(actor, audience)
    figures = sitrep_compute(actor=actor, audience=audience, as_of=as_of)
    for _attempt in range(3):
        try:
            with transaction.atomic():
                number = (SitrepSnapshot.objects.aggregate(n=Max("number"))["n"] or 0) + 1
                snapshot = SitrepSnapshot.objects.create(
                    number=number,
                    as_of=datetime.fromisoformat(figures["as_of"]),
                    audience=audience,
                    note=note.strip()[:500],
                    report_json=json.dumps(figures, sort_keys=True),
                    created_by=actor,
                )
                audit_record(
                    actor=actor,
                    origin=origin,
                    action=AuditEvent.Action.SITREP_SNAPSHOT_SAVED,
                    target=snapshot,
                    changes={
                        "number": number,
                        "audience": audience,
                        "as_of": figures["as_of"],
                        "persons": [person["id"] for person in figures.get("persons_of_concern", [])],
                    },
                )
                return snapshot
        except IntegrityError:
            # Two desk chiefs saved at once and took the same number: take the next.
            continue
    raise IntegrityError("could not number the snapshot")


def _snapshot_move(
    *, actor, origin: Origin, snapshot: SitrepSnapshot, permission: Permission, to: str, by_field: str, action: str
) -> SitrepSnapshot:
    """One step of draft → cleared → distributed, from the state before `to` only."""
    _require(actor, permission)
    locked = SitrepSnapshot.objects.select_for_update().get(pk=snapshot.pk)
    states = list(SitrepSnapshot.State.values)
    if states.index(locked.state) != states.index(to) - 1:
        raise SitrepValidationError(SitrepError.SNAPSHOT_STATE, "state")
    if to == SitrepSnapshot.State.CLEARED and locked.created_by_id == actor.pk:
        raise SitrepValidationError(SitrepError.CLEARER_IS_AUTHOR, "state")
    locked.state = to
    setattr(locked, f"{by_field}_by", actor)
    setattr(locked, f"{by_field}_at", timezone.now())
    locked.save(update_fields=["state", f"{by_field}_by", f"{by_field}_at"])
    audit_record(actor=actor, origin=origin, action=action, target=locked, changes={"state": to})
    return locked


@transaction.atomic
def sitrep_snapshot_clear(*, actor, origin: Origin, snapshot: SitrepSnapshot) -> SitrepSnapshot:
    """A second person clears a draft; from then on its figures never change."""
    return _snapshot_move(
        actor=actor,
        origin=origin,
        snapshot=snapshot,
        permission=Permission.SITREP_CLEAR,
        to=SitrepSnapshot.State.CLEARED,
        by_field="cleared",
        action=AuditEvent.Action.SITREP_SNAPSHOT_CLEARED,
    )


@transaction.atomic
def sitrep_snapshot_distribute(*, actor, origin: Origin, snapshot: SitrepSnapshot) -> SitrepSnapshot:
    return _snapshot_move(
        actor=actor,
        origin=origin,
        snapshot=snapshot,
        permission=Permission.SITREP_DISTRIBUTE,
        to=SitrepSnapshot.State.DISTRIBUTED,
        by_field="distributed",
        action=AuditEvent.Action.SITREP_SNAPSHOT_DISTRIBUTED,
    )
