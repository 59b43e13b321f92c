"""Sitreps over the JSON API (mounted at /api/v1/sitrep/): the live figures, snapshots and
their workflow, and partner figures. The figures' keys are stable and documented in
docs/subsystems/estimates.md ("The JSON")."""

from datetime import datetime
from typing import Any

from django.http import Http404
from ninja import Field, Router, Schema, Status

from crisisdesk.border.models import CrossingPoint
from crisisdesk.common.models import AuditEvent
from crisisdesk.common.origin import Origin, origin_from_request
from crisisdesk.sitrep import selectors, services
from crisisdesk.sitrep.models import Audience, SitrepSnapshot
from crisisdesk.sitrep.report import methods_of

router = Router(tags=["situation reports"])


def _origin(request) -> Origin:
    return origin_from_request(request, channel=AuditEvent.Channel.API)


def _with_methods(figures: dict) -> dict:
    return {**figures, "methods": methods_of(figures)}


@router.get("", response=dict[str, Any], url_name="sitrep_live")
def sitrep_live(request, as_of: datetime | None = None, audience: str | None = None):
    """The sitrep as the data stood at `as_of` (default: now), for the widest audience your role
    may read unless you ask for a narrower one (`internal`, `inter_ministry`, `public`)."""
    return _with_methods(
        selectors.sitrep_for(actor=request.auth, origin=_origin(request), as_of=as_of, audience=audience)
    )


class SnapshotOut(Schema):
    number: int
    as_of: datetime
    audience: str
    state: str
    note: str
    created_at: datetime
    created_by: str = Field(alias="created_by.username")
    cleared_by: str | None = Field(None, alias="cleared_by.username")
    cleared_at: datetime | None
    distributed_at: datetime | None


class SnapshotIn(Schema):
    audience: str = Field(Audience.INTERNAL, description="internal, inter_ministry or public")
    as_of: datetime | None = Field(None, description="default: now")
    note: str = Field("", max_length=500)


@router.get("/snapshots", response=list[SnapshotOut], url_name="sitrep_snapshots")
def snapshot_list(request):
    return selectors.snapshot_list(actor=request.auth)


def _snapshot(request, number: int) -> SitrepSnapshot:
    snapshot = selectors.snapshot_get(actor=request.auth, number=number)
    if snapshot is None:
        raise Http404
    return snapshot


@router.post("/snapshots", response={201: SnapshotOut}, url_name="sitrep_snapshot_save")
def snapshot_save(request, payload: SnapshotIn):
    snapshot = services.sitrep_snapshot_save(
        actor=request.auth, origin=_origin(request), audience=payload.audience, as_of=payload.as_of, note=payload.note
    )
    return Status(201, snapshot)


@router.get("/snapshots/{number}", response=dict[str, Any], url_name="sitrep_snapshot")
def snapshot_detail(request, number: int):
    snapshot = _snapshot(request, number)
    figures = selectors.snapshot_figures(actor=request.auth, origin=_origin(request), snapshot=snapshot)
    return {**_with_methods(figures), "snapshot": SnapshotOut.from_orm(snapshot).dict()}


@router.post("/snapshots/{number}/clear", response=SnapshotOut, url_name="sitrep_snapshot_clear")
def snapshot_clear(request, number: int):
    return services.sitrep_snapshot_clear(
        actor=request.auth, origin=_origin(request), snapshot=_snapshot(request, number)
    )


@router.post("/snapshots/{number}/distribute", response=SnapshotOut, url_name="sitrep_snapshot_distribute")
def snapshot_distribute(request, number: int):
    return services.sitrep_snapshot_distribute(
        actor=request.auth, origin=_origin(request), snapshot=_snapshot(request, number)
    )


class PartnerFigureIn(Schema):
    source: str = Field(max_length=200, description="who counted, e.g. the host country's border guard")
    crossed: int = Field(ge=0, description="nationals they counted crossing in the period")
    period_start: datetime
    period_end: datetime
    point: str | None = Field(None, description="a crossing point's code, or none for all points")
    note: str = Field("", max_length=500)


class PartnerFigureOut(Schema):
    id: int
    source: str
    crossed: int
    period_start: datetime
    period_end: datetime
    point: str | None = Field(None, alias="point.code")
    note: str
    entered_at: datetime


@router.post("/partner-figures", response={201: PartnerFigureOut}, url_name="sitrep_partner_figure_add")
def partner_figure_add(request, payload: PartnerFigureIn):
    point = None
    if payload.point:
        point = CrossingPoint.objects.filter(code=payload.point).first()
        if point is None:
            raise Http404
    figure = services.partner_figure_add(
        actor=request.auth,
        origin=_origin(request),
        source=payload.source,
        crossed=payload.crossed,
        period_start=payload.period_start,
        period_end=payload.period_end,
        point=point,
        note=payload.note,
    )
    return Status(201, figure)
