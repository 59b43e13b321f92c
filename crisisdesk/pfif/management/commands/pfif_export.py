"""`manage.py pfif_export --actor USERNAME --output FILE [--since DATE] [--skip N] [--max-results N]`:
the registry's persons with their notes as PFIF 1.4 (docs/subsystems/pfif.md).

`--since` is a PFIF date (2026-03-01T00:00:00Z) or a day (from its midnight UTC): only the
persons entered or changed since, as an incremental feed. `--output -` writes to stdout. The
export is audited as the actor's, with the command line as its channel.
"""

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from crisisdesk.common.origin import CLI
from crisisdesk.pfif import mapping
from crisisdesk.pfif.exports import pfif_export
from crisisdesk.pfif.management.commands._actor import actor_of


class Command(BaseCommand):
    help = "Export the registry's persons with their notes as PFIF 1.4, all or those changed since a date."

    def add_arguments(self, parser):
        parser.add_argument("--actor", metavar="USERNAME", help="the staff user who exports (required)")
        parser.add_argument("--output", metavar="FILE", help="where to write the XML; - for stdout (required)")
        parser.add_argument("--since", metavar="DATE", help="YYYY-MM-DD or YYYY-MM-DDThh:mm:ssZ")
        parser.add_argument("--skip", type=int, default=0)
        parser.add_argument("--max-results", type=int, default=None)

    def handle(self, *args, actor, output, since, skip, max_results, **options):
        user = actor_of(actor)
        if not output:
            raise CommandError("Say where to write: --output FILE (or - for stdout).")
        try:
            moment = mapping.since_parse(since or "")
        except ValueError as error:
            raise CommandError(f"--since {since!r}: give YYYY-MM-DD or YYYY-MM-DDThh:mm:ssZ.") from error
        if skip < 0 or (max_results is not None and max_results < 0):
            raise CommandError("--skip and --max-results are not negative.")
        export = pfif_export(actor=user, origin=CLI, since=moment, skip=skip, max_results=max_results)
        if output == "-":
            sys.stdout.buffer.write(export.content)
            return
        try:
            Path(output).write_bytes(export.content)
        except OSError as error:
            raise CommandError(f"{output}: {error.strerror or error}") from error
        self.stdout.write(f"{export.persons:,} persons, {export.notes:,} notes written to {output}")
