"""The module's tamper-evident audit trail: a hash chain (docs/subsystems/audit.md).

Row n's hash is SHA-256 over its own content and row n-1's hash. Writers take the chain head
with `select_for_update`, so concurrent writers on PostgreSQL chain one after another instead
of forking the chain; on SQLite the write lock already serialises them. `audit_chain_verify`
recomputes every hash and reports the first row that was edited, deleted or cut off.
"""

import hashlib
import json
from dataclasses import dataclass

from django.db import models, transaction
from django.utils import timezone

from crisisdesk.common.audit import actor_label_for
from crisisdesk.common.origin import Origin
from crisisdesk.diplomacy.models import DiplomacyAuditEntry, DiplomacyAuditHead

GENESIS_HASH = "0" * 64


class Action(models.TextChoices):
    COMPARTMENT_CREATED = "compartment.created"
    READ_IN = "compartment.read_in"
    READ_OUT = "compartment.read_out"
    COUNTERPART_SAVED = "counterpart.saved"
    OFFICIAL_SAVED = "official.saved"
    CHANNEL_REQUESTED = "channel.requested"
    CHANNEL_REQUEST_DECIDED = "channel.request_decided"
    CHANNEL_OPENED = "channel.opened"
    CHANNEL_ESCALATED = "channel.escalated"
    CHANNEL_STATUS_CHANGED = "channel.status_changed"
    CHANNEL_VIEWED = "channel.viewed"
    CHANNELS_LISTED = "channel.listed"
    CONTACT_LOGGED = "contact.logged"
    CONTACT_VIEWED = "contact.viewed"
    CONTACTS_LISTED = "contact.listed"
    CONTACTS_EXPORTED = "contact.exported"
    FOLLOW_UP_ADDED = "follow_up.added"
    FOLLOW_UP_DONE = "follow_up.done"
    MEDIATION_RECORDED = "mediation.recorded"
    MEDIATION_OUTCOME_SET = "mediation.outcome_set"
    MEDIATION_VIEWED = "mediation.viewed"
    APPROACH_RECORDED = "approach.recorded"
    APPROACH_RESPONSE_SET = "approach.response_set"
    TIMELINE_VIEWED = "timeline.viewed"
    STATEMENT_LOGGED = "statement.logged"
    STATEMENT_ASSESSED = "statement.assessed"
    LINE_DRAFTED = "line.drafted"
    LINE_APPROVED = "line.approved"
    AUDIT_VIEWED = "audit.viewed"


def _row_digest(row: DiplomacyAuditEntry) -> str:
    content = {
        "seq": row.seq,
        "at": row.at.isoformat(timespec="microseconds"),
        "actor_id": row.actor_id,
        "actor_label": row.actor_label,
        "action": row.action,
        "channel": row.channel,
        "ip_address": row.ip_address,
        "target_type": row.target_type,
        "target_id": row.target_id,
        "compartment_id": str(row.compartment_id) if row.compartment_id else None,
        "changes": row.changes,
        "prev_hash": row.prev_hash,
    }
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def diplomacy_audit(
    *,
    actor,
    origin: Origin,
    action: str,
    target: models.Model | None = None,
    compartment_id=None,
    changes: dict | None = None,
) -> DiplomacyAuditEntry:
    """Append one chained row. `changes` names fields, never their content: the trail must not
    become a second copy of what was said. The row's compartment is the target's, so that it
    is shown only to those read into it."""
    if compartment_id is None and target is not None:
        compartment_id = (
            target.pk if target._meta.model_name == "compartment" else getattr(target, "compartment_id", None)
        )
    with transaction.atomic():
        head, _created = DiplomacyAuditHead.objects.select_for_update().get_or_create(
            pk=1, defaults={"seq": 0, "hash": GENESIS_HASH}
        )
        # UTC (USE_TZ): the digest must read the same after the database round trip.
        at = timezone.now()
        row = DiplomacyAuditEntry(
            seq=head.seq + 1,
            at=at,
            actor=actor if actor is not None and actor.is_authenticated else None,
            actor_label=actor_label_for(actor),
            action=str(action),
            channel=origin.channel,
            ip_address=origin.ip_address,
            target_type=target._meta.model_name if target is not None else "",
            target_id=str(target.pk) if target is not None else "",
            compartment_id=compartment_id,
            changes=changes or {},
            prev_hash=head.hash,
        )
        row.hash = _row_digest(row)
        row.save()
        head.seq, head.hash = row.seq, row.hash
        head.save(update_fields=["seq", "hash"])
    return row


@dataclass(frozen=True, slots=True)
class ChainReport:
    rows: int
    problems: list[str]

    @property
    def intact(self) -> bool:
        return not self.problems


def audit_chain_verify() -> ChainReport:
    """Walk the chain in order and report every break: an edited row (its hash), a deleted
    row (a gap in the sequence, or a link that no longer matches) and a cut tail (the head)."""
    problems: list[str] = []
    previous_hash, expected_seq, count = GENESIS_HASH, 1, 0
    for row in DiplomacyAuditEntry.objects.order_by("seq").iterator(chunk_size=2000):
        count += 1
        if row.seq != expected_seq:
            problems.append(f"rows {expected_seq}–{row.seq - 1} are missing (deleted)")
        if row.prev_hash != previous_hash:
            problems.append(f"row {row.seq} does not link to the row before it")
        if _row_digest(row) != row.hash:
            problems.append(f"row {row.seq} was changed after it was written")
        previous_hash, expected_seq = row.hash, row.seq + 1
    head = DiplomacyAuditHead.objects.filter(pk=1).first()
    if head is None and count:
        problems.append("the chain head is missing")
    elif head is not None and (head.seq, head.hash) != (expected_seq - 1, previous_hash):
        problems.append(f"the chain ends at row {expected_seq - 1}, but row {head.seq} was written (rows cut off)")
    return ChainReport(rows=count, problems=problems)


def audit_chain_head() -> tuple[int, str]:
    """The last row's sequence number and hash, as the chain head keeps them.

    Whoever can write the table can also recompute every hash after an edit, and the head
    with them. Kept outside the database (a printout, a ticket, another system's log), this
    pair lets `audit_chain_anchor_check` show later that the chain was rewritten."""
    head = DiplomacyAuditHead.objects.filter(pk=1).first()
    return (head.seq, head.hash) if head is not None else (0, GENESIS_HASH)


def audit_chain_anchor_check(*, seq: int, hash: str) -> list[str]:
    """Problems with a (seq, hash) pair noted earlier: the row is gone, or no longer has that
    hash, so the chain up to it was rewritten."""
    row = DiplomacyAuditEntry.objects.filter(seq=seq).only("hash").first()
    if row is None:
        return [f"row {seq}, the anchor, is missing"]
    if row.hash != hash:
        return [f"row {seq} no longer has the anchored hash (the chain was rewritten up to it)"]
    return []
