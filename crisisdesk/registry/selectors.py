"""Reads from the registry, always scoped to the actor, and audited.

Reading a person's record is an audited act just like changing it: `person_get` and
`person_page` write the audit row for what they return.
"""

from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.db.models import Prefetch, QuerySet
from django.http import Http404

from crisisdesk.accounts.permissions import Permission, has_permission
from crisisdesk.common.audit import audit_record
from crisisdesk.common.models import AuditEvent
from crisisdesk.common.origin import Origin
from crisisdesk.registry.models import Person, Registration, RiskFlag, StatusEvent
from namebridge import fold

PAGE_SIZE = 50


@dataclass(frozen=True, slots=True)
class PersonFilters:
    status: str = ""
    region: str = ""
    intent: str = ""
    citizenship: str = ""
    risk_flag: str = ""
    vulnerability: str = ""
    query: str = ""
    extra: dict = field(default_factory=dict)

    def as_audit(self) -> dict:
        """Filters for the audit row. The free-text query may be a name, so only its
        presence is recorded."""
        values = {
            "status": self.status,
            "region": self.region,
            "intent": self.intent,
            "citizenship": self.citizenship,
            "risk_flag": self.risk_flag,
            "vulnerability": self.vulnerability,
        }
        values = {key: value for key, value in values.items() if value}
        if self.query:
            values["query"] = "…"
        return values


def _require(actor, permission: Permission) -> None:
    if not has_permission(actor, permission):
        raise PermissionDenied


def person_queryset(*, actor, filters: PersonFilters) -> QuerySet[Person]:
    """Persons matching `filters` that `actor` may see, with what a list row needs."""
    _require(actor, Permission.PERSON_VIEW)
    queryset = Person.objects.all()
    if filters.status:
        queryset = queryset.filter(current_status=filters.status)
    if filters.region:
        queryset = queryset.filter(region=filters.region)
    if filters.intent:
        queryset = queryset.filter(intent=filters.intent)
    if filters.citizenship:
        queryset = queryset.filter(citizenships__country=filters.citizenship.upper())
    if filters.risk_flag:
        queryset = queryset.filter(risk_flags__rule__code=filters.risk_flag)
    if filters.vulnerability:
        queryset = queryset.filter(vulnerabilities__kind=filters.vulnerability)
    if filters.query:
        queryset = _search(queryset, filters.query)
    return queryset.prefetch_related(
        "citizenships", "vulnerabilities", Prefetch("risk_flags", queryset=RiskFlag.objects.select_related("rule"))
    ).select_related("registration")


def _search(queryset: QuerySet[Person], text: str) -> QuerySet[Person]:
    """Reference code, or every word of the query inside a name or another spelling.
    Cross-script matching comes with namebridge search (issue 3)."""
    compact = text.replace("-", "").replace(" ", "").upper()
    if 6 <= len(compact) <= 12 and compact.isalnum() and Registration.objects.filter(reference=compact).exists():
        return queryset.filter(registration__reference=compact)
    for word in fold(text).split():
        matching_other_names = Person.objects.filter(other_names__folded__contains=word).values("id")
        queryset = queryset.filter(name_folded__contains=word) | queryset.filter(id__in=matching_other_names)
    return queryset.distinct()


def person_page(*, actor, origin: Origin, filters: PersonFilters, page_number: int | str = 1) -> Page:
    """One page of the registry list, audited with the ids it shows."""
    paginator = Paginator(person_queryset(actor=actor, filters=filters), PAGE_SIZE)
    page = paginator.get_page(page_number)
    audit_record(
        actor=actor,
        origin=origin,
        action=AuditEvent.Action.PERSON_LISTED,
        changes={"filters": filters.as_audit(), "page": page.number, "ids": [person.pk for person in page.object_list]},
    )
    return page


def person_get(*, actor, origin: Origin, person_id: int) -> Person:
    """Load one person for viewing, and audit the view. Missing and forbidden look the same."""
    if not has_permission(actor, Permission.PERSON_VIEW):
        raise Http404
    person = (
        Person.objects.select_related("household", "registration")
        .prefetch_related(
            "other_names",
            "citizenships",
            "documents",
            "contacts",
            "vulnerabilities",
            Prefetch("risk_flags", queryset=RiskFlag.objects.select_related("rule")),
            Prefetch(
                "timeline",
                queryset=StatusEvent.objects.select_related("crossing_point", "recorded_by").order_by(
                    "-occurred_at", "-id"
                ),
            ),
        )
        .filter(pk=person_id)
        .first()
    )
    if person is None:
        raise Http404
    audit_record(actor=actor, origin=origin, action=AuditEvent.Action.PERSON_VIEWED, target=person, person_id=person.pk)
    return person


def household_members(*, actor, person: Person) -> list[Person]:
    """The other members of a person's household (already scoped: same permission)."""
    _require(actor, Permission.PERSON_VIEW)
    if person.household_id is None:
        return []
    return list(Person.objects.filter(household_id=person.household_id).exclude(pk=person.pk).order_by("id"))


def person_audit_trail(*, actor, person: Person, limit: int = 100) -> list[AuditEvent]:
    """Who read or changed this record. Visible only to roles with the permission."""
    if not has_permission(actor, Permission.AUDIT_VIEW_PERSON):
        return []
    return list(AuditEvent.objects.filter(person_id=person.pk).select_related("actor")[:limit])


def registration_by_token(*, token: str) -> Registration | None:
    from crisisdesk.registry.services import update_token_digest

    if not token or len(token) > 64:
        return None
    return Registration.objects.filter(update_token_digest=update_token_digest(token)).first()
