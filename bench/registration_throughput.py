#!/usr/bin/env python3
"""Public self-registration throughput, side by side with a single-INSERT ceiling.

    .venv/bin/python bench/registration_throughput.py [--duration 20] [--concurrency 8]
                                                      [--databases sqlite,postgres]

For each database (SQLite in a fresh temporary file; PostgreSQL through
scripts/with-throwaway-postgres) this migrates a fresh database, starts gunicorn with
local settings and DEBUG off, and drives two endpoints over loopback for a fixed time:

* the ceiling, POST /bench/insert/: one INSERT through the same middleware stack
  (CSRF included), see crisisdesk/common/bench_views.py;
* the public form, POST /register/: realistic households of 1-4 people with names in
  Hebrew, Cyrillic and Latin script, birth dates, IL/UA citizenships, phone numbers,
  e-mail, identity documents and sometimes needs. Every request carries a fresh
  submission_key, except about 2% that deliberately re-send an already-sent form.

The load generator runs in separate processes, one persistent HTTP connection each,
and fetches the CSRF cookie and token once per connection from GET /register/.
Afterwards the script counts what reached the database: every key that got a 302 must
exist once, with the household size that was sent, and nothing else may exist.
It prints markdown tables (throughput, then integrity); docs/benchmarks.md explains them.
"""

import argparse
import http.client
import json
import multiprocessing
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
GUNICORN = str(Path(sys.executable).with_name("gunicorn"))
THROWAWAY_POSTGRES = str(ROOT / "scripts" / "with-throwaway-postgres")

# Each measured request loop is bounded in time (--duration) and in count.
MAX_REQUESTS_PER_CONNECTION = 200_000
REQUEST_TIMEOUT_SECONDS = 60
WARMUP_SECONDS = 3.0
REPLAY_FRACTION = 0.02
# Request bodies each client makes before the measured window, per second of it: a little
# above what one of 8 connections reaches on 2 cores.
PREPARED_PER_SECOND = {"ceiling": 250, "register": 130}
REPLAY_CHECKS_MAX = 300
# "sync:W" = W single-threaded workers; "gthread:WxT" = W workers with T threads each.
# sync:3 was the best of the configurations tried on 2 cores (docs/benchmarks.md).
DEFAULT_SERVER = "sync:3"

# The done page's signed cookie (crisisdesk/registry/public_views.py).
DONE_COOKIE = "crisisdesk_registered"
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
REFERENCE = re.compile(r'data-testid="reference">([^<]+)<')
UPDATE_LINK = re.compile(r'id="update-link" value="([^"]+)"')


# --- realistic households ----------------------------------------------------------------

GIVEN = {
    "latin": {
        "F": ["Anna", "Maria", "Sofia", "Natalia", "Olga", "Yael", "Irina"],
        "M": ["David", "Daniel", "Mark", "Igor", "Yosef", "Andrii", "Boris"],
    },
    "ukrainian": {
        "F": ["Олена", "Наталія", "Юлія", "Марія", "Оксана", "Ірина"],
        "M": ["Олександр", "Дмитро", "Андрій", "Іван", "Сергій", "Юрій"],
    },
    "russian": {"F": ["Екатерина", "Анастасия", "Ольга", "Татьяна"], "M": ["Михаил", "Алексей", "Владимир", "Сергей"]},
    "hebrew": {"F": ["שרה", "מרים", "רחל", "נועה", "יעל"], "M": ["דוד", "יוסף", "אברהם", "משה", "אליהו"]},
}
FAMILY = {
    "latin": ["Levi", "Cohen", "Shevchenko", "Kovalenko", "Friedman", "Mizrahi", "Rosenberg", "Melnyk"],
    "ukrainian": ["Шевченко", "Коваленко", "Бондаренко", "Ткаченко", "Мельник", "Кравченко", "Левченко"],
    "russian": ["Иванов", "Кузнецов", "Соколов", "Рабинович", "Каплан"],
    "hebrew": ["כהן", "לוי", "מזרחי", "פרידמן", "רוזנברג", "שפירא"],
}
SCRIPT_WEIGHTS = {"latin": 3, "ukrainian": 3, "russian": 1, "hebrew": 2}
CITIES = ["Київ", "Львів", "Одеса", "Kharkiv", "Dnipro", "Вінниця", "Ужгород", "Chernivtsi"]
REGIONS = ["UA-30", "UA-46", "UA-51", "UA-63", "UA-12", "UA-05", "UA-21", "UA-77"]
NEEDS = ["medical", "mobility", "pregnancy", "elderly_alone"]
HOUSEHOLD_SIZES = ([1] * 35) + ([2] * 30) + ([3] * 20) + ([4] * 15)


def _name(rng: random.Random, sex: str, script: str | None = None) -> tuple[str, str, str]:
    script = script or rng.choices(list(SCRIPT_WEIGHTS), weights=list(SCRIPT_WEIGHTS.values()))[0]
    family = rng.choice(FAMILY[script])
    if script == "russian" and sex == "F" and family.endswith("ов"):
        family += "а"
    return script, rng.choice(GIVEN[script][sex]), family


def _person_fields(rng: random.Random, index: int, relationship: str, this_year: int) -> dict[str, object]:
    sex = rng.choice("FM")
    script, given, family = _name(rng, sex)
    if relationship == "child":
        year = rng.randint(this_year - 17, this_year - 1)
    elif relationship == "parent":
        year = rng.randint(1940, 1965)
    else:
        year = rng.randint(1962, this_year - 18)
    fields: dict[str, object] = {
        "relationship": relationship,
        "given_name": given,
        "family_name": family,
        "sex": sex,
        "birth_year": year,
        "citizenships_common": rng.choice([["IL", "UA"], ["IL", "UA"], ["UA"], ["IL"]]),
    }
    if rng.random() < 0.85:  # most people know their full birth date; some only the year
        fields["birth_month"] = rng.randint(1, 12)
        fields["birth_day"] = rng.randint(1, 28)
    if script != "latin" and rng.random() < 0.6:
        _script, fields["passport_given_name"], fields["passport_family_name"] = _name(rng, sex, "latin")
    if rng.random() < 0.3:
        _script, other_given, other_family = _name(rng, sex)
        fields["other_names"] = f"{other_given} {other_family}"
    if relationship == "child" and rng.random() < 0.5:
        fields.update(
            document_kind="birth_certificate",
            document_number=f"І-ЛВ {rng.randint(100000, 999999)}",
            document_country="UA",
        )
    elif relationship != "child" and rng.random() < 0.85:
        if rng.random() < 0.5:
            fields.update(
                document_kind="passport",
                document_number=f"F{rng.choice('EKMN')}{rng.randint(100000, 999999)}",
                document_country="UA",
            )
        else:
            fields.update(
                document_kind="passport", document_number=str(rng.randint(30000000, 39999999)), document_country="IL"
            )
    if index == 0 or (relationship != "child" and rng.random() < 0.4):
        fields["phone"] = f"+380 50 {rng.randint(0, 999):03d} {rng.randint(0, 99):02d} {rng.randint(0, 99):02d}"
    if index == 0 and rng.random() < 0.8:
        fields["email"] = f"registrant{rng.randint(1, 10**9)}@example.org"
    if index == 0 and rng.random() < 0.5:
        fields.update(messenger="telegram", messenger_handle=f"@user{rng.randint(1, 10**7)}")
    if rng.random() < 0.15:
        fields["vulnerabilities"] = rng.sample(NEEDS, rng.randint(1, 2))
        if rng.random() < 0.5:
            fields["needs_note"] = "Потрібні ліки від тиску / needs blood-pressure medication"
    return fields


def registration_form(rng: random.Random, *, csrf_token: str) -> tuple[str, int, bytes]:
    """One household's form as a browser would post it: (submission key, people, body)."""
    size = rng.choice(HOUSEHOLD_SIZES)
    this_year = time.gmtime().tm_year
    key = str(uuid.uuid4())
    pairs: list[tuple[str, object]] = [
        ("csrfmiddlewaretoken", csrf_token),
        ("submission_key", key),
        ("person-TOTAL_FORMS", size),
        ("person-INITIAL_FORMS", 0),
        ("person-MIN_NUM_FORMS", 1),
        ("person-MAX_NUM_FORMS", 15),
        ("region", rng.choice(REGIONS)),
        ("city", rng.choice(CITIES)),
        ("intent", rng.choice(["leave", "leave", "leave", "stay", "undecided"])),
        ("consent", "on"),
    ]
    if rng.random() < 0.3:
        pairs.append(("location_note", "Shelter in school No. 5, basement"))
    if rng.random() < 0.05:
        pairs += [("for_someone_else", "on"), ("reporter_name", "Rivka Levi"), ("reporter_contact", "+972 3 555 0100")]
    for index in range(size):
        relationship = "self" if index == 0 else rng.choice(["spouse", "child", "child", "parent"])
        for name, value in _person_fields(rng, index, relationship, this_year).items():
            values = value if isinstance(value, list) else [value]
            pairs += [(f"person-{index}-{name}", item) for item in values]
    return key, size, urlencode(pairs).encode()


# --- load generator ---------------------------------------------------------------------


def _cookies(response: http.client.HTTPResponse) -> dict[str, str]:
    jar: SimpleCookie = SimpleCookie()
    for header in response.msg.get_all("Set-Cookie") or []:
        jar.load(header)
    return {name: morsel.value for name, morsel in jar.items()}


def _csrf(conn: http.client.HTTPConnection) -> tuple[str, str]:
    conn.request("GET", "/register/")
    response = conn.getresponse()
    body = response.read().decode()
    cookie = _cookies(response).get("csrftoken")
    match = CSRF_INPUT.search(body)
    if response.status != 200 or not cookie or not match:
        raise RuntimeError(f"GET /register/ gave {response.status}, no CSRF cookie or token")
    return cookie, match.group(1)


def _load_worker(*, endpoint: str, port: int, start_at: float, end_at: float, seed: int, results) -> None:
    """One client connection: send requests back to back from start_at until end_at."""
    rng = random.Random(seed)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=REQUEST_TIMEOUT_SECONDS)
    out = {
        "latencies": [],
        "statuses": Counter(),
        "error_samples": {},
        "registered": {},  # key -> household size, for keys that got their 302
        "unconfirmed": {},  # key -> household size, for keys that got anything else
        "replays": [],  # (key, done-page cookie of the original, of the replay)
        "replay_statuses": Counter(),
        "cpu_seconds": 0.0,
        "finished_at": start_at,
    }
    try:
        csrf_cookie, csrf_token = _csrf(conn)
    except (OSError, http.client.HTTPException, RuntimeError) as error:
        out["statuses"][f"setup:{type(error).__name__}"] += 1
        out["error_samples"]["setup"] = str(error)[:300]
        results.put(out)
        return
    done_cookies: dict[str, str] = {}
    sent: list[tuple[str, int, bytes]] = []

    def next_body() -> tuple[str, int, bytes]:
        if endpoint == "ceiling":
            return (
                "",
                0,
                urlencode({"csrfmiddlewaretoken": csrf_token, "note": f"row {rng.randint(0, 10**9)}"}).encode(),
            )
        return registration_form(rng, csrf_token=csrf_token)

    # Bodies are made before the measured window, as far as the expected rate goes, so that
    # making a household's form (more work than a ceiling row) does not take the server's
    # processors during the measurement; past that they are made on the fly.
    expected_rate = PREPARED_PER_SECOND[endpoint]
    prepared = [next_body() for _ in range(int((end_at - start_at) * expected_rate))]
    prepared.reverse()
    out["prepared_late"] = time.time() > start_at
    cpu_before = os.times()
    time.sleep(max(0.0, start_at - time.time()))
    for _count in range(MAX_REQUESTS_PER_CONNECTION):
        if time.time() >= end_at:
            break
        replay = None
        if endpoint == "ceiling":
            path, expected = "/bench/insert/", 204
            _key, _size, body = prepared.pop() if prepared else next_body()
        else:
            path, expected = "/register/", 302
            if sent and rng.random() < REPLAY_FRACTION:
                replay = rng.choice(sent)
                key, size, body = replay
            else:
                key, size, body = prepared.pop() if prepared else next_body()
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": f"csrftoken={csrf_cookie}",
            "Accept-Language": rng.choice(["uk", "he", "ru", "en"]),
        }
        started = time.perf_counter()
        try:
            conn.request("POST", path, body=body, headers=headers)
            response = conn.getresponse()
            response_body = response.read()
            status: int | str = response.status
        except (OSError, http.client.HTTPException) as error:
            conn.close()
            status, response, response_body = f"exception:{type(error).__name__}", None, str(error).encode()
        out["latencies"].append(time.perf_counter() - started)
        out["statuses"][str(status)] += 1
        if status != expected and str(status) not in out["error_samples"]:
            out["error_samples"][str(status)] = response_body[:300].decode(errors="replace")
        if endpoint == "register":
            done_cookie = _cookies(response).get(DONE_COOKIE, "") if response is not None else ""
            if replay is not None:
                out["replay_statuses"][str(status)] += 1
                out["replays"].append((key, done_cookies.get(key, ""), done_cookie))
            elif status == expected:
                out["registered"][key] = size
                done_cookies[key] = done_cookie
                sent.append((key, size, body))
            else:
                out["unconfirmed"][key] = size
    cpu_after = os.times()
    out["cpu_seconds"] = (cpu_after.user - cpu_before.user) + (cpu_after.system - cpu_before.system)
    out["finished_at"] = time.time()
    conn.close()
    results.put(out)


def run_load(
    *, endpoint: str, port: int, duration: float, concurrency: int, seed: int, app_pids: list[int], db_pids: list[int]
) -> dict:
    """Drive one endpoint with `concurrency` client processes for `duration` seconds."""
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    # Time for every client to fetch its CSRF token and make its request bodies.
    start_at = time.time() + 1.0 + 0.05 * concurrency + 0.08 * duration
    end_at = start_at + duration
    workers = [
        context.Process(
            target=_load_worker,
            kwargs={
                "endpoint": endpoint,
                "port": port,
                "start_at": start_at,
                "end_at": end_at,
                "seed": seed * 1000 + n,
                "results": results,
            },
        )
        for n in range(concurrency)
    ]
    for worker in workers:
        worker.start()
    time.sleep(max(0.0, start_at - time.time() - 0.05))
    window_start = time.time()
    cpu_before = _cpu_busy()
    app_before, db_before = process_cpu_seconds(app_pids), process_cpu_seconds(db_pids)
    parts = [results.get(timeout=duration + 120) for _ in workers]
    cpu_after = _cpu_busy()
    app_after, db_after = process_cpu_seconds(app_pids), process_cpu_seconds(db_pids)
    window = time.time() - window_start
    for worker in workers:
        worker.join(timeout=30)
    merged = {
        "endpoint": endpoint,
        "elapsed": max(part["finished_at"] for part in parts) - start_at,
        "latencies": sorted(latency for part in parts for latency in part["latencies"]),
        "statuses": sum((part["statuses"] for part in parts), Counter()),
        "replay_statuses": sum((part["replay_statuses"] for part in parts), Counter()),
        "error_samples": {k: v for part in parts for k, v in part["error_samples"].items()},
        "registered": {k: v for part in parts for k, v in part["registered"].items()},
        "unconfirmed": {k: v for part in parts for k, v in part["unconfirmed"].items()},
        "replays": [replay for part in parts for replay in part["replays"]],
        "client_cpu_seconds": sum(part["cpu_seconds"] for part in parts),
        "clients_started_late": sum(bool(part.get("prepared_late")) for part in parts),
        "machine_busy_cores": (cpu_after[0] - cpu_before[0]) / max(cpu_after[1] - cpu_before[1], 1e-9),
        "app_cpu_seconds": app_after - app_before,
        "db_cpu_seconds": db_after - db_before,
        "window": window,
    }
    return merged


def _cpu_busy() -> tuple[float, float]:
    """(busy jiffies, elapsed jiffies per core) of the whole machine, from /proc/stat."""
    fields = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + fields[4]
    return float(sum(fields) - idle), float(sum(fields)) / os.cpu_count()


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _stat_fields(pid: int) -> list[str]:
    """Fields of /proc/PID/stat after the command name (field 3 onwards)."""
    text = Path(f"/proc/{pid}/stat").read_text()
    return text[text.rindex(")") + 2 :].split()


def _process_tree(root: int) -> list[int]:
    """`root` and its direct children (gunicorn workers, PostgreSQL backends)."""
    pids = [root]
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int(_stat_fields(int(entry.name))[1]) == root:
                    pids.append(int(entry.name))
            except (OSError, ValueError, IndexError):
                continue
    return pids


def process_cpu_seconds(roots: list[int]) -> float:
    """User + system CPU seconds used so far by the trees under `roots` (live processes)."""
    total = 0
    for root in roots:
        for pid in _process_tree(root):
            try:
                fields = _stat_fields(pid)
            except OSError:
                continue
            total += int(fields[11]) + int(fields[12])
    return total / CLOCK_TICKS


def postgres_postmaster(port: int) -> int | None:
    """The PostgreSQL server listening on `port` (its command line carries -c port=PORT)."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if argv and argv[0].endswith(b"postgres") and f"port={port}".encode() in argv:
            return int(entry.name)
    return None


def wait_for_idle(max_wait: float, *, threshold_cores: float = 0.3) -> float:
    """Wait (at most `max_wait` seconds) until the machine is nearly idle; return the busy
    cores last seen. The benchmark shares 2 cores with whatever else runs here."""
    deadline = time.time() + max_wait
    while True:
        before = _cpu_busy()
        time.sleep(2.0)
        after = _cpu_busy()
        busy = (after[0] - before[0]) / max(after[1] - before[1], 1e-9)
        if busy <= threshold_cores or time.time() >= deadline:
            return busy
        _log(f"  machine busy ({busy:.2f} cores used by other processes), waiting")


def summarize(load: dict) -> dict:
    latencies = load["latencies"]
    elapsed = max(load["elapsed"], 1e-9)
    expected = "204" if load["endpoint"] == "ceiling" else "302"
    ok = load["statuses"].get(expected, 0)
    registrations = len(load["registered"])
    return {
        "requests": len(latencies),
        "ok": ok,
        "errors": len(latencies) - ok,
        "requests_per_second": len(latencies) / elapsed,
        "registrations_per_second": registrations / elapsed if load["endpoint"] == "register" else None,
        "persons_per_second": sum(load["registered"].values()) / elapsed if load["endpoint"] == "register" else None,
        "p50_ms": _percentile(latencies, 0.50) * 1000,
        "p99_ms": _percentile(latencies, 0.99) * 1000,
        "statuses": dict(load["statuses"]),
        "error_samples": load["error_samples"],
        "client_cpu_share": load["client_cpu_seconds"] / elapsed,
        "clients_started_late": load["clients_started_late"],
        "machine_busy_cores": load["machine_busy_cores"],
        # CPU per request is what the 2 cores are spent on; unlike requests/s it barely
        # moves when something else runs on the machine, so it is the steadier figure.
        "app_cpu_ms": load["app_cpu_seconds"] * 1000 / max(len(latencies), 1),
        "db_cpu_ms": load["db_cpu_seconds"] * 1000 / max(len(latencies), 1),
        "other_cores": load["machine_busy_cores"]
        - (load["app_cpu_seconds"] + load["db_cpu_seconds"] + load["client_cpu_seconds"]) / max(load["window"], 1e-9),
    }


def _percentile(sorted_values: list[float], fraction: float) -> float:
    if not sorted_values:
        return float("nan")
    return sorted_values[min(len(sorted_values) - 1, int(fraction * len(sorted_values)))]


# --- the server -------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_env(extra: dict[str, str], settings_module: str = "config.settings.local") -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE=settings_module,
        DJANGO_DEBUG="0",
        CRISISDESK_BENCH_ENDPOINTS="1",
        CRISISDESK_PUBLIC_RATE_LIMIT="0",
        PYTHONDONTWRITEBYTECODE="1",
    )
    env.update(extra)
    return env


def gunicorn_command(spec: str, port: int) -> list[str]:
    kind, _colon, size = spec.partition(":")
    workers, _x, threads = size.partition("x")
    command = [GUNICORN, "config.wsgi:application", "--bind", f"127.0.0.1:{port}", "--workers", workers or "2"]
    command += ["--worker-class", kind, "--threads", threads or "1", "--log-level", "warning", "--backlog", "512"]
    return command


class Server:
    """gunicorn in its own process group, stopped (and its log kept) on exit."""

    def __init__(self, spec: str, env: dict[str, str], log_path: Path):
        self.port = _free_port()
        self.log = log_path.open("w")
        self.process = subprocess.Popen(
            gunicorn_command(spec, self.port),
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.log_path = log_path

    def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.process.poll() is not None:
                break
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                conn.request("GET", "/register/")
                if conn.getresponse().status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"gunicorn did not become ready:\n{self.log_path.read_text()[-3000:]}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


class Worker:
    """The background-task worker (`manage.py db_worker`), as `make run` starts it: it adds
    received registrations to the registry. Niced like there, so that in a surge the web
    workers come first and the worker takes the CPU they leave."""

    def __init__(self, env: dict[str, str], log_path: Path, nice: int):
        self.log = log_path.open("w")
        command = [PYTHON, "manage.py", "db_worker", "--no-startup-delay", "--no-reload", "--verbosity", "0"]
        self.process = subprocess.Popen(
            ["nice", "-n", str(nice), *command],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


def watch_drain(env: dict[str, str], *, load_ended_at: float, worker_pid: int, timeout: float) -> dict:
    """After the load: how many registrations still waited for the worker, and how long it
    took to add them all to the registry, with the machine otherwise idle."""
    cpu_before = process_cpu_seconds([worker_pid])
    watch = subprocess.run(
        [PYTHON, __file__, "--watch-drain", str(load_ended_at), "--drain-timeout", str(timeout)],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    result = json.loads(watch.stdout)
    result["worker_cpu_seconds"] = process_cpu_seconds([worker_pid]) - cpu_before
    return result


def drain_progress(load_ended_at: float, timeout: float) -> dict:
    """Poll the queue of received registrations until it is empty (runs with Django)."""
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.db.models import Sum
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    from crisisdesk.registry.models import IntakeState, Registration

    def waiting() -> tuple[int, int]:
        queue = Registration.objects.filter(intake_state=IntakeState.RECEIVED)
        return queue.count(), queue.aggregate(people=Sum("people_count"))["people"] or 0

    def tasks_open() -> int:
        return DBTaskResult.objects.filter(status__in=[TaskResultStatus.READY, TaskResultStatus.RUNNING]).count()

    first_seen_at = time.time()
    at_start, people_at_start = waiting()
    tasks_at_start = tasks_open()
    left = at_start
    while left and time.time() - first_seen_at < timeout:
        time.sleep(0.2)
        left, _people = waiting()
    added_at = time.time()
    tasks_left = tasks_open()
    while tasks_left and time.time() - first_seen_at < timeout:
        time.sleep(0.5)
        tasks_left = tasks_open()
    finished_at = time.time()
    return {
        "waiting_when_first_seen": at_start,
        "people_waiting_when_first_seen": people_at_start,
        "tasks_when_first_seen": tasks_at_start,
        "first_seen_after_load_s": first_seen_at - load_ended_at,
        "seconds_to_empty": added_at - first_seen_at,
        "seconds_after_load": added_at - load_ended_at,
        "tasks_done_after_load_s": finished_at - load_ended_at,
        "left": left,
        "tasks_left": tasks_left,
    }


def check_replays(port: int, replays: list[tuple[str, str, str]]) -> dict:
    """A re-sent form must show the original reference and private link again."""
    same = different = unchecked = 0
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=REQUEST_TIMEOUT_SECONDS)
    for _key, original, replay in replays[:REPLAY_CHECKS_MAX]:
        if not original or not replay:
            unchecked += 1
            continue
        shown = []
        for cookie in (original, replay):
            conn.request("GET", "/register/done/", headers={"Cookie": f"{DONE_COOKIE}={cookie}"})
            body = conn.getresponse().read().decode()
            reference, link = REFERENCE.search(body), UPDATE_LINK.search(body)
            shown.append((reference.group(1), link.group(1)) if reference and link else None)
        if shown[0] is not None and shown[0] == shown[1]:
            same += 1
        else:
            different += 1
    conn.close()
    return {"checked": same + different, "same": same, "different": different, "unchecked": unchecked}


# --- one database -----------------------------------------------------------------------


def run_suite(database: str, args: argparse.Namespace, workdir: Path) -> dict:
    """Migrate a fresh database, serve it, load both endpoints, count what was stored."""
    extra = {}
    if database == "sqlite":
        extra["CRISISDESK_SQLITE_PATH"] = str(workdir / "bench.sqlite3")
    elif not os.environ.get("DATABASE_URL"):
        raise RuntimeError("the postgres suite needs DATABASE_URL (run under scripts/with-throwaway-postgres)")
    env = server_env(extra, args.settings)
    if database == "sqlite":
        env.pop("DATABASE_URL", None)
    subprocess.run([PYTHON, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True)
    runs = []
    all_registered: dict[str, int] = {}
    all_unconfirmed: dict[str, int] = {}
    ceiling_ok = 0
    for n, spec in enumerate(args.server):
        server = Server(spec, env, workdir / f"gunicorn-{n}.log")
        worker = Worker(env, workdir / f"worker-{n}.log", args.worker_nice)
        try:
            server.wait_ready()
            app_pids = [server.process.pid]
            postmaster = (
                postgres_postmaster(int(re.search(r":(\d+)/", env["DATABASE_URL"]).group(1)))
                if database == "postgres"
                else None
            )
            db_pids = [postmaster] if postmaster else []
            load_options = {
                "port": server.port,
                "concurrency": args.concurrency,
                "app_pids": app_pids,
                "db_pids": db_pids,
            }
            for endpoint in ("ceiling", "register"):
                idle = wait_for_idle(args.wait_idle)
                if idle > 0.3:
                    _log(f"  still busy ({idle:.2f} cores), measuring anyway")
                _log(f"{database} {spec} {endpoint}: warm-up {WARMUP_SECONDS:.0f} s, then {args.duration:.0f} s")
                warm = run_load(endpoint=endpoint, duration=WARMUP_SECONDS, seed=args.seed + 7 * n, **load_options)
                worker_cpu_before = process_cpu_seconds([worker.process.pid])
                load = run_load(endpoint=endpoint, duration=args.duration, seed=args.seed + 7 * n + 1, **load_options)
                worker_cpu_load = process_cpu_seconds([worker.process.pid]) - worker_cpu_before
                load_ended_at = time.time()
                for part in (warm, load):
                    all_registered.update(part["registered"])
                    all_unconfirmed.update(part["unconfirmed"])
                    if endpoint == "ceiling":
                        ceiling_ok += part["statuses"].get("204", 0)
                summary = summarize(load)
                summary.update(database=database, server=spec, endpoint=endpoint)
                summary["worker_cpu_ms"] = worker_cpu_load * 1000 / max(summary["requests"], 1)
                if endpoint == "register":
                    drain = watch_drain(
                        env, load_ended_at=load_ended_at, worker_pid=worker.process.pid, timeout=args.drain_timeout
                    )
                    drain["registrations_in_load"] = len(load["registered"])
                    drain["persons_in_load"] = sum(load["registered"].values())
                    summary["drain"] = drain
                    _log(
                        f"  worker: {drain['waiting_when_first_seen']} registrations waiting "
                        f"{drain['first_seen_after_load_s']:.1f} s after the load, all added "
                        f"{drain['seconds_after_load']:.1f} s after it ({drain['left']} left), "
                        f"duplicate checks and other tasks done {drain['tasks_done_after_load_s']:.1f} s after it"
                    )
                    replays = warm["replays"] + load["replays"]
                    summary["replays_sent"] = len(replays)
                    summary["replay_statuses"] = dict(warm["replay_statuses"] + load["replay_statuses"])
                    summary["replay_check"] = check_replays(server.port, replays)
                runs.append(summary)
                if summary["clients_started_late"]:
                    _log(f"  {summary['clients_started_late']} clients were still making bodies at the start")
                _log(
                    f"  {summary['requests_per_second']:.1f} req/s, p50 {summary['p50_ms']:.1f} ms, "
                    f"p99 {summary['p99_ms']:.1f} ms, errors {summary['errors']}, CPU/request app "
                    f"{summary['app_cpu_ms']:.2f} ms + db {summary['db_cpu_ms']:.2f} ms, other load {summary['other_cores']:.2f} cores"
                )
        finally:
            server.stop()
            worker.stop()
    expected = {"registered": all_registered, "unconfirmed": all_unconfirmed, "ceiling_ok": ceiling_ok}
    expected_path = workdir / "expected.json"
    expected_path.write_text(json.dumps(expected))
    verify = subprocess.run(
        [PYTHON, __file__, "--verify", str(expected_path)],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return {"database": database, "runs": runs, "integrity": json.loads(verify.stdout)}


def verify(expected_path: Path) -> dict:
    """Count what the database holds against what the clients were told (runs with Django)."""
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.db.models import Count

    from crisisdesk.common.models import AuditEvent, BenchRow
    from crisisdesk.registry.models import IntakeState, Person, Registration, RiskFlag

    expected = json.loads(expected_path.read_text())
    registered: dict[str, int] = expected["registered"]
    unconfirmed: dict[str, int] = expected["unconfirmed"]
    stored = {
        str(key): people
        for key, people in Registration.objects.annotate(people=Count("persons")).values_list(
            "submission_key", "people"
        )
    }
    lost = [key for key in registered if key not in stored]
    wrong_size = [key for key, size in registered.items() if key in stored and stored[key] != size]
    unconfirmed_committed = [key for key in unconfirmed if key in stored]
    unexpected = [key for key in stored if key not in registered and key not in unconfirmed]
    duplicated_keys = Registration.objects.values("submission_key").annotate(n=Count("id")).filter(n__gt=1).count()
    expected_persons = sum(registered.values()) + sum(unconfirmed[key] for key in unconfirmed_committed)
    registrations = Registration.objects.count()
    persons = Person.objects.count()
    audited_registrations = AuditEvent.objects.filter(action=AuditEvent.Action.REGISTRATION_SUBMITTED).count()
    audited_persons = AuditEvent.objects.filter(action=AuditEvent.Action.PERSON_CREATED).count()
    states = dict(Registration.objects.values_list("intake_state").annotate(n=Count("id")))
    result = {
        "keys_302": len(registered),
        "registrations": registrations,
        "expected_persons": expected_persons,
        "persons": persons,
        "lost": len(lost),
        "wrong_household_size": len(wrong_size),
        "duplicated_keys": duplicated_keys,
        "unexpected": len(unexpected),
        "unconfirmed_sent": len(unconfirmed),
        "unconfirmed_committed": len(unconfirmed_committed),
        "audit_registrations": audited_registrations,
        "audit_persons": audited_persons,
        "risk_flags": RiskFlag.objects.count(),
        "still_waiting": states.get(IntakeState.RECEIVED, 0),
        "failed_to_add": states.get(IntakeState.FAILED, 0),
        "ceiling_204": expected["ceiling_ok"],
        "ceiling_rows": BenchRow.objects.count(),
    }
    result["ok"] = (
        result["lost"] == 0
        and result["wrong_household_size"] == 0
        and result["duplicated_keys"] == 0
        and result["unexpected"] == 0
        and registrations == len(registered) + len(unconfirmed_committed)
        and persons == expected_persons
        and audited_registrations == registrations
        and audited_persons == persons
        and result["ceiling_rows"] == result["ceiling_204"]
        and result["still_waiting"] == 0
        and result["failed_to_add"] == 0
    )
    return result


# --- reporting --------------------------------------------------------------------------


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _num(value: float | None, digits: int = 1) -> str:
    return "–" if value is None else f"{value:,.{digits}f}"


def print_report(suites: list[dict], args: argparse.Namespace) -> None:
    print(
        f"\nDuration {args.duration:.0f} s per measurement, {args.concurrency} client connections, "
        f"{os.cpu_count()} cores shared by server, database and load generator. Load average before the run: "
        f"{args.load_before}.\n"
    )
    print(
        "| Database | Server | Endpoint | Requests/s | Registrations/s | Persons/s | p50 ms | p99 ms | Errors "
        "| ÷ ceiling (throughput) | CPU ms/request (app + db) | ÷ ceiling (CPU) | Load generator (cores) | Other load (cores) |"
    )
    print("|---|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
    for suite in suites:
        ceilings = {run["server"]: run for run in suite["runs"] if run["endpoint"] == "ceiling"}
        for run in suite["runs"]:
            is_register = run["endpoint"] == "register"
            ceiling = ceilings.get(run["server"]) if is_register else None
            cpu = run["app_cpu_ms"] + run["db_cpu_ms"]
            ratio = cpu_ratio = ""
            if ceiling:
                ratio = f"{run['registrations_per_second'] / ceiling['requests_per_second']:.0%}"
                # One registration's CPU against one ceiling request's (replays are ~2% of requests).
                ceiling_cpu = ceiling["app_cpu_ms"] + ceiling["db_cpu_ms"]
                cpu_per_registration = cpu * run["requests_per_second"] / max(run["registrations_per_second"], 1e-9)
                cpu_ratio = f"{ceiling_cpu / cpu_per_registration:.0%}"
            label = "POST /register/ (household 1–4)" if is_register else "POST /bench/insert/ (ceiling)"
            print(
                f"| {suite['database']} | {run['server']} | {label} | {_num(run['requests_per_second'])} | "
                f"{_num(run['registrations_per_second'])} | {_num(run['persons_per_second'])} | {_num(run['p50_ms'])} | "
                f"{_num(run['p99_ms'])} | {run['errors']} | {ratio} | {run['app_cpu_ms']:.2f} + {run['db_cpu_ms']:.2f} | "
                f"{cpu_ratio} | {run['client_cpu_share']:.2f} | {run['other_cores']:.2f} |"
            )
    print(
        "\n| Database | Keys answered 302 | Registrations stored | Persons expected | Persons stored | Lost | Duplicated | Unexpected | Replays sent (302) | Replays showing the original | Audit rows match | Ceiling 204s = rows | Integrity |"
    )
    print("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|")
    for suite in suites:
        check = suite["integrity"]
        replays = [run for run in suite["runs"] if run["endpoint"] == "register"]
        sent = sum(run["replays_sent"] for run in replays)
        sent_ok = sum(run["replay_statuses"].get("302", 0) for run in replays)
        same = sum(run["replay_check"]["same"] for run in replays)
        checked = sum(run["replay_check"]["checked"] for run in replays)
        audit_ok = check["audit_registrations"] == check["registrations"] and check["audit_persons"] == check["persons"]
        print(
            f"| {suite['database']} | {check['keys_302']:,} | {check['registrations']:,} | {check['expected_persons']:,} | "
            f"{check['persons']:,} | {check['lost']} | {check['duplicated_keys'] + check['wrong_household_size']} | "
            f"{check['unexpected']} | {sent} ({sent_ok}) | {same}/{checked} | {'yes' if audit_ok else 'NO'} | "
            f"{check['ceiling_204']:,} = {check['ceiling_rows']:,} | {'OK' if check['ok'] else 'FAILED'} |"
        )
    print(
        "\n| Database | Server | Worker CPU during the load (ms per registration) | Waiting when the load ended "
        "| All in the registry (s after the load) | Worker alone (registrations/s, persons/s) "
        "| Duplicate checks done (s after the load) |"
    )
    print("|---|---|--:|--:|--:|--:|--:|")
    for suite in suites:
        for run in suite["runs"]:
            if run["endpoint"] != "register":
                continue
            drain = run["drain"]
            alone = max(drain["seconds_to_empty"], 1e-9)
            print(
                f"| {suite['database']} | {run['server']} | {run['worker_cpu_ms']:.2f} | "
                f"{drain['waiting_when_first_seen']:,} ({drain['people_waiting_when_first_seen']:,} persons) | "
                f"{drain['seconds_after_load']:.1f} | {drain['waiting_when_first_seen'] / alone:.1f}, "
                f"{drain['people_waiting_when_first_seen'] / alone:.1f} | {drain['tasks_done_after_load_s']:.1f} |"
            )
    for suite in suites:
        for run in suite["runs"]:
            if run["errors"]:
                print(f"\n{suite['database']} {run['server']} {run['endpoint']} statuses {run['statuses']}; samples:")
                for status, sample in run["error_samples"].items():
                    print(f"  {status}: {sample[:200]!r}")
        if suite["integrity"]["unconfirmed_sent"]:
            print(
                f"\n{suite['database']}: {suite['integrity']['unconfirmed_sent']} registrations got no 302, "
                f"{suite['integrity']['unconfirmed_committed']} of them were stored anyway (counted, not lost)."
            )


# --- entry points -----------------------------------------------------------------------


def _suite_command(database: str, args: argparse.Namespace, result_file: Path) -> list[str]:
    command = [PYTHON, __file__, "--suite", database, "--result-file", str(result_file)]
    command += ["--duration", str(args.duration), "--concurrency", str(args.concurrency), "--seed", str(args.seed)]
    command += ["--settings", args.settings, "--wait-idle", str(args.wait_idle)]
    command += ["--worker-nice", str(args.worker_nice), "--drain-timeout", str(args.drain_timeout)]
    for spec in args.server:
        command += ["--server", spec]
    if database == "postgres":
        return [THROWAWAY_POSTGRES, "--", *command]
    return command


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=20.0, help="seconds per measurement (default 20)")
    parser.add_argument("--concurrency", type=int, default=8, help="client connections (default 8)")
    parser.add_argument("--databases", default="sqlite,postgres", help="comma-separated: sqlite,postgres")
    parser.add_argument(
        "--server",
        action="append",
        help=f"gunicorn configuration, sync:WORKERS or gthread:WORKERSxTHREADS; repeat to compare (default {DEFAULT_SERVER})",
    )
    parser.add_argument(
        "--settings",
        default="config.settings.local",
        help="settings module for the server, to try a change (default %(default)s)",
    )
    parser.add_argument(
        "--wait-idle",
        type=float,
        default=120.0,
        help="before each measurement wait up to this many seconds for other processes to go quiet (default 120)",
    )
    parser.add_argument(
        "--worker-nice",
        type=int,
        default=10,
        help="niceness of the background worker, as make run starts it (default %(default)s)",
    )
    parser.add_argument(
        "--drain-timeout",
        type=float,
        default=1800.0,
        help="after the load, wait at most this many seconds for the worker to empty its queue",
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", type=Path, help="also write the raw results here")
    parser.add_argument("--suite", help=argparse.SUPPRESS)
    parser.add_argument("--result-file", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--verify", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--watch-drain", type=float, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.server = args.server or [DEFAULT_SERVER]
    if not 1 <= args.concurrency <= 256 or not 1 <= args.duration <= 600:
        parser.error("--concurrency must be 1-256 and --duration 1-600 seconds")
    return args


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    args.load_before = " / ".join(Path("/proc/loadavg").read_text().split()[:3])
    if args.verify:
        print(json.dumps(verify(args.verify)))
        return 0
    if args.watch_drain:
        print(json.dumps(drain_progress(args.watch_drain, args.drain_timeout)))
        return 0
    if args.suite:
        # On SIGTERM (also forwarded by with-throwaway-postgres) unwind, so gunicorn is stopped.
        signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
        workdir = Path(tempfile.mkdtemp(prefix=f"crisisdesk-bench-{args.suite}-"))
        try:
            args.result_file.write_text(json.dumps(run_suite(args.suite, args, workdir)))
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
        return 0
    suites = []
    with tempfile.TemporaryDirectory(prefix="crisisdesk-bench-") as tmp:
        for database in [name.strip() for name in args.databases.split(",") if name.strip()]:
            if database not in ("sqlite", "postgres"):
                raise SystemExit(f"unknown database {database!r}")
            result_file = Path(tmp) / f"{database}.json"
            env = dict(os.environ)
            env.pop("DATABASE_URL", None)
            subprocess.run(_suite_command(database, args, result_file), cwd=ROOT, env=env, check=True)
            suites.append(json.loads(result_file.read_text()))
    if args.json:
        args.json.write_text(json.dumps(suites, indent=2))
    print_report(suites, args)
    return 0 if all(suite["integrity"]["ok"] for suite in suites) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
