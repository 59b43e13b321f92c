"""Staff users and their API tokens."""

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from crisisdesk.accounts.permissions import Role


class User(AbstractUser):
    """A member of staff. What they may do follows from `role` (see permissions.py)."""

    role = models.CharField(_("role"), max_length=32, choices=Role.choices, blank=True)
    is_demo = models.BooleanField(
        _("demo user"),
        default=False,
        help_text=_("Created by the demo scenario. May skip two-factor login in local settings only."),
    )

    class Meta:
        ordering = ["username"]

    def __str__(self) -> str:
        return self.username


class ApiToken(models.Model):
    """A bearer token for scripts and the border app. Only a SHA-256 digest is stored;
    the token itself is shown once, when issued."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    label = models.CharField(max_length=100, blank=True)
    prefix = models.CharField(max_length=12, db_index=True)
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.user} {self.prefix}…"
