"""The PFIF 1.4 export: golden files, what is never exported, the incremental feed and its
pages."""

import os
import re

import pytest
from defusedxml import ElementTree

from crisisdesk.common.origin import SYSTEM
from crisisdesk.pfif.exports import pfif_export
from crisisdesk.pfif.format import NAMESPACE
from crisisdesk.pfif.tests.conftest import GOLDEN, at, event_tokens, golden, golden_tokens

pytestmark = pytest.mark.django_db


def _export(users, **kwargs) -> bytes:
    return pfif_export(actor=users["desk_chief"], origin=SYSTEM, **kwargs).content


def test_export_matches_the_golden_file(users, world):
    content = _export(users)
    tokens = {"persons": world, "events": event_tokens()}
    if os.environ.get("PFIF_GOLDEN_WRITE"):
        (GOLDEN / "export_world.xml").write_text(golden_tokens(content, **tokens), encoding="utf-8")
    assert content == golden("export_world.xml", **tokens)


def _ids(content: bytes) -> list[str]:
    root = ElementTree.fromstring(content)
    return [person.findtext(f"{{{NAMESPACE}}}person_record_id") for person in root.iter(f"{{{NAMESPACE}}}person")]


def test_what_the_registry_must_not_share_is_never_exported(users, world):
    from crisisdesk.registry.models import Person, RiskFlag

    content = _export(users)

    assert RiskFlag.objects.filter(person_id=world["taras"]).exists()  # military age: flagged
    for secret in (
        b"+380501234567",  # contact (encrypted at rest)
        b"P1234567",  # passport number (encrypted at rest)
        b"insulin",  # needs
        b"staff only",  # the staff's note on a timeline entry
        b"Shehyni",  # the free-text place of a crossing
        b"Andrii",  # who reported a person
        b"+380671112233",  # the reporter's contact
        b"IL",  # citizenships
        b"conscription",
        b"leave",  # intent
    ):
        assert secret not in content, secret
    tags = set(re.findall(rb"<pfif:(\w+)>", content))
    assert tags <= {
        b"person", b"note", b"person_record_id", b"entry_date", b"source_name", b"source_date", b"full_name",
        b"given_name", b"family_name", b"alternate_names", b"sex", b"date_of_birth", b"age", b"home_city",
        b"home_state", b"home_country", b"note_record_id", b"linked_person_record_id", b"author_name",
        b"author_made_contact", b"status", b"text",
    }  # fmt: skip
    assert Person.objects.count() == len(_ids(content))


def test_incremental_export_by_entry_date(users, world):
    # persons changed since the 4th (registered then), or with a note, a merge or a pair since
    since_4 = _ids(_export(users, since=at(4)))
    assert len(since_4) == 6 and f"crisisdesk.example.org/person.{world['olena']}" not in since_4
    since_3 = _ids(_export(users, since=at(3)))
    assert f"crisisdesk.example.org/person.{world['olena']}" in since_3  # her crossing, recorded on the 3rd
    assert f"crisisdesk.example.org/person.{world['taras']}" in since_3  # his "entered in error", on the 3rd
    assert _ids(_export(users, since=at(6))) == []


def test_pages_with_skip_and_max_results_cover_the_feed_once_in_order(users, world):
    everyone = _ids(_export(users))

    pages = [_ids(_export(users, skip=skip, max_results=3)) for skip in (0, 3, 6, 9)]

    assert [len(page) for page in pages] == [3, 3, 2, 0]
    assert [record_id for page in pages for record_id in page] == everyone


def test_the_export_is_audited_with_ids_not_data_and_needs_the_permission(users, world):
    from django.core.exceptions import PermissionDenied

    from crisisdesk.common.models import AuditEvent
    from crisisdesk.pfif.audit_actions import PFIF_EXPORTED

    export = pfif_export(actor=users["desk_chief"], origin=SYSTEM, since=at(4), max_results=5)

    audit = AuditEvent.objects.get(action=PFIF_EXPORTED)
    assert audit.actor == users["desk_chief"]
    assert audit.changes["since"] == "2026-03-04T10:00:00Z" and audit.changes["persons"] == export.persons == 5
    assert len(audit.changes["ids"]) == 5
    assert "Bondarenko" not in str(audit.changes)
    for persona in ("consul", "border_officer", "case_officer", "logistics_officer", "diplomat"):
        with pytest.raises(PermissionDenied):
            pfif_export(actor=users[persona], origin=SYSTEM)


def test_the_export_reads_in_a_fixed_number_of_queries(users, world, django_assert_max_num_queries):
    with django_assert_max_num_queries(14):
        _export(users)
