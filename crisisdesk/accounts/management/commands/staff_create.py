"""`manage.py staff_create --username U --role ROLE [--email E] [--password-env VAR | --password-stdin]`"""

import os
import sys

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from crisisdesk.accounts.models import User
from crisisdesk.accounts.permissions import Role
from crisisdesk.accounts.services import user_create
from crisisdesk.common.origin import CLI


class Command(BaseCommand):
    help = (
        "Create a staff user with one role, without prompting. The password is read from an "
        "environment variable or from stdin, never from the command line, where other users "
        "and the shell history would see it. Without one, the account cannot log in until a "
        "password is set."
    )
    stealth_options = ("stdin",)

    def add_arguments(self, parser):
        parser.add_argument("--username", required=True)
        parser.add_argument("--role", required=True, help=f"one of: {', '.join(Role.values)}")
        parser.add_argument("--email", default="")
        password = parser.add_mutually_exclusive_group()
        password.add_argument("--password-env", metavar="VAR", help="read the password from this environment variable")
        password.add_argument(
            "--password-stdin", action="store_true", help="read the password from the first line of stdin"
        )

    def handle(self, *args, username, role, email, password_env, password_stdin, **options):
        if role not in Role.values:
            raise CommandError(f"Unknown role {role!r}. Valid roles: {', '.join(Role.values)}.")
        password = self._password(password_env, password_stdin, options.get("stdin") or sys.stdin)
        if password is not None:
            try:
                validate_password(password, User(username=username, email=email))
            except ValidationError as error:
                raise CommandError(" ".join(error.messages)) from error
        try:
            user = user_create(actor=None, origin=CLI, username=username, password=password, role=role, email=email)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        note = "" if password else " It has no password yet, so it cannot log in."
        self.stdout.write(f"Created {user.username} ({user.get_role_display()}).{note}")

    def _password(self, variable: str | None, from_stdin: bool, stdin) -> str | None:
        if variable:
            password = os.environ.get(variable)
            if not password:
                raise CommandError(f"The environment variable {variable} is not set or is empty.")
            return password
        if from_stdin:
            password = stdin.readline().rstrip("\r\n")
            if not password:
                raise CommandError("No password on stdin.")
            return password
        return None
