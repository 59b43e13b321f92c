"""Reads from the registry, always scoped to the actor, and audited.

Reading a person's record is an audited act just like changing it: `person_get` and
`person_page` write the audit row for what they return.
"""

from dataclasses import dataclass, field
from datetime import datetime

from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.db.models import CharField, Count, F, Min, Prefetch, Q, QuerySet, Sum, Value
from django.http import Http404

from crisisdesk.accounts.permissions import Permission, has_permission
from crisisdesk.common.audit import audit_record
from crisisdesk.common.models import AuditEvent
from crisisdesk.common.origin import Origin
from crisisdesk.registry.models import (
    Citizenship,
    IntakeState,
    Person,
    PossibleDuplicate,
    Registration,
    RiskFlag,
    RiskRule,
    StatusEvent,
    Vulnerability,
)
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

    def narrows(self) -> bool:
        """Whether a filter other than the name query and its tie-breakers is set."""
        return bool(
            self.status
            or self.region
            or self.intent
            or self.citizenship
            or self.risk_flag
            or self.vulnerability
            or self.possible_duplicate
        )

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


def _filtered(*, actor, filters: PersonFilters) -> QuerySet[Person]:
    """Persons matching the filters other than the free-text query that `actor` may see."""
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
    return queryset


# A list row reads only the columns it shows: the person's notes and timestamps, and the
# registration's other columns (its encrypted ones above all: 50 rows × 3 decrypted fields took a
# search request at a million persons from p50 35.3 to 39.3 ms) stay in the database.
_LIST_FIELDS = (
    "registration",
    "registration__reference",
    "given_name",
    "family_name",
    "birth_year",
    "birth_month",
    "birth_day",
    "sex",
    "region",
    "city",
    "intent",
    "current_status",
)


def _with_list_fields(queryset: QuerySet[Person]) -> QuerySet[Person]:
    """The columns a list row shows, with the registration's reference (`_attach_list_fields`
    adds the rest once the page is known)."""
    return queryset.select_related("registration").only(*_LIST_FIELDS)


def _attach_list_fields(persons: list[Person]) -> list[Person]:
    """Give each person of a page its `citizenship_list`, `vulnerability_list` and
    `risk_flag_list`, read in one query (a UNION of the three): three prefetches cost three
    round trips, about 1.5 ms each on PostgreSQL at a million persons. The rows are unsaved
    instances made from the columns the list shows."""
    ids = [person.pk for person in persons]
    empty = Value("", output_field=CharField())
    citizenships = (
        Citizenship.objects.filter(person_id__in=ids)
        .annotate(part=Value("c", output_field=CharField()), value=F("country"), label=empty)
        .values_list("person_id", "part", "value", "label")
        .order_by()
    )
    needs = (
        Vulnerability.objects.filter(person_id__in=ids)
        .annotate(part=Value("v", output_field=CharField()), value=F("kind"), label=empty)
        .values_list("person_id", "part", "value", "label")
        .order_by()
    )
    flags = (
        RiskFlag.objects.filter(person_id__in=ids)
        .annotate(part=Value("f", output_field=CharField()), value=F("rule__code"), label=F("rule__label"))
        .values_list("person_id", "part", "value", "label")
        .order_by()
    )
    found: dict[tuple[int, str], list[tuple[str, str]]] = {}
    for person_id, part, value, label in citizenships.union(needs, flags, all=True) if ids else ():
        found.setdefault((person_id, part), []).append((value, label))
    for person in persons:
        person.citizenship_list = [
            Citizenship(person_id=person.pk, country=value) for value, _l in sorted(found.get((person.pk, "c"), ()))
        ]
        person.vulnerability_list = [
            Vulnerability(person_id=person.pk, kind=value) for value, _l in sorted(found.get((person.pk, "v"), ()))
        ]
        person.risk_flag_list = [
            RiskFlag(person_id=person.pk, rule=RiskRule(code=value, label=label))
            for value, label in sorted(found.get((person.pk, "f"), ()))
        ]
    return persons


def person_queryset(*, actor, filters: PersonFilters, reference: str | None = None) -> QuerySet[Person]:
    """Persons matching `filters` that `actor` may see, with what a list row needs. With a
    free-text query, only the household of `reference` (what `_reference_in` found in it);
    name queries are ranked by `person_page`."""
    queryset = _filtered(actor=actor, filters=filters)
    if filters.query:
        queryset = queryset.filter(registration__reference=reference) if reference else queryset.none()
    return _with_list_fields(queryset)


SEARCH_LIMIT = 200


def _reference_in(text: str) -> str | None:
    """The registration reference the text holds ("ABCD-EFGH", any case), if it is one."""
    compact = text.replace("-", "").replace(" ", "").upper()
    if 6 <= len(compact) <= 12 and compact.isalnum() and Registration.objects.filter(reference=compact).exists():
        return compact
    return None


def _ranked_page(*, actor, filters: PersonFilters, matches: list[PersonMatch], page_number: int | str) -> Page:
    """One page of name matches that pass the other filters, best match first. The ranking is
    applied here rather than in SQL: ordering by a 200-branch CASE cost more to compile and plan
    than the whole name search."""
    ranked = [match.person_id for match in matches]
    if filters.narrows():
        passing = set(_filtered(actor=actor, filters=filters).filter(id__in=ranked).values_list("id", flat=True))
        ranked = [person_id for person_id in ranked if person_id in passing]
    else:
        # Nothing but the name: every match passes (the index drops deleted persons as it syncs,
        # and one deleted since is skipped below), so the 200 ids are not sent to the database twice.
        _require(actor, Permission.PERSON_VIEW)
    page = Paginator(ranked, PAGE_SIZE).get_page(page_number)
    persons = _with_list_fields(Person.objects.filter(id__in=page.object_list)).in_bulk()
    _attach_list_fields(list(persons.values()))
    by_person = {match.person_id: match for match in matches}
    rows = []
    for person_id in page.object_list:
        person = persons.get(person_id)
        if person is not None:  # deleted between the two reads
            person.name_match = by_person[person_id]
            rows.append(person)
    page.object_list = rows
    return page


def person_page(*, actor, origin: Origin, filters: PersonFilters, page_number: int | str = 1) -> Page:
    """One page of the registry list, audited with the ids it shows."""
    _require(actor, Permission.PERSON_VIEW)
    text = filters.query.strip()
    reference = _reference_in(text) if text else None
    if text and not reference:
        # A name: its best SEARCH_LIMIT matches (a search is for finding someone, not for counting).
        matches = person_name_search(
            query=filters.query, limit=SEARCH_LIMIT, birth_year=filters.birth_year, sex=filters.sex or None
        )
        page = _ranked_page(actor=actor, filters=filters, matches=matches, page_number=page_number)
    else:
        queryset = person_queryset(actor=actor, filters=filters, reference=reference)
        page = Paginator(queryset, PAGE_SIZE).get_page(page_number)
        page.object_list = _attach_list_fields(list(page.object_list))
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
