"""Advisories: messages from the ministry to its registrants, by email and SMS, and the
replies that come back.

An `Audience` is a saved registry filter; a `Campaign` sends one `MessageTemplate` (a text
per language and channel) to the persons an audience resolves to when the send starts.
Each recipient gets one `Delivery` row, unique per campaign and person: that row is what
makes sending idempotent under retries and worker restarts (docs/subsystems/advisories.md).
Every answer that comes back, parsed or not, is a `Reply`; none is dropped.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crisisdesk.common.encryption import EncryptedTextField


class Language(models.TextChoices):
    HEBREW = "he", "עברית"
    ENGLISH = "en", "English"
    UKRAINIAN = "uk", "Українська"
    RUSSIAN = "ru", "Русский"


FALLBACK_LANGUAGE = Language.ENGLISH


class ChannelKind(models.TextChoices):
    EMAIL = "email", _("Email")
    SMS = "sms", _("SMS")


class Answer(models.TextChoices):
    """The one-tap answers of an "are you safe?" campaign; the same values as
    `crisisdesk.advisories.replies.Answer`, which parses SMS keywords into them."""

    SAFE_STAYING = "safe_staying", _("Safe, staying")
    ON_THE_WAY = "on_the_way", _("On my way to the border")
    CROSSED = "crossed", _("Crossed")
    NEED_HELP = "need_help", _("Need help")
    OPT_OUT = "opt_out", _("Stop messages")


class Audience(models.Model):
    """A saved registry filter. `filters` holds the registry list's filters (status,
    region, intent, risk flag, citizenship) and the audience's own: languages, last
    contact older than N hours, household heads only."""

    name = models.CharField(_("name"), max_length=200)
    filters = models.JSONField(default=dict)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class CampaignKind(models.TextChoices):
    ADVISORY = "advisory", _("Advisory")
    ARE_YOU_SAFE = "are_you_safe", _("Are you safe?")


class MessageTemplate(models.Model):
    """A message written once per language and channel, with variables such as
    {name}, {reference}, {update_link} and {nearest_crossing}."""

    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=14, choices=CampaignKind.choices, default=CampaignKind.ADVISORY)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class MessageText(models.Model):
    template = models.ForeignKey(MessageTemplate, on_delete=models.CASCADE, related_name="texts")
    language = models.CharField(_("language"), max_length=2, choices=Language.choices)
    channel = models.CharField(_("channel"), max_length=5, choices=ChannelKind.choices)
    subject = models.CharField(_("subject"), max_length=200, blank=True)  # email only
    body = models.TextField(_("text"))

    class Meta:
        ordering = ["template", "language", "channel"]
        constraints = [
            models.UniqueConstraint(fields=["template", "language", "channel"], name="message_text_once"),
        ]

    def __str__(self) -> str:
        return f"{self.template_id} {self.language}/{self.channel}"


class CampaignState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    AWAITING_APPROVAL = "awaiting_approval", _("Awaiting approval")
    APPROVED = "approved", _("Approved")
    SENDING = "sending", _("Sending")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


class Campaign(models.Model):
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=14, choices=CampaignKind.choices, default=CampaignKind.ADVISORY)
    audience = models.ForeignKey(Audience, on_delete=models.PROTECT, related_name="campaigns")
    template = models.ForeignKey(MessageTemplate, on_delete=models.PROTECT, related_name="campaigns")
    channels = models.JSONField(default=list)  # the ChannelKind values this campaign may use
    state = models.CharField(max_length=20, choices=CampaignState.choices, default=CampaignState.DRAFT)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    # The two-person rule: above settings.ADVISORIES_APPROVAL_ABOVE recipients, a second
    # person approves; the audience size it was counted at is kept with the request.
    approval_requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approval_requested_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    recipients_counted = models.PositiveIntegerField(null=True, blank=True)  # when approval was asked
    recipients_total = models.PositiveIntegerField(default=0)  # deliveries queued at the start

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(approved_by__isnull=True) | ~Q(approved_by=models.F("created_by")),
                name="campaign_approver_not_author",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class DeliveryStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed")
    SKIPPED = "skipped", _("Not sent")  # opted out, or no way to reach them


class Delivery(models.Model):
    """One recipient of one campaign. Unique per (campaign, person): a retried task finds
    the row and never sends twice; a row claimed by a worker that died is reclaimed only
    after its claim expires, and its provider reference tells whether it already left."""

    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="deliveries")
    person = models.ForeignKey("registry.Person", on_delete=models.PROTECT, related_name="+")
    channel = models.CharField(max_length=5, choices=ChannelKind.choices, blank=True)
    language = models.CharField(max_length=2, choices=Language.choices, default=FALLBACK_LANGUAGE)
    status = models.CharField(max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    claim_token = models.CharField(max_length=32, blank=True)
    provider_id = models.CharField(max_length=200, blank=True)
    failure_reason = models.CharField(max_length=500, blank=True)
    queued_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["campaign", "id"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "person"], name="delivery_once_per_person"),
        ]
        indexes = [
            models.Index(fields=["campaign", "status"], name="delivery_campaign_status"),
            models.Index(fields=["status", "next_attempt_at"], name="delivery_due"),
            models.Index(fields=["provider_id"], name="delivery_provider_id"),
            models.Index(fields=["person", "sent_at"], name="delivery_person_sent"),
        ]

    def __str__(self) -> str:
        return f"delivery {self.pk} ({self.status})"


class ReplyChannel(models.TextChoices):
    SMS = "sms", _("SMS")
    EMAIL = "email", _("Email")
    LINK = "link", _("Private update link")


class ReplyState(models.TextChoices):
    APPLIED = "applied", _("On the timeline")
    OPEN = "open", _("For staff")  # "need help", or a reply nobody could parse
    RESOLVED = "resolved", _("Handled by staff")


class Reply(models.Model):
    """Something a registrant sent back. Parsed answers go on the person's timeline,
    attributed to the campaign; "need help" and whatever could not be parsed stay open
    for a person to read. The text is kept encrypted: it is the registrant's own words."""

    campaign = models.ForeignKey(Campaign, null=True, blank=True, on_delete=models.PROTECT, related_name="replies")
    delivery = models.ForeignKey(Delivery, null=True, blank=True, on_delete=models.PROTECT, related_name="replies")
    person = models.ForeignKey("registry.Person", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    channel = models.CharField(max_length=5, choices=ReplyChannel.choices)
    answer = models.CharField(max_length=14, choices=Answer.choices, blank=True)
    text = EncryptedTextField(blank=True)
    sender_digest = models.CharField(max_length=64, blank=True)  # keyed digest of the phone or address
    provider_id = models.CharField(max_length=200, null=True, blank=True)
    received_at = models.DateTimeField(default=timezone.now)
    state = models.CharField(max_length=10, choices=ReplyState.choices, default=ReplyState.OPEN)
    status_event = models.ForeignKey(
        "registry.StatusEvent", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolution_note = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        constraints = [
            # A gateway that posts the same inbound message twice is answered once.
            models.UniqueConstraint(
                fields=["provider_id"], condition=Q(provider_id__isnull=False), name="reply_provider_id_once"
            ),
        ]
        indexes = [
            models.Index(fields=["state", "received_at"], name="reply_queue"),
            models.Index(fields=["campaign", "answer"], name="reply_campaign_answer"),
        ]

    def __str__(self) -> str:
        return f"reply {self.pk} ({self.answer or self.state})"


class ContactPreference(models.Model):
    """How a registrant wants to be reached, and whether they asked us to stop."""

    person = models.OneToOneField("registry.Person", on_delete=models.CASCADE, related_name="advisory_preference")
    preferred_channel = models.CharField(max_length=5, choices=ChannelKind.choices, blank=True)
    opted_out_at = models.DateTimeField(null=True, blank=True)
    opted_out_via = models.CharField(max_length=5, choices=ReplyChannel.choices, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"preference of {self.person_id}"
