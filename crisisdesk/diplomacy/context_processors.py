"""The module's one notification: how many follow-ups are due, and nothing else.

It names no subject, channel or compartment ("You have 2 follow-ups due"), so that a
screen read over a shoulder gives nothing away. The count is taken only for readers the
module is open to, and only when a template uses it (the value is a callable that the
template language calls, once per request)."""

from functools import cache

from crisisdesk.accounts.permissions import Permission, has_permission


def follow_ups_due(request):
    user = getattr(request, "user", None)
    if not has_permission(user, Permission.DIPLOMACY_VIEW):
        return {}

    @cache
    def count() -> int:
        from crisisdesk.diplomacy.selectors import follow_ups_due_count

        return follow_ups_due_count(actor=user)

    return {"diplomacy_follow_ups_due": count}
