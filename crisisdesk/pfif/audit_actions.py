"""The PFIF exchange's audit actions. They are not `AuditEvent.Action` choices yet: adding
choices there needs a migration of the common app, which this app may not make (the lead adds
them with the next common migration; the values stay these)."""

PFIF_EXPORTED = "pfif.exported"
PFIF_IMPORTED = "pfif.imported"
PFIF_IMPORT_REFUSED = "pfif.import_refused"
