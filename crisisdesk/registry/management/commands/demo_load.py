"""`manage.py demo_load`: load the demo scenario (local demo only) and print the demo logins."""

import os
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from crisisdesk.accounts.permissions import Role
from crisisdesk.common.origin import CLI
from crisisdesk.registry.demo import DEFAULT_SEED, DEFAULT_SIZE
from crisisdesk.registry.demo.loader import DemoCounts, DemoStaffAccount, demo_counts, demo_load, demo_staff_ensure
from crisisdesk.registry.models import Person


class Command(BaseCommand):
    help = (
        "Replace the demo registry data with the founding scenario (Israelis in Ukraine, February 2022) "
        "and print the demo staff logins. Only where CRISISDESK_DEMO_ALLOWED is set."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--if-empty", action="store_true", help="Load only when the registry has no persons (used by `make run`)."
        )
        parser.add_argument(
            "--size", type=int, default=DEFAULT_SIZE, help=f"Persons to create (default {DEFAULT_SIZE})."
        )
        parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"Random seed (default {DEFAULT_SEED}).")

    def handle(self, *args, if_empty: bool, size: int, seed: int, **options):
        if not getattr(settings, "CRISISDESK_DEMO_ALLOWED", False):
            raise CommandError("Demo data is not allowed here (CRISISDESK_DEMO_ALLOWED is off). Use local settings.")
        if size < 1:
            raise CommandError("--size must be at least 1.")
        if if_empty and Person.objects.exists():
            self.stdout.write("Demo data already present; not loading it again.")
            self._report(demo_staff_ensure(origin=CLI, seed=seed), demo_counts())
            return
        self.stdout.write(f"Loading the demo scenario: {size:,} persons, seed {seed}…")
        started = time.perf_counter()
        counts, removed = demo_load(origin=CLI, size=size, seed=seed)
        elapsed = time.perf_counter() - started
        if removed:
            self.stdout.write(f"Removed the previous demo data ({removed:,} persons; the audit log keeps its rows).")
        self._report(demo_staff_ensure(origin=CLI, seed=seed), counts)
        self.stdout.write(self.style.SUCCESS(f"Demo scenario loaded in {elapsed:.1f} s."))

    def _report(self, accounts: list[DemoStaffAccount], counts: DemoCounts) -> None:
        port = os.environ.get("PORT") or "8000"
        out = self.stdout.write
        out("")
        out(f"Demo staff logins (local demo only): http://127.0.0.1:{port}/staff/login/")
        out(f"  {'Role':<20} {'Username':<12} Password")
        for account in accounts:
            password = account.login.password if account.user.is_demo else "(existing account, not a demo user)"
            out(f"  {Role(account.login.role).label!s:<20} {account.login.username:<12} {password}")
        out("")
        out(
            f"Persons: {counts.persons:,}   Households: {counts.households:,}   Registrations: {counts.registrations:,}"
        )
        out(f"Crossed into Poland (persons, by crossing point): {counts.crossed:,}")
        for name, persons in counts.crossed_by_point:
            out(f"  {name:<24} {persons:>6,}")
