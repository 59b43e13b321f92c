"""The staff user a PFIF command runs as: someone answers for every exchange."""

from django.core.management.base import CommandError

from crisisdesk.accounts.models import User
from crisisdesk.accounts.permissions import Permission, has_permission


def actor_of(username: str | None) -> User:
    if not username:
        raise CommandError("Say who exchanges: --actor USERNAME, a staff user with pfif.exchange.")
    actor = User.objects.filter(username=username, is_active=True).first()
    if actor is None:
        raise CommandError(f"No active user {username!r}.")
    if not has_permission(actor, Permission.PFIF_EXCHANGE):
        raise CommandError(f"{actor.username} may not exchange PFIF (pfif.exchange).")
    return actor
