"""Latency of `GET /api/v1/persons/search` with many persons in the database.

    .venv/bin/python bench/person_search_api.py [--persons 100000] [--queries 300] [--existing]

Loads the demo scenario at the given size into a fresh SQLite file (or into the
PostgreSQL of DATABASE_URL; `--existing` measures the database that DATABASE_URL, or
CRISISDESK_SQLITE_PATH, already holds, loaded before by `manage.py demo_load --size N`),
then, in this process, sends the API requests through the
whole Django stack (token auth, permission check, search, page of results, audit row) and
prints a table: index build time (the first search), p50/p95/p99 latency, and how often the
person whose passport spelling was the query came back in the first page. Queries are the
Latin passport spellings of persons registered in Hebrew or Cyrillic script.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--persons", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--existing", action="store_true", help="measure the database as it is, without loading")
    args = parser.parse_args(argv)

    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.local", "DJANGO_DEBUG": "0"}
    load_s = None
    if not args.existing:
        workdir = Path(tempfile.mkdtemp(prefix="crisisdesk-search-bench-"))
        env["CRISISDESK_SQLITE_PATH"] = str(workdir / "bench.sqlite3")
        manage = [sys.executable, str(ROOT / "manage.py")]
        started = time.perf_counter()
        subprocess.run([*manage, "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True)
        subprocess.run(
            [*manage, "demo_load", "--size", str(args.persons)],
            cwd=ROOT,
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        load_s = time.perf_counter() - started

    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.test import Client

    from crisisdesk.accounts.models import User
    from crisisdesk.accounts.services import token_issue
    from crisisdesk.common.origin import CLI
    from crisisdesk.registry.models import Person, PersonName

    user = User.objects.get(username="consul")
    _token, raw = token_issue(actor=None, origin=CLI, user=user, label="bench")
    client = Client(headers={"Authorization": f"Bearer {raw}"}, HTTP_HOST="127.0.0.1")

    rng = random.Random(args.seed)
    passports = list(
        PersonName.objects.filter(kind=PersonName.Kind.PASSPORT).values_list("person_id", "given_name", "family_name")
    )
    sample = rng.sample(passports, min(args.queries, len(passports)))

    first = time.perf_counter()
    client.get("/api/v1/persons/search", {"q": "warm up"})
    build_s = time.perf_counter() - first

    latencies, found = [], 0
    for person_id, given, family in sample:
        began = time.perf_counter()
        response = client.get("/api/v1/persons/search", {"q": f"{given} {family}"})
        latencies.append((time.perf_counter() - began) * 1000)
        if response.status_code != 200:
            print(f"error {response.status_code}: {response.content[:200]!r}", file=sys.stderr)
            return 1
        if person_id in [row["id"] for row in response.json()["results"]]:
            found += 1
    latencies.sort()

    def percentile(share: float) -> float:
        return latencies[min(len(latencies) - 1, int(share * len(latencies)))]

    database = "PostgreSQL" if os.environ.get("DATABASE_URL") else "SQLite"
    print("| database | persons | load s | index build s | queries | p50 ms | p95 ms | p99 ms | found on page 1 |")
    print("|---|--:|--:|--:|--:|--:|--:|--:|--:|")
    print(
        f"| {database} | {Person.objects.count():,} | {'—' if load_s is None else f'{load_s:.0f}'} "
        f"| {build_s:.1f} | {len(latencies)} "
        f"| {statistics.median(latencies):.1f} | {percentile(0.95):.1f} | {percentile(0.99):.1f} "
        f"| {found / len(latencies):.1%} |"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
