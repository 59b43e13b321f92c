"""Reading sitreps: permission-checked, audited, redacted for the reader.

A reader with `person.view` reads the internal sitrep (which names persons of concern); any
other reader with `sitrep.view` reads what another ministry would. Sections contributed by
other modules are asked, reader by reader, whether this reader may see them — in live
sitreps and in snapshots alike.
"""

from __future__ import annotations

import json
from datetime import datetime

from django.core.exceptions import PermissionDenied
from django.utils import timezone

from crisisdesk.accounts.permissions import Permission, has_permission
from crisisdesk.common.audit import audit_record
from crisisdesk.common.models import AuditEvent
from crisisdesk.common.origin import Origin
from crisisdesk.sitrep.errors import SitrepError, SitrepValidationError
from crisisdesk.sitrep.figures import SitrepWindow, sitrep_figures
from crisisdesk.sitrep.models import Audience, PartnerFigure, SitrepSnapshot
from crisisdesk.sitrep.report import figures_redacted
from crisisdesk.sitrep.sections import SectionContext, section_by_key, sections_registered


def _require(actor, permission: Permission) -> None:
    if not has_permission(actor, permission):
        raise PermissionDenied


def audience_for(actor, requested: str | None = None) -> str:
    """The audience a reader reads as: the one asked for, if their role allows it."""
    widest = Audience.INTERNAL if has_permission(actor, Permission.PERSON_VIEW) else Audience.INTER_MINISTRY
    if requested in (None, ""):
        return widest
    if requested not in Audience.values:
        raise SitrepValidationError(SitrepError.AUDIENCE_UNKNOWN, "audience")
    if requested == Audience.INTERNAL and widest != Audience.INTERNAL:
        raise SitrepValidationError(SitrepError.AUDIENCE_NOT_ALLOWED, "audience")
    return requested


def as_of_checked(as_of: datetime | None) -> datetime:
    now = timezone.now()
    if as_of is None:
        return now
    if timezone.is_naive(as_of):
        raise SitrepValidationError(SitrepError.AS_OF_INVALID, "as_of")
    if as_of > now:
        raise SitrepValidationError(SitrepError.AS_OF_IN_FUTURE, "as_of")
    return as_of


def _section_figures(*, actor, audience: str, window: SitrepWindow) -> list[dict]:
    context = SectionContext(as_of=window.as_of, window_start=window.start)
    return [
        {
            "key": section.key,
            "title": section.title_text(),
            "rows": [{"label": row.label, "value": row.value, "href": row.href} for row in section.rows(context)],
        }
        for section in sections_registered()
        if audience in section.audiences and section.visible_to(actor)
    ]


def sections_for_reader(figures: dict, *, actor) -> dict:
    """Drop the contributed sections this reader may not see (a snapshot saved by someone
    read into a compartment, read by someone who is not)."""
    kept = []
    for stored in figures.get("sections", []):
        section = section_by_key(stored["key"])
        if section is not None and section.visible_to(actor):
            kept.append(stored)
    return {**figures, "sections": kept}


def sitrep_compute(*, actor, audience: str, as_of: datetime | None = None) -> dict:
    """The figures for `audience` at `as_of`, with the sections `actor` may see. Neither checks
    permission nor audits: for the services and the selectors below."""
    window = SitrepWindow.ending(as_of_checked(as_of))
    figures = sitrep_figures(window=window, include_persons=audience == Audience.INTERNAL)
    figures["generated_at"] = timezone.now().isoformat()
    figures["sections"] = _section_figures(actor=actor, audience=audience, window=window)
    return figures_redacted(figures, audience=audience)


def sitrep_for(*, actor, origin: Origin, as_of: datetime | None = None, audience: str | None = None) -> dict:
    _require(actor, Permission.SITREP_VIEW)
    audience = audience_for(actor, audience)
    figures = sitrep_compute(actor=actor, audience=audience, as_of=as_of)
    _audit_read(actor=actor, origin=origin, figures=figures, target=None)
    return figures


def sitrep_for_operator(*, origin: Origin, as_of: datetime | None = None, audience: str = Audience.INTERNAL) -> dict:
    """The sitrep for the server's operator (the shell): any audience; contributed sections
    only where they allow a reader who is nobody in particular."""
    if audience not in Audience.values:
        raise SitrepValidationError(SitrepError.AUDIENCE_UNKNOWN, "audience")
    figures = sitrep_compute(actor=None, audience=audience, as_of=as_of)
    _audit_read(actor=None, origin=origin, figures=figures, target=None)
    return figures


def _audit_read(*, actor, origin: Origin, figures: dict, target) -> None:
    audit_record(
        actor=actor,
        origin=origin,
        action=AuditEvent.Action.SITREP_VIEWED,
        target=target,
        changes={
            "as_of": figures["as_of"],
            "audience": figures["audience"],
            # The persons an internal sitrep names, so that each read of them is on record.
            "persons": [person["id"] for person in figures.get("persons_of_concern", [])],
        },
    )


def snapshot_list(*, actor) -> list[SitrepSnapshot]:
    _require(actor, Permission.SITREP_VIEW)
    snapshots = SitrepSnapshot.objects.select_related("created_by", "cleared_by", "distributed_by")
    if audience_for(actor) != Audience.INTERNAL:
        snapshots = snapshots.exclude(audience=Audience.INTERNAL)
    return list(snapshots)


def snapshot_get(*, actor, number: int) -> SitrepSnapshot | None:
    return next((snapshot for snapshot in snapshot_list(actor=actor) if snapshot.number == number), None)


def snapshot_figures(*, actor, origin: Origin, snapshot: SitrepSnapshot) -> dict:
    """A snapshot's figures as this reader may see them; the read is audited."""
    _require(actor, Permission.SITREP_VIEW)
    if snapshot.audience == Audience.INTERNAL and audience_for(actor) != Audience.INTERNAL:
        raise PermissionDenied
    figures = sections_for_reader(snapshot.report, actor=actor)
    _audit_read(actor=actor, origin=origin, figures=figures, target=snapshot)
    return figures


def previous_snapshot_figures(snapshot: SitrepSnapshot | None = None, *, actor) -> tuple[int, dict] | None:
    """The snapshot before `snapshot` (or the latest, for a live sitrep) that this reader may
    read, for "+412 crossed since sitrep #7"."""
    candidates = SitrepSnapshot.objects.order_by("-number")
    if snapshot is not None:
        candidates = candidates.filter(number__lt=snapshot.number)
    if audience_for(actor) != Audience.INTERNAL:
        candidates = candidates.exclude(audience=Audience.INTERNAL)
    previous = candidates.only("number", "report_json").first()
    return (previous.number, json.loads(previous.report_json)) if previous else None


def partner_figures_recent(*, actor, limit: int = 20) -> list[PartnerFigure]:
    _require(actor, Permission.SITREP_VIEW)
    return list(PartnerFigure.objects.select_related("point", "entered_by")[:limit])
