"""`manage.py pfif_import FILE --actor USERNAME`: import the persons and notes of a PFIF 1.4 file.

Prints the counts and the first rejected records' reasons (positions, fields and codes, never
a value). Exits with status 1 when the file is refused as a whole (malformed or hostile XML,
over the size cap, not PFIF 1.4): nothing is written then.
"""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from crisisdesk.common.origin import CLI
from crisisdesk.pfif.errors import PfifRefused, pfif_message
from crisisdesk.pfif.imports import pfif_import
from crisisdesk.pfif.management.commands._actor import actor_of


class Command(BaseCommand):
    help = "Import persons and their notes from a PFIF 1.4 file; exits 1 if the file is refused."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--actor", metavar="USERNAME", help="the staff user who imports (required)")

    def handle(self, *args, file, actor, **options):
        user = actor_of(actor)
        path = Path(file)
        try:
            size = path.stat().st_size
            if size > settings.PFIF_IMPORT_MAX_BYTES:
                raise CommandError(
                    f"{path.name}: the file is too large ({size:,} bytes; at most {settings.PFIF_IMPORT_MAX_BYTES:,})."
                )
            content = path.read_bytes()
        except OSError as error:
            raise CommandError(f"{file}: {error.strerror or error}") from error
        try:
            result = pfif_import(actor=user, origin=CLI, file_name=path.name, content=content)
        except PfifRefused as refused:
            raise CommandError(f"{path.name}: {refused.message} ({refused.code.value})") from refused
        batch = result.batch
        out = self.stdout.write
        out(f"  {'':<8} {'total':>8} {'imported':>9} {'skipped':>8} {'rejected':>9}")
        out(
            f"  {'persons':<8} {batch.persons_total:>8,} {batch.persons_imported:>9,} "
            f"{batch.persons_skipped:>8,} {batch.persons_rejected:>9,}"
        )
        out(
            f"  {'notes':<8} {batch.notes_total:>8,} {batch.notes_imported:>9,} "
            f"{batch.notes_skipped:>8,} {batch.notes_rejected:>9,}"
        )
        out(f"  Pairs queued for review: {batch.links_queued:,}. Import batch {batch.pk}.")
        for row in result.first_rejected:
            for field, codes in row.errors.items():
                for code in codes:
                    out(f"  {row.kind} {row.position:>6}  {field:<24} {code}: {pfif_message(code)}")
