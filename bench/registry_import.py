#!/usr/bin/env python3
"""Person import from a 100,000-row CSV into a fresh SQLite database.

    .venv/bin/python bench/registry_import.py [--rows 100000] [--broken 0.02] [--seed 9] [--profile]
    scripts/with-throwaway-postgres -- .venv/bin/python bench/registry_import.py

The issue's target: a 100,000-row CSV imported in at most 30 s.

1. Builds the file (seeded, in memory): people with Ukrainian, Russian, Hebrew and English names
   from Faker's uk_UA, ru_RU, he_IL and en_US locales (their passport spellings transliterated
   by namebridge for Cyrillic names), sex, dates of birth written as people write them
   (15.06.1985, 1985-06-15, 06/1985, 1985), citizenships as codes or names in four languages,
   Ukrainian and Israeli phone numbers as typed, e-mail addresses, passport numbers, regions
   (codes or Ukrainian names), towns, intent, and now and then a needs note. About `--broken`
   of the rows are broken, one fault each: a date that does not exist, an invalid phone
   number, no name, an unknown country, a bad e-mail address, a cell too long to keep. A
   formula in a cell (`=HYPERLINK(…)`) is text and is imported. UTF-8 with a byte-order
   mark, semicolons, as Excel saves a CSV in the desk's locales.
2. Migrates a fresh SQLite file in a temporary folder (or uses the PostgreSQL of
   DATABASE_URL), creates a consular officer, and times `person_import` on the file: reading,
   the checks of every row, and the one transaction that writes the persons (each with its
   parts, "registered" event, risk flags and audit row), the rejected rows and the batch.
3. Checks that the counts are exactly those the file was built with, then imports the same
   rows again in another file (one more blank line): every row is skipped as a duplicate.

Prints one table: rows, imported, rejected, skipped, seconds, rows/s, for both imports.
`--profile` prints the first import's 30 most expensive calls.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_SECONDS = 30
HEADER = (
    "First name",
    "Last name",
    "First name (Latin)",
    "Last name (Latin)",
    "Sex",
    "Date of birth",
    "Citizenship",
    "Phone",
    "Email",
    "Passport number",
    "Region",
    "City",
    "Intent",
    "Needs",
)
LOCALES = {"uk_UA": 0.45, "ru_RU": 0.2, "he_IL": 0.25, "en_US": 0.1}
POOL = 800  # names drawn per locale and sex, then sampled: Faker is slow one call at a time
FAULTS = ("date", "phone", "names", "country", "email", "long")


def _pools(seed: int) -> dict:
    from faker import Faker

    from namebridge import Convention, transliterate

    pools = {}
    for locale in LOCALES:
        fake = Faker(locale)
        fake.seed_instance(seed)
        latin = Faker("en_US")
        latin.seed_instance(seed)
        entry = {}
        for sex, given, family in (
            ("F", fake.first_name_female, getattr(fake, "last_name_female", fake.last_name)),
            ("M", fake.first_name_male, getattr(fake, "last_name_male", fake.last_name)),
        ):
            names = []
            for _ in range(POOL):
                name = (given(), family())
                if locale in ("uk_UA", "ru_RU"):
                    convention = Convention.UK_NATIONAL_2010 if locale == "uk_UA" else Convention.RU_ICAO_9303
                    passport = tuple(transliterate(part, convention) for part in name)
                elif locale == "he_IL":
                    passport = (
                        latin.first_name_female() if sex == "F" else latin.first_name_male(),
                        latin.last_name(),
                    )
                else:
                    passport = name
                names.append((name, passport))
            entry[sex] = names
        entry["cities"] = [fake.city() for _ in range(200)]
        pools[locale] = entry
    return pools


def _phone(rng: random.Random) -> str:
    """A Ukrainian or Israeli mobile number as people type it, drawn until it is a valid one
    (not every number of a range is allocated). Israeli ones with their country code: without
    it a number reads as one of the crisis country, by design."""
    import phonenumbers

    while True:
        digits = f"{rng.randrange(10_000_000):07d}"
        if rng.random() < 0.6:
            operator = rng.choice(("50", "66", "67", "68", "73", "93", "95", "96", "97", "98", "99"))
            typed = rng.choice(
                (f"+380{operator}{digits}", f"0{operator} {digits[:3]} {digits[3:]}", f"+380 {operator} {digits}")
            )
        else:
            operator = rng.choice(("50", "52", "53", "54", "55", "58"))
            typed = rng.choice((f"+972{operator}{digits}", f"+972-{operator}-{digits[:3]}-{digits[3:]}"))
        if phonenumbers.is_valid_number(phonenumbers.parse(typed, "UA")):
            return typed


def _birth(rng: random.Random) -> str:
    year, month, day = rng.randint(1940, 2020), rng.randint(1, 12), rng.randint(1, 28)
    return rng.choice(
        (f"{day:02d}.{month:02d}.{year}", f"{year}-{month:02d}-{day:02d}", f"{month:02d}/{year}", str(year))
    )


def build_file(rows: int, broken_share: float, seed: int) -> tuple[bytes, dict[str, int]]:
    """The CSV, and how many rows of each fault it holds."""
    import csv

    from crisisdesk.registry.validation import region_names

    rng = random.Random(seed)
    pools = _pools(seed)
    regions = sorted({code for code, _name in region_names("UA")})
    region_words = [name for _code, name in region_names("UA") if any("\u0400" <= ch <= "\u04ff" for ch in name)]
    citizenships = ("UA", "IL", "UA, IL", "IL,UA", "Україна", "Израиль", "ישראל", "Ukraine; Israel", "ua")
    intents = ("leave", "stay", "", "виїхати", "остаться", "להישאר", "undecided", "unknown")
    sexes = {"F": ("F", "female", "жінка", "ж", "נקבה"), "M": ("M", "male", "чоловік", "м", "זכר")}
    locales, weights = list(LOCALES), list(LOCALES.values())
    faults = {fault: 0 for fault in FAULTS}
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=";")
    writer.writerow(HEADER)
    for number in range(rows):
        locale = rng.choices(locales, weights)[0]
        sex = rng.choice("FM")
        (given, family), (latin_given, latin_family) = rng.choice(pools[locale][sex])
        row = [
            given,
            family,
            latin_given if rng.random() < 0.7 else "",
            latin_family if rng.random() < 0.7 else "",
            rng.choice(sexes[sex]),
            _birth(rng) if rng.random() < 0.9 else "",
            rng.choice(citizenships),
            _phone(rng) if rng.random() < 0.85 else "",
            f"{latin_given}.{latin_family}.{number}@example.org".lower().replace(" ", "") if rng.random() < 0.6 else "",
            f"{rng.choice('ABEFGKM')}{rng.choice('ABEFGKM')}{number:07d}",  # unique: no row repeats another
            rng.choice(regions) if rng.random() < 0.5 else rng.choice(region_words),
            rng.choice(pools[locale]["cities"]),
            rng.choice(intents),
            rng.choice(
                ("", "", "", "insulin", "wheelchair", "travelling with a cat", '=HYPERLINK("http://x.example/","help")')
            ),
        ]
        if rng.random() < broken_share:
            fault = rng.choice(FAULTS)
            faults[fault] += 1
            if fault == "date":
                row[5] = rng.choice(("31.02.1985", "1985-13-01", "not known", "15.06.2090"))
            elif fault == "phone":
                row[7] = rng.choice(("12345", "+380 12", "call me"))
            elif fault == "names":
                row[0] = row[1] = ""
            elif fault == "country":
                row[6] = rng.choice(("Atlantis", "UA, Narnia", "XX"))
            elif fault == "email":
                row[8] = rng.choice(("olena@", "no email", "a@b@c"))
            else:
                row[13] = "x" * 3000
        writer.writerow(row)
    return b"\xef\xbb\xbf" + buffer.getvalue().encode("utf-8"), faults


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--broken", type=float, default=0.02, help="share of broken rows (default 0.02)")
    parser.add_argument("--seed", type=int, default=9)
    parser.add_argument("--profile", action="store_true", help="print the first import's most expensive calls")
    args = parser.parse_args(argv)

    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.local", "DJANGO_DEBUG": "0"}
    if not os.environ.get("DATABASE_URL"):
        env["CRISISDESK_SQLITE_PATH"] = str(Path(tempfile.mkdtemp(prefix="crisisdesk-import-bench-")) / "bench.sqlite3")
    subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True
    )
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from crisisdesk.accounts.models import User
    from crisisdesk.accounts.permissions import Role
    from crisisdesk.common.origin import CLI
    from crisisdesk.registry.imports import person_import
    from crisisdesk.registry.models import Person

    if Person.objects.exists():
        print("the database already holds persons: give a fresh one", file=sys.stderr)
        return 1
    officer = User.objects.create_user(username="bench-consul", role=Role.CONSULAR_OFFICER)
    started = time.perf_counter()
    content, faults = build_file(args.rows, args.broken, args.seed)
    print(
        f"built {args.rows:,} rows ({len(content) / 1e6:.1f} MB, {sum(faults.values()):,} broken) "
        f"in {time.perf_counter() - started:.1f} s",
        file=sys.stderr,
    )

    profiler = cProfile.Profile() if args.profile else None
    runs = []
    for label, data in (("first import", content), ("same rows again", content + b"\r\n")):
        if profiler is not None and not runs:
            profiler.enable()
        began = time.perf_counter()
        result = person_import(actor=officer, origin=CLI, file_name="persons.csv", content=data)
        seconds = time.perf_counter() - began
        if profiler is not None and not runs:
            profiler.disable()
        runs.append((label, result, seconds))

    first, again = runs[0][1], runs[1][1]
    broken = sum(faults.values())
    assert first.rows_total == args.rows, first.rows_total
    assert first.rows_rejected == broken, (first.rows_rejected, faults)
    assert first.rows_imported == args.rows - broken
    assert Person.objects.count() == first.rows_imported
    assert (again.rows_imported, again.rows_skipped_duplicate) == (0, first.rows_imported)

    database = "PostgreSQL" if os.environ.get("DATABASE_URL") else "SQLite"
    print(
        f"| database | run | rows | imported | rejected | skipped (already imported) | seconds | rows/s | target ≤ {TARGET_SECONDS} s |"
    )
    print("|---|---|--:|--:|--:|--:|--:|--:|---|")
    for label, result, seconds in runs:
        verdict = "" if label != "first import" else ("met" if seconds <= TARGET_SECONDS else "missed")
        print(
            f"| {database} | {label} | {result.rows_total:,} | {result.rows_imported:,} | {result.rows_rejected:,} "
            f"| {result.rows_skipped_duplicate:,} | {seconds:.1f} | {result.rows_total / seconds:,.0f} | {verdict} |"
        )
    print(f"\nrejected by fault: {', '.join(f'{fault} {count:,}' for fault, count in faults.items())}")
    if profiler is not None:
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(30)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
