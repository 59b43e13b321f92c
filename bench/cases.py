"""The work queues and the kanban board of the cases module with 200,000 cases.

    .venv/bin/python bench/cases.py [--cases 200000] [--small 1000] [--repeat 60] [--sqlite PATH] [--explain]
    scripts/with-throwaway-postgres -- .venv/bin/python bench/cases.py

The issue's target: the work queue and the kanban board with 200,000 cases, list views
p95 ≤ 150 ms, with query counts fixed (no N+1).

1. Migrates the database: a fresh SQLite file in a temporary folder (or `--sqlite PATH`), or
   the PostgreSQL database of DATABASE_URL (e.g. under scripts/with-throwaway-postgres).
2. Bulk-inserts (`bulk_create`, no services: they would take an hour at this size) a desk
   chief, 20 case officers, six posts and `--small` cases, each with its applicant and
   family members as registry persons; runs ANALYZE and measures; then inserts up to
   `--cases` and measures again. The spread: 85 % immigration and 15 % entry requests; every
   stage (most in review, 28 % closed); the pool holds most of what was just received, the
   rest is assigned to the officers unevenly (the busiest has about 16 % of the cases);
   70 % normal, 22 % high and 8 % urgent priority; the posts and the eligibility bases
   unevenly; days in stage spread exponentially (mean 6 days), so many cases are ageing;
   about 45 % of the applicants come with family (one to three members).
3. Measures, each `--repeat` times after two warm-up calls, through three layers: the
   selectors (`case_list`, `case_board`, rows read as the list template reads them), the
   staff pages (`/staff/cases/…`, logged in with the second factor, the HTML rendered) and the
   JSON API (`/api/v1/cases…`, bearer token), in this process:
   the busiest officer's "my queue" and the unassigned pool, page 1; the desk chief's "all",
   page 1 and page 100; "all" filtered by a stage and ageing only, and by a basis; the board,
   the chief's and the officer's.

Prints one table: the queries of each call at `--small` cases and at `--cases` (they must be
the same), and p50 / p95 in milliseconds. `--explain` adds each selector call's slowest query
and the database's plan of it. The database keeps what the run wrote (a bench database).
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_MS = 150
OFFICERS = 20
CHUNK = 10_000
STAGE_WEIGHTS = {
    "received": 12,
    "eligibility_review": 18,
    "documents_pending": 22,
    "decision": 10,
    "approved": 5,
    "travel_arranged": 5,
    "arrived": 15,
    "rejected": 8,
    "withdrawn": 5,
}
BASIS_WEIGHTS = {"jewish": 35, "jewish_descent": 30, "spouse": 15, "family_reunification": 15, "humanitarian": 5}
POSTS = (
    ("Embassy of Israel, Kyiv", "Kyiv", "UA", 2),
    ("Temporary office, Lviv", "Lviv", "UA", 30),
    ("Forward team, Rzeszów", "Rzeszów", "PL", 25),
    ("Consulate, Chișinău", "Chișinău", "MD", 15),
    ("Embassy of Israel, Warsaw", "Warsaw", "PL", 10),
    ("Embassy of Israel, Budapest", "Budapest", "HU", 8),
)
GIVEN = ("Olena", "Ivan", "Taras", "Marta", "Isaak", "Hanna", "Dmytro", "Sofiia", "Lev", "Rivka", "Yurii", "Dana")
FAMILY = ("Kovalenko", "Levin", "Shevchuk", "Bondar", "Melnyk", "Katz", "Hnatyuk", "Rabinovych", "Lysenko", "Frenkel")


@dataclass(frozen=True)
class Measure:
    label: str
    actor: str  # "chief" or "officer"
    board: bool = False
    queue: str = "all"
    page: int = 1
    stage: str = ""
    ageing_only: bool = False
    basis: str = ""


MEASURES = (
    Measure("officer: my queue, page 1", "officer", queue="mine"),
    Measure("officer: unassigned pool, page 1", "officer", queue="pool"),
    Measure("chief: all, page 1", "chief"),
    Measure("chief: all, page 100", "chief", page=100),
    Measure("chief: documents pending, ageing only", "chief", stage="documents_pending", ageing_only=True),
    Measure("chief: basis family reunification", "chief", basis="family_reunification"),
    Measure("chief: kanban board", "chief", board=True),
    Measure("officer: kanban board, my queue", "officer", board=True, queue="mine"),
)


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def _weighted(rng: random.Random, weights: dict):
    keys, values = list(weights), list(weights.values())
    return lambda: rng.choices(keys, values)[0]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=200_000)
    parser.add_argument("--small", type=int, default=1_000, help="the size the query counts are compared with")
    parser.add_argument("--repeat", type=int, default=60)
    parser.add_argument("--seed", type=int, default=2022)
    parser.add_argument("--sqlite", type=Path, help="SQLite file to use (kept); default: a fresh temporary one")
    parser.add_argument("--explain", action="store_true", help="print each selector call's slowest query and plan")
    args = parser.parse_args(argv)
    sys.stdout.reconfigure(line_buffering=True)

    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.local", "DJANGO_DEBUG": "0"}
    if not env.get("DATABASE_URL"):
        path = args.sqlite or Path(tempfile.mkdtemp(prefix="crisisdesk-cases-bench-")) / "bench.sqlite3"
        env["CRISISDESK_SQLITE_PATH"] = str(path.resolve())
    subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True
    )
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.db import connection

    from crisisdesk.cases.models import Case

    if Case.objects.exists():
        print("the database already holds cases: give a fresh one (no --sqlite, or a new path)", file=sys.stderr)
        return 1
    bench = _Bench(args, connection)
    bench.load(args.small)
    small = bench.measure_all(counts_only=True)
    bench.load(args.cases - args.small)
    large = bench.measure_all(counts_only=False)
    bench.report(small, large)
    return 0


class _Bench:
    def __init__(self, args, connection):
        from django.db import transaction
        from django.test import Client
        from django.utils import timezone
        from django_otp import DEVICE_ID_SESSION_KEY
        from django_otp.plugins.otp_totp.models import TOTPDevice

        from crisisdesk.accounts.models import User
        from crisisdesk.accounts.permissions import Role
        from crisisdesk.accounts.services import token_issue
        from crisisdesk.border.models import Mission, Post
        from crisisdesk.cases.models import EligibilityBasis, RequestType
        from crisisdesk.common.origin import CLI

        self.args, self.connection = args, connection
        self.rng = random.Random(args.seed)
        self.now = timezone.now()
        self.loaded = 0
        with transaction.atomic():
            self.chief = User.objects.create_user(username="bench_chief", role=Role.DESK_CHIEF)
            self.officers = [
                User.objects.create_user(username=f"bench_officer{number:02d}", role=Role.CASE_OFFICER)
                for number in range(1, OFFICERS + 1)
            ]
            mission = Mission.objects.create(name="Embassy of Israel in Ukraine", country="UA")
            self.posts = []
            for name, city, country, weight in POSTS:
                post = Post.objects.create(
                    mission=mission,
                    kind=Post.Kind.TEMPORARY_OFFICE,
                    name=name,
                    city=city,
                    country=country,
                    opened_at=self.now - timedelta(days=120),
                )
                self.posts.append((post, weight))
        self.types = {t.code: t for t in RequestType.objects.all()}
        self.bases = {b.code: b for b in EligibilityBasis.objects.all()}
        # The busiest officer first: officer n has weight 1/n^0.7 (the first gets about 16 % of the cases).
        self.officer_weights = [1 / (index + 1) ** 0.7 for index in range(OFFICERS)]
        self.clients, self.api_clients = {}, {}
        for name, user in (("chief", self.chief), ("officer", self.officers[0])):
            device = TOTPDevice.objects.create(user=user, name="default", confirmed=True)
            client = Client(HTTP_HOST="127.0.0.1")
            client.force_login(user)
            session = client.session
            session[DEVICE_ID_SESSION_KEY] = device.persistent_id
            session.save()
            self.clients[name] = client
            raw = token_issue(actor=None, origin=CLI, user=user, label="bench")[1]
            self.api_clients[name] = Client(HTTP_HOST="127.0.0.1", headers={"Authorization": f"Bearer {raw}"})
        self.users = {"chief": self.chief, "officer": self.officers[0]}

    # --- loading -----------------------------------------------------------------------

    def load(self, count: int) -> None:
        began = time.perf_counter()
        done = 0
        while done < count:
            size = min(CHUNK, count - done)
            self._load_chunk(size)
            done += size
        load_s = time.perf_counter() - began
        began = time.perf_counter()
        with self.connection.cursor() as cursor:
            cursor.execute("ANALYZE" if self.connection.vendor == "sqlite" else "VACUUM ANALYZE")
        print(
            f"loaded {count:,} cases in {load_s:.1f} s (now {self.loaded:,}); ANALYZE {time.perf_counter() - began:.1f} s"
        )

    def _load_chunk(self, size: int) -> None:
        from django.db import transaction

        from crisisdesk.cases.models import Case, CaseMember
        from crisisdesk.registry.models import Person

        rng, now = self.rng, self.now
        stage_of = _weighted(rng, STAGE_WEIGHTS)
        basis_of = _weighted(rng, BASIS_WEIGHTS)
        origin_of = _weighted(rng, {"border": 50, "web": 35, "post": 15})
        priority_of = _weighted(rng, {0: 70, 1: 22, 2: 8})
        role_of = _weighted(rng, {"spouse": 35, "child": 45, "parent": 15, "other": 5})
        posts = [post for post, _weight in self.posts]
        post_weights = [weight for _post, weight in self.posts]
        persons, cases, families = [], [], []
        for _ in range(size):
            number = self.loaded + len(cases) + 1
            request_type = self.types["immigration"] if rng.random() < 0.85 else self.types["entry"]
            stage = stage_of()
            if stage not in request_type.stages() and stage not in ("rejected", "withdrawn"):
                stage = "documents_pending"  # the entry permit has no eligibility review
            in_stage = timedelta(days=min(rng.expovariate(1 / 6), 120), seconds=rng.randrange(86400))
            entered = now - in_stage
            officer = None
            if stage != "received" or rng.random() < 0.3:
                officer = rng.choices(self.officers, self.officer_weights)[0] if rng.random() < 0.97 else None
            decision = {"approved": "approved", "travel_arranged": "approved", "arrived": "approved"}.get(stage, "")
            decision = stage if stage in ("rejected", "withdrawn") else decision
            pending = stage == "decision" and officer is not None and rng.random() < 0.05
            if decision and officer is None:
                officer = self.officers[-1]
            case = Case(
                reference=f"C-{number:08d}",
                request_type=request_type,
                basis=self.bases[basis_of()] if rng.random() < 0.95 else None,
                origin=origin_of(),
                priority=priority_of(),
                stage=stage,
                stage_entered_at=entered,
                officer=officer,
                post=rng.choices(posts, post_weights)[0] if rng.random() < 0.9 else None,
                rejection_proposed_by=officer if pending else None,
                rejection_reason="No documents of descent." if pending else "",
                decision=decision,
                decision_reason="Decided." if decision else "",
                decided_by=officer if decision else None,
                decided_at=entered if decision else None,
                status_token_digest=f"{number:064x}",
                language=rng.choice(("he", "en", "uk", "ru")),
                created_at=entered - timedelta(days=rng.expovariate(1 / 10)),
            )
            family_name = rng.choice(FAMILY)
            size_of_family = rng.choices((0, 1, 2, 3), (55, 25, 12, 8))[0]
            people = [self._person(rng, family_name, applicant=True)]
            people += [self._person(rng, family_name, applicant=False) for _ in range(size_of_family)]
            cases.append(case)
            families.append((len(persons), len(people)))
            persons.extend(people)
        with transaction.atomic():
            Person.objects.bulk_create(persons, batch_size=2000)
            Case.objects.bulk_create(cases, batch_size=2000)
            members = []
            for case, (start, count) in zip(cases, families, strict=True):
                for offset in range(count):
                    role = "applicant" if offset == 0 else role_of()
                    members.append(CaseMember(case=case, person=persons[start + offset], role=role))
            CaseMember.objects.bulk_create(members, batch_size=5000)
        self.loaded += size

    def _person(self, rng: random.Random, family_name: str, *, applicant: bool):
        from crisisdesk.registry.models import Person

        given = rng.choice(GIVEN)
        return Person(
            given_name=given,
            family_name=family_name,
            name_folded=f"{given} {family_name}".lower(),
            birth_year=rng.randrange(1940, 2004) if applicant else rng.randrange(1935, 2022),
            sex=rng.choice("FM"),
            current_status="registered",
            created_at=self.now - timedelta(days=rng.randrange(1, 90)),
        )

    # --- measuring ---------------------------------------------------------------------

    def _filters(self, measure: Measure):
        from crisisdesk.cases.selectors import CaseFilters

        return CaseFilters(
            queue=measure.queue,
            stage=measure.stage,
            ageing_only=measure.ageing_only,
            basis_id=self.bases[measure.basis].pk if measure.basis else None,
            request_type_id=self.types["immigration"].pk if measure.board else None,
            include_closed=measure.board,
        )

    def _selector_call(self, measure: Measure):
        from crisisdesk.cases import selectors
        from crisisdesk.common.origin import SYSTEM

        actor, filters = self.users[measure.actor], self._filters(measure)
        pipeline = self.types["immigration"].stages()

        def call():
            if measure.board:
                columns = selectors.case_board(actor=actor, origin=SYSTEM, filters=filters, pipeline=pipeline)
                cards = [_row(card) for column in columns for card in column.cases]
                assert cards, measure.label
                return
            page = selectors.case_list(actor=actor, origin=SYSTEM, filters=filters, page_number=measure.page)
            rows = [_row(case) for case in page.object_list]
            assert rows, measure.label

        return call

    def _query_string(self, measure: Measure, *, api: bool) -> str:
        params = {"queue": measure.queue}
        if measure.page != 1:
            params["page"] = measure.page
        if measure.stage:
            params["stage"] = measure.stage
        if measure.ageing_only:
            params["ageing_only"] = "true" if api else "on"
        if measure.basis:
            params["basis_id" if api else "basis"] = self.bases[measure.basis].pk
        return "?" + "&".join(f"{key}={value}" for key, value in params.items())

    def _view_call(self, measure: Measure):
        client = self.clients[measure.actor]
        url = ("/staff/cases/board/" if measure.board else "/staff/cases/") + self._query_string(measure, api=False)

        def call():
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)

        return call

    def _api_call(self, measure: Measure):
        client = self.api_clients[measure.actor]
        url = ("/api/v1/cases/board" if measure.board else "/api/v1/cases") + self._query_string(measure, api=True)

        def call():
            response = client.get(url)
            assert response.status_code == 200, (url, response.content[:300])

        return call

    def measure_all(self, *, counts_only: bool) -> dict:
        from django.test.utils import CaptureQueriesContext

        results = {}
        for measure in MEASURES:
            for layer, make in (("selector", self._selector_call), ("view", self._view_call), ("api", self._api_call)):
                call = make(measure)
                call()
                call()
                with CaptureQueriesContext(self.connection) as captured:
                    call()
                queries = len(captured.captured_queries)
                times = []
                if not counts_only:
                    for _ in range(self.args.repeat):
                        began = time.perf_counter()
                        call()
                        times.append((time.perf_counter() - began) * 1000)
                results[measure.label, layer] = (queries, times)
                if self.args.explain and layer == "selector" and not counts_only:
                    self._explain(measure, captured.captured_queries)
        return results

    def _explain(self, measure: Measure, queries: list[dict]) -> None:
        selects = [query for query in queries if query["sql"].lstrip().upper().startswith("SELECT")]
        slowest = max(selects, key=lambda query: float(query["time"]))
        prefix = "EXPLAIN QUERY PLAN " if self.connection.vendor == "sqlite" else "EXPLAIN (ANALYZE, BUFFERS) "
        with self.connection.cursor() as cursor:
            cursor.execute(prefix + slowest["sql"])
            plan = "\n".join("    " + " ".join(str(part) for part in row) for row in cursor.fetchall())
        print(
            f"\n{measure.label}: slowest query {float(slowest['time']) * 1000:.0f} ms\n  {slowest['sql'][:600]}\n{plan}"
        )

    def report(self, small: dict, large: dict) -> None:
        import django

        vendor = self.connection.vendor
        version = self.connection.Database.sqlite_version if vendor == "sqlite" else self.connection.pg_version
        database = f"SQLite {version}" if vendor == "sqlite" else f"PostgreSQL {version // 10000}.{version % 10000}"
        print()
        print(
            f"cases on {database}, Django {django.get_version()}: {self.args.small:,} and {self.loaded:,} cases, "
            f"{self.args.repeat} calls each; target p95 ≤ {TARGET_MS} ms"
        )
        print(
            "| call | queries at "
            f"{self.args.small:,} / {self.loaded:,}: selector, page, API | selector p50 / p95 | page p50 / p95 "
            "| API p50 / p95 | p95 ≤ 150 ms |"
        )
        print("|---|--:|--:|--:|--:|:-:|")
        same = True
        for measure in MEASURES:
            counts, figures, worst = [], [], 0.0
            for layer in ("selector", "view", "api"):
                few, _ = small[measure.label, layer]
                many, times = large[measure.label, layer]
                same = same and few == many
                counts.append(f"{few} / {many}" if few != many else f"{many}")
                p95 = _percentile(times, 0.95)
                worst = max(worst, p95)
                figures.append(f"{_percentile(times, 0.5):.1f} / {p95:.1f}")
            print(
                f"| {measure.label} | {', '.join(counts)} | {' | '.join(figures)} | {'yes' if worst <= TARGET_MS else 'NO'} |"
            )
        print(f"\nquery counts the same at {self.args.small:,} and {self.loaded:,} cases: {'yes' if same else 'NO'}")


def _row(case) -> tuple:
    """What a row of the list (or a card) shows, read as the template reads it."""
    applicant = case.applicants[0].person if case.applicants else None
    return (
        case.reference,
        case.request_type.name,
        case.basis.name if case.basis else "",
        case.officer.username if case.officer else "",
        case.post.name if case.post else "",
        applicant.given_name if applicant else "",
        case.member_count,
        case.is_ageing(),
        case.days_in_stage(),
    )


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
