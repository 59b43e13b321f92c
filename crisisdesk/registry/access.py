"""Loading the registry records a request names by id, guarded in one place.

Reading a person for display goes through `selectors.person_get` (audited, and missing
looks like forbidden). Writes name their person by id too; `person_for_change` refuses a
role without the permission before it looks the person up, so a role that may not write
learns nothing from the answer.
"""

from django.core.exceptions import PermissionDenied
from django.http import Http404

from crisisdesk.accounts.permissions import Permission, has_permission
from crisisdesk.border.models import CrossingPoint
from crisisdesk.registry.errors import RegistryError, RegistryValidationError
from crisisdesk.registry.models import Person, StatusEvent


def person_for_change(*, actor, person_id: int, permission: Permission) -> Person:
    """The person `actor` is about to change. PermissionDenied for a role without
    `permission`, Http404 for a person that does not exist."""
    if not has_permission(actor, permission):
        raise PermissionDenied
    person = Person.objects.filter(pk=person_id).first()
    if person is None:
        raise Http404
    return person


def crossing_point_by_code(code: str | None) -> CrossingPoint | None:
    """The crossing point a request names by its code, or None when it names none."""
    if not code:
        return None
    point = CrossingPoint.objects.filter(code=code).first()
    if point is None:
        raise RegistryValidationError(RegistryError.CROSSING_POINT_UNKNOWN, "crossing_point")
    return point


def correction_target(*, person: Person, event_id: int | None) -> StatusEvent | None:
    """The event of `person` that a correction points at. An id that is not one of this
    person's events is refused the same way whether or not it exists."""
    if event_id is None:
        return None
    event = StatusEvent.objects.filter(pk=event_id, person=person).first()
    if event is None:
        raise RegistryValidationError(RegistryError.CORRECTION_OTHER_PERSON, "corrects")
    return event
