"""Diplomatic channels, the contact log, the mediation track, public statements and the
need-to-know compartments that guard them (docs/subsystems/access-control.md).

Every compartmented record has a random UUID for its key: sequential ids would let a reader
who sees channels 4 and 6 learn that a channel 5 exists. Those records are only ever read
through `diplomacy.access`, the single access path that scopes them to the reader's
compartments.
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from crisisdesk.common.append_only import AppendOnlyModel

USER = settings.AUTH_USER_MODEL


class Classification(models.TextChoices):
    """Markings in ascending order; a page or export shows the highest of what it carries."""

    UNCLASSIFIED = "unclassified", _("UNCLASSIFIED")
    RESTRICTED = "restricted", _("RESTRICTED")
    CONFIDENTIAL = "confidential", _("CONFIDENTIAL")
    SECRET = "secret", _("SECRET")
    TOP_SECRET = "top_secret", _("TOP SECRET")


CLASSIFICATION_ORDER = [value for value, _label in Classification.choices]


class Compartment(models.Model):
    """A need-to-know group. Nobody sees its records, or that it exists, until read in."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # Not unique: refusing a codeword already taken would tell an outsider that it exists.
    codeword = models.CharField(_("codeword"), max_length=40)
    description = models.TextField(_("description"), blank=True)
    created_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["codeword", "id"]

    def __str__(self) -> str:
        return self.codeword


class ReadIn(models.Model):
    """One period during which a user was read into a compartment, with who authorised the
    read-in and, once it ended, the read-out. Rows are kept after the read-out: the history
    of who knew what, when, is itself a record."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    compartment = models.ForeignKey(Compartment, on_delete=models.PROTECT, related_name="read_ins")
    user = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="compartment_read_ins")
    read_in_at = models.DateTimeField(default=timezone.now)
    read_in_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+", null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=300)
    read_out_at = models.DateTimeField(null=True, blank=True)
    read_out_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+", null=True, blank=True)
    read_out_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-read_in_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["compartment", "user"], condition=models.Q(read_out_at__isnull=True), name="one_active_read_in"
            ),
            models.CheckConstraint(
                condition=models.Q(read_out_at__isnull=True) | models.Q(read_out_at__gte=models.F("read_in_at")),
                name="read_out_after_read_in",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} in {self.compartment_id}"


class Counterpart(models.Model):
    """A state or an organisation we keep channels with; one is marked as our own side."""

    class Kind(models.TextChoices):
        STATE = "state", pgettext_lazy("kind of counterpart", "State")
        ORGANISATION = "organisation", _("Organisation")

    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.STATE)
    country = models.CharField(_("country code"), max_length=2, blank=True)
    is_own = models.BooleanField(_("our own side"), default=False)

    class Meta:
        ordering = ["-is_own", "name"]
        constraints = [models.UniqueConstraint(fields=["is_own"], condition=models.Q(is_own=True), name="one_own_side")]

    def __str__(self) -> str:
        return self.name


class Official(models.Model):
    """A person in the small directory of officials, on our side or a counterpart's."""

    name = models.CharField(_("name"), max_length=150)
    counterpart = models.ForeignKey(Counterpart, on_delete=models.PROTECT, related_name="officials")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def post_on(self, day):
        """The post held on `day` (posts change: a prime minister becomes the former one)."""
        for post in self.posts.all():
            if post.starts_on <= day and (post.ends_on is None or day <= post.ends_on):
                return post
        return None


class OfficialPost(models.Model):
    official = models.ForeignKey(Official, on_delete=models.CASCADE, related_name="posts")
    title = models.CharField(_("post"), max_length=150)
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("until"), null=True, blank=True)

    class Meta:
        ordering = ["-starts_on"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__isnull=True) | models.Q(ends_on__gte=models.F("starts_on")),
                name="post_ends_after_it_starts",
            )
        ]

    def __str__(self) -> str:
        return self.title


class ChannelLevel(models.TextChoices):
    """In ascending order: escalating moves a channel up this list."""

    WORKING = "working", _("Working level")
    SENIOR_OFFICIALS = "senior_officials", _("Senior officials")
    MINISTERS = "ministers", _("Ministers")
    LEADERS = "leaders", _("Leaders")
    BACK_CHANNEL = "back_channel", _("Back channel")


LEVEL_ORDER = [value for value, _label in ChannelLevel.choices]


class Channel(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        DORMANT = "dormant", _("Dormant")
        CLOSED = "closed", _("Closed")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    counterpart = models.ForeignKey(Counterpart, on_delete=models.PROTECT, related_name="channels")
    compartment = models.ForeignKey(Compartment, on_delete=models.PROTECT, related_name="channels")
    name = models.CharField(_("name"), max_length=150)
    level = models.CharField(_("level"), max_length=20, choices=ChannelLevel.choices)
    purpose = models.TextField(_("purpose"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    owner = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="owned_channels")
    opened_at = models.DateTimeField(default=timezone.now)
    last_contact_at = models.DateTimeField(null=True, blank=True)
    status_changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["counterpart__name", "name", "id"]

    def __str__(self) -> str:
        return self.name


class ChannelRequest(models.Model):
    """A request to open a channel, escalate it to a higher level, or reopen a closed one.
    It needs the approval of a role above the requester; the decision is kept with it."""

    class Kind(models.TextChoices):
        OPEN = "open", _("Open a channel")
        ESCALATE = "escalate", _("Escalate a channel")
        REOPEN = "reopen", _("Reopen a channel")

    class State(models.TextChoices):
        PENDING = "pending", _("Pending")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    compartment = models.ForeignKey(Compartment, on_delete=models.PROTECT, related_name="channel_requests")
    counterpart = models.ForeignKey(Counterpart, on_delete=models.PROTECT, related_name="channel_requests")
    channel = models.ForeignKey(Channel, on_delete=models.PROTECT, related_name="requests", null=True, blank=True)
    name = models.CharField(_("channel name"), max_length=150, blank=True)
    level = models.CharField(_("level"), max_length=20, choices=ChannelLevel.choices)
    purpose = models.TextField(_("purpose"), blank=True)
    reason = models.TextField(_("reason"))
    requested_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(default=timezone.now)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    decided_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+", null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-requested_at", "id"]
        constraints = [
            models.CheckConstraint(
                # An open request gets its channel when approved; the others name theirs.
                condition=models.Q(kind="open") | models.Q(channel__isnull=False),
                name="channel_request_names_its_channel",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.level}"


class ContactForm(models.TextChoices):
    CALL = "call", _("Call")
    MEETING = "meeting", _("Meeting")
    MESSAGE = "message", _("Message")
    INTERMEDIARY = "intermediary", _("Through an intermediary")


class ContactEntry(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    channel = models.ForeignKey(Channel, on_delete=models.PROTECT, related_name="entries")
    compartment = models.ForeignKey(Compartment, on_delete=models.PROTECT, related_name="entries")
    occurred_at = models.DateTimeField(_("date and time"))
    form = models.CharField(_("form"), max_length=20, choices=ContactForm.choices)
    intermediary = models.CharField(_("intermediary"), max_length=150, blank=True)
    own_participants = models.ManyToManyField(Official, related_name="+", blank=True, verbose_name=_("our side"))
    their_participants = models.ManyToManyField(Official, related_name="+", blank=True, verbose_name=_("their side"))
    summary = models.TextField(_("summary"))
    classification = models.CharField(_("classification"), max_length=20, choices=Classification.choices)
    recorded_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-occurred_at", "id"]
        verbose_name_plural = "contact entries"

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d %H:%M} {self.form}"


class FollowUp(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    entry = models.ForeignKey(ContactEntry, on_delete=models.PROTECT, related_name="follow_ups")
    compartment = models.ForeignKey(Compartment, on_delete=models.PROTECT, related_name="follow_ups")
    action = models.TextField(_("follow-up"))
    owner = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="diplomacy_follow_ups")
    due_on = models.DateField(_("due"))
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+", null=True, blank=True)
    created_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["due_on", "created_at", "id"]

    def __str__(self) -> str:
        return f"follow-up due {self.due_on}"


class MediationOutcome(models.TextChoices):
    PENDING = "pending", _("Pending")
    REFUSED = "refused", _("Refused")
    ACCEPTED = "accepted", _("Accepted")
    OVERTAKEN = "overtaken", _("Overtaken by events")


class MediationRequest(models.Model):
    """Someone asked someone to mediate, or to host talks, between parties. A request made
    again (to the same office or another) names the earlier one, so the history reads as one
    chain."""

    class Kind(models.TextChoices):
        MEDIATE = "mediate", _("Mediate")
        HOST_TALKS = "host_talks", _("Host talks")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    compartment = models.ForeignKey(Compartment, on_delete=models.PROTECT, related_name="mediation_requests")
    kind = models.CharField(_("asked to"), max_length=20, choices=Kind.choices)
    requested_by = models.ForeignKey(Official, on_delete=models.PROTECT, related_name="+", verbose_name=_("asked by"))
    requested_of = models.ForeignKey(Official, on_delete=models.PROTECT, related_name="+", verbose_name=_("asked"))
    parties = models.ManyToManyField(Counterpart, related_name="mediation_requests", verbose_name=_("between"))
    asked_on = models.DateField(_("when"))
    channel = models.ForeignKey(
        Channel, on_delete=models.PROTECT, related_name="mediation_requests", null=True, blank=True
    )
    summary = models.TextField(_("summary"), blank=True)
    repeat_of = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        related_name="repeats",
        null=True,
        blank=True,
        verbose_name=_("made before as"),
    )
    outcome = models.CharField(max_length=20, choices=MediationOutcome.choices, default=MediationOutcome.PENDING)
    outcome_on = models.DateField(null=True, blank=True)
    recorded_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-asked_on", "id"]

    def __str__(self) -> str:
        return f"{self.kind} asked {self.asked_on}"


class MediationOutcomeIsAppendOnly(Exception):
    pass


class MediationOutcomeChange(AppendOnlyModel):
    """The outcome's history: a request refused in October and accepted later keeps both."""

    request = models.ForeignKey(MediationRequest, on_delete=models.PROTECT, related_name="outcome_changes")
    outcome = models.CharField(max_length=20, choices=MediationOutcome.choices)
    on = models.DateField()
    note = models.TextField(blank=True)
    recorded_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    append_only_error = MediationOutcomeIsAppendOnly

    class Meta:
        ordering = ["on", "recorded_at", "id"]

    def __str__(self) -> str:
        return f"{self.outcome} on {self.on}"


class Approach(models.Model):
    """Who approached whom, on whose behalf, and what came back."""

    class Response(models.TextChoices):
        AWAITED = "awaited", _("Awaited")
        DECLINED = "declined", _("Declined")
        AGREED = "agreed", _("Agreed")
        NO_ANSWER = "no_answer", _("No answer")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    compartment = models.ForeignKey(Compartment, on_delete=models.PROTECT, related_name="approaches")
    request = models.ForeignKey(
        MediationRequest, on_delete=models.PROTECT, related_name="approaches", null=True, blank=True
    )
    approached_by = models.ForeignKey(
        Official, on_delete=models.PROTECT, related_name="+", verbose_name=_("approached by")
    )
    approached = models.ForeignKey(Official, on_delete=models.PROTECT, related_name="+", verbose_name=_("approached"))
    on_behalf_of = models.ForeignKey(
        Counterpart, on_delete=models.PROTECT, related_name="+", null=True, blank=True, verbose_name=_("on behalf of")
    )
    on = models.DateField(_("when"))
    channel = models.ForeignKey(Channel, on_delete=models.PROTECT, related_name="approaches", null=True, blank=True)
    summary = models.TextField(_("summary"), blank=True)
    response = models.CharField(_("response"), max_length=20, choices=Response.choices, default=Response.AWAITED)
    response_on = models.DateField(null=True, blank=True)
    response_note = models.TextField(blank=True)
    recorded_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-on", "id"]

    def __str__(self) -> str:
        return f"approach on {self.on}"


class PublicStatement(models.Model):
    """Something an official said in public. Not compartmented: it was said on the air."""

    class Stance(models.TextChoices):
        SUPPORTIVE = "supportive", _("Supportive")
        NEUTRAL = "neutral", _("Neutral")
        CRITICAL = "critical", _("Critical")
        CONDEMNING = "condemning", _("Condemning")

    class Adherence(models.TextChoices):
        NOT_ASSESSED = "", _("Not assessed")
        KEPT = "kept", _("Kept to the line")
        DEPARTED = "departed", _("Departed from the line")

    speaker = models.ForeignKey(Official, on_delete=models.PROTECT, related_name="statements")
    outlet = models.CharField(_("outlet"), max_length=120)
    said_on = models.DateField(_("date"))
    quote = models.TextField(_("quote"))
    topics = models.JSONField(_("topics"), default=list, blank=True)
    stance = models.CharField(_("stance"), max_length=20, choices=Stance.choices)
    source_url = models.URLField(_("source"), blank=True)
    adherence = models.CharField(_("against the line"), max_length=10, choices=Adherence.choices, blank=True)
    recorded_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-said_on", "-id"]

    def __str__(self) -> str:
        return f"{self.speaker} on {self.outlet}, {self.said_on}"


class LineToTake(models.Model):
    """What spokespeople say on a topic, valid for a period once approved."""

    topic = models.CharField(_("topic"), max_length=60)
    text = models.TextField(_("line"))
    valid_from = models.DateField(_("valid from"))
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    drafted_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    drafted_at = models.DateTimeField(default=timezone.now)
    approved_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+", null=True, blank=True)
    approved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["topic", "-valid_from"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(valid_until__isnull=True) | models.Q(valid_until__gte=models.F("valid_from")),
                name="line_valid_until_after_from",
            )
        ]

    def __str__(self) -> str:
        return f"{self.topic} from {self.valid_from}"

    def valid_on(self, day) -> bool:
        return (
            self.approved_at is not None
            and self.valid_from <= day
            and (self.valid_until is None or day <= self.valid_until)
        )


class DiplomacyAuditIsAppendOnly(Exception):
    pass


class DiplomacyAuditEntry(AppendOnlyModel):
    """The module's own audit trail, kept apart from the registry's so that the general audit
    browser can never show it. Each row's hash covers its content and the previous row's
    hash, and `seq` has no gaps, so `manage.py audit_verify` finds an edited row (its hash no
    longer matches), a deleted one (a gap, or a broken link) and a cut tail (the chain head
    remembers the last row)."""

    seq = models.BigIntegerField(unique=True)
    at = models.DateTimeField()
    actor = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    actor_label = models.CharField(max_length=150)
    action = models.CharField(max_length=40)
    channel = models.CharField(max_length=10)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    target_type = models.CharField(max_length=40, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    # By value, not a foreign key: the trail outlives what it describes. Empty for rows about
    # records outside any compartment (statements, lines, the directory).
    compartment_id = models.UUIDField(null=True, blank=True, db_index=True)
    changes = models.JSONField(default=dict, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    append_only_error = DiplomacyAuditIsAppendOnly

    class Meta:
        ordering = ["-seq"]
        verbose_name_plural = "diplomacy audit entries"

    def __str__(self) -> str:
        return f"#{self.seq} {self.action}"


class DiplomacyAuditHead(models.Model):
    """One row: the last sequence number and hash. Writers lock it, so rows are chained one
    at a time even on PostgreSQL with many writers."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    seq = models.BigIntegerField(default=0)
    hash = models.CharField(max_length=64)

    def __str__(self) -> str:
        return f"head #{self.seq}"
