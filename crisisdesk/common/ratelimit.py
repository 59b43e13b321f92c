"""Per-client rate limiting for public endpoints (fixed window, in the shared cache)."""

import time
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.shortcuts import render

from crisisdesk.common.origin import client_ip


def is_over_limit(*, scope: str, client: str | None, limit: int, window_seconds: int) -> bool:
    window = int(time.time() // window_seconds)
    key = f"ratelimit:{scope}:{client or 'unknown'}:{window}"
    # add() is atomic in every backend we use; incr() after it counts this request.
    cache.add(key, 0, timeout=window_seconds + 5)
    try:
        count = cache.incr(key)
    except ValueError:  # the key expired between add() and incr()
        cache.set(key, 1, timeout=window_seconds + 5)
        count = 1
    return count > limit


def public_rate_limit(scope: str, *, methods: tuple[str, ...] = ("POST",)):
    """Limit how often one client may call a public view. Over the limit, a clear 429 page."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            limit = settings.CRISISDESK_PUBLIC_RATE_LIMIT
            if (
                limit
                and request.method in methods
                and is_over_limit(
                    scope=scope,
                    client=client_ip(request),
                    limit=limit,
                    window_seconds=settings.CRISISDESK_PUBLIC_RATE_WINDOW_SECONDS,
                )
            ):
                response = render(request, "common/rate_limited.html", status=429)
                response["Retry-After"] = str(settings.CRISISDESK_PUBLIC_RATE_WINDOW_SECONDS)
                return response
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
