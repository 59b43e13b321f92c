"""Duplicate detection: the runs that look for the same person registered more than once,
the candidate pairs they find for a reviewer, and the merges decided on them.

A merge never deletes or moves a record: the merged person stays in the database with
`Person.merged_into` pointing at the survivor, and the `Merge` row keeps what is needed to
undo it exactly (docs/subsystems/duplicates.md).
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class RunState(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class DuplicateRun(models.Model):
    """One pass of the record-linkage model over the registry (or the persons changed
    since a moment), run as a background task and reporting its progress here."""

    state = models.CharField(max_length=10, choices=RunState.choices, default=RunState.QUEUED)
    since = models.DateTimeField(null=True, blank=True)  # only persons changed since then
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    engine = models.CharField(max_length=10, default="duckdb")
    task_id = models.CharField(max_length=64, blank=True)
    queued_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Progress as the run reports it: a stage code and how far through it is.
    stage = models.CharField(max_length=30, blank=True)
    progress_done = models.PositiveBigIntegerField(default=0)
    progress_total = models.PositiveBigIntegerField(default=0)
    persons_compared = models.PositiveBigIntegerField(default=0)
    pairs_scored = models.PositiveBigIntegerField(default=0)
    pairs_found = models.PositiveIntegerField(default=0)
    auto_merged = models.PositiveIntegerField(default=0)
    review_threshold = models.FloatField(null=True, blank=True)  # match weight, as used
    auto_merge_threshold = models.FloatField(null=True, blank=True)  # None: off
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-queued_at", "-id"]

    def __str__(self) -> str:
        return f"duplicate run {self.pk} ({self.state})"


class PairSource(models.TextChoices):
    LINKAGE = "linkage", _("Detection run")
    REGISTRATION = "registration", _("Registration check")
    PFIF = "pfif", _("Linked in a PFIF import")


class PairStatus(models.TextChoices):
    PENDING = "pending", _("To review")
    DEFERRED = "deferred", _("Deferred")
    MERGED = "merged", _("Merged")
    DISTINCT = "distinct", _("Not the same person")


class DuplicatePair(models.Model):
    """Two registry records that may be one person, for a reviewer to decide. Stored once
    per pair, the lower person id first; a later run updates the weight and evidence of a
    pair still to review and leaves a decided one alone."""

    person_a = models.ForeignKey("registry.Person", on_delete=models.CASCADE, related_name="+")
    person_b = models.ForeignKey("registry.Person", on_delete=models.CASCADE, related_name="+")
    match_weight = models.FloatField()  # log2 Bayes factor, as Splink reports it
    match_probability = models.FloatField()
    # Per compared field: {"field": …, "level": …, "bayes_factor": …, "a": …, "b": …}.
    evidence = models.JSONField(default=list)
    source = models.CharField(max_length=12, choices=PairSource.choices, default=PairSource.LINKAGE)
    run = models.ForeignKey(DuplicateRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="pairs")
    status = models.CharField(max_length=10, choices=PairStatus.choices, default=PairStatus.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField(max_length=500, blank=True)
    found_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-match_weight", "id"]
        constraints = [
            models.UniqueConstraint(fields=["person_a", "person_b"], name="duplicate_pair_once"),
            models.CheckConstraint(condition=Q(person_a__lt=F("person_b")), name="duplicate_pair_ordered"),
        ]
        indexes = [models.Index(fields=["status", "-match_weight"], name="duplicate_pair_queue")]

    def __str__(self) -> str:
        return f"{self.person_a_id} ~ {self.person_b_id} ({self.match_weight:.1f})"


class Merge(models.Model):
    """`merged` folded into `survivor`. Undone by `merge_undo`, which restores both records
    exactly as they were, keeping what was added to the survivor since."""

    survivor = models.ForeignKey("registry.Person", on_delete=models.PROTECT, related_name="merges_absorbed")
    merged = models.ForeignKey("registry.Person", on_delete=models.PROTECT, related_name="merges_into")
    pair = models.ForeignKey(DuplicatePair, null=True, blank=True, on_delete=models.SET_NULL, related_name="merges")
    automatic = models.BooleanField(default=False)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(default=timezone.now)
    reason = models.CharField(max_length=500, blank=True)
    # What undoing needs: the survivor's and the merged record's fields as they were, and
    # the rows the merge added to the survivor (their model and id).
    survivor_before = models.JSONField(default=dict)
    merged_before = models.JSONField(default=dict)
    added_rows = models.JSONField(default=list)
    undone_at = models.DateTimeField(null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    undo_reason = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-decided_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=~Q(survivor=F("merged")), name="merge_not_self"),
            # A record is merged away once at a time.
            models.UniqueConstraint(fields=["merged"], condition=Q(undone_at__isnull=True), name="merge_once_live"),
        ]

    def __str__(self) -> str:
        return f"{self.merged_id} → {self.survivor_id}"
