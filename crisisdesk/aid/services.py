"""Writes to aid shipments. Every function is keyword-only, atomic, checks its actor
(`aid.manage`; `aid.override` for an override), leaves a `ShipmentEvent` on the shipment's
timeline and a row in the audit log.

The guards live here and nowhere else:
- a shipment moves one status forward at a time (planned → loading → cleared → departed →
  arrived → handed over → distributed), or is cancelled, with a reason, before it leaves;
- "cleared" needs the clearance checklist complete, unless a logistics officer overrode it
  with a reason;
- "departed" needs a manifest (at least one line); from then on the manifest is fixed;
- "handed over" needs a receipt: the receiver's signature drawn on screen, or a signed
  receipt uploaded (`handover_record`);
- discrepancies are recorded on arrival and at handover, and never more short or damaged
  than the line dispatched.
"""

import io
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from crisisdesk.accounts.permissions import Permission, has_permission
from crisisdesk.aid.errors import AidError, AidValidationError
from crisisdesk.aid.lines import LIMITS, LineInput
from crisisdesk.aid.models import (
    CANCELLABLE,
    MANIFEST_LOCKED,
    STATUS_ORDER,
    ClearanceItem,
    Consignee,
    Handover,
    LineDiscrepancy,
    ManifestLine,
    Mode,
    Shipment,
    ShipmentEvent,
    Status,
)
from crisisdesk.common.audit import actor_label_for, audit_record
from crisisdesk.common.documents import PNG, FileRejected, document_discard, document_store, file_check
from crisisdesk.common.models import AuditEvent
from crisisdesk.common.origin import Origin
from crisisdesk.common.references import reference_new

Action = AuditEvent.Action
SHIPMENT_REFERENCE_PREFIX = "AID-"
SIGNATURE_MAX_BYTES = 512 * 1024


def _require(actor, permission: Permission) -> None:
    if not has_permission(actor, permission):
        raise PermissionDenied


def _locked(shipment: Shipment, expected_version: int | None = None) -> Shipment:
    locked = Shipment.objects.select_for_update().get(pk=shipment.pk)
    if expected_version is not None and locked.version != expected_version:
        raise AidValidationError(AidError.STALE)
    return locked


def _event(shipment: Shipment, *, actor, kind: str, note: str = "", data: dict | None = None, **fields):
    return ShipmentEvent.objects.create(
        shipment=shipment,
        kind=kind,
        actor=actor if actor is not None and actor.is_authenticated else None,
        actor_label=actor_label_for(actor),
        note=note,
        data=data or {},
        **fields,
    )


def _touch(shipment: Shipment, *fields: str) -> None:
    shipment.version += 1
    shipment.updated_at = timezone.now()
    shipment.save(update_fields=[*fields, "version", "updated_at"])


def _audit(actor, origin: Origin, shipment: Shipment, action: str = Action.AID_SHIPMENT_CHANGED, **changes) -> None:
    audit_record(actor=actor, origin=origin, action=action, target=shipment, changes=changes)


def _stored_file(*, name: str, content: bytes, allowed=None) -> tuple:
    """Check an upload by its content and store it encrypted; (checked, storage key)."""
    try:
        checked = file_check(name=name, content=content, **({"allowed": allowed} if allowed else {}))
    except FileRejected as error:
        raise AidValidationError(AidError(error.code.value), error.field) from error
    return checked, document_store(checked.content)


# --- consignees -----------------------------------------------------------------------------


@transaction.atomic
def consignee_create(
    *,
    actor,
    origin: Origin,
    name: str,
    country: str = "",
    contact_name: str = "",
    contact_phone: str = "",
    contact_email: str = "",
) -> Consignee:
    _require(actor, Permission.AID_MANAGE)
    name = name.strip()
    if not name:
        raise AidValidationError(AidError.CONSIGNEE_REQUIRED, "name")
    consignee, _created = Consignee.objects.get_or_create(
        name=name,
        defaults={
            "country": country.strip().upper()[:2],
            "contact_name": contact_name.strip(),
            "contact_phone": contact_phone.strip(),
            "contact_email": contact_email.strip(),
        },
    )
    audit_record(
        actor=actor,
        origin=origin,
        action=Action.AID_CONSIGNEE_CHANGED,
        target=consignee,
        changes={"created": _created},
    )
    return consignee


# --- shipments ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ShipmentInput:
    mode: str
    origin: str
    destination: str
    consignee: Consignee | None
    carrier: str = ""
    vehicle_number: str = ""
    planned_departure: datetime | None = None
    planned_arrival: datetime | None = None
    receiving_post: object = None
    note: str = ""


def _input_check(data: ShipmentInput) -> None:
    if data.mode not in Mode.values:
        raise AidValidationError(AidError.ROUTE_REQUIRED, "mode")
    if not data.origin.strip() or not data.destination.strip():
        raise AidValidationError(AidError.ROUTE_REQUIRED, "origin" if not data.origin.strip() else "destination")
    if data.consignee is None:
        raise AidValidationError(AidError.CONSIGNEE_REQUIRED, "consignee")
    if data.planned_departure and data.planned_arrival and data.planned_arrival < data.planned_departure:
        raise AidValidationError(AidError.ARRIVAL_BEFORE_DEPARTURE, "planned_arrival")


def _checklist_for(mode: str) -> list[tuple[str, str]]:
    """Every shipment needs its export declaration and the destination's clearance; only an
    aircraft needs a landing permit."""
    landing = ClearanceItem.State.PENDING if mode == Mode.CARGO_FLIGHT else ClearanceItem.State.NOT_REQUIRED
    return [
        (ClearanceItem.Kind.EXPORT_DECLARATION, ClearanceItem.State.PENDING),
        (ClearanceItem.Kind.DESTINATION_CLEARANCE, ClearanceItem.State.PENDING),
        (ClearanceItem.Kind.LANDING_PERMIT, landing),
    ]


@transaction.atomic
def shipment_create(*, actor, origin: Origin, data: ShipmentInput) -> Shipment:
    _require(actor, Permission.AID_MANAGE)
    _input_check(data)
    # 30⁶ references: a collision is rare, and drawing again until there is none is cheap.
    reference = SHIPMENT_REFERENCE_PREFIX + reference_new(6)
    while Shipment.objects.filter(reference=reference).exists():
        reference = SHIPMENT_REFERENCE_PREFIX + reference_new(6)
    shipment = Shipment.objects.create(
        reference=reference,
        mode=data.mode,
        carrier=data.carrier.strip(),
        vehicle_number=data.vehicle_number.strip(),
        origin=data.origin.strip(),
        destination=data.destination.strip(),
        planned_departure=data.planned_departure,
        planned_arrival=data.planned_arrival,
        consignee=data.consignee,
        receiving_post=data.receiving_post,
        note=data.note.strip(),
        created_by=actor if actor is not None and actor.is_authenticated else None,
    )
    ClearanceItem.objects.bulk_create(
        ClearanceItem(shipment=shipment, kind=kind, state=state) for kind, state in _checklist_for(data.mode)
    )
    _event(shipment, actor=actor, kind=ShipmentEvent.Kind.CREATED, to_status=Status.PLANNED)
    _audit(actor, origin, shipment, Action.AID_SHIPMENT_CREATED, reference=shipment.reference, mode=data.mode)
    return shipment


@transaction.atomic
def shipment_update(
    *, actor, origin: Origin, shipment: Shipment, data: ShipmentInput, expected_version: int | None = None
) -> Shipment:
    """The route, carrier and times, until the shipment leaves; the consignee and the
    planned arrival may still change on the way (a diverted flight)."""
    _require(actor, Permission.AID_MANAGE)
    shipment = _locked(shipment, expected_version)
    if shipment.status == Status.CANCELLED:
        raise AidValidationError(AidError.CLOSED)
    _input_check(data)
    fields = ["consignee", "receiving_post", "planned_arrival", "note"]
    if shipment.status not in MANIFEST_LOCKED:
        fields += ["mode", "carrier", "vehicle_number", "origin", "destination", "planned_departure"]
    changed = {}
    for name in fields:
        value = getattr(data, name)
        value = value.strip() if isinstance(value, str) else value
        if getattr(shipment, name) != value:
            setattr(shipment, name, value)
            changed[name] = True
    if not changed:
        return shipment
    if "mode" in changed:
        landing = shipment.clearances.get(kind=ClearanceItem.Kind.LANDING_PERMIT)
        if landing.state in (ClearanceItem.State.PENDING, ClearanceItem.State.NOT_REQUIRED):
            landing.state = dict(_checklist_for(shipment.mode))[ClearanceItem.Kind.LANDING_PERMIT]
            landing.save(update_fields=["state"])
    _touch(shipment, *fields)
    _event(shipment, actor=actor, kind=ShipmentEvent.Kind.CHANGED, data={"fields": sorted(changed)})
    _audit(actor, origin, shipment, fields=sorted(changed))
    return shipment


def clearance_complete(shipment: Shipment) -> bool:
    return all(item.done for item in shipment.clearances.all())


@transaction.atomic
def shipment_move(
    *,
    actor,
    origin: Origin,
    shipment: Shipment,
    to_status: str,
    note: str = "",
    at: datetime | None = None,
    expected_version: int | None = None,
) -> Shipment:
    _require(actor, Permission.AID_MANAGE)
    shipment = _locked(shipment, expected_version)
    current = shipment.status
    note = note.strip()
    if current in (Status.CANCELLED, Status.DISTRIBUTED):
        raise AidValidationError(AidError.CLOSED)
    if to_status == Status.CANCELLED:
        if current not in CANCELLABLE:
            raise AidValidationError(AidError.STATUS_NOT_NEXT, "to_status")
        if not note:
            raise AidValidationError(AidError.REASON_REQUIRED, "note")
    elif to_status not in STATUS_ORDER or STATUS_ORDER.index(to_status) != STATUS_ORDER.index(current) + 1:
        raise AidValidationError(AidError.STATUS_NOT_NEXT, "to_status")
    at = at or timezone.now()
    fields = ["status"]
    if to_status == Status.CLEARED and not (clearance_complete(shipment) or shipment.clearance_override_reason):
        raise AidValidationError(AidError.CLEARANCE_INCOMPLETE)
    if to_status == Status.DEPARTED:
        if not shipment.lines.exists():
            raise AidValidationError(AidError.MANIFEST_EMPTY)
        shipment.actual_departure = at
        fields.append("actual_departure")
    if to_status == Status.ARRIVED:
        shipment.actual_arrival = at
        fields.append("actual_arrival")
    if to_status == Status.HANDED_OVER:
        # The receipt is taken with the handover itself (handover_record).
        raise AidValidationError(AidError.RECEIPT_REQUIRED)
    shipment.status = to_status
    _touch(shipment, *fields)
    _event(
        shipment,
        actor=actor,
        kind=ShipmentEvent.Kind.STATUS_CHANGED,
        from_status=current,
        to_status=to_status,
        note=note,
        at=at,
    )
    _audit(actor, origin, shipment, status=[current, to_status])
    return shipment


@transaction.atomic
def clearance_override(
    *, actor, origin: Origin, shipment: Shipment, reason: str, expected_version: int | None = None
) -> Shipment:
    """Let the shipment clear with its checklist incomplete (a permit promised by phone,
    the plane waiting): a logistics officer's decision, with the reason on the record."""
    _require(actor, Permission.AID_OVERRIDE)
    shipment = _locked(shipment, expected_version)
    reason = reason.strip()
    if not reason:
        raise AidValidationError(AidError.REASON_REQUIRED, "reason")
    if shipment.status in MANIFEST_LOCKED:
        raise AidValidationError(AidError.STATUS_NOT_NEXT)
    shipment.clearance_override_reason = reason
    shipment.clearance_override_by = actor
    _touch(shipment, "clearance_override_reason", "clearance_override_by")
    missing = [item.kind for item in shipment.clearances.all() if not item.done]
    _event(shipment, actor=actor, kind=ShipmentEvent.Kind.OVERRIDE, note=reason, data={"missing": missing})
    _audit(actor, origin, shipment, override=True, missing=missing)
    return shipment


def clearance_update(
    *,
    actor,
    origin: Origin,
    item: ClearanceItem,
    state: str,
    on: date | None = None,
    reference_number: str = "",
    note: str = "",
    document_name: str = "",
    document_content: bytes | None = None,
) -> ClearanceItem:
    _require(actor, Permission.AID_MANAGE)
    if state not in ClearanceItem.State.values:
        raise AidValidationError(AidError.STATUS_NOT_NEXT, "state")
    checked, storage_key = (None, None)
    if document_content:
        checked, storage_key = _stored_file(name=document_name, content=document_content)
    try:
        with transaction.atomic():
            shipment = _locked(item.shipment)
            if shipment.status == Status.CANCELLED:
                raise AidValidationError(AidError.CLOSED)
            item = ClearanceItem.objects.select_for_update().get(pk=item.pk)
            before = item.state
            item.state, item.date = state, on
            item.reference_number, item.note = reference_number.strip()[:80], note.strip()[:500]
            replaced = item.document_key
            if checked is not None:
                item.document_name, item.document_key = checked.display_name, storage_key
                item.document_type = checked.content_type
            item.updated_at, item.updated_by = timezone.now(), actor
            item.save()
            _touch(shipment)
            _event(
                shipment,
                actor=actor,
                kind=ShipmentEvent.Kind.CLEARANCE,
                data={"kind": item.kind, "from": before, "to": state, "document": checked is not None},
            )
            _audit(actor, origin, shipment, clearance=item.kind, state=[before, state], document=checked is not None)
    except BaseException:
        if storage_key:
            document_discard(storage_key)
        raise
    if checked is not None and replaced:
        # The earlier paper is superseded, and its upload recorded on the timeline.
        transaction.on_commit(lambda: document_discard(replaced))
    return item


# --- the manifest ---------------------------------------------------------------------------


def _manifest_open(shipment: Shipment) -> None:
    if shipment.status in MANIFEST_LOCKED:
        raise AidValidationError(AidError.MANIFEST_LOCKED)


def lines_insert(*, shipment: Shipment, lines: list[LineInput], source_import=None, rows=None) -> list[ManifestLine]:
    """Numbered after the shipment's last line, in the caller's transaction (which holds
    the shipment's lock)."""
    start = (shipment.lines.aggregate(last=Max("line_number"))["last"] or 0) + 1
    made = [
        ManifestLine(
            shipment=shipment,
            line_number=start + index,
            source_import=source_import,
            source_row=rows[index] if rows else None,
            item=line.item,
            category=line.category,
            quantity=line.quantity,
            unit=line.unit,
            gross_weight_kg=line.gross_weight_kg,
            pallets=line.pallets,
            volume_m3=line.volume_m3,
            lot=line.lot,
            expiry_date=line.expiry_date,
            cold_chain=line.cold_chain,
            donor=line.donor,
        )
        for index, line in enumerate(lines)
    ]
    return ManifestLine.objects.bulk_create(made)


@transaction.atomic
def line_add(
    *, actor, origin: Origin, shipment: Shipment, line: LineInput, expected_version: int | None = None
) -> ManifestLine:
    _require(actor, Permission.AID_MANAGE)
    shipment = _locked(shipment, expected_version)
    _manifest_open(shipment)
    (made,) = lines_insert(shipment=shipment, lines=[line])
    made = ManifestLine.objects.get(shipment=shipment, line_number=made.line_number)
    _touch(shipment)
    _event(shipment, actor=actor, kind=ShipmentEvent.Kind.LINES_CHANGED, data={"added": made.line_number})
    _audit(actor, origin, shipment, line_added=made.line_number)
    return made


@transaction.atomic
def line_remove(*, actor, origin: Origin, line: ManifestLine) -> None:
    _require(actor, Permission.AID_MANAGE)
    shipment = _locked(line.shipment)
    _manifest_open(shipment)
    number, item = line.line_number, line.item
    try:
        with transaction.atomic():
            line.delete()
    except IntegrityError as error:  # a corrected row still points at it
        raise AidValidationError(AidError.MANIFEST_LOCKED) from error
    _touch(shipment)
    _event(shipment, actor=actor, kind=ShipmentEvent.Kind.LINES_CHANGED, data={"removed": number, "item": item})
    _audit(actor, origin, shipment, line_removed=number)


# --- arrival --------------------------------------------------------------------------------


def _signature_checked(png: bytes) -> bytes:
    """A signature drawn on screen arrives as a PNG; anything else, or a blank canvas (one
    colour, or nothing opaque), is refused."""
    if not png or len(png) > SIGNATURE_MAX_BYTES:
        raise AidValidationError(AidError.SIGNATURE_INVALID, "signature")
    try:
        file_check(name="signature.png", content=png, allowed=frozenset({PNG}))
        from PIL import Image

        with Image.open(io.BytesIO(png)) as image:
            image.load()
            rgba = image.convert("RGBA")
    except (FileRejected, OSError) as error:
        raise AidValidationError(AidError.SIGNATURE_INVALID, "signature") from error
    # Strokes show either as opaque pixels on a transparent canvas, or as dark pixels on
    # an opaque one: a canvas with neither is blank.
    low_alpha, high_alpha = rgba.getchannel("A").getextrema()
    low_light, high_light = rgba.convert("L").getextrema()
    if high_alpha == 0 or (low_alpha == high_alpha and low_light == high_light):
        raise AidValidationError(AidError.SIGNATURE_INVALID, "signature")
    return png


def handover_record(
    *,
    actor,
    origin: Origin,
    shipment: Shipment,
    receiver_name: str,
    receiver_organisation: str,
    handed_over_at: datetime | None = None,
    signature_png: bytes | None = None,
    receipt_name: str = "",
    receipt_content: bytes | None = None,
    note: str = "",
    expected_version: int | None = None,
) -> Handover:
    """The consignee signs for the shipment: it moves to "handed over" with its receipt."""
    _require(actor, Permission.AID_MANAGE)
    receiver_name, receiver_organisation = receiver_name.strip(), receiver_organisation.strip()
    if not receiver_name or not receiver_organisation:
        raise AidValidationError(
            AidError.RECEIPT_REQUIRED, "receiver_name" if not receiver_name else "receiver_organisation"
        )
    if not signature_png and not receipt_content:
        raise AidValidationError(AidError.RECEIPT_REQUIRED, "signature")
    keys = []
    try:
        signature_key = ""
        if signature_png:
            signature_key = document_store(_signature_checked(signature_png))
            keys.append(signature_key)
        receipt = None
        if receipt_content:
            receipt, receipt_key = _stored_file(name=receipt_name, content=receipt_content)
            keys.append(receipt_key)
        with transaction.atomic():
            shipment = _locked(shipment, expected_version)
            if Handover.objects.filter(shipment=shipment).exists():
                raise AidValidationError(AidError.ALREADY_HANDED_OVER)
            if shipment.status != Status.ARRIVED:
                raise AidValidationError(AidError.NOT_ARRIVED)
            at = handed_over_at or timezone.now()
            handover = Handover.objects.create(
                shipment=shipment,
                receiver_name=receiver_name[:200],
                receiver_organisation=receiver_organisation[:200],
                handed_over_at=at,
                signature_key=signature_key,
                receipt_name=receipt.display_name if receipt else "",
                receipt_key=receipt_key if receipt else "",
                receipt_type=receipt.content_type if receipt else "",
                note=note.strip()[:1000],
                recorded_by=actor,
            )
            shipment.status = Status.HANDED_OVER
            _touch(shipment, "status")
            _event(
                shipment,
                actor=actor,
                kind=ShipmentEvent.Kind.HANDED_OVER,
                from_status=Status.ARRIVED,
                to_status=Status.HANDED_OVER,
                data={"signature": bool(signature_key), "receipt": receipt is not None},
                at=at,
            )
            _audit(actor, origin, shipment, status=[Status.ARRIVED, Status.HANDED_OVER], receipt=True)
    except BaseException:
        for key in keys:
            document_discard(key)
        raise
    return handover


@transaction.atomic
def discrepancy_add(
    *, actor, origin: Origin, line: ManifestLine, kind: str, quantity, note: str = ""
) -> LineDiscrepancy:
    _require(actor, Permission.AID_MANAGE)
    shipment = _locked(line.shipment)
    if shipment.status not in (Status.ARRIVED, Status.HANDED_OVER):
        raise AidValidationError(AidError.DISCREPANCY_NOT_NOW)
    if kind not in LineDiscrepancy.Kind.values:
        raise AidValidationError(AidError.LINE_INVALID, "kind")
    try:
        quantity = Decimal(str(quantity).replace(",", "."))
        as_stored = quantity.quantize(Decimal("0.001"))
    except InvalidOperation as error:
        raise AidValidationError(AidError.LINE_INVALID, "quantity") from error
    # Refused, not rounded or cut: the record says what the officer counted (as line_parse does).
    if not quantity.is_finite() or quantity <= 0 or quantity != as_stored or quantity > LIMITS["quantity"]:
        raise AidValidationError(AidError.LINE_INVALID, "quantity")
    quantity = as_stored
    line = ManifestLine.objects.get(pk=line.pk)
    if kind != LineDiscrepancy.Kind.OVER:
        missing = sum(
            (d.quantity for d in line.discrepancies.exclude(kind=LineDiscrepancy.Kind.OVER)), start=Decimal("0")
        )
        if missing + quantity > line.quantity:
            raise AidValidationError(AidError.DISCREPANCY_TOO_LARGE, "quantity")
    discrepancy = LineDiscrepancy.objects.create(
        line=line, kind=kind, quantity=quantity, note=note.strip()[:500], recorded_by=actor
    )
    _touch(shipment)
    _event(
        shipment,
        actor=actor,
        kind=ShipmentEvent.Kind.DISCREPANCY,
        note=discrepancy.note,
        data={"line": line.line_number, "kind": kind, "quantity": str(quantity)},
    )
    _audit(actor, origin, shipment, discrepancy=[line.line_number, kind, str(quantity)])
    return discrepancy
