"""Writes for staff accounts: users, API tokens, two-factor devices."""

from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from crisisdesk.accounts.models import ApiToken, User
from crisisdesk.accounts.permissions import Role
from crisisdesk.accounts.tokens import token_digest, token_generate
from crisisdesk.common.audit import audit_record
from crisisdesk.common.models import AuditEvent
from crisisdesk.common.origin import Origin


@transaction.atomic
def user_create(
    *,
    actor: User | None,
    origin: Origin,
    username: str,
    password: str | None,
    role: str,
    email: str = "",
    first_name: str = "",
    last_name: str = "",
    is_demo: bool = False,
) -> User:
    """Create a staff user with one role. Without a password the account cannot log in
    until one is set (an unusable password)."""
    user = User(
        username=username,
        role=Role(role),
        email=email,
        first_name=first_name,
        last_name=last_name,
        is_demo=is_demo,
        is_staff=role == Role.ADMIN,
        is_superuser=False,
    )
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.full_clean()
    user.save()
    audit_record(
        actor=actor,
        origin=origin,
        action=AuditEvent.Action.USER_CREATED,
        target=user,
        changes={"role": user.role},
        actor_label=None if actor else "system",
    )
    return user


@transaction.atomic
def token_issue(*, actor: User | None, origin: Origin, user: User, label: str = "") -> tuple[ApiToken, str]:
    """Issue an API token. Returns the stored token and the raw value, which is shown once."""
    raw, prefix = token_generate()
    token = ApiToken.objects.create(user=user, label=label, prefix=prefix, digest=token_digest(raw))
    audit_record(
        actor=actor,
        origin=origin,
        action=AuditEvent.Action.TOKEN_ISSUED,
        target=token,
        changes={"user": user.username},
        actor_label=None if actor else "system",
    )
    return token, raw


@transaction.atomic
def token_revoke(*, actor: User | None, origin: Origin, token: ApiToken) -> ApiToken:
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    audit_record(
        actor=actor,
        origin=origin,
        action=AuditEvent.Action.TOKEN_REVOKED,
        target=token,
        actor_label=None if actor else "system",
    )
    return token


def totp_device_start(*, user: User) -> TOTPDevice:
    """An unconfirmed TOTP device for enrolment, reused if the user reloads the page."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="default", confirmed=False)
    return device


@transaction.atomic
def totp_device_confirm(*, user: User, origin: Origin, device: TOTPDevice, token: str) -> bool:
    if not device.verify_token(token):
        return False
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    audit_record(actor=user, origin=origin, action=AuditEvent.Action.OTP_DEVICE_CONFIRMED, target=user)
    return True
