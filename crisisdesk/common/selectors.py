"""Reads of the audit log."""

from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator

from crisisdesk.accounts.permissions import Permission, has_permission
from crisisdesk.common.audit import audit_record
from crisisdesk.common.models import AuditEvent
from crisisdesk.common.origin import Origin

AUDIT_PAGE_SIZE = 100


def audit_page(
    *, actor, origin: Origin, user_id: int | None = None, person_id: int | None = None, action: str = "", page_number=1
) -> Page:
    """Browse the audit log per user or per record. Looking is itself audited."""
    if not has_permission(actor, Permission.AUDIT_VIEW_ALL):
        raise PermissionDenied
    events = AuditEvent.objects.select_related("actor")
    if user_id is not None:
        events = events.filter(actor_id=user_id)
    if person_id is not None:
        events = events.filter(person_id=person_id)
    if action:
        events = events.filter(action=action)
    page = Paginator(events, AUDIT_PAGE_SIZE).get_page(page_number)
    audit_record(
        actor=actor,
        origin=origin,
        action=AuditEvent.Action.AUDIT_VIEWED,
        changes={"user_id": user_id, "person_id": person_id, "action": action, "page": page.number},
    )
    return page
