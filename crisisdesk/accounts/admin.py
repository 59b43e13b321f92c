"""Admin site restricted to verified administrators."""

from django.contrib import admin

from crisisdesk.accounts.access import second_factor_satisfied
from crisisdesk.accounts.permissions import Permission, has_permission


def _admin_has_permission(request) -> bool:
    """Only users whose role grants risk-rule management, with a satisfied second factor."""
    user = request.user
    return bool(
        user.is_active
        and user.is_staff
        and has_permission(user, Permission.RISK_RULE_MANAGE)
        and second_factor_satisfied(request)
    )


admin.site.has_permission = _admin_has_permission
admin.site.site_header = "Crisis Desk configuration"
