"""Filters of the sitrep pages: counts as the reader's locale writes them, suppressed counts
as "<5", ranges, signed changes, and the registry breakdowns in display order."""

from django import template
from django.utils.translation import gettext as _

from crisisdesk.sitrep.charts import count_label, range_label

register = template.Library()


@register.filter
def count(value) -> str:
    return count_label(value)


@register.filter
def range_text(bounds) -> str:
    if not bounds:
        return "—"
    return range_label(bounds[0], bounds[1])


@register.filter
def signed(delta: int) -> str:
    return f"+{count_label(delta)}" if delta > 0 else f"−{count_label(-delta)}" if delta < 0 else "±0"


@register.filter
def breakdowns(report: dict) -> list[tuple[str, list[dict], str]]:
    registry = report.get("registry") or {}
    return [
        (_("By status"), registry.get("by_status") or [], "by-status"),
        (_("By region"), registry.get("by_region") or [], "by-region"),
        (_("By intent"), registry.get("by_intent") or [], "by-intent"),
        (_("By citizenship"), registry.get("by_citizenship") or [], "by-citizenship"),
        (_("Dual citizens"), registry.get("dual") or [], "dual"),
        (_("Risk groups"), registry.get("risk_groups") or [], "risk-groups"),
    ]
