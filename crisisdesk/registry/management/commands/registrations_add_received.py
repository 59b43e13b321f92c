"""`manage.py registrations_add_received`: add waiting public registrations to the registry now."""

from django.core.management.base import BaseCommand, CommandError

from crisisdesk.registry.services import registrations_add_received


class Command(BaseCommand):
    help = (
        "Add the public registrations that are waiting for the background worker to the registry, "
        "oldest first, and print how many were added and how many failed (failed ones are kept, "
        "with the reason, on the staff intake page)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--limit", type=int, default=None, help="Stop after this many registrations.")

    def handle(self, *args, limit: int | None, **options):
        if limit is not None and limit < 1:
            raise CommandError("--limit must be at least 1.")
        result = registrations_add_received(limit=limit)
        self.stdout.write(
            f"Added {result.added:,} registrations to the registry; {result.failed:,} could not be added."
        )
        if result.failed:
            raise CommandError("Some registrations could not be added; see /staff/registrations/intake/.")
