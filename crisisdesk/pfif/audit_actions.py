"""The PFIF exchange's audit actions, named here so the exchange's modules share them."""

from crisisdesk.common.models import AuditEvent

PFIF_EXPORTED = AuditEvent.Action.PFIF_EXPORTED
PFIF_IMPORTED = AuditEvent.Action.PFIF_IMPORTED
PFIF_IMPORT_REFUSED = AuditEvent.Action.PFIF_IMPORT_REFUSED
