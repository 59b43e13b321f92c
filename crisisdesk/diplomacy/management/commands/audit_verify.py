"""`manage.py audit_verify`: recompute the diplomacy audit chain and report every break."""

import re

from django.core.management.base import BaseCommand, CommandError

from crisisdesk.diplomacy.audit import audit_chain_anchor_check, audit_chain_head, audit_chain_verify

ANCHOR = re.compile(r"^(?P<seq>\d+):(?P<hash>[0-9a-f]{64})$")


def anchor_parse(value: str) -> tuple[int, str]:
    match = ANCHOR.match(value.strip().lower())
    if match is None:
        raise CommandError(f"--anchor must look like SEQ:HASH (a row number and its 64-digit hash), not {value!r}.")
    return int(match["seq"]), match["hash"]


class Command(BaseCommand):
    help = (
        "Check the diplomacy module's hash-chained audit trail: every row's hash, the links between "
        "rows, the sequence (a deleted row leaves a gap) and the chain head (a cut tail). Prints the rows "
        "checked, each problem, and the head to keep outside the database; exits non-zero when broken."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--anchor",
            action="append",
            default=[],
            metavar="SEQ:HASH",
            help="A head printed by an earlier run: fail if that row is gone or has another hash "
            "(the chain was rewritten). May be given more than once.",
        )

    def handle(self, *args, anchor: list[str], **options):
        anchors = [anchor_parse(value) for value in anchor]
        report = audit_chain_verify()
        problems = list(report.problems)
        for seq, digest in anchors:
            problems.extend(audit_chain_anchor_check(seq=seq, hash=digest))
        self.stdout.write(f"Checked {report.rows:,} rows of the diplomacy audit chain.")
        for problem in problems:
            self.stdout.write(f"  - {problem}")
        if problems:
            raise CommandError(f"The diplomacy audit chain is broken: {len(problems)} problem(s) found.")
        seq, digest = audit_chain_head()
        self.stdout.write(f"Head: {seq}:{digest}")
        self.stdout.write("Keep the head outside the database; `audit_verify --anchor` with it shows a rewrite.")
        self.stdout.write(self.style.SUCCESS("The chain is intact."))
