"""The audit log: who did what to which record, when, and from where."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crisisdesk.common.append_only import AppendOnlyModel


class AuditLogIsAppendOnly(Exception):
    """Raised on any attempt to change or delete an audit event."""


class AuditEvent(AppendOnlyModel):
    """One audited action. Rows are only ever inserted (see docs/subsystems/audit.md).

    Targets are stored by type and id, not by foreign key, so that the trail outlives
    the records it describes. `changes` holds field names only, never values: the audit
    log must not become a second copy of the personal data.
    """

    class Action(models.TextChoices):
        PERSON_VIEWED = "person.viewed", _("Viewed a person")
        PERSON_LISTED = "person.listed", _("Listed persons")
        PERSON_CREATED = "person.created", _("Created a person")
        PERSON_UPDATED = "person.updated", _("Changed a person")
        STATUS_EVENT_ADDED = "status_event.added", _("Added a timeline event")
        REGISTRATION_SUBMITTED = "registration.submitted", _("Registration submitted")
        REGISTRATION_VIEWED = "registration.viewed", _("Registration viewed through its private link")
        REGISTRATION_ADD_FAILED = "registration.add_failed", _("Registration could not be added to the registry")
        REGISTRATION_ADD_RETRIED = "registration.add_retried", _("Registration sent again to the registry")
        RISK_RULE_CHANGED = "risk_rule.changed", _("Risk rule changed")
        USER_CREATED = "user.created", _("Staff user created")
        TOKEN_ISSUED = "token.issued", _("API token issued")
        TOKEN_REVOKED = "token.revoked", _("API token revoked")
        OTP_DEVICE_CONFIRMED = "otp.confirmed", _("Two-factor device confirmed")
        AUDIT_VIEWED = "audit.viewed", _("Viewed the audit log")
        DEMO_LOADED = "demo.loaded", _("Demo scenario loaded")
        POST_OPENED = "post.opened", _("Opened a post")
        POST_CLOSED = "post.closed", _("Closed a post")
        CROSSING_STATUS_CHANGED = "crossing.status_changed", _("Changed a crossing point's status")
        SHIFT_SCHEDULED = "shift.scheduled", _("Put a shift on the roster")
        SHIFT_STARTED = "shift.started", _("Started a shift")
        SHIFT_ENDED = "shift.ended", _("Ended a shift")
        DESK_EVENT_RECEIVED = "desk.event_received", _("Received an event from a field device")
        CHECK_IN_RECORDED = "desk.check_in", _("Checked a person in as crossed")
        DESK_CONFLICT_RESOLVED = "desk.conflict_resolved", _("Resolved a border-desk conflict")
        SITREP_VIEWED = "sitrep.viewed", _("Viewed a situation report")
        SITREP_SNAPSHOT_SAVED = "sitrep.snapshot_saved", _("Saved a sitrep snapshot")
        SITREP_SNAPSHOT_CLEARED = "sitrep.snapshot_cleared", _("Cleared a sitrep snapshot")
        SITREP_SNAPSHOT_DISTRIBUTED = "sitrep.snapshot_distributed", _("Distributed a sitrep snapshot")
        PARTNER_FIGURE_ADDED = "sitrep.partner_figure", _("Entered a partner's crossing figure")
        CASE_CREATED = "case.created", _("Opened an immigration request")
        CASE_VIEWED = "case.viewed", _("Viewed an immigration request")
        CASE_LISTED = "case.listed", _("Listed immigration requests")
        CASE_CHANGED = "case.changed", _("Changed an immigration request")
        CASE_DOCUMENT_ADDED = "case.document_added", _("Added a document to a request")
        CASE_DOCUMENT_VIEWED = "case.document_viewed", _("Opened a request's document")
        CASE_STATUS_VIEWED = "case.status_viewed", _("Request viewed through its private link")
        AID_SHIPMENT_CREATED = "aid.created", _("Planned an aid shipment")
        AID_SHIPMENT_CHANGED = "aid.changed", _("Changed an aid shipment")
        AID_DOCUMENT_VIEWED = "aid.document_viewed", _("Opened an aid shipment's document")
        AID_EXPORTED = "aid.exported", _("Exported an aid shipment's manifest")
        AID_CONSIGNEE_CHANGED = "aid.consignee_changed", _("Changed a consignee organisation")
        PERSONS_IMPORTED = "registry.imported", _("Imported persons from a file")
        IMPORT_ROW_CORRECTED = "registry.import_row_corrected", _("Corrected and imported a rejected import row")
        IMPORT_REJECTED_EXPORTED = "registry.import_rejected_exported", _("Downloaded an import's rejected rows")
        COLUMN_MAPPING_SAVED = "registry.column_mapping_saved", _("Saved a column mapping for imports")
        PERSONS_EXPORTED = "registry.exported", _("Exported persons to a file")
        PFIF_EXPORTED = "pfif.exported", _("Exported persons in PFIF")
        PFIF_IMPORTED = "pfif.imported", _("Imported a PFIF file")
        PFIF_IMPORT_REFUSED = "pfif.import_refused", _("Refused a PFIF file")
        DUPLICATE_RUN_STARTED = "duplicate.run_started", _("Started a duplicate detection run")
        DUPLICATE_PAIR_VIEWED = "duplicate.pair_viewed", _("Viewed a possible duplicate pair")
        DUPLICATE_PAIR_DECIDED = "duplicate.pair_decided", _("Decided on a possible duplicate pair")
        PERSONS_MERGED = "duplicate.merged", _("Merged two records of one person")
        PERSONS_UNMERGED = "duplicate.unmerged", _("Undid a merge of two records")
        ADVISORY_AUDIENCE_SAVED = "advisory.audience_saved", _("Saved an advisory audience")
        ADVISORY_AUDIENCE_PREVIEWED = "advisory.audience_previewed", _("Previewed an advisory audience")
        ADVISORY_TEMPLATE_SAVED = "advisory.template_saved", _("Saved an advisory message template")
        ADVISORY_CAMPAIGN_CREATED = "advisory.campaign_created", _("Drafted an advisory campaign")
        ADVISORY_CAMPAIGN_CHANGED = "advisory.campaign_changed", _("Changed an advisory campaign")
        ADVISORY_CAMPAIGN_APPROVED = "advisory.campaign_approved", _("Approved an advisory campaign")
        ADVISORY_CAMPAIGN_SENT = "advisory.campaign_sent", _("Started sending an advisory campaign")
        ADVISORY_CAMPAIGN_CANCELLED = "advisory.campaign_cancelled", _("Cancelled an advisory campaign")
        ADVISORY_REPLY_RECEIVED = "advisory.reply_received", _("Received a reply to an advisory")
        ADVISORY_REPLY_RESOLVED = "advisory.reply_resolved", _("Resolved a reply to an advisory")
        ADVISORY_OPTED_OUT = "advisory.opted_out", _("A registrant opted out of advisories")

    class Channel(models.TextChoices):
        WEB = "web", _("Staff web")
        API = "api", _("API")
        PUBLIC = "public", _("Public page")
        CLI = "cli", _("Command line")
        SYSTEM = "system", _("System")

    at = models.DateTimeField(default=timezone.now, db_index=True)
    # No single-column indexes on actor and person_id: the (actor, -at) and (person_id,
    # -at) indexes in Meta serve those lookups, and every audited action pays for each index.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    actor_label = models.CharField(max_length=150)
    action = models.CharField(max_length=40, choices=Action.choices, db_index=True)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    target_type = models.CharField(max_length=60, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    person_id = models.BigIntegerField(null=True, blank=True)
    changes = models.JSONField(default=dict, blank=True)

    append_only_error = AuditLogIsAppendOnly

    class Meta:
        ordering = ["-at", "-id"]
        # Partial: rows with no actor (the public, the system) or no person (lists, tokens,
        # registrations) are never looked up by them, and skipping them spares every such
        # row two index writes. `actor_id = x` and `person_id = x` still use these.
        indexes = [
            models.Index(fields=["actor", "-at"], name="audit_actor_at", condition=models.Q(actor__isnull=False)),
            models.Index(
                fields=["person_id", "-at"], name="audit_person_at", condition=models.Q(person_id__isnull=False)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor_label} {self.action} {self.target_type}:{self.target_id}"


class BenchRow(models.Model):
    """One row per request to the benchmark ceiling view (`crisisdesk.common.bench_views`).

    Exists only so the throughput benchmark can compare the public registration with a
    view that does a single INSERT through the same stack. Empty outside benchmarks.
    """

    note = models.CharField(max_length=100)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"bench row {self.pk}"
