"""`manage.py sitrep [--as-of ISO] [--format json|pdf|md] [-o FILE]`: the sitrep from the shell.

Reads as the operator of the server (who holds the database anyway) unless `--as-user` names
a staff user, whose role and compartments then apply. Audited like any other read.
"""

import json
import sys
from datetime import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from crisisdesk.accounts.models import User
from crisisdesk.common.origin import CLI
from crisisdesk.sitrep import selectors
from crisisdesk.sitrep.errors import SitrepValidationError
from crisisdesk.sitrep.models import Audience
from crisisdesk.sitrep.render import report_markdown, report_pdf
from crisisdesk.sitrep.report import methods_of, report_build


class Command(BaseCommand):
    help = "Print or write the situation report as of a moment (default: now), as JSON, PDF or Markdown."

    def add_arguments(self, parser):
        parser.add_argument("--as-of", help="ISO 8601 with an offset, e.g. 2022-02-27T18:00+02:00 (default: now)")
        parser.add_argument("--format", choices=["json", "pdf", "md"], default="json")
        parser.add_argument("--audience", choices=Audience.values, default=Audience.INTERNAL)
        parser.add_argument("--language", default="en", help="language of the labels (en, he, uk, ru)")
        parser.add_argument("--as-user", help="read as this staff user (their role and compartments apply)")
        parser.add_argument("-o", "--output", help="write to this file (default: standard output; PDF needs -o)")

    def handle(self, *args, as_of, format, audience, language, as_user, output, **options):
        moment = self._moment(as_of)
        if format == "pdf" and not output:
            raise CommandError("A PDF needs -o FILE.")
        with translation.override(language):
            try:
                if as_user:
                    actor = User.objects.filter(username=as_user, is_active=True).first()
                    if actor is None:
                        raise CommandError(f"No active user {as_user!r}.")
                    figures = selectors.sitrep_for(actor=actor, origin=CLI, as_of=moment, audience=audience)
                else:
                    figures = selectors.sitrep_for_operator(origin=CLI, as_of=moment, audience=audience)
            except SitrepValidationError as error:
                raise CommandError(error.message) from error
            if format == "json":
                content: bytes = (
                    json.dumps({**figures, "methods": methods_of(figures)}, ensure_ascii=False, indent=2) + "\n"
                ).encode()
            elif format == "md":
                content = report_markdown(report_build(figures)).encode()
            else:
                content = report_pdf(report_build(figures))
        if output:
            with open(output, "wb") as handle:
                handle.write(content)
            self.stderr.write(f"Wrote {output} ({len(content):,} bytes).")
        else:
            sys.stdout.buffer.write(content)
            sys.stdout.flush()

    @staticmethod
    def _moment(as_of: str | None) -> datetime | None:
        if not as_of:
            return None
        try:
            moment = datetime.fromisoformat(as_of)
        except ValueError as error:
            raise CommandError(f"--as-of {as_of!r} is not an ISO 8601 date and time.") from error
        if moment.tzinfo is None:
            raise CommandError("--as-of needs a time zone offset, e.g. 2022-02-27T18:00+02:00 or …Z.")
        return moment
