"""Request types and eligibility bases are configuration: the Django admin edits them."""

from django.contrib import admin

from crisisdesk.cases.models import EligibilityBasis, RequestType


@admin.register(RequestType)
class RequestTypeAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "active")


@admin.register(EligibilityBasis)
class EligibilityBasisAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "active")
