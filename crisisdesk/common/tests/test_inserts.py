"""`inserts`: a row written without the ORM's query compiler is the row `save()` writes."""

import uuid

import pytest
from django.db import IntegrityError, transaction
from django.forms.models import model_to_dict
from django.utils import timezone

from crisisdesk.common.audit import audit_event_new
from crisisdesk.common.inserts import insert_pair_run, insert_prepare, instance_insert
from crisisdesk.common.models import AuditEvent
from crisisdesk.common.origin import Origin
from crisisdesk.registry.models import IntakeState, Registration

pytestmark = pytest.mark.django_db

ORIGIN = Origin(channel=AuditEvent.Channel.PUBLIC, ip_address="2001:db8::7")


def _registration(reference: str, **fields) -> Registration:
    values = {
        "reference": reference,
        "submission_key": uuid.uuid4(),
        "update_token_digest": uuid.uuid4().hex * 2,
        "update_token": "secret-token",
        "channel": "public",
        "language": "he",
        "submitted_at": timezone.now(),
        "reporter_contact": "+972 3 555 0100",
        "intake_state": IntakeState.RECEIVED,
        "intake_payload": '{"people": ["Олена", "שרה"]}',
        "people_count": 2,
    }
    return Registration(**(values | fields))


def _stored(model, pk) -> dict:
    row = model_to_dict(model.objects.get(pk=pk))
    row.pop("id")
    return row


def test_a_row_inserted_directly_reads_back_as_the_row_save_writes():
    """Encrypted text, UUIDs, times, JSON and an IPv6 address come back identical."""
    by_save, direct = _registration("SAVE2345"), _registration("DIRE2345")
    direct.submission_key, direct.update_token_digest = uuid.uuid4(), "f" * 64
    by_save.save()
    instance_insert(direct)

    assert direct.pk is not None
    assert not direct._state.adding
    saved, inserted = _stored(Registration, by_save.pk), _stored(Registration, direct.pk)
    for differs in ("reference", "submission_key", "update_token_digest", "submitted_at"):
        saved.pop(differs), inserted.pop(differs)
    assert inserted == saved
    assert Registration.objects.get(pk=direct.pk).reporter_contact == "+972 3 555 0100"

    event = instance_insert(
        audit_event_new(actor=None, origin=ORIGIN, action="registration.submitted", changes={"people": 2})
    )
    stored = AuditEvent.objects.get(pk=event.pk)
    assert (stored.ip_address, stored.changes, stored.channel) == ("2001:db8::7", {"people": 2}, "public")


def test_a_pair_is_written_together_and_the_second_names_the_first():
    registration = _registration("PAIR2345")
    audit = audit_event_new(actor=None, origin=ORIGIN, action="registration.submitted", target=registration)

    insert_pair_run(insert_prepare(registration), insert_prepare(audit), link="target_id")

    stored = AuditEvent.objects.get(pk=audit.pk)
    assert stored.target_id == str(registration.pk) == audit.target_id
    assert stored.target_type == "registry.registration"
    assert Registration.objects.get(pk=registration.pk).intake_payload == registration.intake_payload


def test_a_pair_whose_first_row_is_refused_writes_neither_and_keeps_the_transaction():
    """A duplicate key on the first row: nothing of the pair is written, and a caller's
    transaction can carry on (PostgreSQL would otherwise abort it)."""
    existing = _registration("TAKEN234")
    existing.save()
    clash = _registration("TAKEN234")
    audit = audit_event_new(actor=None, origin=ORIGIN, action="registration.submitted", target=clash)
    before = AuditEvent.objects.count()

    with transaction.atomic():
        with pytest.raises(IntegrityError):
            insert_pair_run(insert_prepare(clash), insert_prepare(audit), link="target_id")
        assert Registration.objects.filter(reference="TAKEN234").count() == 1

    assert AuditEvent.objects.count() == before
