"""`manage.py registry_import FILE --as USERNAME [--mapping NAME] [--dry-run]`: import persons.

Runs `imports.person_import` as a staff user, who must be allowed to create persons; the
persons, the batch and the audit rows are theirs, with the command line as the channel. There
is no system actor for this: an import puts people in the registry, and someone answers for it.

Prints a table of the counts and of the first rejected rows' reasons (row numbers, fields and
codes, never a cell's content). Exits with status 1 when the file is refused as a whole.
"""

from pathlib import Path

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError

from crisisdesk.accounts.models import User
from crisisdesk.common.origin import CLI
from crisisdesk.registry.errors import ImportRefused, import_field_messages
from crisisdesk.registry.imports import IMPORT_MAX_BYTES, ImportResult, person_import
from crisisdesk.registry.models import ColumnMapping

SHOWN_REJECTED = 20
DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab"}


class Command(BaseCommand):
    help = (
        "Import persons from a CSV or XLSX file as a staff user: valid rows become persons, invalid "
        "rows are kept with their reasons (staff pages, or a file of errors), rows already in the "
        "registry are skipped. With --dry-run nothing is written. Exits with status 1 if the file "
        "is refused."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="the CSV or XLSX file")
        parser.add_argument("--as", dest="as_user", metavar="USERNAME", help="the staff user who imports (required)")
        parser.add_argument("--mapping", metavar="NAME", help='a saved column mapping, e.g. "Google Form 2022"')
        parser.add_argument("--dry-run", action="store_true", help="check every row, write nothing")

    def handle(self, *args, file: str, as_user: str | None, mapping: str | None, dry_run: bool, **options):
        if not as_user:
            raise CommandError("Say who imports: --as USERNAME, a staff user who may create persons.")
        actor = User.objects.filter(username=as_user, is_active=True).first()
        if actor is None:
            raise CommandError(f"No active user {as_user!r}.")
        saved = None
        if mapping:
            saved = ColumnMapping.objects.filter(name=mapping).first()
            if saved is None:
                known = ", ".join(repr(name) for name in ColumnMapping.objects.values_list("name", flat=True))
                raise CommandError(f"No saved mapping {mapping!r}. Saved mappings: {known or 'none'}.")
        path = Path(file)
        try:
            size = path.stat().st_size
            if size > IMPORT_MAX_BYTES:
                raise CommandError(
                    f"{path.name}: the file is too large ({size:,} bytes; at most {IMPORT_MAX_BYTES:,})."
                )
            content = path.read_bytes()
        except OSError as error:
            raise CommandError(f"{file}: {error.strerror or error}") from error
        try:
            result = person_import(
                actor=actor, origin=CLI, file_name=path.name, content=content, mapping=saved, dry_run=dry_run
            )
        except PermissionDenied as error:
            raise CommandError(f"{actor.username} may not create persons, so may not import them.") from error
        except ImportRefused as error:
            raise CommandError(f"{path.name}: {_refusal(error)}") from error
        self._report(path.name, result)

    def _report(self, name: str, result: ImportResult) -> None:
        out = self.stdout.write
        if result.dry_run:
            out(self.style.WARNING("Dry run: nothing was written."))
        file_format = result.file_format.upper()
        if result.encoding:
            delimiter = DELIMITER_NAMES.get(result.delimiter, repr(result.delimiter))
            file_format += f", {result.encoding}, {delimiter}-separated"
        rows = [
            ("File", f"{name} ({file_format})"),
            ("Mapping", result.mapping_name or "(the column names)"),
            ("Rows", f"{result.rows_total:,}"),
            ("Imported" if not result.dry_run else "Would import", f"{result.rows_imported:,}"),
            ("Rejected", f"{result.rows_rejected:,}"),
            ("Skipped (already imported)", f"{result.rows_skipped_duplicate:,}"),
        ]
        if result.ignored_columns:
            rows.append(("Columns not imported", ", ".join(result.ignored_columns)))
        if result.batch is not None:
            rows.append(("Import batch", str(result.batch.pk)))
        width = max(len(label) for label, _value in rows)
        for label, value in rows:
            out(f"  {label:<{width}}  {value}")
        if result.first_rejected:
            shown = min(len(result.first_rejected), SHOWN_REJECTED)
            out("")
            out(f"Rejected rows (the first {shown} of {result.rows_rejected:,}):")
            out(f"  {'row':>7}  {'field':<22} reason")
            for row in result.first_rejected[:SHOWN_REJECTED]:
                for field, messages in import_field_messages(row.errors).items():
                    for code, message in zip(row.errors[field], messages, strict=True):
                        out(f"  {row.row_number:>7}  {field:<22} {code}: {message}")
        if result.batch is not None and result.rows_rejected:
            out("")
            out(
                "The rejected rows are kept with the batch: correct them on its staff page, "
                "or download them with their reasons, fix them and import that file."
            )


def _refusal(error: ImportRefused) -> str:
    details = error.details
    text = error.message
    if details.get("message"):  # the spreadsheet's own reason
        text += f" {details['message']}"
    if details.get("missing"):
        text += f" Missing: {' or '.join(details['missing'])}."
    if details.get("duplicated"):
        text += " " + "; ".join(f"{field}: {', '.join(headers)}" for field, headers in details["duplicated"].items())
    for limit in ("max_bytes", "max_rows", "max_columns"):
        if limit in details:
            text += f" ({limit.replace('_', ' ')}: {details[limit]:,})"
    return text
