"""The registry of nationals: registrations, households, persons and their timelines.

Contact details and identity-document numbers are encrypted at rest
(`EncryptedTextField`). The status timeline is append-only: a correction is a new event
that points at the one it corrects (docs/adr/0002-append-only-timeline.md).
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crisisdesk.common.append_only import AppendOnlyModel
from crisisdesk.common.encryption import EncryptedTextField


class Sex(models.TextChoices):
    FEMALE = "F", _("Female")
    MALE = "M", _("Male")
    OTHER = "X", _("Other")
    UNKNOWN = "U", _("Not stated")


class Intent(models.TextChoices):
    LEAVE = "leave", _("Wants to leave")
    STAY = "stay", _("Wants to stay")
    UNDECIDED = "undecided", _("Undecided")
    UNKNOWN = "unknown", _("Unknown")


class Relationship(models.TextChoices):
    SELF = "self", _("Self / head of household")
    SPOUSE = "spouse", _("Spouse or partner")
    CHILD = "child", _("Child")
    PARENT = "parent", _("Parent")
    SIBLING = "sibling", _("Brother or sister")
    GRANDPARENT = "grandparent", _("Grandparent")
    GRANDCHILD = "grandchild", _("Grandchild")
    OTHER = "other", _("Other relative or companion")


class Channel(models.TextChoices):
    PUBLIC = "public", _("Self-registration")
    STAFF = "staff", _("Staff")
    API = "api", _("API")
    IMPORT = "import", _("Import")
    DEMO = "demo", _("Demo scenario")


class IntakeState(models.TextChoices):
    """Where a registration stands between being received and being in the registry."""

    RECEIVED = "received", _("Received, being added to the registry")
    ADDED = "added", _("In the registry")
    FAILED = "failed", _("Could not be added to the registry")


class Registration(models.Model):
    """One submission: a household registered together, or one person.

    `submission_key` makes the public form idempotent: the form carries a random key,
    and a second POST of the same form finds the first registration instead of making
    another. The private update link is a bearer secret; we keep its digest for lookup
    and an encrypted copy so a replayed submission can show the same link again.

    A public registration is received first and added to the registry by a worker
    (docs/adr/0004-public-registrations-are-received-then-added.md): until then its
    people wait, encrypted, in `intake_payload`, which is emptied once they are added.
    Staff, API and demo registrations are added at once.
    """

    reference = models.CharField(max_length=12, unique=True)
    submission_key = models.UUIDField(unique=True)
    update_token_digest = models.CharField(max_length=64, unique=True)
    update_token = EncryptedTextField()
    channel = models.CharField(max_length=10, choices=Channel.choices)
    language = models.CharField(max_length=8, blank=True)
    submitted_at = models.DateTimeField(default=timezone.now)
    for_someone_else = models.BooleanField(default=False)
    reporter_name = models.CharField(max_length=200, blank=True)
    reporter_contact = EncryptedTextField(blank=True)
    reporter_relationship = models.CharField(max_length=100, blank=True)
    intake_state = models.CharField(max_length=10, choices=IntakeState.choices, default=IntakeState.ADDED)
    intake_payload = EncryptedTextField(blank=True)
    # An error code and the exception's class, never the data: staff read it.
    intake_error = models.CharField(max_length=200, blank=True)
    people_count = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["-submitted_at"]
        indexes = [
            # Only the registrations still waiting or failed: the worker's queue and the
            # staff banner read it, and it stays small whatever the size of the registry.
            models.Index(
                fields=["intake_state", "id"],
                condition=~Q(intake_state="added"),
                name="registration_intake_open",
            ),
        ]

    def __str__(self) -> str:
        return self.reference_display

    @property
    def reference_display(self) -> str:
        return f"{self.reference[:4]}-{self.reference[4:]}"

    @property
    def is_waiting(self) -> bool:
        return self.intake_state == IntakeState.RECEIVED


class Household(models.Model):
    registration = models.ForeignKey(
        Registration, null=True, blank=True, on_delete=models.PROTECT, related_name="households"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"household {self.pk}"


class ColumnMapping(models.Model):
    """A saved way to read a kind of spreadsheet, e.g. "Google Form 2022": which field each
    column header holds. Headers are matched as `spreadsheets.header_key` normalises them; a
    header mapped to "" is a column to ignore. Headers it does not name are read by the
    import's synonyms (registry/imports.py)."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    columns = models.JSONField(default=dict)  # header as written → person field, or ""
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ImportBatch(models.Model):
    """One imported file of persons (registry/imports.py). Its valid rows became persons,
    each pointing back here with its row number; its invalid rows are kept as
    `ImportRejectedRow`s with their reasons; rows already in the registry were counted and
    skipped. A file is imported once: its digest is unique. A dry run stores nothing, not
    even this."""

    file_name = models.CharField(_("file name"), max_length=120)
    sha256 = models.CharField(max_length=64, unique=True)
    file_format = models.CharField(max_length=4)  # csv / xlsx
    encoding = models.CharField(max_length=20, blank=True)  # CSV only
    delimiter = models.CharField(max_length=1, blank=True)  # CSV only
    mapping_name = models.CharField(max_length=100, blank=True)  # as it was called then
    rows_total = models.PositiveIntegerField(default=0)
    rows_imported = models.PositiveIntegerField(default=0)
    rows_rejected = models.PositiveIntegerField(default=0)
    rows_skipped_duplicate = models.PositiveIntegerField(default=0)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    imported_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-imported_at", "-id"]
        constraints = [
            # Nothing lost: every data row of the file is counted in exactly one place.
            models.CheckConstraint(
                condition=Q(rows_total=F("rows_imported") + F("rows_rejected") + F("rows_skipped_duplicate")),
                name="import_batch_rows_add_up",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.imported_at:%Y-%m-%d %H:%M})"


class StatusKind(models.TextChoices):
    REGISTERED = "registered", _("Registered")
    CONTACTED = "contacted", _("Contacted")
    LOCATION_UPDATED = "location_updated", _("Location updated")
    INTENT_CHANGED = "intent_changed", _("Intent changed")
    EN_ROUTE = "en_route", _("En route")
    AT_BORDER = "at_border", _("At the border")
    CROSSED = "crossed", _("Crossed the border")
    RETURNED = "returned", _("Came back into the crisis country")
    ARRIVED_HOME = "arrived_home", _("Arrived home")
    STAYING = "staying", _("Staying")
    MISSING = "missing", _("Missing")
    FOUND_SAFE = "found_safe", _("Found safe")
    DECEASED = "deceased", _("Deceased")
    ENTERED_IN_ERROR = "entered_in_error", _("Entered in error")


# Events that record a fact but do not change where a person stands.
INFORMATIONAL_KINDS = frozenset({StatusKind.LOCATION_UPDATED, StatusKind.INTENT_CHANGED, StatusKind.ENTERED_IN_ERROR})
# Timeline entries that are not a sign of life from the person or of contact with them.
NOT_CONTACT_KINDS = frozenset({StatusKind.MISSING, StatusKind.DECEASED, StatusKind.ENTERED_IN_ERROR})


class Person(models.Model):
    household = models.ForeignKey(Household, null=True, blank=True, on_delete=models.PROTECT, related_name="members")
    registration = models.ForeignKey(
        Registration, null=True, blank=True, on_delete=models.PROTECT, related_name="persons"
    )
    relationship = models.CharField(
        _("relationship"), max_length=12, choices=Relationship.choices, default=Relationship.SELF
    )

    given_name = models.CharField(_("given name"), max_length=200, blank=True)
    family_name = models.CharField(_("family name"), max_length=200, blank=True)
    name_folded = models.CharField(max_length=500, db_index=True, editable=False)

    birth_year = models.PositiveSmallIntegerField(_("year of birth"), null=True, blank=True)
    birth_month = models.PositiveSmallIntegerField(_("month of birth"), null=True, blank=True)
    birth_day = models.PositiveSmallIntegerField(_("day of birth"), null=True, blank=True)
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices, default=Sex.UNKNOWN)

    region = models.CharField(_("region"), max_length=10, blank=True, db_index=True)
    city = models.CharField(_("city or town"), max_length=200, blank=True)
    location_note = models.CharField(_("where exactly"), max_length=500, blank=True)
    intent = models.CharField(_("intent"), max_length=10, choices=Intent.choices, default=Intent.UNKNOWN, db_index=True)
    needs_note = models.TextField(_("needs, in your words"), blank=True)

    current_status = models.CharField(
        max_length=20, choices=StatusKind.choices, default=StatusKind.REGISTERED, db_index=True
    )
    current_status_at = models.DateTimeField(default=timezone.now)
    # The citizenships held, their codes sorted and joined ("IL+UA"), kept with them by the
    # services: the sitrep counts the mix of a million persons from one index, not by
    # grouping a million and a half citizenship rows by person.
    citizenship_mix = models.CharField(max_length=64, blank=True, default="", editable=False)
    # What the sitrep asks of every timeline, kept with the current status wherever that is
    # derived (`derive_timeline_facts`), so that it counts a million persons from an index:
    # crossings out not entered in error, of any source, seen by staff, reported by the person;
    # and the latest sign of life.
    first_crossed_at = models.DateTimeField(null=True, blank=True, editable=False)
    first_verified_crossed_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_verified_crossed_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_self_reported_crossed_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_contact_at = models.DateTimeField(null=True, blank=True, editable=False)

    consent_given_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    version = models.PositiveIntegerField(default=1)
    # Where an imported person came from: the file (its batch) and the row, as the spreadsheet
    # numbers it. `import_key` is a keyed digest of the row's values as read
    # (`imports.person_import_key`), so that a row imported once, from whichever file, is
    # never inserted again.
    import_batch = models.ForeignKey(
        ImportBatch, null=True, blank=True, on_delete=models.PROTECT, related_name="persons", editable=False
    )
    import_row = models.PositiveIntegerField(null=True, blank=True, editable=False)
    import_key = models.CharField(max_length=64, null=True, blank=True, editable=False)
    # Set when this record was merged into another (crisisdesk/duplicates): it is kept, with
    # its names, timeline and documents, and read through the survivor until unmerged.
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="merged_records", editable=False
    )

    class Meta:
        ordering = ["family_name", "given_name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(birth_month__isnull=True) | Q(birth_month__gte=1, birth_month__lte=12),
                name="person_birth_month_range",
            ),
            models.CheckConstraint(
                condition=Q(birth_day__isnull=True) | Q(birth_day__gte=1, birth_day__lte=31),
                name="person_birth_day_range",
            ),
            models.CheckConstraint(
                condition=Q(birth_month__isnull=True) | Q(birth_year__isnull=False),
                name="person_birth_month_needs_year",
            ),
            models.CheckConstraint(
                condition=Q(birth_day__isnull=True) | Q(birth_month__isnull=False), name="person_birth_day_needs_month"
            ),
            # Partial: only imported persons have a key, and the index stays their size.
            models.UniqueConstraint(
                fields=["import_key"], condition=Q(import_key__isnull=False), name="person_import_key_once"
            ),
        ]
        indexes = [
            models.Index(fields=["current_status", "region"]),
            # The sitrep "as of" a moment asks who registered after it: usually nobody.
            models.Index(fields=["created_at"]),
            # The sitrep counts everyone by status, intent, region and citizenship mix from this
            # index alone.
            models.Index(
                fields=["current_status", "intent", "region", "citizenship_mix", "created_at"],
                name="person_sitrep_cube_mix",
            ),
            # The crossing figures read the persons who ever crossed from this index alone.
            models.Index(
                fields=[
                    "first_crossed_at",
                    "first_verified_crossed_at",
                    "last_verified_crossed_at",
                    "last_self_reported_crossed_at",
                    "created_at",
                    "id",  # the persons re-derived are left out by id, from the index too
                ],
                condition=Q(first_crossed_at__isnull=False),
                name="person_crossings",
            ),
            models.Index(fields=["last_contact_at", "created_at"], name="person_last_contact"),
        ]

    def __str__(self) -> str:
        return f"{self.given_name} {self.family_name}"

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}".strip()

    @property
    def birth_display(self) -> str:
        if self.birth_year is None:
            return ""
        if self.birth_month is None:
            return f"{self.birth_year:04d}"
        if self.birth_day is None:
            return f"{self.birth_year:04d}-{self.birth_month:02d}"
        return f"{self.birth_year:04d}-{self.birth_month:02d}-{self.birth_day:02d}"


class PersonName(models.Model):
    """Another spelling of a person's name: passport, native script, former names."""

    class Kind(models.TextChoices):
        PASSPORT = "passport", _("Passport spelling")
        NATIVE_SCRIPT = "native", _("Native script")
        FORMER = "former", _("Former name")
        OTHER = "other", _("Other spelling")

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="other_names")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    given_name = models.CharField(max_length=200, blank=True)
    family_name = models.CharField(max_length=200, blank=True)
    script = models.CharField(max_length=10, blank=True)
    folded = models.CharField(max_length=500, db_index=True, editable=False)

    class Meta:
        ordering = ["person", "kind", "id"]

    def __str__(self) -> str:
        return f"{self.given_name} {self.family_name}".strip()


def citizenship_mix_of(countries) -> str:
    """The value of `Person.citizenship_mix` for these country codes."""
    return "+".join(sorted(set(countries)))


class Citizenship(models.Model):
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="citizenships")
    country = models.CharField(max_length=2)  # ISO 3166-1 alpha-2

    class Meta:
        ordering = ["person", "country"]
        constraints = [models.UniqueConstraint(fields=["person", "country"], name="citizenship_unique_per_person")]
        indexes = [models.Index(fields=["country", "person"])]

    def __str__(self) -> str:
        return self.country


class IdentityDocument(models.Model):
    class Kind(models.TextChoices):
        PASSPORT = "passport", _("Passport")
        NATIONAL_ID = "national_id", _("National identity card")
        INTERNAL_PASSPORT = "internal_passport", _("Internal passport")
        BIRTH_CERTIFICATE = "birth_certificate", _("Birth certificate")
        RESIDENCE_PERMIT = "residence_permit", _("Residence permit")
        OTHER = "other", _("Other document")

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    issuing_country = models.CharField(max_length=2, blank=True)
    number = EncryptedTextField()

    class Meta:
        ordering = ["person", "kind", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.issuing_country})"


class ContactPoint(models.Model):
    class Kind(models.TextChoices):
        PHONE = "phone", _("Phone")
        EMAIL = "email", _("Email")
        MESSENGER = "messenger", _("Messenger")

    class Messenger(models.TextChoices):
        WHATSAPP = "whatsapp", "WhatsApp"
        TELEGRAM = "telegram", "Telegram"
        SIGNAL = "signal", "Signal"
        VIBER = "viber", "Viber"
        OTHER = "other", _("Other")

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="contacts")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    messenger = models.CharField(max_length=10, choices=Messenger.choices, blank=True)
    value = EncryptedTextField()

    class Meta:
        ordering = ["person", "kind", "id"]

    def __str__(self) -> str:
        return self.get_kind_display()


class Vulnerability(models.Model):
    class Kind(models.TextChoices):
        MEDICAL = "medical", _("Medical needs")
        MOBILITY = "mobility", _("Limited mobility")
        PREGNANCY = "pregnancy", _("Pregnancy")
        ELDERLY_ALONE = "elderly_alone", _("Elderly and alone")
        UNACCOMPANIED_MINOR = "unaccompanied_minor", _("Unaccompanied minor")

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="vulnerabilities")
    kind = models.CharField(max_length=20, choices=Kind.choices)

    class Meta:
        ordering = ["person", "kind"]
        constraints = [models.UniqueConstraint(fields=["person", "kind"], name="vulnerability_unique_per_person")]
        indexes = [models.Index(fields=["kind", "person"])]

    def __str__(self) -> str:
        return self.kind


class TimelineIsAppendOnly(Exception):
    """Raised on any attempt to change or delete a status event."""


class StatusEvent(AppendOnlyModel):
    """One fact on a person's timeline. Never changed: a correction is a new event."""

    class Source(models.TextChoices):
        STAFF = "staff", _("Staff")
        BORDER_DESK = "desk", _("Border desk")
        SELF_SERVICE = "self", _("The person, through their private link")
        API = "api", _("API")
        PUBLIC = "public", _("Self-registration")
        IMPORT = "import", _("Import")
        DEMO = "demo", _("Demo scenario")

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="timeline")
    kind = models.CharField(max_length=20, choices=StatusKind.choices)
    occurred_at = models.DateTimeField()
    recorded_at = models.DateTimeField(default=timezone.now)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    source = models.CharField(max_length=10, choices=Source.choices)
    crossing_point = models.ForeignKey(
        "border.CrossingPoint", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    place_note = models.CharField(max_length=300, blank=True)
    note = models.TextField(blank=True)
    corrects = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="corrections")
    data = models.JSONField(default=dict, blank=True)
    # The person as the entries recorded before this one left them (`person_state_before`):
    # status, intent, region and the other timeline facts. Entries never change, so neither
    # does this; the sitrep as of a past moment reads each changed person's state then from
    # their first entry recorded after it instead of re-deriving their timeline. Empty on a
    # registration (nothing came before) and on entries written before it was kept.
    person_before = models.JSONField(null=True, blank=True, editable=False)

    append_only_error = TimelineIsAppendOnly

    class Meta:
        ordering = ["occurred_at", "id"]
        indexes = [
            models.Index(fields=["person", "occurred_at"]),
            # Covering for the sitrep's crossings per point and day: read from the index alone
            # (with the id, which the corrections are excluded by), not from a few hundred
            # thousand rows scattered over the table.
            models.Index(
                fields=["kind", "occurred_at", "recorded_at", "source", "person", "crossing_point", "id"],
                name="status_event_crossings",
            ),
            # For the sitrep: who changed since a moment (as-of figures), from the index alone.
            models.Index(fields=["recorded_at", "person"], name="status_event_recorded_person"),
            # ... and each person's first entry since it, which keeps their state then.
            models.Index(fields=["person", "recorded_at"], name="status_event_person_recorded"),
            # Entries by when they happened (the demo's day-by-day scenes, the status chart).
            models.Index(fields=["occurred_at", "kind", "person"]),
        ]
        constraints = [models.CheckConstraint(condition=~Q(corrects=F("id")), name="status_event_not_self_correcting")]

    def __str__(self) -> str:
        return f"{self.kind} at {self.occurred_at:%Y-%m-%d %H:%M}"


# Crossings seen by staff: a desk check-in (which puts a "crossed" entry on the timeline), or a
# crossing staff entered. What a person reports through their private link is not verified.
VERIFIED_SOURCES = (StatusEvent.Source.BORDER_DESK, StatusEvent.Source.STAFF, StatusEvent.Source.API)


class RiskRule(models.Model):
    """A configurable rule that flags persons. Every condition that is set must hold.

    The scenario's first rule: crisis-country citizenship, male, aged 16–60 on the crisis
    date → may be stopped at exit (conscription risk). Country, window and date are data.
    """

    code = models.SlugField(unique=True)
    label = models.CharField(_("label"), max_length=200)
    advice = models.TextField(_("advice for staff"), blank=True)
    is_active = models.BooleanField(default=True)
    citizenship = models.CharField(_("holds citizenship of"), max_length=2, blank=True)
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices, blank=True)
    age_min = models.PositiveSmallIntegerField(_("minimum age"), null=True, blank=True)
    age_max = models.PositiveSmallIntegerField(_("maximum age"), null=True, blank=True)
    age_on = models.DateField(_("age counted on"), null=True, blank=True)
    vulnerability = models.CharField(
        _("has vulnerability"), max_length=20, choices=Vulnerability.Kind.choices, blank=True
    )
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(age_min__isnull=True) | Q(age_max__isnull=True) | Q(age_min__lte=F("age_max")),
                name="risk_rule_age_window_ordered",
            ),
        ]

    def __str__(self) -> str:
        return self.label


class RiskFlag(models.Model):
    """A rule that matched a person, with the reasons it matched (rendered as "why")."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="risk_flags")
    rule = models.ForeignKey(RiskRule, on_delete=models.CASCADE, related_name="flags")
    reasons = models.JSONField(default=list)
    computed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["rule__code"]
        constraints = [models.UniqueConstraint(fields=["person", "rule"], name="risk_flag_unique_per_rule")]

    def __str__(self) -> str:
        return f"{self.rule.code} on {self.person_id}"


class SearchChange(models.Model):
    """An outbox row: the names of this person changed (or, with no person, everything did).

    Written in the same transaction as the change. Each process keeps its in-memory
    name index in step by reading the rows it has not applied yet (registry/search.py).
    Holds ids only, never names.
    """

    person_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"search change {self.pk} (person {self.person_id})"


class PossibleDuplicate(models.Model):
    """A registrant who may already have been registered: found by name search after a
    registration, shown to staff, never to the public."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="possible_duplicates")
    candidate = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    score = models.FloatField()
    explanation = models.TextField(blank=True)
    found_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-score"]
        constraints = [
            models.UniqueConstraint(fields=["person", "candidate"], name="possible_duplicate_unique_pair"),
            models.CheckConstraint(condition=~Q(person=F("candidate")), name="possible_duplicate_not_self"),
        ]

    def __str__(self) -> str:
        return f"{self.person_id} may be {self.candidate_id} ({self.score:.0f})"


class ImportRejectedRow(models.Model):
    """A row of an imported file that did not become a person, with why. Kept until it is
    corrected (`imports.import_row_correct`), or downloaded with its reasons to fix in a
    spreadsheet and import again (`imports.import_rejected_csv`)."""

    batch = models.ForeignKey(ImportBatch, on_delete=models.PROTECT, related_name="rejected_rows")
    row_number = models.PositiveIntegerField()  # as the spreadsheet numbers it, header = 1
    # The mapped cells by person field, as read (a cell too long to keep is cut, marked so).
    # The file's other columns are not imported, and so not kept either.
    values = models.JSONField()
    errors = models.JSONField()  # field → [ImportFieldError code, …], shown in the reader's language
    # The person the corrected row became (or already was, when it had been imported since).
    resolved_person = models.ForeignKey(Person, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["batch", "row_number"]
        constraints = [
            models.UniqueConstraint(fields=["batch", "row_number"], name="import_rejected_row_once"),
        ]

    def __str__(self) -> str:
        return f"row {self.row_number} of import {self.batch_id}"
