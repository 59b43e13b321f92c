"""The PFIF 1.4 import: a golden file of another repository's records, every record accounted
for (imported, skipped, or rejected with its reasons), notes on the right person and on the
timeline, links queued for a reviewer, idempotent on record ids, provenance kept."""

import json
import os
from datetime import UTC, datetime

import pytest
import time_machine
from django.core.exceptions import PermissionDenied

from crisisdesk.common.models import AuditEvent
from crisisdesk.common.origin import SYSTEM
from crisisdesk.duplicates.models import DuplicatePair, PairSource, PairStatus
from crisisdesk.pfif.audit_actions import PFIF_IMPORTED
from crisisdesk.pfif.exports import pfif_export
from crisisdesk.pfif.imports import pfif_import
from crisisdesk.pfif.models import PfifBatch, PfifNote, PfifPerson, PfifRejected
from crisisdesk.pfif.tests.conftest import GOLDEN
from crisisdesk.registry.models import Person, StatusEvent, StatusKind
from crisisdesk.registry.services import derive_timeline_facts

pytestmark = pytest.mark.django_db

IMPORTED_AT = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
CONTENT = (GOLDEN / "import_personfinder.xml").read_bytes()


def _import(users, content: bytes = CONTENT, persona: str = "desk_chief"):
    with time_machine.travel(IMPORTED_AT, tick=False):
        return pfif_import(actor=users[persona], origin=SYSTEM, file_name="personfinder.xml", content=content)


def _person(record_id: str) -> Person:
    return PfifPerson.objects.get(record_id=record_id).person


def test_every_record_is_imported_skipped_or_rejected_with_its_reasons(users):
    result = _import(users)

    batch = result.batch
    counts = (batch.persons_total, batch.persons_imported, batch.persons_skipped, batch.persons_rejected)
    assert counts == (5, 3, 0, 2)
    counts = (batch.notes_total, batch.notes_imported, batch.notes_skipped, batch.notes_rejected)
    assert counts == (9, 4, 0, 5)
    rejected = {row.position: (row.kind, row.record_id, row.errors) for row in PfifRejected.objects.filter(batch=batch)}
    assert rejected == {
        5: ("person", "personfinder.example.net/p3", {"sex": ["sex_invalid"], "date_of_birth": ["birth_date_invalid"]}),
        6: ("note", "personfinder.example.net/n3", {"person_record_id": ["note_person_rejected"]}),
        10: ("note", "personfinder.example.net/n6", {"person_record_id": ["note_person_unknown"]}),
        11: ("note", "personfinder.example.net/n7", {"author_name": ["field_required"], "status": ["status_invalid"]}),
        12: ("note", "personfinder.example.net/n8", {"source_date": ["date_in_future"]}),
        13: ("note", "personfinder.example.net/n5", {"note_record_id": ["record_id_repeated"]}),
        14: ("person", "no-slash-here", {"person_record_id": ["record_id_invalid"]}),
    }
    assert [preview.position for preview in result.first_rejected] == sorted(rejected)


def test_persons_are_mapped_with_their_provenance(users):
    _import(users)

    olena = _person("personfinder.example.net/p1")
    assert (olena.given_name, olena.family_name, olena.sex) == ("Olena", "Kovalenko", "F")
    assert (olena.birth_year, olena.birth_month, olena.birth_day) == (1985, 6, None)
    assert (olena.region, olena.city) == ("UA-46", "Lviv")
    assert sorted(str(name) for name in olena.other_names.all()) == ["Олена Коваленко", "אלנה קובלנקו"]
    record = olena.pfif_record
    assert record.received["source_url"] == "https://personfinder.example.net/view?id=p1"
    assert record.received["home_street"] == "vul. Shevchenka 1"  # kept, never exported
    assert "author_email" not in record.received and "author_phone" not in record.received
    assert json.loads(record.contacts) == {"author_email": "andrii@example.net", "author_phone": "+380671112233"}
    # encrypted at rest: the column holds no phone number
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT contacts FROM pfif_pfifperson WHERE id = %s", [record.pk])
        assert "+380671112233" not in cursor.fetchone()[0]

    full_name_only = _person("personfinder.example.net/p2")
    assert (full_name_only.given_name, full_name_only.family_name) == ("Олена Миколаївна", "Коваленко")
    assert full_name_only.region == "UA-46"  # "Львівська область", by name
    abroad = _person("other-ngo.example.org/registrations/77")
    assert (abroad.region, abroad.city, abroad.location_note) == ("", "Przemyśl", "Podkarpackie, PL")


def test_notes_go_to_their_person_and_status_notes_on_the_timeline(users):
    _import(users)

    olena = _person("personfinder.example.net/p1")
    assert sorted(olena.pfif_notes.values_list("record_id", flat=True)) == [
        "personfinder.example.net/n1",
        "personfinder.example.net/n2",
        "personfinder.example.net/n5",
    ]
    timeline = list(olena.timeline.order_by("occurred_at"))
    assert [(event.kind, event.source) for event in timeline] == [
        (StatusKind.MISSING, "import"),
        (StatusKind.FOUND_SAFE, "import"),
        (StatusKind.REGISTERED, "import"),
    ]
    found = timeline[1]
    assert found.note == "She called me from the station, she is fine."
    assert found.place_note == "Lviv railway station"
    assert found.data == {"pfif_note": "personfinder.example.net/n1"}
    assert PfifNote.objects.get(record_id="personfinder.example.net/n1").status_event == found
    # the stored status and timeline facts are those a fresh derivation gives
    olena.refresh_from_db()
    facts = derive_timeline_facts(list(olena.timeline.all()))
    assert olena.current_status == facts.current_status == StatusKind.FOUND_SAFE
    assert olena.last_contact_at == facts.last_contact_at
    assert olena.current_status_at == facts.current_status_at
    # contact fields of a note: encrypted, apart
    note = PfifNote.objects.get(record_id="personfinder.example.net/n1")
    assert "phone_of_found_person" not in note.received
    assert json.loads(note.contacts)["phone_of_found_person"] == "+380501234567"


def test_a_linked_person_record_id_queues_a_pair_for_a_reviewer_and_merges_nothing(users):
    result = _import(users)

    olena, same = _person("personfinder.example.net/p1"), _person("personfinder.example.net/p2")
    pair = DuplicatePair.objects.get()
    assert (pair.person_a_id, pair.person_b_id) == tuple(sorted((olena.pk, same.pk)))
    assert (pair.source, pair.status) == (PairSource.PFIF, PairStatus.PENDING)
    assert pair.evidence[0]["note"] == "personfinder.example.net/n4"
    assert result.batch.links_queued == 1
    assert not Person.objects.filter(merged_into__isnull=False).exists()


def test_a_link_to_a_person_not_yet_imported_is_queued_when_they_arrive(users):
    first = (
        b'<pfif:pfif xmlns:pfif="http://zesty.ca/pfif/1.4"><pfif:person>'
        b"<pfif:person_record_id>pf.example.net/a</pfif:person_record_id>"
        b"<pfif:source_date>2026-03-01T00:00:00Z</pfif:source_date><pfif:full_name>Anna Lysenko</pfif:full_name>"
        b"<pfif:note><pfif:note_record_id>pf.example.net/n</pfif:note_record_id>"
        b"<pfif:linked_person_record_id>pf.example.net/b</pfif:linked_person_record_id>"
        b"<pfif:author_name>x</pfif:author_name><pfif:source_date>2026-03-01T00:00:00Z</pfif:source_date>"
        b"</pfif:note></pfif:person></pfif:pfif>"
    )
    second = first.replace(b"pf.example.net/a", b"pf.example.net/b").replace(b"Anna", b"Hanna")
    second = second.replace(b"pf.example.net/n<", b"pf.example.net/m<").replace(
        b"linked_person_record_id>pf.example.net/b", b"linked_person_record_id>pf.example.net/a"
    )

    assert _import(users, first).batch.links_queued == 0  # b is not here yet; the link is kept
    assert _import(users, second).batch.links_queued == 1
    assert DuplicatePair.objects.count() == 1


def test_importing_the_same_file_again_changes_nothing(users):
    _import(users)
    before = (
        Person.objects.count(),
        StatusEvent.objects.count(),
        PfifNote.objects.count(),
        DuplicatePair.objects.count(),
    )

    batch = _import(users).batch

    after = (
        Person.objects.count(),
        StatusEvent.objects.count(),
        PfifNote.objects.count(),
        DuplicatePair.objects.count(),
    )
    assert after == before
    assert (batch.persons_imported, batch.persons_skipped, batch.persons_rejected) == (0, 3, 2)
    assert (batch.notes_imported, batch.notes_skipped, batch.notes_rejected) == (0, 4, 5)


def test_a_note_about_one_of_our_own_persons_goes_on_their_timeline(users, world):
    olena = world["olena"]
    content = (
        '<pfif:pfif xmlns:pfif="http://zesty.ca/pfif/1.4"><pfif:note>'
        "<pfif:note_record_id>personfinder.example.net/about-ours</pfif:note_record_id>"
        f"<pfif:person_record_id>crisisdesk.example.org/person.{olena}</pfif:person_record_id>"
        "<pfif:author_name>A neighbour</pfif:author_name><pfif:source_date>2026-03-06T00:00:00Z</pfif:source_date>"
        "<pfif:status>believed_missing</pfif:status></pfif:note>"
        "<pfif:person><pfif:person_record_id>crisisdesk.example.org/person.999999999</pfif:person_record_id>"
        "<pfif:source_date>2026-03-06T00:00:00Z</pfif:source_date><pfif:full_name>Not Ours</pfif:full_name>"
        "</pfif:person></pfif:pfif>"
    ).encode()

    batch = _import(users, content).batch

    assert (batch.notes_imported, batch.persons_rejected) == (1, 1)
    assert PfifRejected.objects.get(kind="person").errors == {"person_record_id": ["own_record_unknown"]}
    person = Person.objects.get(pk=olena)
    assert person.current_status == StatusKind.MISSING
    assert person.pfif_notes.get().record_id == "personfinder.example.net/about-ours"


def test_the_import_is_audited_and_needs_the_permission(users):
    batch = _import(users).batch
    audit = AuditEvent.objects.get(action=PFIF_IMPORTED)
    assert (audit.target_id, audit.actor) == (str(batch.pk), users["desk_chief"])
    assert audit.changes["persons"] == [3, 0, 2]
    assert "Kovalenko" not in json.dumps(audit.changes)
    assert AuditEvent.objects.filter(action=AuditEvent.Action.PERSON_CREATED).count() == 3
    assert AuditEvent.objects.filter(action=AuditEvent.Action.STATUS_EVENT_ADDED).count() == 2  # n1 and n5

    for persona in ("consul", "border_officer", "case_officer", "diplomat"):
        with pytest.raises(PermissionDenied):
            _import(users, persona=persona)
    assert PfifBatch.objects.count() == 1


def test_imported_records_are_exported_as_received_without_their_contact_fields(users):
    _import(users)

    with time_machine.travel(IMPORTED_AT, tick=False):
        content = pfif_export(actor=users["desk_chief"], origin=SYSTEM).content

    if os.environ.get("PFIF_GOLDEN_WRITE"):
        (GOLDEN / "export_imported.xml").write_bytes(content)
    assert content == (GOLDEN / "export_imported.xml").read_bytes()
    for secret in (b"+380671112233", b"andrii@example.net", b"+380501234567", b"Shevchenka", b"Tall, dark"):
        assert secret not in content
