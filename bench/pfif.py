#!/usr/bin/env python3
"""PFIF 1.4 import and export of 2,000 persons with 4,000 notes, on a fresh database.

    .venv/bin/python bench/pfif.py [--persons 2000] [--notes-per-person 2] [--seed 9] [--profile]
    scripts/with-throwaway-postgres -- .venv/bin/python bench/pfif.py

1. Builds a PFIF 1.4 file of another repository (seeded, in memory): persons with Ukrainian,
   Russian, Hebrew and English names (Faker), alternate names, sex, partial dates of birth,
   regions, towns; each with its notes nested: believed_alive, believed_missing,
   is_note_author or information_sought, some with text, one person in fifty linked to the
   next as the same person (linked_person_record_id).
2. Migrates a fresh SQLite file (or uses DATABASE_URL), creates a desk chief, and times
   `pfif_import` (parse, checks, the persons through the registry's bulk insert, the notes and
   their timeline entries in bulk, the timelines derived again, the pairs for review, the audit
   rows), then the same file again (everything skipped), then `pfif_export` of everything and
   the same feed read in pages of 100 (`skip`/`max_results`).

Prints one table: step, records, seconds, records/s.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from xml.sax.saxutils import escape

ROOT = Path(__file__).resolve().parent.parent
LOCALES = ("uk_UA", "ru_RU", "he_IL", "en_US")
STATUSES = ("believed_alive", "believed_missing", "is_note_author", "information_sought")


def build_file(persons: int, notes_per_person: int, seed: int) -> bytes:
    from faker import Faker

    rng = random.Random(seed)
    fakers = []
    for locale in LOCALES:
        fake = Faker(locale)
        fake.seed_instance(seed)
        fakers.append([(fake.first_name(), fake.last_name()) for _ in range(300)])
    regions = ("UA-46", "UA-30", "UA-32", "UA-51", "UA-63", "")
    out = ['<?xml version="1.0" encoding="UTF-8"?>\n<pfif:pfif xmlns:pfif="http://zesty.ca/pfif/1.4">\n']
    note_number = 0
    for number in range(persons):
        given, family = rng.choice(rng.choice(fakers))
        other_given, other_family = rng.choice(rng.choice(fakers))
        day = rng.randint(1, 28)
        birth = rng.choice((f"{rng.randint(1940, 2015)}", f"{rng.randint(1940, 2015)}-{rng.randint(1, 12):02d}", ""))
        fields = {
            "person_record_id": f"pf.example.net/p{number}",
            "entry_date": f"2026-02-{day:02d}T10:00:00Z",
            "source_name": "Person Finder (bench)",
            "source_date": f"2026-02-{day:02d}T09:00:00Z",
            "full_name": f"{given} {family}",
            "given_name": given,
            "family_name": family,
            "alternate_names": f"{other_given} {other_family}",
            "sex": rng.choice(("female", "male", "other", "")),
            "date_of_birth": birth,
            "home_city": "Lviv",
            "home_state": rng.choice(regions),
        }
        out.append("  <pfif:person>\n")
        out += [f"    <pfif:{name}>{escape(value)}</pfif:{name}>\n" for name, value in fields.items() if value]
        for position in range(notes_per_person):
            note = {
                "note_record_id": f"pf.example.net/n{note_number}",
                "author_name": "Volunteer",
                "source_date": f"2026-03-{day:02d}T{10 + position:02d}:00:00Z",
                "status": rng.choice(STATUSES),
                "text": rng.choice(("", "Seen at the station.", "Called from Warsaw.")),
            }
            if position == 0 and number % 50 == 0 and number + 1 < persons:
                note["linked_person_record_id"] = f"pf.example.net/p{number + 1}"
            note_number += 1
            out.append("    <pfif:note>\n")
            out += [f"      <pfif:{name}>{escape(value)}</pfif:{name}>\n" for name, value in note.items() if value]
            out.append("    </pfif:note>\n")
        out.append("  </pfif:person>\n")
    out.append("</pfif:pfif>\n")
    return "".join(out).encode("utf-8")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--persons", type=int, default=2000)
    parser.add_argument("--notes-per-person", type=int, default=2)
    parser.add_argument("--seed", type=int, default=9)
    parser.add_argument("--profile", action="store_true", help="print the first import's most expensive calls")
    args = parser.parse_args(argv)

    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.local", "DJANGO_DEBUG": "0"}
    if not os.environ.get("DATABASE_URL"):
        env["CRISISDESK_SQLITE_PATH"] = str(Path(tempfile.mkdtemp(prefix="crisisdesk-pfif-bench-")) / "bench.sqlite3")
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
    from crisisdesk.pfif.exports import pfif_export
    from crisisdesk.pfif.imports import pfif_import
    from crisisdesk.registry.models import Person

    if Person.objects.exists():
        print("the database already holds persons: give a fresh one", file=sys.stderr)
        return 1
    chief = User.objects.create_user(username="bench-desk-chief", role=Role.DESK_CHIEF)
    content = build_file(args.persons, args.notes_per_person, args.seed)
    notes = args.persons * args.notes_per_person
    records = args.persons + notes
    print(f"built {args.persons:,} persons and {notes:,} notes ({len(content) / 1e6:.1f} MB)", file=sys.stderr)

    rows = []
    profiler = cProfile.Profile() if args.profile else None
    if profiler:
        profiler.enable()
    began = time.perf_counter()
    first = pfif_import(actor=chief, origin=CLI, file_name="bench.xml", content=content).batch
    rows.append(("import", records, time.perf_counter() - began))
    if profiler:
        profiler.disable()
    assert (first.persons_imported, first.notes_imported) == (args.persons, notes), first
    began = time.perf_counter()
    again = pfif_import(actor=chief, origin=CLI, file_name="bench.xml", content=content).batch
    rows.append(("import again (all skipped)", records, time.perf_counter() - began))
    assert (again.persons_skipped, again.notes_skipped, again.persons_imported) == (args.persons, notes, 0)
    began = time.perf_counter()
    export = pfif_export(actor=chief, origin=CLI)
    rows.append(("export, one document", export.persons + export.notes, time.perf_counter() - began))
    assert (export.persons, export.notes) == (args.persons, notes), (export.persons, export.notes)
    began = time.perf_counter()
    paged = 0
    for skip in range(0, args.persons, 100):
        page = pfif_export(actor=chief, origin=CLI, skip=skip, max_results=100)
        paged += page.persons + page.notes
    rows.append(("export, pages of 100", paged, time.perf_counter() - began))

    database = "PostgreSQL" if os.environ.get("DATABASE_URL") else "SQLite"
    print(f"| database | step ({args.persons:,} persons, {notes:,} notes) | records | seconds | records/s |")
    print("|---|---|---:|---:|---:|")
    for label, count, seconds in rows:
        print(f"| {database} | {label} | {count:,} | {seconds:.2f} | {count / seconds:,.0f} |")
    if profiler:
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(30)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
