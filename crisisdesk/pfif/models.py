"""What a PFIF 1.4 import keeps: each file (a batch, with its counts), each person and note
record it took in (with its id, which makes a re-import skip it, and the record as received),
and each record it could not take in, with why (docs/subsystems/pfif.md).

The registry's own persons and timeline entries are the persons and notes we export; these
rows are provenance. Contact fields of a record (author_email, author_phone,
email_of_found_person, phone_of_found_person) are kept encrypted, apart from the rest, and
never exported.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crisisdesk.common.encryption import EncryptedTextField

RECORD_ID_MAX = 500


class PfifBatch(models.Model):
    """One imported PFIF file. Every record of it is counted in exactly one place: imported,
    skipped (its id was imported before) or rejected (kept as a `PfifRejected`)."""

    file_name = models.CharField(_("file name"), max_length=120)
    sha256 = models.CharField(max_length=64, db_index=True)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    imported_at = models.DateTimeField(default=timezone.now)
    persons_total = models.PositiveIntegerField(default=0)
    persons_imported = models.PositiveIntegerField(default=0)
    persons_skipped = models.PositiveIntegerField(default=0)
    persons_rejected = models.PositiveIntegerField(default=0)
    notes_total = models.PositiveIntegerField(default=0)
    notes_imported = models.PositiveIntegerField(default=0)
    notes_skipped = models.PositiveIntegerField(default=0)
    notes_rejected = models.PositiveIntegerField(default=0)
    # Duplicate pairs put in the review queue from the file's linked_person_record_id notes.
    links_queued = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-imported_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(persons_total=F("persons_imported") + F("persons_skipped") + F("persons_rejected")),
                name="pfif_batch_persons_add_up",
            ),
            models.CheckConstraint(
                condition=Q(notes_total=F("notes_imported") + F("notes_skipped") + F("notes_rejected")),
                name="pfif_batch_notes_add_up",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.imported_at:%Y-%m-%d %H:%M})"


class PfifPerson(models.Model):
    """A registry person made from a PFIF person record of another repository. Exported again
    under its own id, with its source fields; while the person is unchanged since the import
    (`person_version`), with the mapped fields as received."""

    record_id = models.CharField(max_length=RECORD_ID_MAX, unique=True)
    person = models.OneToOneField("registry.Person", on_delete=models.PROTECT, related_name="pfif_record")
    batch = models.ForeignKey(PfifBatch, on_delete=models.PROTECT, related_name="persons")
    received = models.JSONField()  # every field but the contact ones, as received
    contacts = EncryptedTextField(blank=True)  # JSON of the contact fields, when there were any
    person_version = models.PositiveIntegerField()
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.record_id


class PfifNote(models.Model):
    """A PFIF note record of another repository, attached to the registry person it is about.
    A note whose status says where the person stands is on their timeline too
    (`status_event`); one that only links a duplicate (linked_person_record_id) queued a pair
    for a reviewer."""

    record_id = models.CharField(max_length=RECORD_ID_MAX, unique=True)
    person = models.ForeignKey("registry.Person", on_delete=models.PROTECT, related_name="pfif_notes")
    batch = models.ForeignKey(PfifBatch, on_delete=models.PROTECT, related_name="notes")
    received = models.JSONField()
    contacts = EncryptedTextField(blank=True)
    linked_record_id = models.CharField(max_length=RECORD_ID_MAX, blank=True, db_index=True)
    status_event = models.OneToOneField(
        "registry.StatusEvent", null=True, blank=True, on_delete=models.PROTECT, related_name="pfif_note"
    )
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["person", "id"], name="pfif_note_person")]

    def __str__(self) -> str:
        return self.record_id


class PfifRejected(models.Model):
    """A record of an imported file that was not taken in, with the codes of what is wrong
    per field. Fix the source and import the file again: what was imported is skipped."""

    class Kind(models.TextChoices):
        PERSON = "person", _("Person")
        NOTE = "note", _("Note")

    batch = models.ForeignKey(PfifBatch, on_delete=models.PROTECT, related_name="rejected")
    kind = models.CharField(max_length=6, choices=Kind.choices)
    position = models.PositiveIntegerField()  # the record's place in the file, 1-based
    record_id = models.CharField(max_length=RECORD_ID_MAX, blank=True)
    received = models.JSONField()  # the fields as read, each cut to what we keep
    contacts = EncryptedTextField(blank=True)
    errors = models.JSONField()  # field → [PfifError code, …]

    class Meta:
        ordering = ["batch", "position"]
        constraints = [models.UniqueConstraint(fields=["batch", "position"], name="pfif_rejected_once")]

    def __str__(self) -> str:
        return f"{self.kind} {self.position} of PFIF batch {self.batch_id}"
