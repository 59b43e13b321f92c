"""Reads of aid shipments, for those with `aid.view` (logistics officers write, desk chiefs
read). Totals come from `tonnage.py`, two queries for any number of shipments: the lines,
then their discrepancies."""

from collections import defaultdict
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Prefetch, Q, QuerySet, Sum

from crisisdesk.accounts.permissions import Permission, has_permission
from crisisdesk.aid.errors import AidError, AidValidationError
from crisisdesk.aid.lines import line_error_messages
from crisisdesk.aid.models import (
    DELIVERED,
    IN_TRANSIT,
    ClearanceItem,
    Handover,
    LineDiscrepancy,
    ManifestImport,
    ManifestLine,
    RejectedRow,
    Shipment,
    ShipmentEvent,
    Status,
)
from crisisdesk.aid.tonnage import LineFigures, ShipmentTotals, tonnes, totals_of
from crisisdesk.common.audit import audit_record
from crisisdesk.common.documents import document_read
from crisisdesk.common.models import AuditEvent
from crisisdesk.common.origin import Origin

ZERO = Decimal("0")
NOT_LEFT = frozenset({Status.PLANNED, Status.LOADING, Status.CLEARED})


def _require(actor) -> None:
    if not has_permission(actor, Permission.AID_VIEW):
        raise PermissionDenied


def shipment_list(*, actor, status: str = "", mode: str = "", search: str = "") -> QuerySet[Shipment]:
    _require(actor)
    shipments = Shipment.objects.select_related("consignee", "receiving_post").annotate(
        dispatched_kg=Sum("lines__gross_weight_kg"), line_count=Count("lines")
    )
    if status:
        shipments = shipments.filter(status=status)
    if mode:
        shipments = shipments.filter(mode=mode)
    if search.strip():
        text = search.strip()
        shipments = shipments.filter(
            Q(reference__icontains=text)
            | Q(vehicle_number__icontains=text)
            | Q(destination__icontains=text)
            | Q(consignee__name__icontains=text)
        )
    return shipments.order_by("-created_at", "-id")


def line_figures(lines) -> list[LineFigures]:
    lines = list(lines)
    sums: dict[tuple[int, str], Decimal] = defaultdict(lambda: ZERO)
    rows = (
        LineDiscrepancy.objects.filter(line__in=[line.pk for line in lines])
        .values("line_id", "kind")
        .annotate(total=Sum("quantity"))
    )
    for row in rows:
        sums[(row["line_id"], row["kind"])] = row["total"]
    return [
        LineFigures(
            line=line,
            short=sums[(line.pk, LineDiscrepancy.Kind.SHORT)],
            damaged=sums[(line.pk, LineDiscrepancy.Kind.DAMAGED)],
            over=sums[(line.pk, LineDiscrepancy.Kind.OVER)],
        )
        for line in lines
    ]


def shipment_totals(shipments) -> dict[int, ShipmentTotals]:
    """Dispatched and delivered totals of each shipment, by category."""
    ids = [shipment.pk for shipment in shipments]
    by_shipment: dict[int, list] = defaultdict(list)
    for figure in line_figures(ManifestLine.objects.filter(shipment__in=ids)):
        by_shipment[figure.line.shipment_id].append(figure)
    return {pk: totals_of(by_shipment.get(pk, [])) for pk in ids}


def overview(*, actor) -> dict:
    """Every shipment with its tonnage, what is in the air or on the road now, and the sums:
    dispatched counts shipments that have left, delivered those handed over."""
    shipments = list(shipment_list(actor=actor))
    totals = shipment_totals(shipments)
    waiting = [s for s in shipments if s.status in NOT_LEFT]
    left = [s for s in shipments if s.status not in NOT_LEFT and s.status != Status.CANCELLED]
    delivered = [s for s in shipments if s.status in DELIVERED]
    summary = {
        "shipments": [(shipment, totals[shipment.pk]) for shipment in shipments],
        "in_transit": [(shipment, totals[shipment.pk]) for shipment in shipments if shipment.status in IN_TRANSIT],
        "dispatched_kg": sum((totals[s.pk].total.dispatched_kg for s in left), start=ZERO),
        "delivered_kg": sum((totals[s.pk].total.delivered_kg for s in delivered), start=ZERO),
        "dispatched_of_delivered_kg": sum((totals[s.pk].total.dispatched_kg for s in delivered), start=ZERO),
        "planned_kg": sum((totals[s.pk].total.dispatched_kg for s in waiting), start=ZERO),
    }
    for name in ("dispatched", "delivered", "dispatched_of_delivered", "planned"):
        summary[f"{name}_t"] = tonnes(summary[f"{name}_kg"])
    return summary


def shipment_detail(*, actor, pk: int) -> Shipment:
    _require(actor)
    shipment = (
        Shipment.objects.select_related("consignee", "receiving_post", "clearance_override_by", "created_by")
        .prefetch_related(
            Prefetch("lines", queryset=ManifestLine.objects.order_by("line_number")),
            Prefetch("clearances", queryset=ClearanceItem.objects.select_related("updated_by").order_by("id")),
            Prefetch("events", queryset=ShipmentEvent.objects.order_by("at", "id")),
            Prefetch(
                "imports",
                queryset=ManifestImport.objects.select_related("imported_by").prefetch_related(
                    Prefetch("rejected_rows", queryset=RejectedRow.objects.order_by("row_number"))
                ),
            ),
        )
        .filter(pk=pk)
        .first()
    )
    if shipment is None:
        raise AidValidationError(AidError.NOT_FOUND)
    return shipment


def handover_of(shipment: Shipment) -> Handover | None:
    return Handover.objects.filter(shipment=shipment).select_related("recorded_by").first()


def rejected_rows_open(*, actor, shipment: Shipment) -> list[RejectedRow]:
    """Rows of this shipment's imports still waiting for a correction, with their messages."""
    _require(actor)
    rows = list(
        RejectedRow.objects.filter(manifest_import__shipment=shipment, resolved_line__isnull=True)
        .select_related("manifest_import")
        .order_by("manifest_import__imported_at", "row_number")
    )
    for row in rows:
        row.messages = line_error_messages(row.errors)
    return rows


def _file_read(*, actor, origin: Origin, shipment: Shipment, what: str, storage_key: str) -> bytes:
    _require(actor)
    if not storage_key:
        raise AidValidationError(AidError.NOT_FOUND)
    audit_record(
        actor=actor,
        origin=origin,
        action=AuditEvent.Action.AID_DOCUMENT_VIEWED,
        target=shipment,
        changes={"file": what},
    )
    return document_read(storage_key)


def clearance_document_open(*, actor, origin: Origin, item: ClearanceItem) -> tuple[str, str, bytes]:
    content = _file_read(
        actor=actor, origin=origin, shipment=item.shipment, what=item.kind, storage_key=item.document_key
    )
    return item.document_name, item.document_type, content


def handover_file_open(*, actor, origin: Origin, handover: Handover, which: str) -> tuple[str, str, bytes]:
    """`which` is "signature" or "receipt"."""
    _require(actor)
    if which == "signature":
        key, name, content_type = handover.signature_key, f"signature-{handover.shipment.reference}.png", "image/png"
    elif which == "receipt":
        key, name, content_type = handover.receipt_key, handover.receipt_name, handover.receipt_type
    else:
        raise AidValidationError(AidError.NOT_FOUND)
    content = _file_read(actor=actor, origin=origin, shipment=handover.shipment, what=which, storage_key=key)
    return name, content_type, content
