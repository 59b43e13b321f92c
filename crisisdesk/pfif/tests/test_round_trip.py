"""Round trip: export → import into an empty database (another repository's) → export again
gives the same PFIF. Byte for byte, but for each record's entry_date, which PFIF defines as
when the record entered the repository that exports it (so the receiving one's import time);
and, imported at the same moment, the second generation is byte-identical to the first."""

import re
from datetime import UTC, datetime

import pytest
import time_machine
from django.db import transaction
from django.test import override_settings

from crisisdesk.common.origin import SYSTEM
from crisisdesk.pfif.exports import pfif_export
from crisisdesk.pfif.imports import pfif_import
from crisisdesk.pfif.models import PfifNote
from crisisdesk.pfif.tests.conftest import world_build
from crisisdesk.registry.models import Person

pytestmark = pytest.mark.django_db

IMPORTED_AT = datetime(2026, 4, 1, 12, 0, tzinfo=UTC)
ENTRY_DATE = re.compile(rb"<pfif:entry_date>[^<]*</pfif:entry_date>")


def _in_an_empty_database(work):
    """Run `work` on the database as it is now, and undo everything it wrote."""
    savepoint = transaction.savepoint()
    try:
        return work()
    finally:
        transaction.savepoint_rollback(savepoint)


def _export(users) -> bytes:
    return pfif_export(actor=users["desk_chief"], origin=SYSTEM).content


def _import_then_export(users, content: bytes) -> bytes:
    def work():
        assert not Person.objects.exists()
        with time_machine.travel(IMPORTED_AT, tick=False):
            batch = pfif_import(actor=users["desk_chief"], origin=SYSTEM, file_name="x.xml", content=content).batch
            assert batch.persons_rejected == batch.notes_rejected == 0
            return _export(users)

    return _in_an_empty_database(work)


def test_export_import_export_gives_the_same_pfif(users):
    # given the world of the golden export, in its own repository
    first = _in_an_empty_database(lambda: (world_build(users), _export(users))[1])
    assert first.count(b"<pfif:person>") == 8 and b"linked_person_record_id" in first

    # when another repository, empty, imports it and exports again
    with override_settings(PFIF_DOMAIN="desk-b.example.net"):
        second = _import_then_export(users, first)
        third = _import_then_export(users, second)

    # then the records are the same but for when they entered the second repository
    assert ENTRY_DATE.sub(b"", second) == ENTRY_DATE.sub(b"", first)
    assert set(ENTRY_DATE.findall(second)) == {b"<pfif:entry_date>2026-04-01T12:00:00Z</pfif:entry_date>"}
    # and a third generation is the second, byte for byte
    assert third == second


def test_the_second_repository_keeps_the_links_for_a_reviewer(users):
    first = _in_an_empty_database(lambda: (world_build(users), _export(users))[1])

    def work():
        with time_machine.travel(IMPORTED_AT, tick=False):
            batch = pfif_import(actor=users["desk_chief"], origin=SYSTEM, file_name="x.xml", content=first).batch
        return batch.links_queued, PfifNote.objects.exclude(linked_record_id="").count()

    with override_settings(PFIF_DOMAIN="desk-b.example.net"):
        # two pairs (a merge and a pair decided the same), each linked from both sides
        assert _in_an_empty_database(work) == (2, 4)
