"""API token format and lookup. Tokens look like `cdk_<prefix>_<secret>`."""

import hashlib
import secrets

from django.utils import timezone

from crisisdesk.accounts.models import ApiToken

TOKEN_SCHEME = "cdk"  # noqa: S105 - a public prefix, not a secret


def token_digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def token_generate() -> tuple[str, str]:
    prefix = secrets.token_hex(4)
    raw = f"{TOKEN_SCHEME}_{prefix}_{secrets.token_urlsafe(32)}"
    return raw, prefix


def token_authenticate(raw: str):
    """The active user a raw token belongs to, or None. Same answer for unknown and revoked."""
    if not raw or not raw.startswith(f"{TOKEN_SCHEME}_"):
        return None
    token = ApiToken.objects.select_related("user").filter(digest=token_digest(raw), revoked_at__isnull=True).first()
    if token is None or not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user
