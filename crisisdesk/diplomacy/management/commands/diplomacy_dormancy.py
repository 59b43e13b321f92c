"""`manage.py diplomacy_dormancy`: mark dormant the channels without contact for too long."""

from django.conf import settings
from django.core.management.base import BaseCommand

from crisisdesk.common.origin import CLI
from crisisdesk.diplomacy.services import channels_dormancy_sweep
from crisisdesk.diplomacy.tasks import dormancy_sweep_schedule


class Command(BaseCommand):
    help = (
        "Mark dormant every open channel without contact for more than CRISISDESK_CHANNEL_DORMANT_AFTER_DAYS "
        "days and print how many changed. With --schedule, queue the hourly background sweep instead "
        "(once: a sweep already waiting is left alone); `make run` does this."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--schedule",
            action="store_true",
            help="Queue the hourly sweep for the background worker (`manage.py db_worker`) rather than sweep now.",
        )

    def handle(self, *args, schedule: bool, **options):
        if schedule:
            queued = dormancy_sweep_schedule()
            if options["verbosity"] > 0:
                self.stdout.write(
                    "Queued the hourly dormancy sweep." if queued else "The hourly dormancy sweep is already queued."
                )
            return
        changed = channels_dormancy_sweep(origin=CLI)
        days = settings.CRISISDESK_CHANNEL_DORMANT_AFTER_DAYS
        self.stdout.write(f"Marked {changed:,} channel(s) dormant: open, without contact for more than {days} days.")
