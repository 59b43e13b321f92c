"""`manage.py token_issue --username U [--label L]`: prints a new API token on stdout."""

from django.core.management.base import BaseCommand, CommandError

from crisisdesk.accounts.models import User
from crisisdesk.accounts.services import token_issue
from crisisdesk.common.origin import CLI


class Command(BaseCommand):
    help = (
        "Issue an API token for a staff user. Only the token is printed on stdout, so a script "
        "can capture it; it is shown this once, because only its digest is stored."
    )

    def add_arguments(self, parser):
        parser.add_argument("--username", required=True)
        parser.add_argument("--label", default="", help="what the token is for, e.g. the device or script")

    def handle(self, *args, username, label, **options):
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user named {username!r}.")
        if not user.is_active:
            raise CommandError(f"The user {username!r} is inactive; a token for it would not work.")
        token, raw = token_issue(actor=None, origin=CLI, user=user, label=label[:100])
        self.stdout.write(raw)
        self.stderr.write(f"Issued token {token.prefix}… for {user.username}. Store it now: it is not shown again.")
