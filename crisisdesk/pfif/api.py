"""PFIF over the JSON API (mounted at /api/v1/pfif/, permission `pfif.exchange` checked
before anything is read, as for the diplomacy routes).

- `GET /api/v1/pfif/persons?min_entry_date=…&skip=…&max_results=…`: the export as PFIF 1.4
  XML, Person Finder's feed parameters: persons entered or changed at or after
  `min_entry_date` (a PFIF date or a day), in entry_date order, `max_results` of them (100 by
  default, at most `PFIF_EXPORT_MAX_RESULTS`) from the `skip`-th.
- `POST /api/v1/pfif/import[?file_name=…]`: the body is a PFIF 1.4 document
  (`Content-Type: application/xml`); the answer is the batch's counts and its first rejected
  records. A refused file is 422 with `code` from `PfifError`.
"""

from django.conf import settings
from django.http import HttpResponse
from ninja import Router, Schema, Status

from crisisdesk.common.models import AuditEvent
from crisisdesk.common.origin import origin_from_request
from crisisdesk.pfif import mapping
from crisisdesk.pfif.errors import PfifError, PfifRefused, pfif_message
from crisisdesk.pfif.exports import pfif_export
from crisisdesk.pfif.imports import pfif_import

router = Router(tags=["pfif"])
DEFAULT_MAX_RESULTS = 100


class PfifErrorOut(Schema):
    code: str
    field: str | None
    message: str
    details: dict = {}


class RejectedOut(Schema):
    kind: str
    position: int
    record_id: str
    errors: dict[str, list[str]]
    messages: dict[str, list[str]]


class PfifImportOut(Schema):
    batch: int
    persons: dict[str, int]
    notes: dict[str, int]
    links_queued: int
    first_rejected: list[RejectedOut]


def _origin(request):
    return origin_from_request(request, channel=AuditEvent.Channel.API)


def _refused(refused: PfifRefused, field: str) -> Status:
    return Status(
        422, {"code": refused.code.value, "field": field, "message": refused.message, "details": refused.details}
    )


@router.get("/persons", response={200: None, 422: PfifErrorOut}, url_name="pfif_persons")
def persons(request, min_entry_date: str = "", skip: int = 0, max_results: int = DEFAULT_MAX_RESULTS):
    """The registry's persons with their notes, as PFIF 1.4 XML."""
    try:
        since = mapping.since_parse(min_entry_date)
    except ValueError:
        return _refused(PfifRefused(PfifError.SINCE_INVALID), "min_entry_date")
    export = pfif_export(
        actor=request.auth,
        origin=_origin(request),
        since=since,
        skip=max(skip, 0),
        max_results=min(max(max_results, 0), settings.PFIF_EXPORT_MAX_RESULTS),
    )
    return HttpResponse(export.content, content_type="application/xml; charset=utf-8")


@router.post("/import", response={201: PfifImportOut, 422: PfifErrorOut}, url_name="pfif_import")
def import_(request, file_name: str = "api.xml"):
    """Import a PFIF 1.4 document sent as the request body."""
    # Read from the stream, at most one byte over the cap: `request.body` would refuse a large
    # body with Django's own limit before ours could say why.
    content = request.read(settings.PFIF_IMPORT_MAX_BYTES + 1)
    try:
        result = pfif_import(actor=request.auth, origin=_origin(request), file_name=file_name, content=content)
    except PfifRefused as refused:
        return _refused(refused, "body")
    batch = result.batch
    return Status(
        201,
        {
            "batch": batch.pk,
            "persons": {
                "total": batch.persons_total,
                "imported": batch.persons_imported,
                "skipped": batch.persons_skipped,
                "rejected": batch.persons_rejected,
            },
            "notes": {
                "total": batch.notes_total,
                "imported": batch.notes_imported,
                "skipped": batch.notes_skipped,
                "rejected": batch.notes_rejected,
            },
            "links_queued": batch.links_queued,
            "first_rejected": [
                {
                    "kind": row.kind,
                    "position": row.position,
                    "record_id": row.record_id,
                    "errors": row.errors,
                    "messages": {name: [pfif_message(code) for code in codes] for name, codes in row.errors.items()},
                }
                for row in result.first_rejected
            ],
        },
    )
