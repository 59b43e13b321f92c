"""The staff_create and token_issue management commands."""

import io

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client, RequestFactory

from crisisdesk.accounts.models import ApiToken, User
from crisisdesk.accounts.permissions import Role
from crisisdesk.common.models import AuditEvent

PASSWORD = "a-long-enough-passphrase-for-tests"


def run(command: str, *args: str, stdin: str | None = None) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    options = {"stdout": out, "stderr": err}
    if stdin is not None:
        options["stdin"] = io.StringIO(stdin)
    call_command(command, *args, **options)
    return out.getvalue(), err.getvalue()


def can_log_in(username: str, password: str) -> bool:
    """Through the real backends, django-axes included (it needs a request)."""
    request = RequestFactory().post("/staff/login/")
    return authenticate(request, username=username, password=password) is not None


# staff_create


@pytest.mark.django_db
def test_staff_create_with_password_from_environment(monkeypatch):
    monkeypatch.setenv("CD_TEST_PASSWORD", PASSWORD)

    out, _ = run(
        "staff_create", "--username", "olena", "--role", "consular_officer", "--email", "olena@example.org",
        "--password-env", "CD_TEST_PASSWORD",
    )  # fmt: skip

    user = User.objects.get(username="olena")
    assert (user.role, user.email, user.is_staff) == (Role.CONSULAR_OFFICER, "olena@example.org", False)
    assert can_log_in("olena", PASSWORD)
    assert "olena" in out
    audit = AuditEvent.objects.get(action=AuditEvent.Action.USER_CREATED)
    assert (audit.channel, audit.actor_label) == ("cli", "system")


@pytest.mark.django_db
def test_staff_create_with_password_from_stdin():
    run("staff_create", "--username", "dan", "--role", "border_officer", "--password-stdin", stdin=f"{PASSWORD}\n")

    assert can_log_in("dan", PASSWORD)


@pytest.mark.django_db
def test_staff_create_without_password_cannot_log_in():
    out, _ = run("staff_create", "--username", "nopass", "--role", "diplomat")

    user = User.objects.get(username="nopass")
    assert not user.has_usable_password()
    assert "no password" in out


@pytest.mark.django_db
def test_staff_create_admin_is_staff():
    run("staff_create", "--username", "root2", "--role", "admin")
    assert User.objects.get(username="root2").is_staff


@pytest.mark.django_db
def test_staff_create_unknown_role_lists_the_valid_ones():
    with pytest.raises(CommandError) as error:
        run("staff_create", "--username", "x", "--role", "wizard")

    assert "wizard" in str(error.value)
    for role in Role.values:
        assert role in str(error.value)
    assert not User.objects.filter(username="x").exists()


@pytest.mark.django_db
def test_staff_create_duplicate_username(users):
    with pytest.raises(CommandError, match="already exists"):
        run("staff_create", "--username", "consul", "--role", "diplomat")


@pytest.mark.django_db
def test_staff_create_missing_environment_variable(monkeypatch):
    monkeypatch.delenv("CD_TEST_NO_SUCH_VARIABLE", raising=False)

    with pytest.raises(CommandError, match="CD_TEST_NO_SUCH_VARIABLE"):
        run("staff_create", "--username", "x", "--role", "diplomat", "--password-env", "CD_TEST_NO_SUCH_VARIABLE")

    assert not User.objects.filter(username="x").exists()


@pytest.mark.django_db
def test_staff_create_weak_password_is_refused(monkeypatch):
    monkeypatch.setenv("CD_TEST_PASSWORD", "short")

    with pytest.raises(CommandError, match="too short"):
        run("staff_create", "--username", "x", "--role", "diplomat", "--password-env", "CD_TEST_PASSWORD")

    assert not User.objects.filter(username="x").exists()


@pytest.mark.django_db
def test_staff_create_rejects_a_bad_email():
    with pytest.raises(CommandError, match="email"):
        run("staff_create", "--username", "x", "--role", "diplomat", "--email", "not-an-email")


def test_staff_create_takes_no_password_argument():
    """A password on the command line would end up in ps output and shell history."""
    with pytest.raises(CommandError):
        run("staff_create", "--username", "x", "--role", "diplomat", "--password", PASSWORD)


# token_issue


@pytest.mark.django_db
def test_token_issue_prints_only_a_working_token(users):
    out, err = run("token_issue", "--username", "consul", "--label", "laptop script")

    token = out.strip()
    assert out == f"{token}\n"
    assert token.startswith("cdk_")
    assert token not in err  # the notice on stderr names the prefix, not the secret
    stored = ApiToken.objects.get(user=users["consul"])
    assert stored.label == "laptop script"
    assert token not in stored.digest
    response = Client(headers={"Authorization": f"Bearer {token}"}).get("/api/v1/registry/persons")
    assert response.status_code == 200
    audit = AuditEvent.objects.get(action=AuditEvent.Action.TOKEN_ISSUED)
    assert audit.channel == "cli"


@pytest.mark.django_db
def test_token_issue_unknown_user():
    with pytest.raises(CommandError, match="nobody"):
        run("token_issue", "--username", "nobody")
    assert not ApiToken.objects.exists()


@pytest.mark.django_db
def test_token_issue_inactive_user(users):
    users["consul"].is_active = False
    users["consul"].save()

    with pytest.raises(CommandError, match="inactive"):
        run("token_issue", "--username", "consul")

    assert not ApiToken.objects.exists()
