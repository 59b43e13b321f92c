"""PFIF 1.4 export: the registry's persons, each with its notes, as the exporter may share
them (crisisdesk/pfif/mapping.py says what never leaves), ordered by entry_date for
incremental feeds, with Person Finder's `skip` and `max_results` paging.

An export is a read of personal data: it is audited, one row per export, with the filter and
the ids of the persons it held (never their data).
"""

from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q

from crisisdesk.accounts.permissions import Permission, has_permission
from crisisdesk.common.audit import audit_record
from crisisdesk.common.origin import Origin
from crisisdesk.duplicates.models import DuplicatePair, Merge, PairStatus
from crisisdesk.pfif import mapping
from crisisdesk.pfif.audit_actions import PFIF_EXPORTED
from crisisdesk.pfif.format import document_write
from crisisdesk.pfif.models import PfifNote, PfifPerson
from crisisdesk.registry.models import Person, PersonName, StatusEvent


@dataclass(frozen=True, slots=True)
class PfifExport:
    content: bytes
    persons: int
    notes: int


def _changed_since(since: datetime) -> Q:
    """Persons with anything exported that entered the registry at or after `since`: the
    person, a timeline entry, a note received, a merge or a pair decided the same."""
    events = StatusEvent.objects.filter(recorded_at__gte=since).values("person_id")
    received = PfifNote.objects.filter(received_at__gte=since).values("person_id")
    merges = Merge.objects.filter(decided_at__gte=since, undone_at__isnull=True)
    pairs = DuplicatePair.objects.filter(status=PairStatus.MERGED, decided_at__gte=since)
    return (
        Q(updated_at__gte=since)
        | Q(id__in=events)
        | Q(id__in=received)
        | Q(id__in=merges.values("survivor_id"))
        | Q(id__in=merges.values("merged_id"))
        | Q(id__in=pairs.values("person_a_id"))
        | Q(id__in=pairs.values("person_b_id"))
    )


def export_persons_queryset(*, since: datetime | None = None):
    queryset = Person.objects.all()
    if since is not None:
        queryset = queryset.filter(_changed_since(since))
    return queryset.order_by("updated_at", "id")


def _links_of(ids_query) -> dict[int, dict[int, datetime]]:
    """For each person, the persons found to be the same (a live merge, or a pair decided so),
    with when that was decided."""
    links: dict[int, dict[int, datetime]] = {}

    def add(one: int, other: int, when: datetime) -> None:
        for this, that in ((one, other), (other, one)):
            known = links.setdefault(this, {}).get(that)
            if known is None or when < known:
                links[this][that] = when

    merges = Merge.objects.filter(undone_at__isnull=True).filter(
        Q(survivor_id__in=ids_query) | Q(merged_id__in=ids_query)
    )
    for survivor, merged, when in merges.values_list("survivor_id", "merged_id", "decided_at"):
        add(survivor, merged, when)
    pairs = DuplicatePair.objects.filter(status=PairStatus.MERGED, decided_at__isnull=False).filter(
        Q(person_a_id__in=ids_query) | Q(person_b_id__in=ids_query)
    )
    for one, other, when in pairs.values_list("person_a_id", "person_b_id", "decided_at"):
        add(one, other, when)
    return links


def _record_ids(pks) -> dict[int, str]:
    ids = {pk: mapping.person_record_id_local(pk) for pk in pks}
    wanted = sorted(ids)
    for start in range(0, len(wanted), 900):  # under SQLite's 999 parameters
        chunk = wanted[start : start + 900]
        ids.update(PfifPerson.objects.filter(person_id__in=chunk).values_list("person_id", "record_id"))
    return ids


def _note_key(note: dict) -> tuple[str, str]:
    return (note.get("source_date", ""), note["note_record_id"])


def pfif_records(*, since: datetime | None = None, skip: int = 0, max_results: int | None = None):
    """The (person, notes) records of a page of the export, and the persons' ids."""
    queryset = export_persons_queryset(since=since)
    page = queryset[skip : skip + max_results] if max_results is not None else queryset[skip:]
    persons = list(page.select_related("pfif_record", "registration"))
    if not persons:
        return [], []
    # The page's ids as a subquery, never as a list: an export of everyone would pass more ids
    # than SQLite takes parameters.
    ids_query = page.values("id")
    by_id = {person.pk: person for person in persons}
    names: dict[int, list[PersonName]] = {pk: [] for pk in by_id}
    for name in PersonName.objects.filter(person_id__in=ids_query).order_by("person_id", "kind", "id"):
        names[name.person_id].append(name)
    records = {person.pk: mapping.person_fields(person, other_names=names[person.pk]) for person in persons}
    notes: dict[int, list[dict]] = {pk: [] for pk in by_id}

    events = list(
        StatusEvent.objects.filter(person_id__in=ids_query)
        .select_related("crossing_point")
        .order_by("person_id", "occurred_at", "id")
    )
    withdrawn = {event.corrects_id for event in events if event.corrects_id}
    received_ids = set(
        PfifNote.objects.filter(person_id__in=ids_query, status_event__isnull=False).values_list(
            "status_event_id", flat=True
        )
    )
    for event in events:
        if event.pk in withdrawn or event.pk in received_ids:
            continue  # withdrawn later; or a note received, passed on as received below
        event.person = by_id[event.person_id]
        person_record_id = records[event.person_id]["person_record_id"]
        note = mapping.event_note(event, person_record_id=person_record_id)
        if note is not None:
            notes[event.person_id].append(note)

    received_links: set[tuple[int, str]] = set()
    for person_id, received, received_at in PfifNote.objects.filter(person_id__in=ids_query).values_list(
        "person_id", "received", "received_at"
    ):
        person_record_id = records[person_id]["person_record_id"]
        notes[person_id].append(
            mapping.received_note(received, person_record_id=person_record_id, received_at=received_at)
        )
        if received.get("linked_person_record_id"):
            received_links.add((person_id, received["linked_person_record_id"]))

    links = _links_of(ids_query)
    others = {other for linked in links.values() for other in linked}
    other_ids = _record_ids(others - set(by_id))
    other_ids.update({pk: record["person_record_id"] for pk, record in records.items()})
    for person_id, linked in links.items():
        if person_id not in by_id:
            continue
        for other, when in linked.items():
            linked_record_id = other_ids[other]
            if (person_id, linked_record_id) in received_links:
                continue  # the source already links them
            notes[person_id].append(
                mapping.link_note(
                    this_pk=person_id,
                    person_record_id=records[person_id]["person_record_id"],
                    linked_record_id=linked_record_id,
                    other_pk=other,
                    decided_at=when,
                )
            )
    result = [(records[person.pk], sorted(notes[person.pk], key=_note_key)) for person in persons]
    return result, [person.pk for person in persons]


def pfif_export(
    *, actor, origin: Origin, since: datetime | None = None, skip: int = 0, max_results: int | None = None
) -> PfifExport:
    """The persons entered or changed at or after `since` (all without it), in entry_date
    order, from the `skip`-th, at most `max_results` of them, as a PFIF 1.4 document."""
    if not has_permission(actor, Permission.PFIF_EXCHANGE):
        raise PermissionDenied
    with transaction.atomic():  # one consistent read, and its audit row with it
        records, ids = pfif_records(since=since, skip=skip, max_results=max_results)
        content = document_write(records)
        note_count = sum(len(notes) for _person, notes in records)
        audit_record(
            actor=actor,
            origin=origin,
            action=PFIF_EXPORTED,
            changes={
                "since": mapping.pfif_time(since) if since else None,
                "skip": skip,
                "max_results": max_results,
                "persons": len(ids),
                "notes": note_count,
                "ids": ids,
            },
        )
    return PfifExport(content=content, persons=len(ids), notes=note_count)
