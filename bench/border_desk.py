"""The border desk's three figures: sync of 10,000 queued events, one check-in, one field pack.

    .venv/bin/python bench/border_desk.py [--persons 20000] [--events 10000] [--checkins 300] [--existing]

Loads the demo scenario at the given size into a fresh SQLite file (or into the PostgreSQL of
DATABASE_URL; `--existing` measures the database that DATABASE_URL, or CRISISDESK_SQLITE_PATH,
already holds, loaded by `manage.py demo_load --size N`), then, in this process, through the
whole Django stack with a border officer's bearer token:

1. **sync**: `--events` events queued on a device (80% check-ins of distinct persons, 10%
   tallies, 5% needs, 5% quick registrations), sent as the field app sends them, in batches of
   200 to `POST /api/v1/desk/sync`; then the same batches again (a device that never got the
   answers), which must change nothing;
2. **check-in**: `--checkins` single check-ins, one request each: p50/p95/p99 latency;
3. **field pack**: `GET /api/v1/desk/pack` for 20,000 persons: build time, size as JSON and
   gzip-compressed as sent.

Prints one table. The database keeps what the run recorded (it is a bench database).
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BATCH = 200
PACK_PERSONS = 20_000


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--persons", type=int, default=20_000)
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--checkins", type=int, default=300)
    parser.add_argument("--existing", action="store_true", help="measure the database as it is, without loading")
    args = parser.parse_args(argv)

    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.local", "DJANGO_DEBUG": "0"}
    env["CRISISDESK_FIELD_PACK_MAX_PERSONS"] = str(PACK_PERSONS)
    if not args.existing:
        workdir = Path(tempfile.mkdtemp(prefix="crisisdesk-desk-bench-"))
        env.setdefault("CRISISDESK_SQLITE_PATH", str(workdir / "bench.sqlite3"))
        manage = [sys.executable, str(ROOT / "manage.py")]
        subprocess.run([*manage, "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True)
        subprocess.run(
            [*manage, "demo_load", "--size", str(args.persons)],
            cwd=ROOT,
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
        )

    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.test import Client
    from django.utils import timezone

    from crisisdesk.accounts.models import User
    from crisisdesk.accounts.services import token_issue
    from crisisdesk.border.models import CheckIn, CrossingPoint, DeskEvent, Tally
    from crisisdesk.border.selectors import FIELD_PACK_LEFT_OUT
    from crisisdesk.common.origin import CLI
    from crisisdesk.registry.models import Person

    user = User.objects.get(username="border")
    _token, raw = token_issue(actor=None, origin=CLI, user=user, label="desk: bench")
    client = Client(headers={"Authorization": f"Bearer {raw}"}, HTTP_HOST="127.0.0.1")
    point = CrossingPoint.objects.order_by("code").first().code
    checkins = int(args.events * 0.8)
    needs = int(args.events * 0.05)
    registrations = int(args.events * 0.05)
    tallies = args.events - checkins - needs - registrations
    wanted = checkins + needs + args.checkins
    candidates = list(
        Person.objects.exclude(current_status__in=FIELD_PACK_LEFT_OUT)
        .exclude(check_ins__isnull=False)
        .order_by("id")
        .values_list("id", flat=True)[:wanted]
    )
    if len(candidates) < wanted:
        print(f"need {wanted} persons not yet through, the database has {len(candidates)}", file=sys.stderr)
        return 1
    now = timezone.now()

    def event(kind: str, payload: dict) -> dict:
        return {"id": str(uuid.uuid4()), "kind": kind, "device_time": now.isoformat(), "payload": payload}

    events = [event("check_in", {"person_id": pid, "point": point}) for pid in candidates[:checkins]]
    events += [
        event("need", {"person_id": pid, "kinds": ["transport"], "point": point})
        for pid in candidates[checkins : checkins + needs]
    ]
    events += [
        event("tally", {"point": point, "nationals": 30 + number % 20, "children": number % 7, "description": "bus"})
        for number in range(tallies)
    ]
    events += [
        event(
            "quick_register", {"given_name": "Олена", "family_name": f"Тест{number}", "birth": "1980", "point": point}
        )
        for number in range(registrations)
    ]
    batches = [events[start : start + BATCH] for start in range(0, len(events), BATCH)]
    before = (DeskEvent.objects.count(), CheckIn.objects.count(), Tally.objects.count(), Person.objects.count())

    def send_all() -> tuple[float, dict[str, int]]:
        statuses: dict[str, int] = {}
        began = time.perf_counter()
        for batch in batches:
            response = client.post("/api/v1/desk/sync", {"events": batch}, content_type="application/json")
            if response.status_code != 200:
                raise SystemExit(f"sync answered {response.status_code}: {response.content[:300]!r}")
            for result in response.json()["results"]:
                key = result["status"] + (" (replayed)" if result["replayed"] else "")
                statuses[key] = statuses.get(key, 0) + 1
        return time.perf_counter() - began, statuses

    sync_s, statuses = send_all()
    after = (DeskEvent.objects.count(), CheckIn.objects.count(), Tally.objects.count(), Person.objects.count())
    replay_s, replay_statuses = send_all()
    after_replay = (DeskEvent.objects.count(), CheckIn.objects.count(), Tally.objects.count(), Person.objects.count())

    latencies = []
    for pid in candidates[checkins + needs :]:
        body = {"events": [event("check_in", {"person_id": pid, "point": point})]}
        began = time.perf_counter()
        response = client.post("/api/v1/desk/sync", body, content_type="application/json")
        latencies.append((time.perf_counter() - began) * 1000)
        if response.status_code != 200 or response.json()["results"][0]["status"] != "applied":
            raise SystemExit(f"check-in failed: {response.content[:300]!r}")

    began = time.perf_counter()
    pack = client.get("/api/v1/desk/pack", HTTP_ACCEPT_ENCODING="gzip")
    pack_s = time.perf_counter() - began
    compressed = len(pack.content)
    body = gzip.decompress(pack.content)
    pack_persons = len(json.loads(body)["persons"])

    database = "PostgreSQL" if os.environ.get("DATABASE_URL") else "SQLite"
    persons = Person.objects.count()
    print(f"border desk on {database}, {persons:,} persons")
    print("| measure | figure |")
    print("|---|--:|")
    print(f"| sync of {len(events):,} queued events ({len(batches)} batches of {BATCH}) | {sync_s:.1f} s |")
    print(f"| events per second | {len(events) / sync_s:,.0f} |")
    print(f"| results | {', '.join(f'{k} {v:,}' for k, v in sorted(statuses.items()))} |")
    print(
        f"| rows added (events, check-ins, tallies, persons) | {tuple(a - b for a, b in zip(after, before, strict=True))} |"
    )
    print(
        f"| the same batches again | {replay_s:.1f} s: {', '.join(f'{k} {v:,}' for k, v in replay_statuses.items())} |"
    )
    print(f"| rows added by the replay | {tuple(a - b for a, b in zip(after_replay, after, strict=True))} |")
    print(
        f"| one check-in, p50 / p95 / p99 ({len(latencies)} requests) | {statistics.median(latencies):.1f} / "
        f"{_percentile(latencies, 0.95):.1f} / {_percentile(latencies, 0.99):.1f} ms |"
    )
    print(f"| field pack: persons, build and send | {pack_persons:,}, {pack_s:.2f} s |")
    print(f"| field pack size: JSON / gzip | {len(body) / 1e6:.2f} MB / {compressed / 1e6:.2f} MB |")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
