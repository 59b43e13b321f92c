"""Template filters that turn stored codes into labels in the reader's language."""

from django import template
from django.utils.translation import gettext

from crisisdesk.registry.validation import region_name

register = template.Library()


@register.filter
def region_label(code: str) -> str:
    return region_name(code) if code else ""


@register.filter
def translated(text: str) -> str:
    """Configuration text (a risk rule's label) in the reader's language when the catalogue
    has it; otherwise as an administrator wrote it."""
    return gettext(text) if text else ""
