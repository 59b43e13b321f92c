"""Reads from the registry, always scoped to the actor, and audited.

Reading a person's record is an audited act just like changing it: `person_get` and
`person_page` write the audit row for what they return.
"""

from dataclasses import dataclass, field
from datetime import datetime

from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.db.models import Case, Count, Min, Prefetch, Q, QuerySet, Sum, Value, When
from django.http import Http404

from crisisdesk.accounts.permissions import Permission, has_permission
from crisisdesk.common.audit import audit_record
from crisisdesk.common.models import AuditEvent
from crisisdesk.common.origin import Origin
from crisisdesk.registry.models import IntakeState, Person, PossibleDuplicate, Registration, RiskFlag, StatusEvent
from crisisdesk.registry.search import PersonMatch, person_name_search

PAGE_SIZE = 50


@dataclass(frozen=True, slots=True)
class PersonFilters:
    status: str = ""
    region: str = ""
    intent: str = ""
    citizenship: str = ""
    risk_flag: str = ""
    vulnerability: str = ""
    possible_duplicate: bool = False
    query: str = ""
    # Tie-breakers for a name search; they rank, they do not filter.
    birth_year: int | None = None
    sex: str = ""
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
            "possible_duplicate": self.possible_duplicate,
        }
        values = {key: value for key, value in values.items() if value}
        if self.query:
            values["query"] = "…"
        return values


def _require(actor, permission: Permission) -> None:
    if not has_permission(actor, permission):
        raise PermissionDenied


def person_queryset(
    *, actor, filters: PersonFilters, name_matches: list[PersonMatch] | None = None
) -> QuerySet[Person]:
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
    if filters.possible_duplicate:
        queryset = queryset.filter(possible_duplicates__isnull=False).distinct()
    if filters.query:
        queryset = _search(queryset, filters.query, name_matches)
    return queryset.prefetch_related(
        "citizenships", "vulnerabilities", Prefetch("risk_flags", queryset=RiskFlag.objects.select_related("rule"))
    ).select_related("registration")


SEARCH_LIMIT = 200


def _reference_in(text: str) -> str | None:
    """The registration reference the text holds ("ABCD-EFGH", any case), if it is one."""
    compact = text.replace("-", "").replace(" ", "").upper()
    if 6 <= len(compact) <= 12 and compact.isalnum() and Registration.objects.filter(reference=compact).exists():
        return compact
    return None


def _search(queryset: QuerySet[Person], text: str, matches: list[PersonMatch] | None) -> QuerySet[Person]:
    """A reference code, or a name in any script and spelling (namebridge), best match
    first. At most SEARCH_LIMIT matches: a search is for finding someone, not for counting."""
    reference = _reference_in(text)
    if reference:
        return queryset.filter(registration__reference=reference)
    if matches is None:
        matches = person_name_search(query=text, limit=SEARCH_LIMIT)
    if not matches:
        return queryset.none()
    ids = [match.person_id for match in matches]
    rank = Case(*(When(id=person_id, then=Value(position)) for position, person_id in enumerate(ids)))
    return queryset.filter(id__in=ids).order_by(rank)


def name_matches(filters: PersonFilters) -> list[PersonMatch] | None:
    """The name matches of a search, or None when its text is empty or a reference code."""
    if not filters.query.strip() or _reference_in(filters.query):
        return None
    return person_name_search(
        query=filters.query, limit=SEARCH_LIMIT, birth_year=filters.birth_year, sex=filters.sex or None
    )


def person_page(*, actor, origin: Origin, filters: PersonFilters, page_number: int | str = 1) -> Page:
    """One page of the registry list, audited with the ids it shows."""
    _require(actor, Permission.PERSON_VIEW)
    matches = name_matches(filters)
    paginator = Paginator(person_queryset(actor=actor, filters=filters, name_matches=matches), PAGE_SIZE)
    page = paginator.get_page(page_number)
    if matches:
        by_person = {match.person_id: match for match in matches}
        for person in page.object_list:
            person.name_match = by_person.get(person.pk)
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


def person_possible_duplicates(*, actor, person: Person) -> list[tuple[Person, PossibleDuplicate]]:
    """Who this person may also be registered as, either way round, best score first."""
    _require(actor, Permission.PERSON_VIEW)
    pairs = PossibleDuplicate.objects.filter(Q(person=person) | Q(candidate=person)).select_related(
        "person", "candidate"
    )
    return [(pair.candidate if pair.person_id == person.pk else pair.person, pair) for pair in pairs]


@dataclass(frozen=True, slots=True)
class IntakeSummary:
    """Public registrations not in the registry yet: waiting for the worker, or failed."""

    waiting: int
    waiting_people: int
    oldest_waiting_at: datetime | None
    failed: int


def registration_intake_summary(*, actor) -> IntakeSummary:
    """Counts only, no one's data: what staff need to know that the list is not complete yet."""
    _require(actor, Permission.PERSON_VIEW)
    open_ = Registration.objects.exclude(intake_state=IntakeState.ADDED)
    totals = open_.aggregate(
        waiting=Count("id", filter=Q(intake_state=IntakeState.RECEIVED)),
        waiting_people=Sum("people_count", filter=Q(intake_state=IntakeState.RECEIVED)),
        oldest=Min("submitted_at", filter=Q(intake_state=IntakeState.RECEIVED)),
        failed=Count("id", filter=Q(intake_state=IntakeState.FAILED)),
    )
    return IntakeSummary(
        waiting=totals["waiting"],
        waiting_people=totals["waiting_people"] or 0,
        oldest_waiting_at=totals["oldest"],
        failed=totals["failed"],
    )


def registrations_not_added(*, actor, limit: int = 200) -> list[Registration]:
    """Registrations waiting or failed, oldest first, with their reference, time, size
    and reason. The people in them stay encrypted and are not read here."""
    _require(actor, Permission.PERSON_CREATE)
    return list(
        Registration.objects.exclude(intake_state=IntakeState.ADDED)
        .order_by("id")
        .only("id", "reference", "submitted_at", "people_count", "intake_state", "intake_error", "language")[:limit]
    )
