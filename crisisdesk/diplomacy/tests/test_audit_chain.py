"""The module's audit trail is a hash chain, and `manage.py audit_verify` finds every break:
an edited row, a deleted one, a cut tail and, given an anchor kept outside the database, a
chain rewritten from scratch. Rows name fields and ids, never what was said.

The model refuses updates and deletes, so the tampering below goes around it with raw SQL,
as someone with access to the database would."""

import json
import threading
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, connections

from crisisdesk.common.origin import SYSTEM
from crisisdesk.diplomacy.audit import (
    GENESIS_HASH,
    Action,
    _row_digest,
    audit_chain_head,
    audit_chain_verify,
    diplomacy_audit,
)
from crisisdesk.diplomacy.models import DiplomacyAuditEntry, DiplomacyAuditHead, DiplomacyAuditIsAppendOnly

TABLE = DiplomacyAuditEntry._meta.db_table


def rows_write(count: int, actor=None) -> list[DiplomacyAuditEntry]:
    return [
        diplomacy_audit(actor=actor, origin=SYSTEM, action=Action.CHANNELS_LISTED, changes={"page": n})
        for n in range(1, count + 1)
    ]


def audit_verify(*args: str) -> str:
    out = StringIO()
    call_command("audit_verify", *args, stdout=out)
    return out.getvalue()


def audit_verify_failing(*args: str) -> tuple[str, str]:
    out = StringIO()
    with pytest.raises(CommandError) as failure:
        call_command("audit_verify", *args, stdout=out)
    return out.getvalue(), str(failure.value)


def raw(sql: str, params=()) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql.format(table=connection.ops.quote_name(TABLE)), params)


def test_an_intact_chain_passes_and_prints_its_head(db, users):
    rows = rows_write(5, actor=users["diplomat"])

    output = audit_verify()

    assert "Checked 5 rows of the diplomacy audit chain." in output
    assert f"Head: 5:{rows[-1].hash}" in output
    assert "The chain is intact." in output
    assert audit_chain_verify().intact


def test_an_empty_chain_passes(db):
    assert "Checked 0 rows" in audit_verify()


def test_the_model_refuses_to_edit_or_delete_rows(db):
    (row,) = rows_write(1)
    row.actor_label = "someone else"
    with pytest.raises(DiplomacyAuditIsAppendOnly):
        row.save()
    with pytest.raises(DiplomacyAuditIsAppendOnly):
        DiplomacyAuditEntry.objects.filter(pk=row.pk).update(action="x")
    with pytest.raises(DiplomacyAuditIsAppendOnly):
        DiplomacyAuditEntry.objects.all().delete()


@pytest.mark.parametrize(
    ("column", "value"),
    [("actor_label", "someone else"), ("action", "channel.viewed"), ("target_id", "another-record")],
)
def test_an_edited_row_is_caught_and_named(db, column, value):
    """Any column of a row, changed in place, breaks that row's hash, and only that row's."""
    # given an intact chain
    rows_write(5)
    # when row 3 is edited behind the model's back
    raw(f"UPDATE {{table}} SET {column} = %s WHERE seq = %s", [value, 3])  # noqa: S608 - fixed column names

    # then audit_verify names it and fails
    output, error = audit_verify_failing()
    assert "row 3 was changed after it was written" in output
    assert "Checked 5 rows" in output
    assert "broken" in error
    assert audit_chain_verify().problems == ["row 3 was changed after it was written"]


def test_a_row_deleted_from_the_middle_is_caught(db):
    rows_write(5)
    raw("DELETE FROM {table} WHERE seq = %s", [3])

    output, _error = audit_verify_failing()

    assert "rows 3–3 are missing (deleted)" in output
    assert "row 4 does not link to the row before it" in output


def test_a_cut_tail_is_caught_through_the_head(db):
    """The last row leaves no gap and no broken link behind it; the head remembers it."""
    rows_write(5)
    raw("DELETE FROM {table} WHERE seq = %s", [5])

    output, _error = audit_verify_failing()

    assert "the chain ends at row 4, but row 5 was written (rows cut off)" in output


def test_a_missing_head_is_caught(db):
    rows_write(2)
    DiplomacyAuditHead.objects.all().delete()

    output, _error = audit_verify_failing()

    assert "the chain head is missing" in output


def _chain_rewrite_from(seq: int) -> None:
    """What someone with write access could do after an edit: recompute every hash after it
    and the head, so that the chain checks out again on its own."""
    previous = DiplomacyAuditEntry.objects.get(seq=seq - 1).hash if seq > 1 else GENESIS_HASH
    for row in DiplomacyAuditEntry.objects.filter(seq__gte=seq).order_by("seq"):
        row.prev_hash = previous
        row.hash = _row_digest(row)
        raw("UPDATE {table} SET prev_hash = %s, hash = %s WHERE seq = %s", [row.prev_hash, row.hash, row.seq])
        previous = row.hash
    DiplomacyAuditHead.objects.filter(pk=1).update(hash=previous)


def test_an_anchor_kept_outside_catches_a_rewritten_chain(db):
    # given a chain whose head was noted outside the database
    rows_write(5)
    seq, digest = audit_chain_head()
    assert "The chain is intact." in audit_verify("--anchor", f"{seq}:{digest}")
    # when row 2 is edited and every hash after it recomputed
    raw("UPDATE {table} SET actor_label = %s WHERE seq = %s", ["someone else", 2])
    _chain_rewrite_from(2)
    rows_write(1)  # and the chain goes on as if nothing happened

    # then the chain alone looks intact, but not against the anchor
    assert audit_chain_verify().intact
    output, _error = audit_verify_failing("--anchor", f"{seq}:{digest}")
    assert "row 5 no longer has the anchored hash (the chain was rewritten up to it)" in output


def test_an_anchor_on_a_row_that_is_gone_is_caught(db):
    rows_write(2)
    output, _error = audit_verify_failing("--anchor", f"9:{'a' * 64}")
    assert "row 9, the anchor, is missing" in output


def test_a_malformed_anchor_is_refused(db):
    with pytest.raises(CommandError, match="SEQ:HASH"):
        audit_verify("--anchor", "5:nothex")


def test_two_writes_in_sequence_chain_one_to_the_other(db, users):
    first, second = rows_write(2, actor=users["diplomat"])

    assert (first.seq, second.seq) == (1, 2)
    assert first.prev_hash == GENESIS_HASH
    assert second.prev_hash == first.hash
    assert audit_chain_head() == (2, second.hash)
    # and what was stored hashes the same after the database round trip
    for row in DiplomacyAuditEntry.objects.all():
        assert _row_digest(row) == row.hash


# Serialised rollback, as the browser tests do: the flush after a transactional test would
# otherwise take the rows of data migrations away from the tests after it.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_writers_chain_one_after_another_on_postgresql():
    """Writers lock the head, so two at once never take the same place in the chain. On
    SQLite the one write lock already serialises them; this needs a server."""
    if connection.vendor != "postgresql":
        pytest.skip("needs concurrent connections to a database server")
    per_thread, errors = 25, []
    start = threading.Barrier(2)

    def writer(label: str) -> None:
        try:
            start.wait()
            for n in range(per_thread):
                diplomacy_audit(actor=None, origin=SYSTEM, action=Action.CHANNELS_LISTED, changes={label: n})
        except Exception as error:
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=writer, args=(label,)) for label in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert not errors
    report = audit_chain_verify()
    assert report.intact, report.problems
    assert report.rows == 2 * per_thread
    assert list(DiplomacyAuditEntry.objects.order_by("seq").values_list("seq", flat=True)) == list(
        range(1, 2 * per_thread + 1)
    )


def test_rows_never_carry_what_was_said(world):
    """The whole test world written and read: no audit row holds a summary, a purpose, a
    reason, a follow-up's text or a codeword; `changes` names fields and ids only."""
    lantern, bridge = world.lantern, world.bridge
    said = [
        text
        for compartment_world in (lantern, bridge)
        for text in (
            compartment_world.secret_text,
            compartment_world.channel.purpose,
            compartment_world.entry.summary,
            compartment_world.follow_up.action,
            compartment_world.channel_request.reason,
            compartment_world.mediation_request.summary,
            compartment_world.approach.summary,
            compartment_world.compartment.codeword,
        )
    ]
    rows = list(DiplomacyAuditEntry.objects.all())
    assert len(rows) > 20
    for row in rows:
        stored = json.dumps(
            [row.actor_label, row.action, row.target_type, row.target_id, row.changes], ensure_ascii=False
        )
        for text in said:
            assert text not in stored, (row.seq, row.action)
        for key, value in row.changes.items():
            assert key.isidentifier(), (row.seq, key)
            values = value if isinstance(value, list) else [value]
            for item in values:
                # ids, enum values, field names, dates, page numbers and flags: all short, no spaces
                assert isinstance(item, bool | int) or (isinstance(item, str) and len(item) <= 40 and " " not in item)
