"""Admin pages for configuration only: risk rules.

Person records are deliberately not in the Django admin: every read and write of a
person goes through the audited services and selectors.
"""

from django.contrib import admin

from crisisdesk.common.origin import origin_from_request
from crisisdesk.registry.models import RiskRule
from crisisdesk.registry.services import risk_rule_save


@admin.register(RiskRule)
class RiskRuleAdmin(admin.ModelAdmin):
    list_display = ["code", "label", "is_active", "citizenship", "sex", "age_min", "age_max", "age_on", "vulnerability"]
    readonly_fields = ["updated_at"]

    def save_model(self, request, obj, form, change):
        risk_rule_save(actor=request.user, origin=origin_from_request(request, channel="web"), rule=obj)

    def has_delete_permission(self, request, obj=None):
        return False  # deactivate a rule instead; its flags' history stays explainable
