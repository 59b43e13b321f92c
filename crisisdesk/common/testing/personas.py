"""Named personas for tests: one staff user per role, plus a second-factor helper.

Every permission-matrix test speaks in these names (RapidPro's style), so a reader sees
"border_officer gets 403", not "user 7 gets 403".
"""

from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from crisisdesk.accounts.models import User
from crisisdesk.accounts.permissions import Role

PERSONA_ROLES = {
    "admin": Role.ADMIN,
    "desk_chief": Role.DESK_CHIEF,
    "consul": Role.CONSULAR_OFFICER,
    "border_officer": Role.BORDER_OFFICER,
    "case_officer": Role.CASE_OFFICER,
    "logistics_officer": Role.LOGISTICS_OFFICER,
    "diplomat": Role.DIPLOMAT,
    "senior_diplomat": Role.SENIOR_DIPLOMAT,
    "political_director": Role.POLITICAL_DIRECTOR,
}
PERSONA_PASSWORD = "correct-horse-battery-staple-22"  # noqa: S105 - test-only credential
ALL_PERSONAS = (*PERSONA_ROLES, "anonymous")


def persona_create(name: str) -> User:
    return persona_create_named(name, name)


def persona_create_named(username: str, persona: str) -> User:
    """A user with a persona's role under another name: a second officer, another diplomat."""
    user = User.objects.create_user(username=username, password=PERSONA_PASSWORD, role=PERSONA_ROLES[persona])
    TOTPDevice.objects.create(user=user, name="default", confirmed=True)
    return user


def client_for(persona: str, users: dict[str, User]) -> Client:
    """A test client logged in as `persona` with a verified second factor."""
    client = Client()
    if persona == "anonymous":
        return client
    user = users[persona]
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = TOTPDevice.objects.get(user=user).persistent_id
    session.save()
    return client
