"""Staff login: password and TOTP in one step, enrolment of a first device, lockout after
repeated failures, and the role → permission table."""

import time

import pytest
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from crisisdesk.accounts.errors import AccountMessage
from crisisdesk.accounts.models import User
from crisisdesk.accounts.permissions import ROLE_PERMISSIONS, Permission, Role, has_permission, permissions_of
from crisisdesk.common.models import AuditEvent
from crisisdesk.common.testing.personas import PERSONA_PASSWORD

LOGIN_URL = "/staff/login/"
OTP_SETUP_URL = "/staff/two-factor/"


def totp_code(device: TOTPDevice, *, offset_steps: int = 0) -> str:
    """The code an authenticator app would show now for `device`."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + offset_steps * device.step
    return str(totp.token()).zfill(device.digits)


def _wrong_code(device: TOTPDevice) -> str:
    """A code that is not valid now (nor within the allowed drift)."""
    valid = {totp_code(device, offset_steps=step) for step in range(-2, 3)}
    return next(code for code in ("000000", "111111", "222222", "333333", "444444", "555555") if code not in valid)


def _login(client, username: str, password: str = PERSONA_PASSWORD, otp_token: str = "", **extra):
    return client.post(LOGIN_URL, {"username": username, "password": password, "otp_token": otp_token, **extra})


# Each role starts on the first page its permissions open.
LANDING_BY_PERSONA = {
    "admin": "registry:person_list",
    "desk_chief": "registry:person_list",
    "consul": "registry:person_list",
    "border_officer": "registry:person_list",
    "case_officer": "registry:person_list",
    "logistics_officer": "aid:overview",
    "diplomat": "diplomacy:home",
    "senior_diplomat": "diplomacy:home",
    "political_director": "diplomacy:home",
}


@pytest.mark.django_db
@pytest.mark.parametrize(("persona", "page"), LANDING_BY_PERSONA.items())
def test_staff_home_sends_each_role_to_a_page_it_may_open(as_persona, persona, page):
    client = as_persona(persona)

    response = client.get(reverse("staff_home"))

    assert response.status_code == 302
    assert response["Location"] == reverse(page)
    assert client.get(response["Location"]).status_code == 200


@pytest.mark.django_db
def test_staff_home_asks_a_visitor_to_log_in(client):
    response = client.get(reverse("staff_home"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


@pytest.mark.django_db
class TestLogin:
    def test_login_page_renders(self, client):
        """The login page asks for a name, a password and an authenticator code."""
        response = client.get(LOGIN_URL)

        assert response.status_code == 200
        page = response.content.decode()
        for field in ("username", "password", "otp_token"):
            assert f'name="{field}"' in page

    def test_password_and_correct_code_log_in_verified(self, client, users):
        """With both factors the session is verified and the officer lands on the registry."""
        # given
        device = TOTPDevice.objects.get(user=users["consul"])

        # when
        response = _login(client, "consul", otp_token=totp_code(device))

        # then
        assert response.status_code == 302
        assert response["Location"] == reverse("staff_home")
        assert client.get(response["Location"])["Location"] == reverse("registry:person_list")
        assert client.session["_auth_user_id"] == str(users["consul"].pk)
        assert client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id
        assert client.get(reverse("registry:person_list")).status_code == 200

    def test_wrong_code_is_refused_and_does_not_log_in(self, client, users):
        """A wrong authenticator code is an error and no session is opened."""
        device = TOTPDevice.objects.get(user=users["consul"])

        response = _login(client, "consul", otp_token=_wrong_code(device))

        assert response.status_code == 200
        assert str(AccountMessage.OTP_INVALID) in response.content.decode()
        assert "_auth_user_id" not in client.session

    def test_missing_code_is_refused(self, client, users):
        """A user with a device cannot log in with the password alone."""
        response = _login(client, "consul")

        assert response.status_code == 200
        assert str(AccountMessage.OTP_INVALID) in response.content.decode()
        assert "_auth_user_id" not in client.session

    def test_wrong_password_is_refused(self, client, users):
        """The right code does not help with the wrong password."""
        device = TOTPDevice.objects.get(user=users["consul"])

        response = _login(client, "consul", password="wrong-password-123", otp_token=totp_code(device))

        assert response.status_code == 200
        assert "_auth_user_id" not in client.session

    def test_safe_next_is_followed_and_foreign_next_ignored(self, client, users):
        """After login the officer returns to the page they asked for, but never to another site."""
        device = TOTPDevice.objects.get(user=users["desk_chief"])
        response = _login(client, "desk_chief", otp_token=totp_code(device), next="/staff/audit/")
        assert response["Location"] == "/staff/audit/"

        client.logout()
        response = _login(
            client, "desk_chief", otp_token=totp_code(device, offset_steps=1), next="https://evil.example/"
        )
        assert response["Location"] == reverse("staff_home")

    def test_logout_needs_post_and_ends_the_session(self, as_persona):
        """Logging out is a POST (no logout by a stray link) and ends the session."""
        client = as_persona("consul")

        assert client.get(reverse("accounts:logout")).status_code == 405
        response = client.post(reverse("accounts:logout"))

        assert response["Location"] == reverse("accounts:login")
        assert client.get(reverse("registry:person_list")).status_code == 302


@pytest.mark.django_db
class TestEnrolment:
    @pytest.fixture
    def newcomer(self):
        return User.objects.create_user(username="newcomer", password=PERSONA_PASSWORD, role=Role.CONSULAR_OFFICER)

    def test_password_only_user_is_sent_to_enrolment(self, client, newcomer):
        """Without a device, the password opens a session that leads only to enrolment."""
        # when
        response = _login(client, "newcomer")

        # then: logged in, but the registry sends them to set up a second factor
        assert response.status_code == 302
        assert client.session["_auth_user_id"] == str(newcomer.pk)
        response = client.get(response["Location"])
        assert response.status_code == 302
        assert response["Location"] == OTP_SETUP_URL

    def test_enrolment_shows_a_qr_code_and_accepts_a_correct_code(self, client, newcomer):
        """The QR code and key are shown; the first correct code confirms the device and verifies the session."""
        # given
        _login(client, "newcomer")

        # when: the page is opened
        page = client.get(OTP_SETUP_URL)

        # then
        assert page.status_code == 200
        html = page.content.decode()
        assert '<img src="data:image/svg+xml;base64,' in html
        device = TOTPDevice.objects.get(user=newcomer)
        assert not device.confirmed

        # when: the code from the app is typed
        response = client.post(OTP_SETUP_URL, {"token": totp_code(device)})

        # then
        assert response.status_code == 302
        assert response["Location"] == reverse("staff_home")
        device.refresh_from_db()
        assert device.confirmed
        assert client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id
        assert client.get(reverse("registry:person_list")).status_code == 200
        assert AuditEvent.objects.filter(action=AuditEvent.Action.OTP_DEVICE_CONFIRMED, actor=newcomer).exists()

    def test_reloading_enrolment_keeps_the_same_key(self, client, newcomer):
        """Reloading the page does not invalidate the code already scanned."""
        _login(client, "newcomer")

        client.get(OTP_SETUP_URL)
        client.get(OTP_SETUP_URL)

        assert TOTPDevice.objects.filter(user=newcomer).count() == 1

    def test_enrolment_refuses_a_wrong_code(self, client, newcomer):
        """A wrong code leaves the device unconfirmed and the registry closed."""
        _login(client, "newcomer")
        client.get(OTP_SETUP_URL)
        device = TOTPDevice.objects.get(user=newcomer)

        response = client.post(OTP_SETUP_URL, {"token": _wrong_code(device)})

        assert response.status_code == 200
        assert str(AccountMessage.OTP_INVALID) in response.content.decode()
        device.refresh_from_db()
        assert not device.confirmed
        assert client.get(reverse("registry:person_list")).status_code == 302

    def test_enrolment_needs_a_login(self, client):
        """Anonymous visitors cannot start enrolment."""
        response = client.get(OTP_SETUP_URL)

        assert response.status_code == 302
        assert response["Location"].startswith(LOGIN_URL)


@pytest.mark.django_db
class TestLockout:
    def _assert_locked_out(self, response):
        assert response.status_code == 429
        assert 'data-testid="locked-out"' in response.content.decode()

    def test_sixth_attempt_is_locked_out_even_with_the_right_password(self, client, users, settings):
        """After AXES_FAILURE_LIMIT wrong passwords, even the right password and code get the lockout page."""
        # given
        assert settings.AXES_FAILURE_LIMIT == 5
        device = TOTPDevice.objects.get(user=users["consul"])
        for _ in range(4):
            response = _login(client, "consul", password="not-the-password")
            assert response.status_code == 200
        _login(client, "consul", password="not-the-password")

        # when
        response = _login(client, "consul", otp_token=totp_code(device))

        # then
        self._assert_locked_out(response)
        assert "_auth_user_id" not in client.session

    def test_wrong_codes_count_as_failures(self, client, users):
        """Guessing authenticator codes is throttled exactly like guessing passwords."""
        device = TOTPDevice.objects.get(user=users["consul"])
        wrong = _wrong_code(device)
        for _ in range(5):
            _login(client, "consul", otp_token=wrong)

        response = _login(client, "consul", otp_token=totp_code(device))

        self._assert_locked_out(response)
        assert "_auth_user_id" not in client.session

    def test_lockout_is_per_account(self, client, users):
        """Another officer at the same desk can still log in."""
        for _ in range(6):
            _login(client, "consul", password="not-the-password")
        device = TOTPDevice.objects.get(user=users["case_officer"])

        response = _login(client, "case_officer", otp_token=totp_code(device))

        assert response.status_code == 302


P = Permission
DESK_STAFF = {P.POST_VIEW, P.CROSSING_STATUS_SET, P.ROSTER_VIEW, P.SHIFT_WORK, P.DESK_SYNC}
DESK_LEAD = {P.POST_MANAGE, P.ROSTER_MANAGE, P.DESK_BOARD_VIEW, P.DESK_CONFLICT_REVIEW}
# Who drafts, clears and distributes sitreps, and enters partner figures.
SITREP_EDITORS = {P.SITREP_VIEW, P.SITREP_DRAFT, P.SITREP_CLEAR, P.SITREP_DISTRIBUTE, P.PARTNER_FIGURE_ADD}
DIPLOMACY_STAFF = {P.DIPLOMACY_VIEW, P.DIPLOMACY_LOG, P.STATEMENT_LOG}
DIPLOMACY_SENIOR = {P.DIPLOMACY_DECIDE, P.LINE_TO_TAKE_APPROVE, P.COMPARTMENT_MANAGE, P.DIPLOMACY_AUDIT_VIEW}
CASE_WORKERS = {P.CASE_VIEW, P.CASE_WORK, P.CASE_INTAKE}
AID_LOGISTICS = {P.AID_VIEW, P.AID_MANAGE, P.AID_OVERRIDE}
REGISTRY_BULK = {P.PERSON_EXPORT, P.PFIF_EXCHANGE, P.DUPLICATE_REVIEW, P.DUPLICATE_RUN}
EXPECTED_ROLE_PERMISSIONS = {
    Role.ADMIN: {
        P.PERSON_VIEW,
        P.PERSON_VIEW_CONTACT,
        P.PERSON_CREATE,
        P.PERSON_CHANGE,
        P.STATUS_EVENT_ADD,
        P.AUDIT_VIEW_PERSON,
        P.AUDIT_VIEW_ALL,
        P.RISK_RULE_MANAGE,
        P.USER_MANAGE,
        *DESK_STAFF,
        *DESK_LEAD,
        *SITREP_EDITORS,
        *DIPLOMACY_STAFF,
        *DIPLOMACY_SENIOR,
        *CASE_WORKERS,
        P.CASE_ASSIGN,
        *AID_LOGISTICS,
        *REGISTRY_BULK,
    },
    Role.DESK_CHIEF: {
        P.PERSON_VIEW,
        P.PERSON_VIEW_CONTACT,
        P.PERSON_CREATE,
        P.PERSON_CHANGE,
        P.STATUS_EVENT_ADD,
        P.AUDIT_VIEW_PERSON,
        P.AUDIT_VIEW_ALL,
        P.RISK_RULE_MANAGE,
        *DESK_STAFF,
        *DESK_LEAD,
        *SITREP_EDITORS,
        *CASE_WORKERS,
        P.CASE_ASSIGN,
        P.AID_VIEW,
        *REGISTRY_BULK,
    },
    Role.CONSULAR_OFFICER: {
        P.PERSON_VIEW,
        P.PERSON_VIEW_CONTACT,
        P.PERSON_CREATE,
        P.PERSON_CHANGE,
        P.STATUS_EVENT_ADD,
        P.AUDIT_VIEW_PERSON,
        *DESK_STAFF,
        P.SITREP_VIEW,
        P.PARTNER_FIGURE_ADD,
        P.PERSON_EXPORT,
        P.DUPLICATE_REVIEW,
    },
    Role.BORDER_OFFICER: {
        P.PERSON_VIEW,
        P.PERSON_CREATE,
        P.STATUS_EVENT_ADD,
        *DESK_STAFF,
        P.SITREP_VIEW,
        P.CASE_INTAKE,
    },
    Role.CASE_OFFICER: {P.PERSON_VIEW, P.PERSON_VIEW_CONTACT, P.POST_VIEW, P.SITREP_VIEW, *CASE_WORKERS},
    Role.LOGISTICS_OFFICER: {P.POST_VIEW, P.SITREP_VIEW, *AID_LOGISTICS},
    Role.DIPLOMAT: {P.POST_VIEW, P.SITREP_VIEW, *DIPLOMACY_STAFF},
    Role.SENIOR_DIPLOMAT: {P.POST_VIEW, P.SITREP_VIEW, *DIPLOMACY_STAFF, *DIPLOMACY_SENIOR},
    Role.POLITICAL_DIRECTOR: {P.POST_VIEW, P.SITREP_VIEW, *DIPLOMACY_STAFF, *DIPLOMACY_SENIOR},
}


def test_role_permission_table_is_pinned():
    """The matrix is written out here, so any change to who may do what is a visible test change."""
    assert set(ROLE_PERMISSIONS) == set(Role)
    assert {role: set(perms) for role, perms in ROLE_PERMISSIONS.items()} == EXPECTED_ROLE_PERMISSIONS


@pytest.mark.django_db
@pytest.mark.parametrize("role", list(Role))
def test_has_permission_follows_the_table(role):
    """has_permission answers from the table for an active user of each role."""
    user = User.objects.create_user(username=f"user-{role}", role=role)

    assert permissions_of(user) == EXPECTED_ROLE_PERMISSIONS[role]
    for permission in Permission:
        assert has_permission(user, permission) is (permission in EXPECTED_ROLE_PERMISSIONS[role])


@pytest.mark.django_db
def test_user_without_role_has_no_permission():
    """Deny by default: a user whose role is not set may do nothing."""
    user = User.objects.create_user(username="no-role")

    assert user.role == ""
    assert permissions_of(user) == frozenset()
    assert not any(has_permission(user, permission) for permission in Permission)


@pytest.mark.django_db
def test_inactive_and_anonymous_users_have_no_permission():
    """A deactivated admin and an anonymous visitor may do nothing."""
    from django.contrib.auth.models import AnonymousUser

    inactive = User.objects.create_user(username="former-admin", role=Role.ADMIN, is_active=False)

    for user in (inactive, AnonymousUser(), None):
        assert permissions_of(user) == frozenset()
        assert not any(has_permission(user, permission) for permission in Permission)
