"""Time to compute a full sitrep, now and as of a past moment, and its PDF, at national scale.

    .venv/bin/python bench/sitrep.py [--persons 1000000] [--events-per-person 3] [--repeat 5]
                                     [--sqlite PATH] [--reuse] [--profile]
    DATABASE_URL=postgres://... .venv/bin/python bench/sitrep.py ...

The issue's target: a full sitrep over 1,000,000 persons and 3,000,000 timeline events in at
most 1 s on PostgreSQL and 2 s on SQLite; its PDF in at most 5 s.

1. Migrates the database: a fresh SQLite file in a temporary folder (or `--sqlite PATH`), or
   the PostgreSQL database of DATABASE_URL (e.g. under scripts/with-throwaway-postgres).
2. Fills it with the scenario of bench/sitrep_data.py (Israel's nationals in Ukraine, from
   10 February to `END`, 6 March 2022 00:00 UTC) with bulk SQL, in a child process so that the
   peak memory printed is the sitrep's. `--reuse` measures a database that already holds the
   data (it is migrated first, so new indexes of the code under test are there).
3. Runs ANALYZE (VACUUM ANALYZE on PostgreSQL, as autovacuum would have by then).
4. Times, `--repeat` times each after one warm-up run, `sitrep_figures(window=
   SitrepWindow.ending(as_of), include_persons=True)` as of `END` ("now", which re-derives
   nobody), 12 hours and 3 days before it (reading the persons changed since as their first
   later entry keeps them), and `report_pdf(report_build(figures))` of the sitrep of now.
   The clock is set to `END` (time_machine), as if the sitrep were asked for at the end of
   the data.

Prints one table, the data's size, load and ANALYZE times, peak memory, and checks of the
figures against plain SQL. `--profile` adds, for each sitrep, its slowest queries with their
share of the time and the database's plan of the three slowest.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.sitrep_data import END  # noqa: E402  (after the path: the script runs from anywhere)

TARGET_FIGURES_S = {"sqlite": 2.0, "postgresql": 1.0}
TARGET_PDF_S = 5.0
MOMENTS = (
    ("sitrep of now (internal)", timedelta(0)),
    ("sitrep as of 12 h ago", timedelta(hours=12)),
    ("sitrep as of 3 days ago", timedelta(days=3)),
)
# Identified crossings by definition: persons with a crossing out reported by a desk, staff or
# the API, known by then and not marked entered in error by then.
IDENTIFIED_SQL = """
    SELECT COUNT(DISTINCT e.person_id) FROM registry_statusevent e
    WHERE e.kind = 'crossed' AND e.source IN ('desk', 'staff', 'api')
      AND e.occurred_at <= %s AND e.recorded_at <= %s
      AND NOT EXISTS (SELECT 1 FROM registry_statusevent c WHERE c.corrects_id = e.id AND c.recorded_at <= %s)
      AND e.occurred_at >= %s
"""
# Where each person stood at a moment, by derive_current_status's rule, in one statement: the
# latest standing event known then and not corrected by then; "registered" only when nothing else.
BY_STATUS_SQL = """
    WITH standing AS (
        SELECT e.person_id, e.kind, ROW_NUMBER() OVER (
            PARTITION BY e.person_id ORDER BY (e.kind <> 'registered') DESC, e.occurred_at DESC, e.id DESC
        ) AS rank
        FROM registry_statusevent e
        WHERE e.recorded_at <= %s AND e.occurred_at <= %s
          AND e.kind NOT IN ('location_updated', 'intent_changed', 'entered_in_error')
          AND NOT EXISTS (
              SELECT 1 FROM registry_statusevent c
              WHERE c.corrects_id = e.id AND c.recorded_at <= %s AND c.occurred_at <= %s
          )
    )
    SELECT COALESCE(s.kind, 'registered'), COUNT(*) FROM registry_person p
    LEFT JOIN standing s ON s.person_id = p.id AND s.rank = 1
    WHERE p.created_at <= %s GROUP BY 1
"""
PROFILE_TOP = 8
PROFILE_PLANS = 3


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--events-per-person", type=float, default=3.0)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--seed", type=int, default=2022)
    parser.add_argument("--sqlite", type=Path, help="SQLite file to use (kept); default: a fresh temporary one")
    parser.add_argument("--reuse", action="store_true", help="measure the data the database already holds")
    parser.add_argument("--profile", action="store_true", help="print the slowest queries and their plans")
    parser.add_argument(
        "--verify", action="store_true", help="also check by_status at each moment against the timeline, in SQL (slow)"
    )
    args = parser.parse_args(argv)
    sys.stdout.reconfigure(line_buffering=True)  # a long run shows its progress in a log

    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.local", "DJANGO_DEBUG": "0"}
    if not env.get("DATABASE_URL"):
        path = args.sqlite or Path(tempfile.mkdtemp(prefix="crisisdesk-sitrep-bench-")) / "bench.sqlite3"
        env["CRISISDESK_SQLITE_PATH"] = str(path.resolve())
    subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True
    )

    os.environ.update(env)
    import django

    django.setup()
    from django.db import connection

    from crisisdesk.registry.models import Person

    vendor = connection.vendor
    held = Person.objects.count()
    load = None
    if held and not args.reuse:
        print(f"the database already holds {held:,} persons: pass --reuse to measure them", file=sys.stderr)
        return 1
    if not held:
        connection.close()
        began = time.perf_counter()
        command = [sys.executable, str(ROOT / "bench" / "sitrep_data.py"), "--persons", str(args.persons)]
        command += ["--events-per-person", str(args.events_per_person), "--seed", str(args.seed)]
        done = subprocess.run(command, cwd=ROOT, env=env, check=True, stdout=subprocess.PIPE, text=True)
        load = json.loads(done.stdout.strip().splitlines()[-1])
        load["total_s"] = time.perf_counter() - began
        print(f"loaded in {load['total_s']:.0f} s: {load['counts']}", file=sys.stderr, flush=True)
    elif held != args.persons:
        print(f"note: measuring the {held:,} persons the database holds (not --persons {args.persons:,})")

    began = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE" if vendor == "sqlite" else "VACUUM ANALYZE")
    analyze_s = time.perf_counter() - began

    results, cold, pdf_note, figures_by_moment = _measure(args, vendor)
    checks = _checks(figures_by_moment, verify=args.verify)
    _print_report(
        args,
        vendor=vendor,
        results=results,
        cold=cold,
        pdf_note=pdf_note,
        load=load,
        analyze_s=analyze_s,
        checks=checks,
    )
    if args.profile:
        _profile(vendor)
    measured = all(not isinstance(times, str) for times in results.values())
    return 0 if measured and all(ok for _label, ok, _detail in checks) else 1


def _sitrep(as_of):
    from crisisdesk.sitrep.figures import SitrepWindow, sitrep_figures

    return sitrep_figures(window=SitrepWindow.ending(as_of), include_persons=True)


def _pdf_functions():
    """report_build and report_pdf, or the reason the PDF cannot be made yet."""
    try:
        from crisisdesk.sitrep.render import report_pdf
        from crisisdesk.sitrep.report import report_build
    except ImportError as error:
        return None, f"not available ({error})"
    return (report_build, report_pdf), ""


def _timed(function):
    began = time.perf_counter()
    value = function()
    return time.perf_counter() - began, value


def _failure(error: Exception) -> str:
    """The error, and where in crisisdesk/ it was raised, for the table."""
    import traceback

    frames = [frame for frame in traceback.extract_tb(error.__traceback__) if "/crisisdesk/" in frame.filename]
    where = f" at {Path(frames[-1].filename).name}:{frames[-1].lineno} {frames[-1].name}()" if frames else ""
    return f"failed: {type(error).__name__}: {error}{where}"


def _runs(function, repeat: int) -> tuple[float, object, list[float]]:
    """A warm-up run (its seconds and result), then `repeat` timed runs."""
    cold, value = _timed(function)
    return cold, value, [_timed(function)[0] for _ in range(repeat)]


def _measure(args, vendor: str):
    """Per row, the seconds of each run or why there are none; the warm-up runs'; the figures."""
    import time_machine
    from django.conf import settings
    from django.utils import translation

    results: dict[str, list[float] | str] = {}
    cold: dict[str, float] = {}
    figures_by_moment = {}
    pdf_note = ""
    with time_machine.travel(END, tick=True), translation.override(settings.LANGUAGE_CODE):
        for label, before in MOMENTS:
            try:
                cold[label], figures_by_moment[before], results[label] = _runs(
                    lambda before=before: _sitrep(END - before), args.repeat
                )
            except Exception as error:  # the code under test may fail at this size: say so, go on
                results[label] = _failure(error)
        label = "PDF of the sitrep of now"
        functions, unavailable = _pdf_functions()
        if functions is None:
            results[label] = unavailable
        elif timedelta(0) not in figures_by_moment:
            results[label] = "not measured: the sitrep of now failed"
        else:
            report_build, report_pdf = functions
            figures = figures_by_moment[timedelta(0)]
            try:
                cold[label], document, results[label] = _runs(lambda: report_pdf(report_build(figures)), args.repeat)
                pdf_note = f"{len(document) / 1e6:.2f} MB"
            except Exception as error:  # the renderer is being written: report, do not fail the bench
                results[label] = _failure(error)
    return results, cold, pdf_note, figures_by_moment


def _sql_value(sql: str, params=()):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0]


def _checks(figures_by_moment: dict, *, verify: bool) -> list[tuple[str, bool, str]]:
    """The figures against plain SQL on the tables (what the sitrep must agree with)."""
    from django.db import connection
    from django.db.models import Count

    from crisisdesk.registry.models import Person

    checks = []
    for before, figures in figures_by_moment.items():
        as_of = END - before
        registry = figures["registry"]
        name = "now" if not before else f"{before.total_seconds() / 3600:.0f} h ago"
        expected = Person.objects.filter(created_at__lte=as_of).count()
        checks.append(
            (
                f"{name}: registered = persons created by then",
                registry["registered"] == expected,
                f"{registry['registered']:,} / {expected:,}",
            )
        )
        by_status = sum(registry["by_status"].values())
        checks.append(
            (f"{name}: by_status adds up to registered", by_status == registry["registered"], f"{by_status:,}")
        )
        by_region = sum(registry["by_region"].values())
        checks.append(
            (f"{name}: by_region adds up to registered", by_region == registry["registered"], f"{by_region:,}")
        )
        identified = _sql_value(IDENTIFIED_SQL, [as_of, as_of, as_of, datetime.fromisoformat(figures["window_start"])])
        got = figures["crossed"]["identified"]
        checks.append(
            (
                f"{name}: identified crossings = persons with a verified crossing",
                got == identified,
                f"{got:,} / {identified:,}",
            )
        )
        if verify:
            with connection.cursor() as cursor:
                cursor.execute(BY_STATUS_SQL, [as_of] * 5)
                derived = dict(cursor.fetchall())
            checks.append((f"{name}: by_status = the timeline re-derived in SQL", registry["by_status"] == derived, ""))
    now = figures_by_moment[timedelta(0)]["registry"]["by_status"]
    table = dict(Person.objects.values_list("current_status").annotate(n=Count("id")).order_by())
    checks.append(("now: by_status = the persons' current status", now == table, ""))
    return checks


def _print_report(args, *, vendor, results, cold, pdf_note, load, analyze_s, checks) -> None:
    from django.db import connection

    from crisisdesk.border.models import CheckIn, Tally
    from crisisdesk.registry.models import Person, StatusEvent

    if vendor == "sqlite":
        version = _sql_value("select sqlite_version()")
        database = f"SQLite {version} ({connection.settings_dict['NAME']})"
    else:
        version = _sql_value("show server_version")
        database = f"PostgreSQL {version} ({connection.settings_dict['HOST']}:{connection.settings_dict['PORT']})"
    target = TARGET_FIGURES_S[vendor]
    print(f"sitrep on {database}")
    print(f"code: {_code_version()}")
    print(
        f"data: {Person.objects.count():,} persons, {StatusEvent.objects.count():,} timeline events, "
        f"{CheckIn.objects.count():,} check-ins, {Tally.objects.count():,} tallies; data end (now) {END:%Y-%m-%d %H:%M} UTC"
    )
    if load:
        print(
            f"load: {load['total_s']:.0f} s (generate {load['generate_s']:.0f} s, write {load['write_s']:.0f} s), "
            f"loader peak RSS {load['peak_rss_mb']:,} MB; ANALYZE {analyze_s:.1f} s"
        )
    else:
        print(f"load: reused the database as it was; ANALYZE {analyze_s:.1f} s")
    print()
    print(f"| measure ({args.repeat} runs after a warm-up) | median s | min s | max s | target | met? |")
    print("|---|--:|--:|--:|--:|:-:|")
    for label, times in results.items():
        goal = TARGET_PDF_S if label.startswith("PDF") else target
        if isinstance(times, str):
            print(f"| {label} | {times} | | | ≤ {goal:g} s | **no** |")
            continue
        median = statistics.median(times)
        print(
            f"| {label} | {median:.2f} | {min(times):.2f} | {max(times):.2f} | ≤ {goal:g} s | "
            f"{'yes' if median <= goal else '**no**'} |"
        )
    print()
    print("warm-up (first) runs: " + ", ".join(f"{label} {seconds:.2f} s" for label, seconds in cold.items()))
    if pdf_note:
        print(f"PDF size: {pdf_note}")
    print(
        f"peak RSS of the bench process (sitreps and PDF): {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MB"
    )
    failed = [(label, detail) for label, ok, detail in checks if not ok]
    if failed:
        print("checks FAILED: " + "; ".join(f"{label} ({detail})" for label, detail in failed))
    else:
        print(f"checks: all {len(checks)} passed (registered, by_status, by_region, identified crossings against SQL)")


def _code_version() -> str:
    """The commit, and a digest of the sitrep's code as it is on disk (it may be uncommitted)."""
    import hashlib

    head = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=False
    ).stdout
    digest = hashlib.sha256()
    for path in sorted((ROOT / "crisisdesk" / "sitrep").glob("*.py")):
        digest.update(path.read_bytes())
    return f"commit {head.strip() or '?'}, crisisdesk/sitrep/*.py sha256 {digest.hexdigest()[:12]}"


def _profile(vendor: str) -> None:
    """One more run of each sitrep under cProfile, timing every query: where the time goes
    (SQL or Python, and which function), the slowest queries in full, and their plans."""
    import cProfile
    import pstats

    import time_machine
    from django.db import connection

    with time_machine.travel(END, tick=True):
        for label, before in MOMENTS:
            timing = _QueryTimer()
            profiler = cProfile.Profile()
            began = time.perf_counter()
            failure = ""
            with connection.execute_wrapper(timing):
                try:
                    profiler.runcall(_sitrep, END - before)
                except Exception as error:  # show the queries up to the failure
                    failure = f" ({_failure(error)})"
            total = time.perf_counter() - began
            queries = timing.queries
            in_sql = sum(seconds for seconds, *_rest in queries)
            print()
            print(f"### {label}{failure}")
            print(
                f"{total:.2f} s under cProfile, {len(queries)} queries taking {in_sql:.2f} s, the rest Python. "
                "Functions of crisisdesk/sitrep by cumulative time (the SQL they wait for included):"
            )
            stats = pstats.Stats(profiler)
            rows = [
                (cumulative, calls, f"{Path(file).name}:{line} {name}()")
                for (file, line, name), (_cc, calls, _tt, cumulative, _callers) in stats.stats.items()
                if "/crisisdesk/sitrep/" in file
            ]
            for cumulative, calls, where in sorted(rows, reverse=True)[: PROFILE_TOP * 2]:
                print(f"    {cumulative:7.2f} s  {calls:>7} calls  {where}")
            print(f"Slowest queries (by {PROFILE_TOP}), and who asked:")
            slowest = sorted(queries, key=lambda query: query[0], reverse=True)
            for seconds, sql, _params, caller in slowest[:PROFILE_TOP]:
                shown = sql if len(sql) < 300 else sql[:300] + " …"
                print(f"- {seconds:.3f} s from {caller}: `{shown}`")
            for seconds, sql, params, caller in slowest[:PROFILE_PLANS]:
                print(f"\n{seconds:.3f} s, from {caller}:")
                print("```sql")
                print(_inlined(sql, params))
                print("```")
                print("```")
                print(_plan(vendor, sql, params))
                print("```")


class _QueryTimer:
    """A database execute wrapper that keeps each query with how long it took and which
    function of crisisdesk/ asked for it."""

    def __init__(self):
        self.queries: list[tuple[float, str, object, str]] = []

    def __call__(self, execute, sql, params, many, context):
        import traceback

        began = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            seconds = time.perf_counter() - began
            frames = [frame for frame in traceback.extract_stack() if "/crisisdesk/" in frame.filename]
            caller = f"{Path(frames[-1].filename).name}:{frames[-1].lineno} {frames[-1].name}()" if frames else "?"
            self.queries.append((seconds, sql, params, caller))


def _inlined(sql: str, params) -> str:
    """The query with its parameters written in, to paste into a database shell."""

    def literal(value) -> str:
        if value is None:
            return "NULL"
        if isinstance(value, bool):
            return "TRUE" if value else "FALSE"
        if isinstance(value, int | float):
            return str(value)
        text = str(value).replace("'", "''")
        return f"'{text}'"

    return sql % tuple(literal(value) for value in params) if params else sql


def _plan(vendor: str, sql: str, params) -> str:
    from django.db import connection

    prefix = "EXPLAIN QUERY PLAN " if vendor == "sqlite" else "EXPLAIN (ANALYZE, BUFFERS) "
    with connection.cursor() as cursor:
        cursor.execute(prefix + sql, params)
        rows = cursor.fetchall()
    if vendor == "sqlite":
        return "\n".join(f"{row[0]:>3} {row[1]:>3} {row[3]}" for row in rows)
    return "\n".join(row[0] for row in rows)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
