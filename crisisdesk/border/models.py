"""Crossing points. The border desk (posts, shifts, check-ins, tallies) grows from here."""

from django.db import models
from django.utils.translation import gettext_lazy as _


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

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name}–{self.name_far_side}"
