"""Loading the border-desk records a request names by id, guarded in one place."""

from django.core.exceptions import PermissionDenied
from django.http import Http404

from crisisdesk.accounts.permissions import Permission, has_permission
from crisisdesk.border.models import Shift


def own_shift(*, actor, shift_id: int) -> Shift:
    """One of the actor's own shifts. PermissionDenied for a role that works no shifts;
    another officer's shift is "not found", as a missing one is."""
    if not has_permission(actor, Permission.SHIFT_WORK):
        raise PermissionDenied
    shift = Shift.objects.filter(pk=shift_id, officer_id=actor.pk).select_related("point").first()
    if shift is None:
        raise Http404
    return shift
