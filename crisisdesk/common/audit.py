"""Writing audit events. Services call `audit_record` inside their own transaction, so an
action and its audit row commit or roll back together."""

from collections.abc import Iterable

from django.db import models

from crisisdesk.common.inserts import instance_insert, rows_insert
from crisisdesk.common.models import AuditEvent
from crisisdesk.common.origin import Origin


def actor_label_for(actor) -> str:
    if actor is None:
        return "anonymous"
    return actor.get_username()


def audit_record(
    *,
    actor,
    origin: Origin,
    action: str,
    target: models.Model | None = None,
    person_id: int | None = None,
    changes: dict | None = None,
    actor_label: str | None = None,
) -> AuditEvent:
    # Through insert_prepare rather than save(): every audited read writes one of these.
    return instance_insert(
        audit_event_new(
            actor=actor,
            origin=origin,
            action=action,
            target=target,
            person_id=person_id,
            changes=changes,
            actor_label=actor_label,
        )
    )


def audit_event_new(
    *,
    actor,
    origin: Origin,
    action: str,
    target: models.Model | None = None,
    person_id: int | None = None,
    changes: dict | None = None,
    actor_label: str | None = None,
) -> AuditEvent:
    """An audit row not written yet, for a caller that writes it with its action
    (`inserts.insert_pair_run`)."""
    return AuditEvent(**_audit_fields(actor, origin, action, target, person_id, changes, actor_label))


def audit_record_many(
    *,
    actor,
    origin: Origin,
    action: str,
    targets: Iterable[models.Model],
    person_id_of=lambda target: None,
    changes: dict | None = None,
    actor_label: str | None = None,
) -> None:
    """One audit row per target, inserted together (used by bulk writes). Written as rows, not
    instances (`inserts.rows_insert`), at one moment: an import's hundred thousand."""
    rows = []
    for target in targets:
        fields = _audit_fields(actor, origin, action, target, person_id_of(target), changes, actor_label)
        actor_of = fields.pop("actor")
        fields["actor_id"] = actor_of.pk if actor_of is not None else None
        rows.append(fields)
    rows_insert(AuditEvent, rows)


def _audit_fields(actor, origin, action, target, person_id, changes, actor_label) -> dict:  # noqa: PLR0917
    return {
        "actor": actor if actor is not None and actor.is_authenticated else None,
        "actor_label": actor_label or actor_label_for(actor),
        "action": action,
        "channel": origin.channel,
        "ip_address": origin.ip_address,
        "target_type": target._meta.label_lower if target is not None else "",
        "target_id": str(target.pk) if target is not None and target.pk is not None else "",
        "person_id": person_id,
        "changes": changes or {},
    }
