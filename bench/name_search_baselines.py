"""Cross-script name search: off-the-shelf baselines side by side with namebridge.

    .venv/bin/python bench/name_search_baselines.py [--sample 1000] [--distractors 0]
        [--files F.tsv ...] [--methods rapidfuzz,pg_trgm,dmetaphone,rigour,namebridge]
        [--keep-flagged] [--json]

Same protocol as `python -m namebridge.bench`, and the same data helpers
(`namebridge.bench.pairs.read_pairs`, `namebridge.bench.distractors.generate`), so that
every method is measured on the same index and the same queries:

* lat2nat: index every distinct native name of the file (plus N native distractors), query
  with the Latin side of each sampled pair; nat2lat: the reverse.
* The query sample is `random.Random(SEED).sample(pairs, n)`, the seed of namebridge.bench,
  and is the same for both directions and all methods.
* A pair is found when its expected string is among the top k names returned, compared
  after NFC + casefold + whitespace collapse (namebridge.bench compares with
  `namebridge.normalize_name`, which also undoes "Surname, Given"; its figures can
  therefore differ slightly from the namebridge row here).
* Flagged rows (translated titles: comma, of, roman) are left out unless --keep-flagged.

Methods:

1. `rapidfuzz`: unidecode + lowercase, brute force `rapidfuzz.process.extract` with
   `fuzz.token_sort_ratio`, limit 10.
2. `pg_trgm`: PostgreSQL pg_trgm on `unaccent(lower(unidecode(name)))`, a GiST
   `gist_trgm_ops` index and KNN `ORDER BY key <-> query LIMIT 10`. Without DATABASE_URL the
   script re-runs itself under scripts/with-throwaway-postgres; if that cannot start a
   server, the method is skipped with a message.
3. `dmetaphone`: blocking on the Double Metaphone codes (primary and secondary) of the
   unidecoded tokens (package `DoubleMetaphone`, a C++ wrapper: no maintained PyPI package
   has Daitch-Mokotoff), candidates ranked with RapidFuzz `WRatio`.
4. `rigour`: OpenSanctions' stack. Names are romanised with `rigour.text.ascii_text` and
   analysed with `rigour.names.analyze_names` (person); candidates are blocked on rigour's
   metaphone of each name part (capped at the 500 sharing the most codes) and ranked with
   nomenklatura's LogicV2 name scorer `match_name_symbolic` (symbol pairing +
   `rigour.names.compare_parts`) with nomenklatura's default weights; ties are broken by
   the number of shared codes.
5. `namebridge`: `namebridge.NameIndex`.

Brute-force methods scan the whole index per query: with --distractors 100000 or more they
take seconds per query, so use a small --sample.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import time
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from namebridge.bench import distractors  # noqa: E402
from namebridge.bench.pairs import read_pairs  # noqa: E402

SEED = 20261127  # namebridge.bench's seed: the same query sample
DATA = Path("/work/shared/namebench")
DEFAULT_FILES = ["en-he.names.dev.tsv", "en-he.words.dev.tsv", "en-ru.words.dev.tsv"]
ALL_METHODS = ["rapidfuzz", "pg_trgm", "dmetaphone", "rigour", "namebridge"]
LIMIT = 10
RIGOUR_MAX_CANDIDATES = 500
REEXEC_FLAG = "NAME_SEARCH_BASELINES_UNDER_PG"
_SPACES = re.compile(r"\s+")


def compare_key(name: str) -> str:
    """NFC + casefold + whitespace collapse: how a returned name is compared to the expected."""
    return _SPACES.sub(" ", unicodedata.normalize("NFC", name).casefold()).strip()


def ascii_key(name: str) -> str:
    from unidecode import unidecode

    return _SPACES.sub(" ", unidecode(unicodedata.normalize("NFC", name)).lower()).strip()


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not installed"


# --- methods: each has build(names) and search(query) -> list of indexed names ----------------


class RapidFuzzTokenSort:
    label = "unidecode + RapidFuzz token_sort_ratio (brute force)"
    versions = ("unidecode", "rapidfuzz")

    def build(self, names: list[str]) -> None:
        self.names = names
        self.keys = [ascii_key(name) for name in names]

    def search(self, query: str) -> list[str]:
        from rapidfuzz import fuzz, process

        hits = process.extract(ascii_key(query), self.keys, scorer=fuzz.token_sort_ratio, limit=LIMIT)
        return [self.names[index] for _key, _score, index in hits]

    def close(self) -> None:
        pass


class PgTrgm:
    label = "PostgreSQL pg_trgm KNN on unaccent(lower(unidecode))"
    versions = ("unidecode", "psycopg")

    def __init__(self, dsn: str) -> None:
        import psycopg

        self.connection = psycopg.connect(dsn, autocommit=True)
        with self.connection.cursor() as cursor:
            cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
            cursor.execute("CREATE EXTENSION IF NOT EXISTS unaccent")
            cursor.execute("SHOW server_version")
            self.server_version = cursor.fetchone()[0]

    def build(self, names: list[str]) -> None:
        self.names = names
        with self.connection.cursor() as cursor:
            cursor.execute("DROP TABLE IF EXISTS bench_names")
            cursor.execute("CREATE UNLOGGED TABLE bench_names (id integer PRIMARY KEY, key text NOT NULL)")
            with cursor.copy("COPY bench_names (id, key) FROM STDIN") as copy:
                for number, name in enumerate(names):
                    copy.write_row((number, ascii_key(name)))
            cursor.execute("UPDATE bench_names SET key = unaccent(key)")
            cursor.execute("CREATE INDEX bench_names_trgm ON bench_names USING gist (key gist_trgm_ops)")
            cursor.execute("ANALYZE bench_names")
        self.cursor = self.connection.cursor()

    def search(self, query: str) -> list[str]:
        self.cursor.execute(
            "SELECT id FROM bench_names ORDER BY key <-> unaccent(%s) LIMIT %s", (ascii_key(query), LIMIT)
        )
        return [self.names[row[0]] for row in self.cursor.fetchall()]

    def close(self) -> None:
        with self.connection.cursor() as cursor:
            cursor.execute("DROP TABLE IF EXISTS bench_names")


class DoubleMetaphoneBlocking:
    label = "Double Metaphone blocking + RapidFuzz WRatio"
    versions = ("DoubleMetaphone", "unidecode", "rapidfuzz")

    @staticmethod
    def codes(key: str) -> set[str]:
        from doublemetaphone import doublemetaphone

        found: set[str] = set()
        for raw in key.split():
            token = re.sub(r"[^a-z]", "", raw)
            if token:
                found.update(code for code in doublemetaphone(token) if code)
        return found

    def build(self, names: list[str]) -> None:
        self.names = names
        self.keys = [ascii_key(name) for name in names]
        blocks: dict[str, list[int]] = defaultdict(list)
        for number, key in enumerate(self.keys):
            for code in self.codes(key):
                blocks[code].append(number)
        self.blocks = blocks

    def search(self, query: str) -> list[str]:
        from rapidfuzz import fuzz, process

        key = ascii_key(query)
        candidates = sorted({number for code in self.codes(key) for number in self.blocks.get(code, ())})
        if not candidates:
            return []
        hits = process.extract(key, [self.keys[number] for number in candidates], scorer=fuzz.WRatio, limit=LIMIT)
        return [self.names[candidates[index]] for _key, _score, index in hits]

    def close(self) -> None:
        pass


class RigourNomenklatura:
    label = "rigour ascii_text + metaphone blocking, nomenklatura LogicV2 name score"
    versions = ("rigour", "nomenklatura")

    def __init__(self) -> None:
        from nomenklatura.matching.logic_v2.names.match import match_name_symbolic
        from rigour.names import CompareConfig, NameTypeTag, analyze_names
        from rigour.text import ascii_text

        self._match = match_name_symbolic
        self._analyze = analyze_names
        self._ascii = ascii_text
        self._per = NameTypeTag.PER
        # nomenklatura LogicV2 defaults: nm_fuzzy_cutoff_factor 1.0, nm_extra_query_name 0.8,
        # nm_extra_result_name 0.2, nm_family_name_weight 1.3.
        self._config = CompareConfig(budget_tolerance=1.0)

    def _name(self, raw: str, *, is_query: bool):
        names = self._analyze(self._per, [self._ascii(raw)], infer_initials=is_query, consolidate=False)
        return next(iter(names), None)

    @staticmethod
    def _codes(name) -> set[str]:
        return {part.metaphone or part.comparable for part in name.parts if part.comparable}

    def build(self, names: list[str]) -> None:
        self.names = names
        self.analysed = [self._name(name, is_query=False) for name in names]
        blocks: dict[str, list[int]] = defaultdict(list)
        for number, name in enumerate(self.analysed):
            if name is not None:
                for code in self._codes(name):
                    blocks[code].append(number)
        self.blocks = blocks

    def search(self, query: str) -> list[str]:
        name = self._name(query, is_query=True)
        if name is None:
            return []
        shared: Counter[int] = Counter()
        for code in self._codes(name):
            shared.update(self.blocks.get(code, ()))
        scored = []
        for rank, (number, _count) in enumerate(shared.most_common(RIGOUR_MAX_CANDIDATES)):
            result, _alignments = self._match(name, self.analysed[number], self._config, 0.8, 0.2, 1.3)
            scored.append((-result.score, rank, number))
        # Ties (often all at 0.0, when compare_parts finds the spellings too far apart) are
        # broken by the number of shared metaphone codes, the blocking's own signal.
        scored.sort()
        return [self.names[number] for _score, _rank, number in scored[:LIMIT]]

    def close(self) -> None:
        pass


class NameBridge:
    label = "namebridge.NameIndex"
    versions = ()

    def build(self, names: list[str]) -> None:
        from namebridge import NameIndex

        self.index = NameIndex()
        for number, name in enumerate(names):
            self.index.add(number, name)

    def search(self, query: str) -> list[str]:
        return [match.name for match in self.index.search(query, limit=LIMIT)]

    def close(self) -> None:
        del self.index


# --- the protocol -----------------------------------------------------------------------------


def _percentile(values: Sequence[float], fraction: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))]


def run_direction(method, indexed: list[str], queries: list[tuple[str, str]]) -> dict[str, float]:
    started = time.perf_counter()
    method.build(indexed)
    build_s = time.perf_counter() - started
    at_1 = at_10 = 0
    latencies: list[float] = []
    for query, expected in queries:
        target = compare_key(expected)
        begin = time.perf_counter()
        returned = method.search(query)
        latencies.append((time.perf_counter() - begin) * 1000.0)
        keys = [compare_key(name) for name in returned[:LIMIT]]
        at_1 += bool(keys) and keys[0] == target
        at_10 += target in keys
    method.close()
    gc.collect()
    total = max(1, len(queries))
    return {
        "recall@1": round(at_1 / total, 4),
        "recall@10": round(at_10 / total, 4),
        "p50_ms": round(_percentile(latencies, 0.50), 3),
        "p95_ms": round(_percentile(latencies, 0.95), 3),
        "build_s": round(build_s, 2),
        "index_size": len(indexed),
    }


def make_methods(names: list[str], log: Callable[[str], None]) -> tuple[dict[str, object], dict[str, str]]:
    """The methods that could be set up, and a reason for each that could not."""
    made: dict[str, object] = {}
    skipped: dict[str, str] = {}
    for name in names:
        try:
            if name == "rapidfuzz":
                made[name] = RapidFuzzTokenSort()
            elif name == "dmetaphone":
                made[name] = DoubleMetaphoneBlocking()
            elif name == "rigour":
                made[name] = RigourNomenklatura()
            elif name == "namebridge":
                import namebridge

                if not hasattr(namebridge, "NameIndex"):
                    raise ImportError("namebridge has no NameIndex yet")
                made[name] = NameBridge()
            elif name == "pg_trgm":
                dsn = os.environ.get("DATABASE_URL", "")
                if not dsn.startswith("postgres"):
                    raise RuntimeError("no PostgreSQL DATABASE_URL (with-throwaway-postgres did not start one)")
                made[name] = PgTrgm(dsn)
            else:
                raise ValueError(f"unknown method {name!r}")
        except Exception as error:  # report and go on with the other methods
            skipped[name] = f"{type(error).__name__}: {error}"
            if name == "namebridge":
                skipped[name] += " — see `python -m namebridge.bench`"
            log(f"skipping {name}: {skipped[name]}")
    return made, skipped


def run(args: argparse.Namespace) -> dict:
    def log(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    methods, skipped = make_methods(args.methods, log)
    if args.distractors >= 100_000 and {"rapidfuzz", "pg_trgm"} & set(methods):
        log(f"note: {args.distractors} distractors: brute-force methods scan every name per query, expect slow runs")
    rows = []
    for file in args.files:
        path = Path(file) if Path(file).exists() else DATA / file
        pairs = read_pairs(path, skip_flagged=not args.keep_flagged)
        queries = pairs
        if args.sample and args.sample < len(pairs):
            queries = random.Random(SEED).sample(pairs, args.sample)
        natives = list(dict.fromkeys(pair.native for pair in pairs))
        latins = list(dict.fromkeys(pair.latin for pair in pairs))
        if args.distractors:
            natives += distractors.generate(natives, args.distractors, seed=1)
            latins += distractors.generate(latins, args.distractors, seed=1)
        for key, method in methods.items():
            log(f"{path.name}: {key} …")
            lat2nat = run_direction(method, natives, [(pair.latin, pair.native) for pair in queries])
            nat2lat = run_direction(method, latins, [(pair.native, pair.latin) for pair in queries])
            rows.append(
                {
                    "method": key,
                    "file": path.name,
                    "pairs": len(pairs),
                    "queries": len(queries),
                    "lat2nat": lat2nat,
                    "nat2lat": nat2lat,
                }
            )
            log(f"  {json.dumps(rows[-1])}")
    versions = {
        dist: _version(dist)
        for dist in ("unidecode", "rapidfuzz", "DoubleMetaphone", "rigour", "nomenklatura", "psycopg")
    }
    if "pg_trgm" in methods:
        versions["PostgreSQL"] = methods["pg_trgm"].server_version
    return {
        "sample": args.sample,
        "distractors": args.distractors,
        "skip_flagged": not args.keep_flagged,
        "seed": SEED,
        "versions": versions,
        "skipped": skipped,
        "rows": rows,
    }


def markdown(report: dict) -> str:
    labels = {
        "rapidfuzz": "unidecode + RapidFuzz token_sort_ratio, brute force",
        "pg_trgm": "PostgreSQL pg_trgm KNN (GiST), unaccent + unidecode",
        "dmetaphone": "Double Metaphone blocking + WRatio",
        "rigour": "rigour ascii_text + metaphone blocking, nomenklatura score",
        "namebridge": "namebridge.NameIndex",
    }
    lines = [
        "| method | file | lat→nat r@1 | lat→nat r@10 | nat→lat r@1 | nat→lat r@10 | p50 ms | p95 ms | build s |",
        "|---|---|--:|--:|--:|--:|--:|--:|--:|",
    ]

    def pct(value: float) -> str:
        return f"{100 * value:.1f}"

    for row in report["rows"]:
        a, b = row["lat2nat"], row["nat2lat"]
        lines.append(
            f"| {labels[row['method']]} | {row['file'].removesuffix('.dev.tsv')} | {pct(a['recall@1'])} | "
            f"{pct(a['recall@10'])} | {pct(b['recall@1'])} | {pct(b['recall@10'])} | "
            f"{a['p50_ms']:.2f} / {b['p50_ms']:.2f} | {a['p95_ms']:.2f} / {b['p95_ms']:.2f} | "
            f"{a['build_s']:.1f} / {b['build_s']:.1f} |"
        )
    for key, reason in report["skipped"].items():
        lines.append(f"| {labels.get(key, key)} | all | skipped: {reason} | | | | | | |")
    lines.append("")
    lines.append(
        "Recall in %; p50/p95 and build time as lat→nat / nat→lat; "
        f"{report['sample']} queries per direction per file, {report['distractors']} distractors, "
        f"flagged rows {'skipped' if report['skip_flagged'] else 'kept'}."
    )
    lines.append("Versions: " + ", ".join(f"{k} {v}" for k, v in report["versions"].items()))
    return "\n".join(lines)


def _rerun_under_postgres(argv: list[str]) -> int | None:
    """Run this script again under with-throwaway-postgres. None when the server did not start."""
    wrapper = ROOT / "scripts" / "with-throwaway-postgres"
    if not wrapper.exists():
        return None
    with tempfile.TemporaryDirectory() as folder:
        marker = Path(folder) / "started"
        env = {**os.environ, REEXEC_FLAG: str(marker)}
        code = subprocess.call([str(wrapper), "--", sys.executable, str(Path(__file__).resolve()), *argv], env=env)
        if marker.exists():
            return code
    print("with-throwaway-postgres could not start a server: pg_trgm is skipped", file=sys.stderr)
    return None


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sample", type=int, default=1000, help="queries per direction per file (fixed seed)")
    parser.add_argument("--distractors", type=int, default=0, metavar="N", help="add N generated names per index")
    parser.add_argument("--files", nargs="+", default=DEFAULT_FILES, help=f"pair files (names resolve in {DATA})")
    parser.add_argument(
        "--methods", default=",".join(ALL_METHODS), help="comma-separated subset of " + ",".join(ALL_METHODS)
    )
    parser.add_argument("--keep-flagged", action="store_true", help="keep rows flagged as translations")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a markdown table")
    args = parser.parse_args(argv)
    args.methods = [name.strip() for name in args.methods.split(",") if name.strip()]

    marker = os.environ.get(REEXEC_FLAG)
    if marker:
        Path(marker).touch()
    elif "pg_trgm" in args.methods and not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        code = _rerun_under_postgres(argv)
        if code is not None:
            return code

    report = run(args)
    print(json.dumps(report, indent=1) if args.json else markdown(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
