"""Immigration requests: a case per request, its people (registry persons), its stage in a
pipeline configured per request type, its documents, and an append-only timeline.

A case moves only through services (`cases/services.py`), whose guards say which moves are
allowed; every move is a `CaseEvent`. Documents are files kept encrypted outside the web
root (`CRISISDESK_DOCUMENT_ROOT`) and read only through the app.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from crisisdesk.common.append_only import AppendOnlyModel

USER = settings.AUTH_USER_MODEL


class Stage(models.TextChoices):
    """Every stage a pipeline can use. A request type orders the ones it uses."""

    RECEIVED = "received", _("Received")
    ELIGIBILITY_REVIEW = "eligibility_review", _("Eligibility review")
    DOCUMENTS_PENDING = "documents_pending", _("Documents pending")
    DECISION = "decision", _("Awaiting decision")
    APPROVED = "approved", pgettext_lazy("stage of a request", "Approved")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    TRAVEL_ARRANGED = "travel_arranged", _("Travel arranged")
    ARRIVED = "arrived", _("Arrived")


# A decision ends the review part of a pipeline with one of these three.
DECISION_OUTCOMES = (Stage.APPROVED, Stage.REJECTED, Stage.WITHDRAWN)
# Nothing follows these.
CLOSED_STAGES = frozenset({Stage.REJECTED, Stage.WITHDRAWN, Stage.ARRIVED})
DEFAULT_PIPELINE = (
    Stage.RECEIVED,
    Stage.ELIGIBILITY_REVIEW,
    Stage.DOCUMENTS_PENDING,
    Stage.DECISION,
    Stage.APPROVED,
    Stage.TRAVEL_ARRANGED,
    Stage.ARRIVED,
)


def pipeline_is_valid(pipeline: list[str]) -> bool:
    """Known stages, each once, from `received` to `decision`, then `approved` and only
    stages that follow an approval (a rejection or withdrawal ends a case wherever it is)."""
    if len(set(pipeline)) != len(pipeline) or any(stage not in Stage.values for stage in pipeline):
        return False
    if pipeline[0] != Stage.RECEIVED or Stage.DECISION not in pipeline:
        return False
    after = pipeline[pipeline.index(Stage.DECISION) + 1 :]
    if not after or after[0] != Stage.APPROVED:
        return False
    return not ({Stage.REJECTED, Stage.WITHDRAWN} & set(pipeline)) and set(after[1:]) <= {
        Stage.TRAVEL_ARRANGED,
        Stage.ARRIVED,
    }


class DocumentKind(models.TextChoices):
    PASSPORT = "passport", _("Passport")
    BIRTH_CERTIFICATE = "birth_certificate", _("Birth certificate")
    ELIGIBILITY_PROOF = "eligibility_proof", _("Proof of eligibility")
    MARRIAGE_CERTIFICATE = "marriage_certificate", _("Marriage certificate")
    OTHER = "other", _("Other document")


class RequestType(models.Model):
    """A kind of request (immigration, entry, …) with its own pipeline and checklist.

    `pipeline` lists stage codes in order, always from `received` to `decision`, then
    `approved` and what follows an approval; `rejected` and `withdrawn` need not be listed.
    `ageing_days` maps a stage code to the days after which a case in it is highlighted."""

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    pipeline = models.JSONField(default=list)
    checklist = models.JSONField(default=list)  # DocumentKind codes
    ageing_days = models.JSONField(default=dict, blank=True)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        from crisisdesk.cases.errors import CaseError, CaseValidationError

        if self.pipeline and not pipeline_is_valid(self.pipeline):
            raise ValidationError(CaseValidationError(CaseError.PIPELINE_INVALID).message)
        if any(kind not in DocumentKind.values for kind in self.checklist):
            raise ValidationError(_("The checklist names an unknown kind of document."))

    def stages(self) -> list[str]:
        return list(self.pipeline) or [stage.value for stage in DEFAULT_PIPELINE]

    def ageing_limit(self, stage: str) -> int | None:
        days = self.ageing_days.get(stage)
        if days is None:
            days = settings.CRISISDESK_CASE_AGEING_DAYS.get(stage)
        return days


class EligibilityBasis(models.Model):
    """A configured category of eligibility (e.g. "Jewish parent or grandparent")."""

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=150)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "eligibility bases"

    def __str__(self) -> str:
        return self.name


class Case(models.Model):
    class Origin(models.TextChoices):
        BORDER = "border", _("Border desk")
        WEB = "web", _("Public website")
        POST = "post", _("At a post")

    class Priority(models.IntegerChoices):
        NORMAL = 0, _("Normal")
        HIGH = 1, _("High")
        URGENT = 2, _("Urgent")

    reference = models.CharField(max_length=12, unique=True)
    request_type = models.ForeignKey(RequestType, on_delete=models.PROTECT, related_name="cases")
    basis = models.ForeignKey(EligibilityBasis, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    basis_note = models.TextField(blank=True)
    origin = models.CharField(max_length=10, choices=Origin.choices)
    priority = models.PositiveSmallIntegerField(choices=Priority.choices, default=Priority.NORMAL)
    stage = models.CharField(max_length=20, choices=Stage.choices, default=Stage.RECEIVED)
    stage_entered_at = models.DateTimeField(default=timezone.now)
    officer = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="cases")
    post = models.ForeignKey("border.Post", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    # A rejection is proposed by one officer and takes effect when a second one confirms it.
    rejection_proposed_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    rejection_reason = models.TextField(blank=True)
    rejection_reviewed_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    # approved, rejected or withdrawn once decided; the stage moves on after an approval.
    decision = models.CharField(max_length=20, choices=Stage.choices, blank=True)
    decision_reason = models.TextField(blank=True)
    decided_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    # The applicant's private status link: only a digest is kept, as for registrations.
    status_token_digest = models.CharField(max_length=64, unique=True)
    language = models.CharField(max_length=8, blank=True)
    submission_key = models.UUIDField(null=True, blank=True, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-priority", "stage_entered_at", "id"]
        indexes = [
            models.Index(fields=["officer", "stage", "-priority", "stage_entered_at"], name="case_queue"),
            models.Index(fields=["stage", "-priority", "stage_entered_at"], name="case_stage"),
            # The queues in their order, so that a page is read off an index and stops after its
            # rows instead of sorting every open case (bench/cases.py): everything (the desk
            # chief's "all") and one officer's, or the pool's (officer IS NULL).
            models.Index(fields=["-priority", "stage_entered_at", "id"], name="case_order"),
            models.Index(fields=["officer", "-priority", "stage_entered_at", "id"], name="case_officer_order"),
            # The board's totals and ageing counts per stage of one request type's pipeline, read
            # from the index alone: everything's, and one officer's.
            models.Index(fields=["request_type", "stage", "stage_entered_at"], name="case_type_stage"),
            models.Index(
                fields=["officer", "request_type", "stage", "stage_entered_at"], name="case_officer_type_stage"
            ),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def is_closed(self) -> bool:
        return self.stage in CLOSED_STAGES

    def days_in_stage(self, now=None) -> int:
        return ((now or timezone.now()) - self.stage_entered_at).days

    def is_ageing(self, now=None) -> bool:
        limit = self.request_type.ageing_limit(self.stage)
        return limit is not None and not self.is_closed and self.days_in_stage(now) >= limit


class CaseMember(models.Model):
    class Role(models.TextChoices):
        APPLICANT = "applicant", _("Applicant")
        SPOUSE = "spouse", _("Spouse or partner")
        CHILD = "child", _("Child")
        PARENT = "parent", _("Parent")
        OTHER = "other", _("Other family member")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="members")
    person = models.ForeignKey("registry.Person", on_delete=models.PROTECT, related_name="case_memberships")
    role = models.CharField(max_length=10, choices=Role.choices)

    class Meta:
        ordering = ["case", "id"]
        constraints = [models.UniqueConstraint(fields=["case", "person"], name="case_member_once")]

    def __str__(self) -> str:
        return f"{self.role} of {self.case_id}"


class CaseEventIsAppendOnly(Exception):
    """Raised on any attempt to change or delete a case's timeline."""


class CaseEvent(AppendOnlyModel):
    """One thing that happened to a case. `note` is internal and never shown to the applicant;
    `public` events (stage changes, documents received) are."""

    class Kind(models.TextChoices):
        CREATED = "created", _("Request received")
        STAGE_CHANGED = "stage_changed", _("Stage changed")
        ASSIGNED = "assigned", _("Assigned")
        PRIORITY_CHANGED = "priority_changed", _("Priority changed")
        STATUS_LINK_ISSUED = "status_link_issued", _("New status link given to the applicant")
        REJECTION_PROPOSED = "rejection_proposed", _("Rejection proposed")
        REJECTION_RETURNED = "rejection_returned", _("Rejection not confirmed")
        DOCUMENT_ADDED = "document_added", _("Document received")
        DOCUMENT_REVIEWED = "document_reviewed", _("Document reviewed")
        NOTE = "note", _("Note")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    actor_label = models.CharField(max_length=150)
    from_stage = models.CharField(max_length=20, choices=Stage.choices, blank=True)
    to_stage = models.CharField(max_length=20, choices=Stage.choices, blank=True)
    # How long the case had been in `from_stage`: reports read this, not a replay of events.
    seconds_in_stage = models.BigIntegerField(null=True, blank=True)
    note = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)

    append_only_error = CaseEventIsAppendOnly

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["kind", "at"], name="case_event_kind_at")]

    def __str__(self) -> str:
        return f"{self.kind} on {self.case_id}"


class CaseDocument(models.Model):
    class State(models.TextChoices):
        RECEIVED = "received", _("Received, not reviewed")
        ACCEPTED = "accepted", pgettext_lazy("state of a document", "Accepted")
        REJECTED = "rejected", _("Not accepted")

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="documents")
    member = models.ForeignKey(CaseMember, null=True, blank=True, on_delete=models.PROTECT, related_name="documents")
    kind = models.CharField(max_length=25, choices=DocumentKind.choices)
    # The file's name as uploaded, reduced to a safe display name; the stored file is named
    # by a random key, never by anything the uploader chose.
    display_name = models.CharField(max_length=120)
    storage_key = models.CharField(max_length=64, unique=True)
    content_type = models.CharField(max_length=40)  # detected from the content
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    state = models.CharField(max_length=10, choices=State.choices, default=State.RECEIVED)
    uploaded_at = models.DateTimeField(default=timezone.now)
    uploaded_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    by_applicant = models.BooleanField(default=False)

    class Meta:
        ordering = ["case", "kind", "uploaded_at"]

    def __str__(self) -> str:
        return f"{self.kind} for {self.case_id}"
