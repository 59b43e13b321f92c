"""The registry over the JSON API (mounted at /api/v1/registry/).

Each endpoint parses its input, calls one selector or service and returns what it gets;
access rules live in selectors.py and access.py, field rules in schemas.py. Every call,
read or write, leaves an audit row with channel "api".
"""

from django.core.exceptions import PermissionDenied
from ninja import Query, Router, Status

from crisisdesk.accounts.permissions import Permission, has_permission
from crisisdesk.common.models import AuditEvent
from crisisdesk.common.origin import Origin, origin_from_request
from crisisdesk.registry import access, selectors, services
from crisisdesk.registry.models import Channel, StatusEvent
from crisisdesk.registry.schemas import (
    IntakeSummaryOut,
    PersonCreateIn,
    PersonDetailOut,
    PersonListQuery,
    PersonPageOut,
    PersonSearchPageOut,
    PersonSearchQuery,
    PersonUpdateIn,
    StatusEventIn,
    StatusEventOut,
)

router = Router(tags=["registry"])
search_router = Router(tags=["search"])


def _origin(request) -> Origin:
    return origin_from_request(request, channel=AuditEvent.Channel.API)


@router.get("/persons", response=PersonPageOut, url_name="person_list")
def person_list(request, query: Query[PersonListQuery]):
    """Persons matching the filters, 50 a page, ordered by family name."""
    return selectors.person_page(
        actor=request.auth, origin=_origin(request), filters=query.filters(), page_number=query.page
    )


@search_router.get("/search", response=PersonSearchPageOut, url_name="person_search")
def person_search(request, query: Query[PersonSearchQuery]):
    """Persons whose name, in Hebrew, Cyrillic or Latin script and any spelling, matches `q`,
    best first, with a score and the reason; or the household of a reference code. Year of
    birth and sex only break ties. Scoped, paginated and audited like the list."""
    return selectors.person_page(
        actor=request.auth, origin=_origin(request), filters=query.filters(), page_number=query.page
    )


@router.get("/persons/{int:person_id}", response=PersonDetailOut, url_name="person_detail")
def person_detail(request, person_id: int):
    """One person with their timeline. A person the caller may not see is 404, like a
    missing one."""
    return selectors.person_get(actor=request.auth, origin=_origin(request), person_id=person_id)


@router.post("/persons", response={201: PersonDetailOut}, url_name="person_create")
def person_create(request, payload: PersonCreateIn):
    if not has_permission(request.auth, Permission.PERSON_CREATE):
        raise PermissionDenied
    person = services.person_create(
        actor=request.auth, origin=_origin(request), data=payload.to_input(), channel=Channel.API
    )
    return Status(201, person)


@router.patch("/persons/{int:person_id}", response=PersonDetailOut, url_name="person_update")
def person_update(request, person_id: int, payload: PersonUpdateIn):
    """Change the fields present in the body. 409 `version_conflict` when someone else
    changed the person since the client read `version`."""
    person = access.person_for_change(actor=request.auth, person_id=person_id, permission=Permission.PERSON_CHANGE)
    return services.person_update(
        actor=request.auth,
        origin=_origin(request),
        person=person,
        changes=payload.changes(),
        citizenships=payload.citizenships,
        vulnerabilities=payload.vulnerabilities,
        expected_version=payload.version,
    )


@router.post("/persons/{int:person_id}/events", response={201: StatusEventOut}, url_name="status_event_add")
def status_event_add(request, person_id: int, payload: StatusEventIn):
    """Append an event to the timeline. The timeline is append-only: to undo an event,
    add one of kind `entered_in_error` that `corrects` it."""
    person = access.person_for_change(actor=request.auth, person_id=person_id, permission=Permission.STATUS_EVENT_ADD)
    event = services.status_event_add(
        actor=request.auth,
        origin=_origin(request),
        person=person,
        kind=payload.kind,
        occurred_at=payload.occurred_at,
        source=StatusEvent.Source.API,
        crossing_point=access.crossing_point_by_code(payload.crossing_point),
        place_note=payload.place_note,
        note=payload.note,
        corrects=access.correction_target(person=person, event_id=payload.corrects),
    )
    return Status(201, event)


@router.get("/registrations/intake", response=IntakeSummaryOut, url_name="registration_intake")
def registration_intake(request):
    """How many public registrations wait to be added to the registry (and are not in
    the lists yet), since when, and how many failed."""
    return selectors.registration_intake_summary(actor=request.auth)
