"""Labels for the module's pages."""

from django import template

register = template.Library()

MARKING_CLASSES = {
    "unclassified": "text-bg-success",
    "restricted": "text-bg-info",
    "confidential": "text-bg-primary",
    "secret": "text-bg-danger",
    "top_secret": "text-bg-warning",
}


@register.filter
def marking_class(marking) -> str:
    """The banner colour of a marking, in the usual order (green to amber)."""
    return MARKING_CLASSES.get(getattr(marking, "classification", ""), "text-bg-secondary")


@register.filter
def post_on(official, day) -> str:
    """The post an official held on `day` ("the previous prime minister" was prime
    minister then). Reads the posts prefetched with the official."""
    post = official.post_on(day) if official is not None and day else None
    return post.title if post else ""
