"""Where an action came from: the channel and the client address, for the audit log."""

from dataclasses import dataclass
from ipaddress import ip_address

from django.conf import settings
from django.http import HttpRequest

from crisisdesk.common.models import AuditEvent


@dataclass(frozen=True, slots=True)
class Origin:
    channel: str
    ip_address: str | None = None


CLI = Origin(channel=AuditEvent.Channel.CLI)
SYSTEM = Origin(channel=AuditEvent.Channel.SYSTEM)


def client_ip(request: HttpRequest) -> str | None:
    """The client address. X-Forwarded-For is trusted only for the configured proxy hops,
    because a client can write anything into that header."""
    hops = settings.CRISISDESK_TRUSTED_PROXY_COUNT
    candidate = request.META.get("REMOTE_ADDR")
    if hops:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if len(forwarded) >= hops:
            candidate = forwarded[-hops]
    try:
        return str(ip_address(candidate)) if candidate else None
    except ValueError:
        return None


def origin_from_request(request: HttpRequest, *, channel: str) -> Origin:
    return Origin(channel=channel, ip_address=client_ip(request))
