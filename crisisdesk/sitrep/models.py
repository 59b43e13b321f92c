"""Situation reports: partner figures entered by staff, and numbered snapshots.

A sitrep itself is computed, not stored (figures.py): from the registry's timeline and the
border desk's records as they stood at a moment. A snapshot freezes one such computation,
for one audience, and moves through draft → cleared → distributed; after clearance it never
changes (`SnapshotIsFrozen`).
"""

import json

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crisisdesk.common.append_only import AppendOnlyModel
from crisisdesk.common.encryption import EncryptedTextField


class Audience(models.TextChoices):
    INTERNAL = "internal", _("Internal")
    INTER_MINISTRY = "inter_ministry", _("Inter-ministry (no personal data)")
    PUBLIC = "public", _("Public (aggregate only)")


class PartnerFigureIsAppendOnly(Exception):
    """A partner's figure is a record of what they said; a correction is a new figure."""


class PartnerFigure(AppendOnlyModel):
    """A count of crossing nationals reported by someone else, e.g. the host country's
    border guard, for one period and optionally one crossing point."""

    source = models.CharField(_("source"), max_length=200)
    point = models.ForeignKey(
        "border.CrossingPoint",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("crossing point"),
    )
    period_start = models.DateTimeField(_("period from"))
    period_end = models.DateTimeField(_("period to"))
    crossed = models.PositiveIntegerField(_("nationals crossed"))
    note = models.CharField(_("note"), max_length=500, blank=True)
    entered_at = models.DateTimeField(default=timezone.now, db_index=True)
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    append_only_error = PartnerFigureIsAppendOnly

    class Meta:
        ordering = ["-period_end", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(period_start__lt=F("period_end")), name="partner_figure_period_ordered")
        ]

    def __str__(self) -> str:
        return f"{self.source}: {self.crossed}"


class SnapshotIsFrozen(Exception):
    """Raised on any attempt to change the figures of a cleared snapshot."""


class SitrepSnapshot(models.Model):
    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        CLEARED = "cleared", _("Cleared")
        DISTRIBUTED = "distributed", _("Distributed")

    number = models.PositiveIntegerField(unique=True)
    as_of = models.DateTimeField()
    audience = models.CharField(max_length=16, choices=Audience.choices)
    state = models.CharField(max_length=12, choices=State.choices, default=State.DRAFT)
    note = models.CharField(_("note"), max_length=500, blank=True)
    # JSON, encrypted: an internal sitrep names the persons of concern.
    report_json = EncryptedTextField()
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    cleared_at = models.DateTimeField(null=True, blank=True)
    cleared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    distributed_at = models.DateTimeField(null=True, blank=True)
    distributed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.CheckConstraint(
                condition=Q(state="draft") | Q(cleared_by__isnull=False), name="sitrep_snapshot_cleared_by_someone"
            ),
            models.CheckConstraint(
                condition=Q(cleared_by__isnull=True) | ~Q(cleared_by=F("created_by")),
                name="sitrep_snapshot_cleared_by_second_person",
            ),
        ]

    def __str__(self) -> str:
        return f"sitrep #{self.number}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            stored = type(self).objects.filter(pk=self.pk).values_list("state", "as_of", "audience").first()
            if stored is not None and stored[0] != self.State.DRAFT:
                stored_report = type(self).objects.get(pk=self.pk).report_json
                if (stored_report, stored[1], stored[2]) != (self.report_json, self.as_of, self.audience):
                    raise SnapshotIsFrozen(f"sitrep #{self.number} is {stored[0]}: its figures cannot change")
        super().save(*args, **kwargs)

    @property
    def report(self) -> dict:
        return json.loads(self.report_json)

    @property
    def is_frozen(self) -> bool:
        return self.state != self.State.DRAFT
