"""A national-scale registry and border record for bench/sitrep.py, written with bulk SQL.

    .venv/bin/python bench/sitrep_data.py [--persons 1000000] [--events-per-person 3] [--seed 2022]

Writes into the (migrated, empty) database of the settings (CRISISDESK_SQLITE_PATH, or
DATABASE_URL for PostgreSQL) and prints one JSON line of what it wrote. Going through the
services would take an hour at this size, so rows are built in memory and inserted with
`executemany` in one transaction on SQLite and with `COPY` on PostgreSQL; the few reference
rows (staff, mission, posts, points, roster) go through the ORM.

The scenario is Israel's nationals in Ukraine from the invasion of 24 February 2022, at the
size of the issue's target (1,000,000 persons, 3,000,000 timeline events), up to `END`:

* registrations from 10 February, rising after the embassy's call on the 14th, peaking on the
  24th, most of them before it; 25 oblasts and Kyiv, most in Kyiv, Odesa, Dnipro, Kharkiv and
  Lviv; about 30 % in households of 2–5 who register, move and cross together;
* everyone holds IL, about 35 % also UA and 5 % also RU; about 8 % have a vulnerability;
  the conscription-risk flag on UA men aged 16–60 (about 10 %);
* a timeline per person: `registered`, then contacts, intent changes, moves (west, after the
  invasion), `en_route`, `at_border`, `crossed` (about 35 %, from the 24th, at 8 points; UA
  men of 18–60 are turned back, as martial law had it), `arrived_home`, `staying`, `missing`
  and `found_safe`, a few crossings reported at the wrong point and corrected; each recorded
  minutes to hours after it happened, some a day late;
* about 70 % of the crossers checked in at a desk (a check-in with its desk event, the
  `crossed` event recorded when the desk event arrived), 2 % of them coming back later;
  headcount tallies (2 % of the persons in number), a roster of shifts over the last days,
  crossing status reports, a few desk conflicts and the Polish Border Guard's daily figures.

Persons' denormalised `current_status`, `current_status_at`, `intent` and `region` are
derived from the generated timeline by the rules of `registry.services.derive_current_status`
(latest standing event by occurrence; `registered` only when there is nothing else) and the
last `intent_changed` / `location_updated`, and their other timeline facts by those of
`derive_timeline_facts` (first and last crossings not corrected, by source; latest contact),
so the sitrep of now and the re-derived past agree.
Deterministic: the same arguments give the same rows. Names are invented from short lists.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import sys
import time
from bisect import bisect
from collections import Counter, namedtuple
from datetime import UTC, date, datetime, timedelta
from itertools import accumulate
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# The data's "now": the sitrep of now is computed as of this moment.
END = datetime(2022, 3, 6, tzinfo=UTC)
HOUR, DAY, MINUTE = 3600, 86400, 60
_EPOCH_DAY = date(2022, 1, 1)
_BASE = int(datetime(2022, 1, 1, tzinfo=UTC).timestamp())
_END = int(END.timestamp())
INVASION = int(datetime(2022, 2, 24, 3, 0, tzinfo=UTC).timestamp())  # 05:00 in Kyiv
REGISTRATION_DAYS = {  # UTC day → relative number of registrations
    "2022-02-10": 1,
    "2022-02-11": 1,
    "2022-02-12": 1.5,
    "2022-02-13": 2,
    "2022-02-14": 6,
    "2022-02-15": 5,
    "2022-02-16": 4.5,
    "2022-02-17": 4.5,
    "2022-02-18": 5,
    "2022-02-19": 5.5,
    "2022-02-20": 6,
    "2022-02-21": 8,
    "2022-02-22": 9,
    "2022-02-23": 12,
    "2022-02-24": 16,
    "2022-02-25": 11,
    "2022-02-26": 8,
    "2022-02-27": 6,
    "2022-02-28": 4.5,
    "2022-03-01": 3.5,
    "2022-03-02": 2.5,
    "2022-03-03": 2,
    "2022-03-04": 1.5,
    "2022-03-05": 1.2,
}
CROSSING_DAYS = {
    "2022-02-24": 4,
    "2022-02-25": 12,
    "2022-02-26": 14,
    "2022-02-27": 13,
    "2022-02-28": 11,
    "2022-03-01": 9,
    "2022-03-02": 7,
    "2022-03-03": 6,
    "2022-03-04": 5,
    "2022-03-05": 4,
}
# UTC hour → activity (Kyiv is UTC+2: quiet at night there).
WAKING_HOURS = [0.15, 0.1, 0.1, 0.2, 0.5, 0.8, 1, 1, 1, 1, 1, 1, 1, 1.1, 1.2, 1.3, 1.3, 1.2, 1, 0.8, 0.6, 0.4, 0.3, 0.2]
REGIONS = {
    "UA-30": 28,
    "UA-51": 13,
    "UA-12": 11,
    "UA-63": 10,
    "UA-46": 6,
    "UA-32": 5,
    "UA-23": 3,
    "UA-14": 2,
    "UA-48": 2,
    "UA-53": 2,
    "UA-05": 2,
    "UA-71": 1.5,
    "UA-74": 1.5,
    "UA-18": 1.5,
    "UA-77": 1.5,
    "UA-21": 1.5,
    "UA-65": 1.5,
    "UA-35": 1,
    "UA-68": 1,
    "UA-56": 1,
    "UA-07": 1,
    "UA-26": 1,
    "UA-61": 1,
    "UA-59": 1,
    "UA-09": 1,
}
WEST = {"UA-46": 30, "UA-21": 20, "UA-26": 12, "UA-77": 10, "UA-61": 8, "UA-07": 8, "UA-56": 6, "UA-68": 6}
NORTH = frozenset({"UA-30", "UA-32", "UA-74", "UA-18", "UA-56", "UA-07", "UA-59"})
SOUTH = frozenset({"UA-51", "UA-48", "UA-65", "UA-77", "UA-23"})
# (code, name, far side, country, weight, favoured by regions)
POINTS = (
    ("shehyni-medyka", "Shehyni", "Medyka", "PL", 34, frozenset()),
    ("rava-ruska-hrebenne", "Rava-Ruska", "Hrebenne", "PL", 18, frozenset()),
    ("krakovets-korczowa", "Krakovets", "Korczowa", "PL", 17, frozenset()),
    ("yahodyn-dorohusk", "Yahodyn", "Dorohusk", "PL", 13, NORTH),
    ("ustyluh-zosin", "Ustyluh", "Zosin", "PL", 9, NORTH),
    ("smilnytsia-kroscienko", "Smilnytsia", "Krościenko", "PL", 9, frozenset()),
    ("uzhhorod-vysne-nemecke", "Uzhhorod", "Vyšné Nemecké", "SK", 8, frozenset({"UA-21"})),
    ("porubne-siret", "Porubne", "Siret", "RO", 7, SOUTH),
)
INTENTS = {"leave": 45, "stay": 15, "undecided": 20, "unknown": 20}
# Chance that a household of this (final) intent crosses by the end: about 35 % of persons.
CROSS_CHANCE = {"leave": 0.76, "unknown": 0.17, "undecided": 0.07, "stay": 0.0}
HOUSEHOLD_UNITS = 0.125  # share of registrations that are households: ~30 % of persons
HOUSEHOLD_SIZES = {2: 40, 3: 30, 4: 20, 5: 10}
DESK_CHECKED = 0.70
RETURN_SHARE = 0.03
ARRIVED_HOME_SHARE = 0.25
MISSING_SHARE = 0.014  # of those who do not cross; 30 % of them are later found safe
WRONG_POINT_SHARE = 0.02  # of self-reported crossings, corrected by staff
GIVEN = (
    "Noa Yael Tamar Maya Shira Avigail Michal Rivka Olena Iryna Natalia Tetiana Svitlana Anna Maria Yulia "
    "David Yosef Moshe Avraham Daniel Itai Yonatan Ariel Oleksandr Dmytro Andriy Serhiy Mykhailo Ivan Pavlo "
    "Yevhen Igor Boris Leonid Vladimir Roman Eitan Ohad Lior"
).split()
FAMILY = (
    "Cohen Levi Mizrahi Peretz Biton Friedman Shapiro Katz Rabinovich Goldberg Kaplan Segal Abramov "
    "Kogan Shevchenko Kovalenko Bondarenko Tkachenko Kravchenko Oliynyk Melnyk Boyko Moroz Lysenko "
    "Rudenko Marchenko Pavlenko Savchenko Zaitsev Volkov Sokolov Orlov Vinogradov Gurevich Portnoy "
    "Brodsky Zilberman Rosen Weiss Gold"
).split()
EXTRA_KINDS = ("contacted", "contacted", "contacted", "location_updated", "location_updated")
VERIFIED = frozenset({"desk", "staff", "api"})  # registry.models.VERIFIED_SOURCES
NOT_CONTACT = frozenset({"missing", "deceased", "entered_in_error"})  # registry.models.NOT_CONTACT_KINDS
STANDING_REGISTERED = 0  # rank of `registered` in derive_current_status: anything else outranks it


# A timeline entry as `derive_timeline_facts` reads it.
_KnownEntry = namedtuple("_KnownEntry", "pk kind source occurred_at corrects_id")


def ts(seconds: int) -> str:
    """Seconds since the epoch (UTC) as the text both backends read as a UTC timestamp."""
    day, rest = divmod(seconds - _BASE, DAY)
    hour, rest = divmod(rest, HOUR)
    minute, second = divmod(rest, 60)
    return f"{_DAY_TEXT[day]} {hour:02d}:{minute:02d}:{second:02d}"


_DAY_TEXT = [(_EPOCH_DAY + timedelta(days=offset)).isoformat() for offset in range(200)]


def _hour_bins(days: dict[str, float], *, not_before: int = 0) -> tuple[list[int], list[float]]:
    starts, weights = [], []
    for day, weight in days.items():
        midnight = int(datetime.fromisoformat(day).replace(tzinfo=UTC).timestamp())
        for hour, activity in enumerate(WAKING_HOURS):
            start = midnight + hour * HOUR
            if start >= not_before and start + HOUR <= _END:
                starts.append(start)
                weights.append(weight * activity)
    return starts, list(accumulate(weights))


def _chooser(weights: dict, rng: random.Random):
    keys, cumulative = list(weights), list(accumulate(weights.values()))
    total, rand = cumulative[-1], rng.random
    return lambda: keys[bisect(cumulative, rand() * total)]


class World:
    """The generated rows, in insertion order, as tuples of database values."""

    def __init__(self):
        self.households: list[tuple] = []
        self.persons: list[tuple] = []
        self.citizenships: list[tuple] = []
        self.vulnerabilities: list[tuple] = []
        self.risk_flags: list[tuple] = []
        self.desk_events: list[tuple] = []
        self.check_ins: list[tuple] = []
        self.tallies: list[tuple] = []
        self.status_events: list[tuple] = []
        self.conflicts: list[tuple] = []
        self.partner_days: Counter[int] = Counter()


def generate(*, persons: int, events_per_person: float, seed: int, refs: dict) -> World:
    """Build every bulk row. `refs`: ids of the reference rows (users, points, the risk rule)."""
    rng = random.Random(seed)
    rand, randint, choice = rng.random, rng.randint, rng.choice
    region_of, west_of = _chooser(REGIONS, rng), _chooser(WEST, rng)
    intent_of, size_of = _chooser(INTENTS, rng), _chooser(HOUSEHOLD_SIZES, rng)
    point_codes = [code for code, *_rest in POINTS]
    point_choosers = {
        region: _chooser({code: w * (4 if region in favoured else 1) for code, _n, _f, _c, w, favoured in POINTS}, rng)
        for region in REGIONS
    }
    officers_at, consuls, chief = refs["officers_at"], refs["consuls"], refs["chief"]
    reg_starts, reg_cumulative = _hour_bins(REGISTRATION_DAYS)
    cross_bins = _hour_bins(CROSSING_DAYS, not_before=INVASION + 2 * HOUR)

    def moment(starts, cumulative) -> int:
        return starts[bisect(cumulative, rand() * cumulative[-1])] + randint(0, HOUR - 1)

    def delay() -> int:
        """How long after it happened an event is recorded: minutes, hours, or a day late."""
        draw = rand()
        if draw < 0.6:
            return randint(MINUTE, 30 * MINUTE)
        if draw < 0.9:
            return randint(30 * MINUTE, 6 * HOUR)
        if draw < 0.98:
            return randint(6 * HOUR, 24 * HOUR)
        return randint(24 * HOUR, 36 * HOUR)

    def recorded(occurred: int, after: int | None = None) -> int:
        at = occurred + (after if after is not None else delay())
        return at if at <= _END else occurred + randint(0, max(0, _END - occurred))

    world = World()
    # Timeline rows before they have ids:
    # [recorded, occurred, seq, person, kind, source, by, point, data, corrects (seq), new intent or region]
    events: list[list] = []
    seq = 0

    def event(person, kind, occurred, at, source, *, by=None, point=None, data="{}", corrects=None, extra=None) -> int:
        nonlocal seq
        seq += 1
        events.append([at, occurred, seq, person, kind, source, by, point, data, corrects, extra])
        return seq

    desk_rows: list[list] = []  # [received, uuid hex, kind, device time, officer, point, person ids, number]
    check_in_rows: list[list] = []  # [desk event number, person, point, direction, crossed at, officer]
    uuid_bits = rng.getrandbits

    def desk_event(kind, *, device_time, received, officer, point, person_ids, direction) -> tuple[int, str]:
        """A desk event and its check-ins; returns its number and the timeline events' `data`."""
        number = len(desk_rows)
        hexid = f"{uuid_bits(128):032x}"
        desk_rows.append([received, hexid, kind, device_time, officer, point, person_ids, number])
        for person in person_ids:
            check_in_rows.append([number, person, point, direction, device_time, officer])
        uuid_text = f"{hexid[:8]}-{hexid[8:12]}-{hexid[12:16]}-{hexid[16:20]}-{hexid[20:]}"
        return number, json.dumps({"desk_event": uuid_text, "direction": direction})

    # Registrations (a person, or a household of 2–5) spread over the registration days, in order.
    sizes, total = [], 0
    while total < persons:
        size = min(size_of() if rand() < HOUSEHOLD_UNITS else 1, persons - total)
        sizes.append(size)
        total += size
    created_times = sorted(moment(reg_starts, reg_cumulative) for _ in sizes)
    # The budget of contacts and moves, steered so the total comes out at `events_per_person`.
    base_extra = max(0.0, events_per_person - 2.4)
    person_id = household_id = 0
    # [id, household, relationship, given, family, sex, birth year, month, day, created, created by, region, intent]
    person_rows: list[list] = []
    risk_rule = refs["risk_rule"]
    for created, size in zip(created_times, sizes, strict=True):
        household = None
        if size > 1:
            household_id += 1
            household = household_id
            world.households.append((household_id, ts(created)))
        region0 = region_of()
        intent = intent0 = intent_of()
        if intent != "unknown" and rand() < 0.3:
            intent0 = choice([other for other in ("undecided", "unknown", "leave", "stay") if other != intent])
        staff_registered = rand() < 0.35
        created_by = choice(consuls) if staff_registered else None
        # The household's journey, shared by its members.
        t_cross = None
        if rand() < CROSS_CHANCE[intent]:
            t_cross = moment(*cross_bins)
            if t_cross < created + 3 * HOUR:
                t_cross = created + randint(3 * HOUR, 36 * HOUR)
            if t_cross > _END - 30 * MINUTE:
                t_cross = None
        crosses = t_cross is not None
        point = point_choosers[region0]() if crosses else None
        desk = crosses and rand() < DESK_CHECKED
        t_en_route = t_cross - randint(4 * HOUR, 30 * HOUR) if crosses and rand() < 0.5 else None
        if t_en_route is not None and t_en_route <= created + 30 * MINUTE:
            t_en_route = None
        t_at_border = t_cross - randint(HOUR, 20 * HOUR) if crosses and rand() < 0.4 else None
        if t_at_border is not None and t_at_border <= max(created, t_en_route or 0) + 10 * MINUTE:
            t_at_border = None
        journey_start = min(x for x in (t_en_route, t_at_border, t_cross, _END) if x is not None)
        # Before the journey they change their mind, or move (west, once the war started).
        latest = journey_start - HOUR
        intent_changed_at = None
        if intent0 != intent:
            if latest > created + 2 * HOUR:
                intent_changed_at = randint(created + HOUR, latest)
            else:
                intent0 = intent
        household_moves = []
        if latest > created + 2 * HOUR:
            for _ in range(2 if rand() < 0.08 else 1 if rand() < 0.25 else 0):
                at = randint(created + HOUR, latest)
                household_moves.append((at, west_of() if at > INVASION else region_of()))
        t_arrived = None
        if crosses and rand() < ARRIVED_HOME_SHARE:
            t_arrived = t_cross + randint(12 * HOUR, 72 * HOUR)
            if t_arrived > _END - HOUR:
                t_arrived = None
        t_return = None
        if desk and t_arrived is None and rand() < RETURN_SHARE:
            t_return = t_cross + randint(20 * HOUR, 5 * DAY)
            if t_return > _END - HOUR:
                t_return = None
        head_birth, head_sex = randint(1942, 2003), "M" if rand() < 0.5 else "F"
        crossers = []
        for number in range(size):
            person_id += 1
            relationship = "self" if number == 0 else "spouse" if number == 1 and rand() < 0.7 else "child"
            if number >= 2 and rand() < 0.15:
                relationship = "parent"
            if relationship == "self":
                birth_year, sex = head_birth, head_sex
            elif relationship == "spouse":
                birth_year, sex = min(2003, max(1935, head_birth + randint(-6, 6))), "F" if head_sex == "M" else "M"
            elif relationship == "child":
                birth_year, sex = randint(max(head_birth + 18, 1960), 2021), "M" if rand() < 0.5 else "F"
            else:
                birth_year, sex = randint(1930, max(1931, head_birth - 18)), "M" if rand() < 0.5 else "F"
            if rand() < 0.01:
                sex = "U"
            month = randint(1, 12) if rand() < 0.9 else None
            day = randint(1, 28) if month and rand() < 0.95 else None
            person_rows.append(
                [
                    person_id,
                    household,
                    relationship,
                    choice(GIVEN),
                    choice(FAMILY),
                    sex,
                    birth_year,
                    month,
                    day,
                    created,
                    created_by,
                    region0,
                    intent0,
                ]
            )
            ua, ru = rand() < 0.35, rand() < 0.05
            world.citizenships.append((person_id, "IL"))
            if ua:
                world.citizenships.append((person_id, "UA"))
            if ru:
                world.citizenships.append((person_id, "RU"))
            # Age on the crisis day (an unknown month or day counts as late in the year).
            age = 2022 - birth_year - (1 if (month or 12, day or 28) > (2, 24) else 0)
            if ua and sex == "M" and 16 <= age <= 60:
                reasons = [
                    {"condition": "citizenship", "country": "UA"},
                    {"condition": "sex", "sex": "M"},
                    {"condition": "age", "on": "2022-02-24", "low": age, "high": age, "min": 16, "max": 60},
                ]
                world.risk_flags.append((person_id, risk_rule, json.dumps(reasons), ts(created)))
            if rand() < 0.08:
                options = ["medical", "mobility"]
                if age >= 70:
                    options += ["mobility"] + (["elderly_alone"] * 3 if size == 1 else [])
                if sex == "F" and 18 <= age <= 44:
                    options.append("pregnancy")
                if age < 18 and size == 1:
                    options = ["unaccompanied_minor"]
                for kind in sorted({choice(options) for _ in range(2 if rand() < 0.1 else 1)}):
                    world.vulnerabilities.append((person_id, kind))
            # Men of 18–60 with Ukrainian citizenship are turned back at the border (martial law).
            turned_back = crosses and ua and sex == "M" and 18 <= age <= 60
            if crosses and not turned_back:
                crossers.append(person_id)

            event(person_id, "registered", created, created, "staff" if staff_registered else "public", by=created_by)
            if intent_changed_at is not None:
                by = choice(consuls) if rand() < 0.5 else None
                at, data = intent_changed_at, json.dumps({"from": intent0, "to": intent})
                event(
                    person_id,
                    "intent_changed",
                    at,
                    recorded(at),
                    "staff" if by else "self",
                    by=by,
                    data=data,
                    extra=intent,
                )
            # Contacts and moves of their own, before the journey for those who leave.
            deficit = events_per_person * person_id - len(events)
            mean = min(max(base_extra + deficit / 2000, 0.0), base_extra * 3 + 1)
            extras = int(mean) + (1 if rand() < mean - int(mean) else 0)
            moves = list(household_moves)
            latest = journey_start - 30 * MINUTE
            for _ in range(extras):
                if latest <= created + 20 * MINUTE:
                    break
                at = randint(created + 10 * MINUTE, latest)
                if rand() < 0.6:
                    event(person_id, "contacted", at, recorded(at), "staff", by=choice(consuls))
                else:
                    moves.append((at, west_of() if at > INVASION else region_of()))
            region = region0
            for at, target in sorted(moves):
                new = target if target != region else "UA-21" if region == "UA-46" else "UA-46"
                by = choice(consuls) if rand() < 0.4 else None
                source = "staff" if by else "self" if rand() < 0.8 else "public"
                data = json.dumps({"region": new, "from_region": region})
                event(person_id, "location_updated", at, recorded(at), source, by=by, data=data, extra=new)
                region = new
            if t_en_route is not None:
                event(person_id, "en_route", t_en_route, recorded(t_en_route), "self")
            if t_at_border is not None:
                by = choice(officers_at[point]) if rand() < 0.3 else None
                event(person_id, "at_border", t_at_border, recorded(t_at_border), "desk" if by else "self", by=by)
            if turned_back:
                at = t_cross + randint(HOUR, 12 * HOUR)  # staff hear from him a few hours later
                if at < _END:
                    event(person_id, "contacted", at, recorded(at), "staff", by=choice(consuls))
            if not crosses:
                if intent == "stay" and rand() < 0.4 and created < _END - HOUR:
                    at = randint(max(created + 10 * MINUTE, INVASION), _END - 10 * MINUTE)
                    draw = rand()
                    source = "staff" if draw < 0.5 else "desk" if draw < 0.7 else "self"
                    by = choice(consuls) if source != "self" else None
                    event(person_id, "staying", at, recorded(at), source, by=by)
                if rand() < MISSING_SHARE and created < _END - 4 * HOUR:
                    at = randint(max(created + HOUR, INVASION), _END - 2 * HOUR)
                    event(person_id, "missing", at, recorded(at), "staff" if rand() < 0.6 else "public", by=chief)
                    if rand() < 0.3:
                        found = randint(at + HOUR, _END - HOUR)
                        event(person_id, "found_safe", found, recorded(found), "staff", by=chief)
        if not crossers:
            continue
        # The crossing: one desk event for the household members who crossed together.
        if desk:
            fast = rand() < 0.7
            received = recorded(t_cross, randint(MINUTE, 15 * MINUTE) if fast else randint(15 * MINUTE, 10 * HOUR))
            officer = choice(officers_at[point])
            kind = "check_in" if len(crossers) == 1 else "household_check_in"
            _number, data = desk_event(
                kind,
                device_time=t_cross,
                received=received,
                officer=officer,
                point=point,
                person_ids=crossers,
                direction="out",
            )
            for member in crossers:
                event(member, "crossed", t_cross, received, "desk", by=officer, point=point, data=data)
            world.partner_days[(t_cross + 2 * HOUR) // DAY] += len(crossers)
            if t_return is not None:
                back = choice(point_codes[:3])
                received = recorded(t_return, randint(MINUTE, 20 * MINUTE))
                officer = choice(officers_at[back])
                _number, data = desk_event(
                    kind,
                    device_time=t_return,
                    received=received,
                    officer=officer,
                    point=back,
                    person_ids=crossers,
                    direction="in",
                )
                for member in crossers:
                    event(member, "returned", t_return, received, "desk", by=officer, point=back, data=data)
        else:
            draw = rand()
            source = "self" if draw < 0.55 else "staff" if draw < 0.85 else "public"
            by = choice(consuls) if source == "staff" else None
            reported_point = point if source == "staff" or rand() < 0.6 else None
            at = recorded(t_cross)
            fixed = at + randint(HOUR, 12 * HOUR)
            wrong = source == "self" and rand() < WRONG_POINT_SHARE and fixed + MINUTE <= _END
            for member in crossers:
                if wrong:  # reported at the wrong point, then corrected by staff
                    other = choice([code for code in point_codes if code != point])
                    first = event(member, "crossed", t_cross, at, "self", point=other)
                    event(member, "entered_in_error", fixed, fixed, "staff", by=chief, corrects=first)
                    event(member, "crossed", t_cross, fixed + MINUTE, "staff", by=chief, point=point)
                else:
                    event(member, "crossed", t_cross, at, source, by=by, point=reported_point)
        if t_arrived is not None:
            for member in crossers:
                event(member, "arrived_home", t_arrived, recorded(t_arrived), "self" if rand() < 0.6 else "staff")
    _tallies(rng, desk_event=desk_event, count=max(1, persons // 50), refs=refs, cross_bins=cross_bins, world=world)
    _finish(world, person_rows, events, desk_rows, check_in_rows, refs=refs, rng=rng)
    return world


def _tallies(rng: random.Random, *, desk_event, count: int, refs: dict, cross_bins, world: World) -> None:
    """Headcounts of unnamed people at the points: buses, cars, groups on foot."""
    rand, randint = rng.random, rng.randint
    starts, cumulative = cross_bins
    point_of = _chooser({code: weight for code, _n, _f, _c, weight, _r in POINTS}, rng)
    descriptions = ("bus", "minibus", "car queue", "group on foot", "train from Lviv", "van")
    for _ in range(count):
        counted = starts[bisect(cumulative, rand() * cumulative[-1])] + randint(0, HOUR - 1)
        point = point_of()
        officer = rng.choice(refs["officers_at"][point])
        received = counted + (randint(MINUTE, 20 * MINUTE) if rand() < 0.85 else randint(20 * MINUTE, 6 * HOUR))
        nationals = min(60, 1 + int(rng.expovariate(1 / 4)))
        others = randint(0, 40)
        children = randint(0, min(nationals + others, 15))
        direction = "out" if rand() < 0.97 else "in"
        number, _data = desk_event(
            "tally",
            device_time=counted,
            received=min(received, _END),
            officer=officer,
            point=point,
            person_ids=[],
            direction=direction,
        )
        world.tallies.append(
            [number, point, direction, counted, nationals, children, others, rng.choice(descriptions), officer]
        )


def _finish(world: World, person_rows, events, desk_rows, check_in_rows, *, refs: dict, rng: random.Random) -> None:
    """Ids in the order rows were recorded, and each person's present derived from their timeline."""
    point_ids, payload = refs["points"], refs["encrypted_empty"]
    desk_rows.sort(key=lambda row: (row[0], row[7]))
    desk_id = {row[7]: index for index, row in enumerate(desk_rows, start=1)}
    for index, (received, hexid, kind, device_time, officer, point, person_ids, _n) in enumerate(desk_rows, start=1):
        world.desk_events.append(
            (
                index,
                hexid,
                kind,
                payload,
                f"{rng.getrandbits(256):064x}",
                ts(device_time),
                ts(received),
                officer,
                f"tablet {officer % 5 + 1} at {point.split('-')[0].capitalize()}",
                point_ids[point],
                "applied",
                json.dumps(person_ids),
            )
        )
    check_in_rows.sort(key=lambda row: (desk_id[row[0]], row[1]))
    for index, (number, person, point, direction, crossed_at, officer) in enumerate(check_in_rows, start=1):
        world.check_ins.append((index, person, point_ids[point], direction, ts(crossed_at), desk_id[number], officer))
    world.tallies.sort(key=lambda row: desk_id[row[0]])
    world.tallies = [
        (index, point_ids[point], direction, ts(counted), nationals, children, others, text, desk_id[number], officer)
        for index, (number, point, direction, counted, nationals, children, others, text, officer) in enumerate(
            world.tallies, start=1
        )
    ]
    # Two-point conflicts on a few check-ins, most of them resolved since.
    for index, (number, person, *_rest) in enumerate(rng.sample(check_in_rows, min(60, len(check_in_rows))), start=1):
        detected = desk_rows[desk_id[number] - 1][0] + 1
        resolved = rng.random() < 0.6
        resolved_at = ts(min(_END, detected + rng.randint(HOUR, 20 * HOUR))) if resolved else None
        world.conflicts.append(
            (
                index,
                "two_points",
                "resolved" if resolved else "open",
                person,
                desk_id[number],
                payload,
                ts(detected),
                refs["chief"] if resolved else None,
                resolved_at,
                "The same crossing, recorded at the wrong point first" if resolved else "",
            )
        )
    # Timeline ids in the order events were recorded; then each person's present, as
    # derive_current_status has it: the latest standing event not corrected, "registered" last.
    events.sort(key=lambda row: (row[0], row[1], row[2]))
    corrected_seqs = {row[9] for row in events if row[9] is not None}
    id_of_seq = {row[2]: index for index, row in enumerate(events, start=1) if row[2] in corrected_seqs}
    corrected_ids = set(id_of_seq.values())
    size = len(person_rows) + 1
    standing, intent_last, region_last = [None] * size, [None] * size, [None] * size
    updated, changes = [0] * size, [0] * size
    # Timeline facts: first crossing, first and last verified, last self-reported, last contact.
    first_any, first_verified, last_verified, last_self, last_contact = ([None] * size for _ in range(5))
    append = world.status_events.append
    timelines: list[list[tuple] | None] = [None] * size
    for index, (at, occurred, _seq, person, kind, source, by, point, data, corrects, extra) in enumerate(
        events, start=1
    ):
        timeline = timelines[person]
        if timeline is None:
            timeline = timelines[person] = []
        timeline.append((index, at, occurred, kind, source, id_of_seq[corrects] if corrects else None, extra))
        append(
            (
                index,
                person,
                kind,
                ts(occurred),
                ts(at),
                by,
                source,
                point_ids[point] if point else None,
                id_of_seq[corrects] if corrects else None,
                data,
            )
        )
        updated[person] = max(updated[person], at)
        if kind not in NOT_CONTACT and (last_contact[person] is None or occurred > last_contact[person]):
            last_contact[person] = occurred
        if kind == "crossed" and index not in corrected_ids:
            if first_any[person] is None or occurred < first_any[person]:
                first_any[person] = occurred
            if source in VERIFIED:
                if first_verified[person] is None or occurred < first_verified[person]:
                    first_verified[person] = occurred
                if last_verified[person] is None or occurred > last_verified[person]:
                    last_verified[person] = occurred
            elif source == "self" and (last_self[person] is None or occurred > last_self[person]):
                last_self[person] = occurred
        if kind in {"intent_changed", "location_updated"}:
            changes[person] += 1
            last = intent_last if kind == "intent_changed" else region_last
            key = (occurred, index, extra)
            if last[person] is None or key > last[person]:
                last[person] = key
        elif kind != "entered_in_error" and index not in corrected_ids:
            key = (kind != "registered", occurred, index, kind)
            if standing[person] is None or key > standing[person]:
                standing[person] = key
    events.clear()
    _keep_states_before(world, timelines, {row[0]: (row[12], row[11]) for row in person_rows})
    held: list[list[str]] = [[] for _ in range(size)]
    for person, country in world.citizenships:
        held[person].append(country)
    for pk, household, relationship, given, family, sex, year, month, day, created, by, region, intent in person_rows:
        _rank, status_at, _id, status = standing[pk]
        world.persons.append(
            (
                pk,
                household,
                relationship,
                given,
                family,
                f"{given} {family}".casefold(),
                year,
                month,
                day,
                sex,
                region_last[pk][2] if region_last[pk] else region,
                intent_last[pk][2] if intent_last[pk] else intent,
                status,
                ts(status_at),
                "+".join(sorted(held[pk])),
                *(None if at is None else ts(at) for at in (first_any[pk], first_verified[pk], last_verified[pk])),
                None if last_self[pk] is None else ts(last_self[pk]),
                None if last_contact[pk] is None else ts(last_contact[pk]),
                None if by else ts(created),
                ts(created),
                ts(updated[pk]),
                by,
                1 + changes[pk],
            )
        )


def _keep_states_before(world: World, timelines, initial: dict[int, tuple[str, str]]) -> None:
    """Each entry's `person_before`, as the registry services write it: the state that the
    person's entries recorded before it derive (`derive_timeline_facts`), with the intent and
    region of then; none on the registration."""
    from crisisdesk.registry.services import derive_timeline_facts, timeline_state

    befores: list[str | None] = [None] * (len(world.status_events) + 1)
    for person, timeline in enumerate(timelines):
        if timeline is None:
            continue
        intent, region = initial[person]
        known: list[_KnownEntry] = []
        intents: list[tuple] = []
        regions: list[tuple] = []
        start = 0
        while start < len(timeline):
            end = start
            while end < len(timeline) and timeline[end][1] == timeline[start][1]:
                end += 1  # entries recorded at one moment share the state before them
            if known:
                state = timeline_state(
                    derive_timeline_facts(known),
                    intent=max(intents)[2] if intents else intent,
                    region=max(regions)[2] if regions else region,
                )
                text = json.dumps(state)
                for entry in timeline[start:end]:
                    befores[entry[0]] = text
            for index, _at, occurred, kind, source, corrects, extra in timeline[start:end]:
                known.append(_KnownEntry(index, kind, source, datetime.fromtimestamp(occurred, UTC), corrects))
                if kind == "intent_changed":
                    intents.append((occurred, index, extra))
                elif kind == "location_updated":
                    regions.append((occurred, index, extra))
            start = end
    world.status_events = [(*row, befores[row[0]]) for row in world.status_events]


# The bulk tables in insertion order: (model, World attribute, field names of the tuples).
BULK_TABLES = (
    ("registry.Household", "households", ["id", "created_at"]),
    (
        "registry.Person",
        "persons",
        [
            "id",
            "household",
            "relationship",
            "given_name",
            "family_name",
            "name_folded",
            "birth_year",
            "birth_month",
            "birth_day",
            "sex",
            "region",
            "intent",
            "current_status",
            "current_status_at",
            "citizenship_mix",
            "first_crossed_at",
            "first_verified_crossed_at",
            "last_verified_crossed_at",
            "last_self_reported_crossed_at",
            "last_contact_at",
            "consent_given_at",
            "created_at",
            "updated_at",
            "created_by",
            "version",
        ],
    ),
    ("registry.Citizenship", "citizenships", ["person", "country"]),
    ("registry.Vulnerability", "vulnerabilities", ["person", "kind"]),
    ("registry.RiskFlag", "risk_flags", ["person", "rule", "reasons", "computed_at"]),
    (
        "border.DeskEvent",
        "desk_events",
        [
            "id",
            "event_id",
            "kind",
            "payload",
            "content_digest",
            "device_time",
            "received_at",
            "recorded_by",
            "device_label",
            "point",
            "outcome",
            "person_ids",
        ],
    ),
    ("border.CheckIn", "check_ins", ["id", "person", "point", "direction", "crossed_at", "desk_event", "recorded_by"]),
    (
        "border.Tally",
        "tallies",
        [
            "id",
            "point",
            "direction",
            "counted_at",
            "nationals",
            "children",
            "others",
            "description",
            "desk_event",
            "recorded_by",
        ],
    ),
    (
        "border.DeskConflict",
        "conflicts",
        [
            "id",
            "kind",
            "state",
            "person",
            "event",
            "versions",
            "detected_at",
            "resolved_by",
            "resolved_at",
            "resolution",
        ],
    ),
    (
        "registry.StatusEvent",
        "status_events",
        [
            "id",
            "person",
            "kind",
            "occurred_at",
            "recorded_at",
            "recorded_by",
            "source",
            "crossing_point",
            "corrects",
            "data",
            "person_before",
        ],
    ),
)
BATCH = 50_000


def _columns(model, names: list[str], connection) -> tuple[list[str], tuple]:
    """The columns for `names`, then those the bench leaves at their defaults, with the defaults.
    A required column with no default stops the load: the model changed, so must the bench."""
    given = {model._meta.get_field(name).column for name in names}
    columns, defaults = [model._meta.get_field(name).column for name in names], []
    for field in model._meta.concrete_fields:
        if field.column in given or field.primary_key:
            continue
        if field.has_default() or (field.empty_strings_allowed and not field.null):
            value = field.get_db_prep_save(field.get_default(), connection)
        elif field.null:
            value = None
        else:
            raise SystemExit(f"{model.__name__}.{field.name} is required and bench/sitrep_data.py does not fill it")
        columns.append(field.column)
        defaults.append(value)
    return columns, tuple(defaults)


def write(world: World, connection) -> dict[str, int]:
    """Insert the bulk rows: executemany in one transaction on SQLite, COPY on PostgreSQL."""
    from django.apps import apps

    counts = {}
    plan = []
    for label, attribute, names in BULK_TABLES:
        model = apps.get_model(label)
        columns, defaults = _columns(model, names, connection)
        plan.append((model, getattr(world, attribute), columns, defaults))
        counts[model._meta.db_table] = len(getattr(world, attribute))
    if connection.vendor == "sqlite":
        _write_sqlite(plan, connection)
    else:
        _write_postgresql(plan, connection)
    return counts


def _write_sqlite(plan, connection) -> None:
    import sqlite3

    connection.close()
    raw = sqlite3.connect(connection.settings_dict["NAME"], isolation_level=None)
    raw.execute("PRAGMA journal_mode=WAL")
    raw.execute("PRAGMA synchronous=OFF")
    raw.execute("PRAGMA cache_size=-4000000")  # 4 GB: the indexes being filled stay in memory
    raw.execute("PRAGMA temp_store=MEMORY")
    raw.execute("BEGIN")
    for model, rows, columns, defaults in plan:
        sql = f'INSERT INTO "{model._meta.db_table}" ({", ".join(columns)}) VALUES ({", ".join("?" * len(columns))})'  # noqa: S608 (names from the models)
        for start in range(0, len(rows), BATCH):
            raw.executemany(sql, [row + defaults for row in rows[start : start + BATCH]])
        rows.clear()
    raw.execute("COMMIT")
    raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    raw.close()


def _write_postgresql(plan, connection) -> None:
    from django.core.management.color import no_style
    from django.db import transaction

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL TIME ZONE 'UTC'")
        # Foreign keys are checked by construction here; skipping their triggers keeps COPY
        # from queueing one deferred check per row until commit.
        cursor.execute("SET LOCAL session_replication_role = replica")
        raw = cursor.cursor
        for model, rows, columns, defaults in plan:
            with raw.copy(f'COPY "{model._meta.db_table}" ({", ".join(columns)}) FROM STDIN') as copy:
                for row in rows:
                    copy.write_row(row + defaults)
            rows.clear()
        for statement in connection.ops.sequence_reset_sql(no_style(), [model for model, *_rest in plan]):
            cursor.execute(statement)


# ---- reference rows, through the ORM ------------------------------------------------------------


def reference_rows() -> dict:
    """Staff, the mission and its posts, the crossing points, their status reports and a roster."""
    from decimal import Decimal

    from crisisdesk.accounts.models import User
    from crisisdesk.accounts.permissions import Role
    from crisisdesk.border.models import CrossingPoint, CrossingStatusChange, DeskEvent, Mission, Post, Shift
    from crisisdesk.registry.models import RiskRule

    rng = random.Random(7)

    def user(username: str, role: str) -> int:
        staff = User(username=username, role=role, first_name=username.split("-")[1].capitalize())
        staff.set_unusable_password()
        staff.save()
        return staff.pk

    chief = user("bench-chief", Role.DESK_CHIEF)
    consuls = [user(f"bench-consul-{n}", Role.CONSULAR_OFFICER) for n in range(1, 9)]
    mission = Mission.objects.create(name="Embassy of Israel in Ukraine", country="UA")
    kyiv_closes = datetime(2022, 2, 19, 10, 0, tzinfo=UTC)
    lviv_closes = datetime(2022, 2, 27, 14, 0, tzinfo=UTC)
    kyiv = Post.objects.create(
        mission=mission,
        kind=Post.Kind.EMBASSY,
        name="Embassy",
        city="Kyiv",
        country="UA",
        opened_at=datetime(1992, 12, 24, 7, 0, tzinfo=UTC),
        closed_at=kyiv_closes,
    )
    lviv = Post.objects.create(
        mission=mission,
        kind=Post.Kind.TEMPORARY_OFFICE,
        name="Temporary office",
        city="Lviv",
        country="UA",
        opened_at=kyiv_closes,
        closed_at=lviv_closes,
        relocated_from=kyiv,
    )
    forward = Post.objects.create(
        mission=mission,
        kind=Post.Kind.FORWARD_TEAM,
        name="Forward team",
        city="Przemyśl",
        country="PL",
        opened_at=lviv_closes,
        relocated_from=lviv,
        latitude=Decimal("49.78380"),
        longitude=Decimal("22.76780"),
    )
    points, officers_at = {}, {}
    for code, name, far, country, _weight, _favoured in POINTS:
        point = CrossingPoint.objects.create(
            code=code,
            name=name,
            name_far_side=far,
            country_from="UA",
            country_to=country,
            post=forward if country == "PL" else None,
        )
        points[code] = point.pk
        officers_at[code] = [user(f"bench-border-{code.split('-')[0]}{n}", Role.BORDER_OFFICER) for n in (1, 2, 3)]
    # Status reports every 4–10 hours from the invasion, and the point keeps the last one.
    changes = []
    for code, point_id in points.items():
        at = INVASION + rng.randint(2 * HOUR, 6 * HOUR)
        while at < _END:
            status = rng.choices(["open", "long_queue", "closed"], [3, 6, 1])[0]
            wait = (
                None
                if status == "closed"
                else rng.randint(1, 40) * 30
                if status == "long_queue"
                else rng.randint(0, 6) * 10
            )
            by = rng.choice(officers_at[code])
            changes.append(
                CrossingStatusChange(
                    point_id=point_id,
                    status=status,
                    expected_wait_minutes=wait,
                    changed_at=datetime.fromtimestamp(at, UTC),
                    changed_by_id=by,
                )
            )
            at += rng.randint(4 * HOUR, 10 * HOUR)
        last = changes[-1]
        CrossingPoint.objects.filter(pk=point_id).update(
            status=last.status, expected_wait_minutes=last.expected_wait_minutes, status_updated_at=last.changed_at
        )
    CrossingStatusChange.objects.bulk_create(changes)
    # The roster: three eight-hour shifts a day at the six busiest points, a day shift at the
    # other two, from 25 February to a day past the end; now and then a shift nobody took.
    shifts = 0
    for code, point_id in points.items():
        busy = code not in ("uzhhorod-vysne-nemecke", "porubne-siret")
        previous = None
        day = datetime(2022, 2, 25, tzinfo=UTC)
        while day < END + timedelta(days=1):
            for start_hour, hours in ((0, 8), (8, 8), (16, 8)) if busy else ((6, 12),):
                starts = day + timedelta(hours=start_hour)
                ends = starts + timedelta(hours=hours)
                if rng.random() < 0.05:
                    continue
                started = starts + timedelta(minutes=rng.randint(-10, 20)) if starts <= END else None
                ended = ends + timedelta(minutes=rng.randint(0, 30)) if started and ends < END else None
                if started and started > END:
                    started = END - timedelta(minutes=1)
                previous = Shift.objects.create(
                    point_id=point_id,
                    officer_id=rng.choice(officers_at[code]),
                    starts_at=starts,
                    ends_at=ends,
                    started_at=started,
                    ended_at=ended,
                    handover_from=previous if started else None,
                    handover_note=f"Queue about {rng.randint(1, 30)} h; {rng.randint(0, 40)} of ours waiting."
                    if ended
                    else "",
                    created_by_id=chief,
                )
                shifts += 1
            day += timedelta(days=1)
    return {
        "chief": chief,
        "consuls": consuls,
        "points": points,
        "officers_at": officers_at,
        "risk_rule": RiskRule.objects.get(code="conscription-risk").pk,
        "encrypted_empty": DeskEvent._meta.get_field("payload").get_prep_value("{}"),
        "counts": {"shifts": shifts, "crossing status changes": len(changes)},
    }


def partner_figures(world: World, refs: dict) -> int:
    """The Polish Border Guard's count of our nationals per day (Kyiv time), entered the next
    night; they count everyone, so more than our desks identified."""
    from crisisdesk.sitrep.models import PartnerFigure

    rng = random.Random(11)
    rows = []
    for day, identified in sorted(world.partner_days.items()):
        start = day * DAY - 2 * HOUR
        entered = start + DAY + 3 * HOUR
        if entered > _END:
            continue
        rows.append(
            PartnerFigure(
                source="Straż Graniczna (Polish Border Guard)",
                period_start=datetime.fromtimestamp(max(start, INVASION), UTC),
                period_end=datetime.fromtimestamp(start + DAY, UTC),
                crossed=round(identified * rng.uniform(1.2, 1.5)),
                entered_at=datetime.fromtimestamp(entered, UTC),
                entered_by_id=refs["chief"],
            )
        )
    PartnerFigure.objects.bulk_create(rows)
    return len(rows)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--events-per-person", type=float, default=3.0)
    parser.add_argument("--seed", type=int, default=2022)
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    os.environ.setdefault("DJANGO_DEBUG", "0")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.db import connection

    from crisisdesk.registry.models import Person

    if Person.objects.exists():
        print("the database already holds persons: load into a freshly migrated one", file=sys.stderr)
        return 1
    began = time.perf_counter()
    refs = reference_rows()
    world = generate(persons=args.persons, events_per_person=args.events_per_person, seed=args.seed, refs=refs)
    generated = time.perf_counter()
    partners = partner_figures(world, refs)
    counts = write(world, connection)
    written = time.perf_counter()
    counts.update(refs["counts"], **{"partner figures": partners})
    print(
        json.dumps(
            {
                "counts": counts,
                "generate_s": round(generated - began, 1),
                "write_s": round(written - generated, 1),
                "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
