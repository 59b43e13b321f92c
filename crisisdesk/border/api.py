"""The border desk over the JSON API (mounted at /api/v1/desk/): the field app's sync, the
points and their status, and one's own shifts.

`POST /sync` answers 200 with one result per event even when some are rejected: a batch is
never all-or-nothing (docs/subsystems/offline-sync.md). Only a malformed body or a batch over
the size limit is refused as a whole, and then nothing of it is applied.
"""

import gzip
import json
from datetime import datetime
from typing import Any

from django.http import Http404, HttpResponse
from django.utils import timezone
from ninja import Field, Router, Schema, Status

from crisisdesk.accounts.models import ApiToken
from crisisdesk.accounts.services import token_revoke
from crisisdesk.accounts.tokens import token_digest
from crisisdesk.border import selectors, services
from crisisdesk.border.access import own_shift
from crisisdesk.border.models import CrossingPoint
from crisisdesk.common.models import AuditEvent
from crisisdesk.common.origin import Origin, origin_from_request

router = Router(tags=["border desk"])


def _origin(request) -> Origin:
    return origin_from_request(request, channel=AuditEvent.Channel.API)


class SyncIn(Schema):
    device: str = Field("", max_length=100, description="A label of the device, for the review of conflicts")
    events: list[Any] = Field(
        description=(
            "Each: {id: UUID made on the device, kind, device_time: ISO 8601 with offset, payload: {...}}. "
            "Kinds: check_in, household_check_in, tally, quick_register, need, intake, staying."
        ),
        max_length=services.MAX_BATCH,
    )


class EventResultOut(Schema):
    id: str | None
    status: str = Field(description="applied, already (another device recorded it), rejected, conflict")
    reason: str
    message: str
    replayed: bool = Field(description="true when this id had been received before: nothing changed")
    person_ids: list[int]
    flagged: list[str] = Field(description="conflicts this event raised for review, and clock_ahead")


class SyncOut(Schema):
    server_time: datetime
    results: list[EventResultOut]


@router.post("/sync", response=SyncOut, url_name="desk_sync")
def desk_sync(request, payload: SyncIn):
    results = services.desk_events_sync(
        actor=request.auth, origin=_origin(request), events=payload.events, device_label=payload.device
    )
    return {"server_time": timezone.now(), "results": [result.as_dict() for result in results]}


class PointOut(Schema):
    code: str
    name: str
    name_far_side: str
    country_from: str
    country_to: str
    latitude: float | None
    longitude: float | None
    status: str
    expected_wait_minutes: int | None
    status_updated_at: datetime | None


@router.get("/points", response=list[PointOut], url_name="desk_points")
def desk_points(request):
    return selectors.crossing_point_list(actor=request.auth)


class PointStatusIn(Schema):
    status: CrossingPoint.Status
    expected_wait_minutes: int | None = Field(None, ge=0, le=7 * 24 * 60)
    note: str = Field("", max_length=500)


@router.post("/points/{code}/status", response=PointOut, url_name="desk_point_status")
def desk_point_status(request, code: str, payload: PointStatusIn):
    point = CrossingPoint.objects.filter(code=code).first()
    if point is None:
        raise Http404
    services.crossing_status_set(
        actor=request.auth,
        origin=_origin(request),
        point=point,
        status=payload.status,
        expected_wait_minutes=payload.expected_wait_minutes,
        note=payload.note,
    )
    point.refresh_from_db()
    return point


class ShiftOut(Schema):
    id: int
    point: str
    starts_at: datetime
    ends_at: datetime
    started_at: datetime | None
    ended_at: datetime | None
    handover_note: str

    @staticmethod
    def resolve_point(shift) -> str:
        return shift.point.code


class MyShiftOut(Schema):
    shift: ShiftOut
    handover_note: str | None = Field(description="the note of the last shift that ended at the point: read it first")
    handover_by: str | None


@router.get("/shifts/mine", response=list[MyShiftOut], url_name="desk_my_shifts")
def desk_my_shifts(request):
    return [
        {
            "shift": row.shift,
            "handover_note": row.handover.handover_note if row.handover else None,
            "handover_by": row.handover.officer.get_username() if row.handover else None,
        }
        for row in selectors.my_shifts(actor=request.auth)
    ]


@router.post("/shifts/{int:shift_id}/start", response=ShiftOut, url_name="desk_shift_start")
def desk_shift_start(request, shift_id: int):
    return services.shift_start(
        actor=request.auth, origin=_origin(request), shift=own_shift(actor=request.auth, shift_id=shift_id)
    )


class ShiftEndIn(Schema):
    handover_note: str = Field(max_length=5000)


@router.post("/shifts/{int:shift_id}/end", response=ShiftOut, url_name="desk_shift_end")
def desk_shift_end(request, shift_id: int, payload: ShiftEndIn):
    return services.shift_end(
        actor=request.auth,
        origin=_origin(request),
        shift=own_shift(actor=request.auth, shift_id=shift_id),
        handover_note=payload.handover_note,
    )


@router.get("/pack", url_name="desk_field_pack")
def desk_field_pack(request, point: str = ""):
    """The field pack for offline search (see `selectors.field_pack`): minimal fields of the
    persons still to come through, never contacts or documents. Audited with its ids."""
    crossing = None
    if point:
        crossing = CrossingPoint.objects.filter(code=point).first()
        if crossing is None:
            raise Http404
    pack = selectors.field_pack(actor=request.auth, origin=_origin(request), point=crossing)
    body = json.dumps(pack, ensure_ascii=False, separators=(",", ":")).encode()
    response = HttpResponse(content_type="application/json")
    # Compressed here rather than by a middleware for every response: the pack holds nothing the
    # request reflects (no CSRF token, no query text), so compression leaks nothing (BREACH).
    if "gzip" in request.headers.get("Accept-Encoding", ""):
        body = gzip.compress(body, compresslevel=6)
        response["Content-Encoding"] = "gzip"
    response["Vary"] = "Accept-Encoding"
    response["Cache-Control"] = "no-store"
    response.content = body
    return response


@router.post("/device/sign-out", response={204: None}, url_name="desk_device_sign_out")
def desk_device_sign_out(request):
    """Revoke the token this request carries: the field app's logout (its data is wiped on the
    device). A lost device's token is revoked by staff in the same way, from the token list."""
    raw = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    token = ApiToken.objects.filter(digest=token_digest(raw), revoked_at__isnull=True).first()
    if token is not None:
        token_revoke(actor=request.auth, origin=_origin(request), token=token)
    return Status(204, None)
