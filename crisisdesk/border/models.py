"""The border desk: posts, crossing points, shifts, and what staff record at the crossings.

Everything a field device records arrives as a `DeskEvent` (docs/subsystems/offline-sync.md):
an event with a client-generated UUID, kept whether it was applied, rejected or held as a
conflict, so that nothing a device sent is lost and nothing is applied twice. Check-ins,
tallies, needs and intakes point back at the event that made them.
"""

import json

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crisisdesk.common.append_only import AppendOnlyModel
from crisisdesk.common.encryption import EncryptedTextField


class Mission(models.Model):
    """A diplomatic mission to the crisis country, whatever building it works from today."""

    name = models.CharField(_("name"), max_length=200)
    country = models.CharField(_("accredited to (country code)"), max_length=2)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Post(models.Model):
    """Where a mission works from, and when. A relocation closes one post and opens the next,
    so the mission's posts in opening order are its history (Kyiv → Lviv → Rzeszów)."""

    class Kind(models.TextChoices):
        EMBASSY = "embassy", _("Embassy")
        CONSULATE = "consulate", _("Consulate")
        TEMPORARY_OFFICE = "temporary", _("Temporary office")
        FORWARD_TEAM = "forward", _("Forward team")

    mission = models.ForeignKey(Mission, on_delete=models.PROTECT, related_name="posts")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=200)
    city = models.CharField(_("city"), max_length=100)
    country = models.CharField(_("country code"), max_length=2)
    latitude = models.DecimalField(max_digits=8, decimal_places=5, null=True, blank=True)
    longitude = models.DecimalField(max_digits=8, decimal_places=5, null=True, blank=True)
    opened_at = models.DateTimeField(_("opened"))
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    relocated_from = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="relocated_to"
    )
    note = models.CharField(_("note"), max_length=500, blank=True)

    class Meta:
        ordering = ["mission", "opened_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(closed_at__isnull=True) | Q(closed_at__gte=F("opened_at")), name="post_closes_after_opening"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.city})"

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


class CrossingPoint(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        LONG_QUEUE = "long_queue", _("Long queue")
        CLOSED = "closed", _("Closed")

    code = models.SlugField(unique=True)
    name = models.CharField(_("name (crisis-country side)"), max_length=100)
    name_far_side = models.CharField(_("name (far side)"), max_length=100)
    country_from = models.CharField(max_length=2)
    country_to = models.CharField(max_length=2)
    latitude = models.DecimalField(max_digits=8, decimal_places=5, null=True, blank=True)
    longitude = models.DecimalField(max_digits=8, decimal_places=5, null=True, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.OPEN)
    expected_wait_minutes = models.PositiveIntegerField(null=True, blank=True)
    status_updated_at = models.DateTimeField(null=True, blank=True)
    # The post whose staff cover this point; its field pack holds the persons relevant here.
    post = models.ForeignKey(Post, null=True, blank=True, on_delete=models.SET_NULL, related_name="crossing_points")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name}–{self.name_far_side}"


class CrossingStatusIsAppendOnly(Exception):
    pass


class CrossingStatusChange(AppendOnlyModel):
    """One report of a point's status; the point keeps the latest as its current status."""

    append_only_error = CrossingStatusIsAppendOnly

    point = models.ForeignKey(CrossingPoint, on_delete=models.CASCADE, related_name="status_history")
    status = models.CharField(max_length=12, choices=CrossingPoint.Status.choices)
    expected_wait_minutes = models.PositiveIntegerField(null=True, blank=True)
    note = models.CharField(max_length=500, blank=True)
    changed_at = models.DateTimeField(default=timezone.now)
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["point", "-changed_at", "-id"]

    def __str__(self) -> str:
        return f"{self.point_id}: {self.status}"


class Shift(models.Model):
    """An officer rostered at a point for a time window; started and ended from the app.
    The handover note written at the end is what the next shift at the point reads first."""

    point = models.ForeignKey(CrossingPoint, on_delete=models.PROTECT, related_name="shifts")
    officer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="shifts")
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    handover_note = models.TextField(_("handover note"), blank=True)
    # The earlier shift at the point whose handover note this one was shown on starting.
    handover_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="handed_over_to"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["point", "starts_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="shift_ends_after_start"),
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True) | Q(started_at__isnull=False), name="shift_ends_only_once_started"
            ),
        ]
        indexes = [models.Index(fields=["point", "ends_at"])]

    def __str__(self) -> str:
        return f"{self.point_id} {self.starts_at:%Y-%m-%d %H:%M}–{self.ends_at:%H:%M}"

    @property
    def is_running(self) -> bool:
        return self.started_at is not None and self.ended_at is None


class Direction(models.TextChoices):
    OUT = "out", _("Leaving the crisis country")
    IN = "in", _("Entering the crisis country")


class DeskEvent(models.Model):
    """One action recorded on a field device, as it arrived. Kept whatever became of it:
    applied, rejected with its reason, or a conflict for review. `content_digest` is what
    makes a replay safe: the same UUID with the same content is the same event."""

    class Kind(models.TextChoices):
        CHECK_IN = "check_in", _("Check-in")
        HOUSEHOLD_CHECK_IN = "household_check_in", _("Household check-in")
        TALLY = "tally", _("Headcount tally")
        QUICK_REGISTER = "quick_register", _("Quick registration")
        NEED = "need", _("Needs")
        INTAKE = "intake", _("Immigration request intake")
        STAYING = "staying", _("Staying")

    class Outcome(models.TextChoices):
        APPLIED = "applied", _("Applied")
        ALREADY_RECORDED = "already", _("Already recorded by another device")
        REJECTED = "rejected", _("Rejected")

    event_id = models.UUIDField(unique=True)
    kind = models.CharField(max_length=40)  # as sent: an unknown kind is kept and rejected
    # JSON, encrypted: a quick registration may carry a phone number or a passport number.
    payload = EncryptedTextField()
    # A keyed digest (HMAC) of kind, device time and payload, so that it reveals nothing of them.
    content_digest = models.CharField(max_length=64)
    device_time = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField(default=timezone.now, db_index=True)
    # The device's clock was ahead of the server's by more than the allowance when it sent this.
    clock_ahead = models.BooleanField(default=False)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    device_label = models.CharField(max_length=100, blank=True)
    point = models.ForeignKey(CrossingPoint, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    reason = models.CharField(max_length=40, blank=True)
    # Persons this event created (a quick registration) or acted on, for the conflict checks.
    person_ids = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]

    def __str__(self) -> str:
        return f"{self.kind} {self.event_id}"


class CheckIn(models.Model):
    """A person seen crossing at a point, one by one (a tally counts the unnamed)."""

    person = models.ForeignKey("registry.Person", on_delete=models.PROTECT, related_name="check_ins")
    point = models.ForeignKey(CrossingPoint, on_delete=models.PROTECT, related_name="check_ins")
    direction = models.CharField(max_length=3, choices=Direction.choices, default=Direction.OUT)
    crossed_at = models.DateTimeField()
    desk_event = models.ForeignKey(DeskEvent, on_delete=models.PROTECT, related_name="check_ins")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-crossed_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["desk_event", "person"], name="check_in_once_per_event_and_person")
        ]
        indexes = [models.Index(fields=["person", "crossed_at"]), models.Index(fields=["point", "crossed_at"])]

    def __str__(self) -> str:
        return f"{self.person_id} at {self.point_id}"


class Tally(models.Model):
    """People counted without names: "bus, 38 nationals, 6 children"."""

    point = models.ForeignKey(CrossingPoint, on_delete=models.PROTECT, related_name="tallies")
    direction = models.CharField(max_length=3, choices=Direction.choices, default=Direction.OUT)
    counted_at = models.DateTimeField()
    nationals = models.PositiveIntegerField()
    children = models.PositiveIntegerField(default=0)
    others = models.PositiveIntegerField(default=0)
    description = models.CharField(max_length=200, blank=True)
    desk_event = models.OneToOneField(DeskEvent, on_delete=models.PROTECT, related_name="tally")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-counted_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(children__lte=F("nationals") + F("others")), name="tally_children_counted"
            )
        ]

    def __str__(self) -> str:
        return f"{self.nationals} at {self.point_id}"


class DeskNeed(models.Model):
    class Kind(models.TextChoices):
        TRANSPORT = "transport", _("Onward transport")
        MEDICAL = "medical", _("Medical")
        SHELTER = "shelter", _("Shelter")
        OTHER = "other", _("Other")

    person = models.ForeignKey("registry.Person", on_delete=models.PROTECT, related_name="desk_needs")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    note = models.CharField(max_length=500, blank=True)
    point = models.ForeignKey(CrossingPoint, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()
    desk_event = models.ForeignKey(DeskEvent, on_delete=models.PROTECT, related_name="needs")
    met_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-recorded_at", "-id"]

    def __str__(self) -> str:
        return f"{self.kind} for {self.person_id}"


class Intake(models.Model):
    """The first conversation with someone who asks to immigrate, as the desk recorded it,
    and the case it opened in the cases module (`case`; none when the officer who synced it
    may not open cases)."""

    given_name = models.CharField(max_length=200, blank=True)
    family_name = models.CharField(max_length=200, blank=True)
    birth_year = models.PositiveSmallIntegerField(null=True, blank=True)
    family_size = models.PositiveSmallIntegerField(default=1)
    basis = models.CharField(max_length=500, blank=True)
    note = models.TextField(blank=True)
    point = models.ForeignKey(CrossingPoint, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()
    desk_event = models.OneToOneField(DeskEvent, on_delete=models.PROTECT, related_name="intake")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    case = models.OneToOneField(
        "cases.Case", null=True, blank=True, on_delete=models.PROTECT, related_name="border_intake"
    )

    class Meta:
        ordering = ["-recorded_at", "-id"]

    def __str__(self) -> str:
        return f"intake {self.pk}"


class DeskConflict(models.Model):
    """Two records that cannot both be true, held for a person to decide. Both versions are
    kept (`versions`); nothing is overwritten."""

    class Kind(models.TextChoices):
        SAME_ID_OTHER_CONTENT = "same_id", _("The same event sent twice with different content")
        TWO_POINTS = "two_points", _("Checked in at two points within an hour")
        STAYING_AND_CROSSED = "staying_crossed", _("Marked staying and checked in as crossed")

    class State(models.TextChoices):
        OPEN = "open", _("To review")
        RESOLVED = "resolved", _("Resolved")

    kind = models.CharField(max_length=16, choices=Kind.choices)
    state = models.CharField(max_length=10, choices=State.choices, default=State.OPEN, db_index=True)
    person = models.ForeignKey("registry.Person", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    event = models.ForeignKey(DeskEvent, on_delete=models.PROTECT, related_name="conflicts")
    other_event = models.ForeignKey(DeskEvent, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    versions = EncryptedTextField()  # JSON: each version as it arrived
    detected_at = models.DateTimeField(default=timezone.now)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolution = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-detected_at", "-id"]

    def __str__(self) -> str:
        return f"{self.kind} ({self.state})"

    @property
    def version_list(self) -> list[dict]:
        return json.loads(self.versions or "[]")
