"""Humanitarian aid shipments: what was sent, how, through which clearances, and what arrived.

A `Shipment` carries its manifest (`ManifestLine`), the clearance checklist that must be
complete before it departs (`ClearanceItem`), its handover to the consignee (`Handover`)
and, per manifest line, what did not arrive as sent (`LineDiscrepancy`). Dispatched and
delivered quantities are both kept: a discrepancy never rewrites the manifest.

Weights are kilograms with three decimals (grams) in `Decimal`, never floats, so totals add
up exactly; they are shown in tonnes (aid/tonnage.py says how they are rounded).
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from crisisdesk.common.append_only import AppendOnlyModel
from crisisdesk.common.encryption import EncryptedTextField

USER = settings.AUTH_USER_MODEL


class Mode(models.TextChoices):
    CARGO_FLIGHT = "cargo_flight", _("Cargo flight")
    TRUCK = "truck", _("Truck")
    SHIP = "ship", _("Ship")


class Status(models.TextChoices):
    PLANNED = "planned", pgettext_lazy("shipment status", "Planned")
    LOADING = "loading", pgettext_lazy("shipment status", "Loading")
    CLEARED = "cleared", pgettext_lazy("shipment status", "Cleared")
    DEPARTED = "departed", pgettext_lazy("shipment status", "Departed")
    ARRIVED = "arrived", pgettext_lazy("shipment status", "Arrived")
    HANDED_OVER = "handed_over", pgettext_lazy("shipment status", "Handed over")
    DISTRIBUTED = "distributed", pgettext_lazy("shipment status", "Distributed")
    CANCELLED = "cancelled", pgettext_lazy("shipment status", "Cancelled")


# The chain, in order. A shipment moves one step forward at a time; "cancelled" is reachable
# only before it leaves (afterwards the goods exist somewhere and must be accounted for).
STATUS_ORDER = (
    Status.PLANNED,
    Status.LOADING,
    Status.CLEARED,
    Status.DEPARTED,
    Status.ARRIVED,
    Status.HANDED_OVER,
    Status.DISTRIBUTED,
)
CANCELLABLE = frozenset({Status.PLANNED, Status.LOADING, Status.CLEARED})
# What is on its way now: shown first on the overview.
IN_TRANSIT = frozenset({Status.DEPARTED})
# Once loaded on the aircraft or truck, what was sent is fixed.
MANIFEST_LOCKED = frozenset({Status.DEPARTED, Status.ARRIVED, Status.HANDED_OVER, Status.DISTRIBUTED, Status.CANCELLED})
DELIVERED = frozenset({Status.HANDED_OVER, Status.DISTRIBUTED})


class Category(models.TextChoices):
    MEDICAL = "medical", _("Medical")
    FOOD = "food", _("Food")
    SHELTER = "shelter", pgettext_lazy("aid category", "Shelter")
    HYGIENE = "hygiene", _("Hygiene")
    WINTER = "winter", _("Winter")
    POWER = "power", _("Power")


class Unit(models.TextChoices):
    PIECE = "pcs", _("pieces")
    BOX = "box", _("boxes")
    PALLET = "pallet", _("pallets")
    KILOGRAM = "kg", _("kilograms")
    LITRE = "l", _("litres")
    KIT = "kit", _("kits")
    SET = "set", _("sets")


class Consignee(models.Model):
    """The organisation that receives a shipment (a Polish NGO, a municipality, a hospital)."""

    name = models.CharField(_("organisation"), max_length=200, unique=True)
    country = models.CharField(_("country code"), max_length=2, blank=True)
    contact_name = models.CharField(_("contact person"), max_length=200, blank=True)
    # A named person's phone and email are contact details: encrypted like the registry's.
    contact_phone = EncryptedTextField(_("contact phone"), blank=True)
    contact_email = EncryptedTextField(_("contact email"), blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Shipment(models.Model):
    reference = models.CharField(max_length=20, unique=True)
    mode = models.CharField(_("mode"), max_length=15, choices=Mode.choices)
    carrier = models.CharField(_("carrier"), max_length=200, blank=True)
    vehicle_number = models.CharField(_("flight or vehicle number"), max_length=40, blank=True)
    origin = models.CharField(pgettext_lazy("shipment route", "from"), max_length=120)
    destination = models.CharField(pgettext_lazy("shipment route", "to"), max_length=120)
    planned_departure = models.DateTimeField(_("planned departure"), null=True, blank=True)
    planned_arrival = models.DateTimeField(_("planned arrival"), null=True, blank=True)
    actual_departure = models.DateTimeField(_("departed at"), null=True, blank=True)
    actual_arrival = models.DateTimeField(_("arrived at"), null=True, blank=True)
    consignee = models.ForeignKey(Consignee, on_delete=models.PROTECT, related_name="shipments")
    receiving_post = models.ForeignKey(
        "border.Post", null=True, blank=True, on_delete=models.PROTECT, related_name="aid_shipments"
    )
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PLANNED)
    note = models.TextField(_("note"), blank=True, max_length=2000)
    # Set when a logistics officer lets the shipment leave with its checklist incomplete.
    clearance_override_reason = models.TextField(blank=True, max_length=1000)
    clearance_override_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField(default=timezone.now)
    # Bumped by every write, so that a form sent from a stale page is refused, not applied.
    version = models.PositiveIntegerField(default=1)
    # Made by the demo loader, which replaces what it made (and nothing else) when run again.
    demo = models.BooleanField(default=False, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "planned_departure"], name="aid_shipment_status")]

    def __str__(self) -> str:
        return self.reference


class ManifestLine(models.Model):
    shipment = models.ForeignKey(Shipment, on_delete=models.PROTECT, related_name="lines")
    line_number = models.PositiveIntegerField()
    item = models.CharField(_("item"), max_length=200)
    category = models.CharField(_("category"), max_length=10, choices=Category.choices)
    quantity = models.DecimalField(
        _("quantity"), max_digits=12, decimal_places=3, validators=[MinValueValidator(Decimal("0.001"))]
    )
    unit = models.CharField(_("unit"), max_length=6, choices=Unit.choices)
    gross_weight_kg = models.DecimalField(
        _("gross weight (kg)"), max_digits=12, decimal_places=3, validators=[MinValueValidator(Decimal("0"))]
    )
    pallets = models.DecimalField(_("pallets"), max_digits=7, decimal_places=2, default=Decimal("0"))
    volume_m3 = models.DecimalField(_("volume (m³)"), max_digits=9, decimal_places=3, default=Decimal("0"))
    lot = models.CharField(_("lot"), max_length=60, blank=True)
    expiry_date = models.DateField(_("expiry date"), null=True, blank=True)
    cold_chain = models.BooleanField(_("cold chain"), default=False)
    donor = models.CharField(_("donor"), max_length=200, blank=True)
    # Where the line came from: typed in, or a row of an imported file.
    source_import = models.ForeignKey(
        "ManifestImport", null=True, blank=True, on_delete=models.PROTECT, related_name="lines"
    )
    source_row = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["shipment", "line_number"]
        constraints = [
            models.UniqueConstraint(fields=["shipment", "line_number"], name="aid_line_number_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.shipment_id}/{self.line_number} {self.item}"


class ManifestImport(models.Model):
    """One uploaded manifest file. Its valid rows became lines in one transaction; its
    rejected rows stay here, each with its reasons, until corrected and imported."""

    shipment = models.ForeignKey(Shipment, on_delete=models.PROTECT, related_name="imports")
    file_name = models.CharField(max_length=120)
    file_format = models.CharField(max_length=4)  # csv / xlsx
    sha256 = models.CharField(max_length=64)
    rows_total = models.PositiveIntegerField(default=0)
    rows_imported = models.PositiveIntegerField(default=0)
    rows_rejected = models.PositiveIntegerField(default=0)
    imported_at = models.DateTimeField(default=timezone.now)
    imported_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-imported_at", "-id"]
        constraints = [
            # The same file twice on one shipment adds nothing: the second upload is refused.
            models.UniqueConstraint(fields=["shipment", "sha256"], name="aid_import_file_once"),
        ]

    def __str__(self) -> str:
        return f"{self.file_name} → {self.shipment_id}"


class RejectedRow(models.Model):
    """A row of a manifest file that did not become a line, as it was, with why."""

    manifest_import = models.ForeignKey(ManifestImport, on_delete=models.PROTECT, related_name="rejected_rows")
    row_number = models.PositiveIntegerField()  # as the spreadsheet numbers it, header = 1
    # Cell text as read: a mapped column under its line field's name, any other under its
    # header (or its letter), so that a correction form and the errors file find them.
    values = models.JSONField()
    errors = models.JSONField()  # field → [LineError code, …], shown in the reader's language
    # Set when the row was corrected and imported as a line, which is kept beside it.
    resolved_line = models.OneToOneField(
        ManifestLine, null=True, blank=True, on_delete=models.PROTECT, related_name="corrected_from"
    )

    class Meta:
        ordering = ["manifest_import", "row_number"]

    def __str__(self) -> str:
        return f"row {self.row_number} of {self.manifest_import_id}"


class ClearanceItem(models.Model):
    class Kind(models.TextChoices):
        EXPORT_DECLARATION = "export_declaration", _("Export declaration")
        DESTINATION_CLEARANCE = "destination_clearance", _("Diplomatic or customs clearance at destination")
        LANDING_PERMIT = "landing_permit", _("Landing permit")

    class State(models.TextChoices):
        PENDING = "pending", pgettext_lazy("clearance", "Pending")
        REQUESTED = "requested", pgettext_lazy("clearance", "Requested")
        GRANTED = "granted", pgettext_lazy("clearance", "Granted")
        REFUSED = "refused", pgettext_lazy("clearance", "Refused")
        NOT_REQUIRED = "not_required", pgettext_lazy("clearance", "Not required")

    shipment = models.ForeignKey(Shipment, on_delete=models.PROTECT, related_name="clearances")
    kind = models.CharField(max_length=25, choices=Kind.choices)
    state = models.CharField(max_length=12, choices=State.choices, default=State.PENDING)
    date = models.DateField(_("date"), null=True, blank=True)
    reference_number = models.CharField(_("reference number"), max_length=80, blank=True)
    note = models.CharField(_("note"), max_length=500, blank=True)
    # The clearance's paper, stored like a case's documents (common/documents.py).
    document_name = models.CharField(max_length=120, blank=True)
    document_key = models.CharField(max_length=64, blank=True)
    document_type = models.CharField(max_length=40, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["shipment", "id"]
        constraints = [models.UniqueConstraint(fields=["shipment", "kind"], name="aid_clearance_once")]

    def __str__(self) -> str:
        return f"{self.kind} of {self.shipment_id}: {self.state}"

    @property
    def done(self) -> bool:
        return self.state in (self.State.GRANTED, self.State.NOT_REQUIRED)


class Handover(models.Model):
    """Who signed for the shipment on arrival, with their signature drawn on screen or a
    signed receipt uploaded (either is the receipt "handed over" needs)."""

    shipment = models.OneToOneField(Shipment, on_delete=models.PROTECT, related_name="handover")
    receiver_name = models.CharField(_("received by"), max_length=200)
    receiver_organisation = models.CharField(_("organisation"), max_length=200)
    handed_over_at = models.DateTimeField(_("handed over at"), default=timezone.now)
    signature_key = models.CharField(max_length=64, blank=True)  # a PNG drawn on screen
    receipt_name = models.CharField(max_length=120, blank=True)
    receipt_key = models.CharField(max_length=64, blank=True)
    receipt_type = models.CharField(max_length=40, blank=True)
    note = models.CharField(_("note"), max_length=1000, blank=True)
    recorded_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"handover of {self.shipment_id}"


class LineDiscrepancy(models.Model):
    class Kind(models.TextChoices):
        SHORT = "short", _("Short (not received)")
        DAMAGED = "damaged", _("Damaged")
        OVER = "over", _("Over (more than sent)")

    line = models.ForeignKey(ManifestLine, on_delete=models.PROTECT, related_name="discrepancies")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    quantity = models.DecimalField(max_digits=12, decimal_places=3, validators=[MinValueValidator(Decimal("0.001"))])
    note = models.CharField(_("note"), max_length=500, blank=True)
    recorded_at = models.DateTimeField(default=timezone.now)
    recorded_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["line", "id"]

    def __str__(self) -> str:
        return f"{self.kind} {self.quantity} on {self.line_id}"


class ShipmentEventError(Exception):
    pass


class ShipmentEvent(AppendOnlyModel):
    """The shipment's timeline: every transition and change, attributed, never rewritten."""

    append_only_error = ShipmentEventError

    class Kind(models.TextChoices):
        CREATED = "created", _("Planned")
        STATUS_CHANGED = "status_changed", _("Status changed")
        CHANGED = "changed", _("Details changed")
        LINES_CHANGED = "lines_changed", _("Manifest changed")
        IMPORTED = "imported", _("Manifest imported")
        CLEARANCE = "clearance", _("Clearance updated")
        OVERRIDE = "override", _("Clearance overridden")
        HANDED_OVER = "handed_over", _("Handed over")
        DISCREPANCY = "discrepancy", _("Discrepancy recorded")

    shipment = models.ForeignKey(Shipment, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(max_length=15, choices=Kind.choices)
    from_status = models.CharField(max_length=12, choices=Status.choices, blank=True)
    to_status = models.CharField(max_length=12, choices=Status.choices, blank=True)
    note = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)
    actor = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    actor_label = models.CharField(max_length=150)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["shipment", "at", "id"]

    def __str__(self) -> str:
        return f"{self.kind} on {self.shipment_id}"
