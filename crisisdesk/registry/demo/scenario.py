"""The demo world, built in memory from a seed: households, names, timelines and crossings.

Deterministic: one `random.Random(seed)` and Faker instances seeded with the same seed drive
every choice, so the same `size` and `seed` give the same people in the same order, and a
screenshot or a bug report can name a demo person and find them again.

What the world looks like (the founding scenario, late February 2022):

* about 8,000 Israelis registered in Ukraine, many in households of up to six; names in
  Hebrew (~35 %), Ukrainian Cyrillic (~40 %), Russian Cyrillic (~20 %) or Latin only, each
  non-Latin name with the Latin spelling of its passport, some with a second spelling;
* registrations from 14 February, the embassy's call to register, rising after the invasion
  on 24 February;
* 1,500–2,000 of them (22 % of `size`) crossing into Poland over 25–27 February at six
  crossing points, households together; men 18–60 with Ukrainian citizenship are mostly
  turned back at the border (martial law), which is what the conscription-risk flag warns of;
* a few people contacted, staying, missing and found safe, and a handful of crossings
  recorded at the wrong point and corrected, so the demo shows how corrections work.

Nothing here touches the database (`loader` does). Everyone is invented: names are drawn
from name lists, documents are random numbers, e-mail addresses use the reserved
example.org / example.com domains (RFC 2606). Phone numbers are random numbers in valid
mobile ranges, so some may belong to real subscribers: the demo must never send messages.
"""

from __future__ import annotations

import csv
import random
import unicodedata
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from functools import cache
from pathlib import Path

import phonenumbers
from faker import Faker
from faker.providers.person.ru_RU import Provider as RussianNames

from crisisdesk.accounts.permissions import Role
from crisisdesk.border.models import CrossingPoint
from crisisdesk.common.references import REFERENCE_ALPHABET, REFERENCE_LENGTH
from crisisdesk.registry.inputs import ContactInput, DocumentInput, NameInput, PersonInput, ReporterInput
from crisisdesk.registry.models import (
    ContactPoint,
    IdentityDocument,
    Intent,
    PersonName,
    Relationship,
    StatusEvent,
    StatusKind,
    Vulnerability,
)
from namebridge import Convention, transliterate

DEFAULT_SIZE = 8000
DEFAULT_SEED = 2022
NAMES_DIR = Path(__file__).with_name("names")

# Ukraine's winter time (EET, UTC+2); there is no clock change in February.
KYIV = timezone(timedelta(hours=2), "EET")
CRISIS_DAY = date(2022, 2, 24)
INVASION = datetime(2022, 2, 24, 5, 0, tzinfo=KYIV)
REGISTRATION_OPENS = datetime(2022, 2, 14, 8, 0, tzinfo=KYIV)
REGISTRATION_CLOSES = datetime(2022, 2, 27, 20, 0, tzinfo=KYIV)
SCENARIO_ENDS = datetime(2022, 2, 27, 23, 59, tzinfo=KYIV)
CROSSING_DAYS = (date(2022, 2, 25), date(2022, 2, 26), date(2022, 2, 27))
CROSSING_DAY_WEIGHTS = (28, 34, 38)
# Share of persons who cross: 1,500–2,000 of 8,000 in the scenario.
CROSSED_SHARE = 0.22
# Crossings recorded at the wrong point and then corrected ("entered in error").
CORRECTIONS = 4
CONSCRIPTION_AGES = range(18, 61)  # the martial-law exit ban; the risk rule's window is wider (16–60)


# --- Crossing points -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CrossingPointSpec:
    code: str
    name: str
    name_far_side: str
    latitude: Decimal
    longitude: Decimal
    status: str
    expected_wait_minutes: int | None
    weight: int  # relative share of the demo's crossings


_OPEN, _QUEUE = CrossingPoint.Status.OPEN, CrossingPoint.Status.LONG_QUEUE
# Approximate coordinates of the border posts. Waits are illustrative, not historical data.
CROSSING_POINTS = (
    CrossingPointSpec(
        "shehyni-medyka", "Shehyni", "Medyka", Decimal("49.79780"), Decimal("22.96100"), _QUEUE, 1800, 34
    ),
    CrossingPointSpec(
        "rava-ruska-hrebenne", "Rava-Ruska", "Hrebenne", Decimal("50.25210"), Decimal("23.58630"), _QUEUE, 720, 18
    ),
    CrossingPointSpec(
        "krakovets-korczowa", "Krakovets", "Korczowa", Decimal("49.95660"), Decimal("23.07230"), _QUEUE, 960, 17
    ),
    CrossingPointSpec(
        "yahodyn-dorohusk", "Yahodyn", "Dorohusk", Decimal("51.18910"), Decimal("23.82390"), _OPEN, 240, 13
    ),
    CrossingPointSpec("ustyluh-zosin", "Ustyluh", "Zosin", Decimal("50.86150"), Decimal("24.14790"), _OPEN, 180, 9),
    CrossingPointSpec(
        "smilnytsia-kroscienko", "Smilnytsia", "Krościenko", Decimal("49.45890"), Decimal("22.67610"), _OPEN, 120, 9
    ),
)
CROSSING_POINTS_UPDATED_AT = datetime(2022, 2, 27, 18, 0, tzinfo=KYIV)
# Travellers from the north and centre head for the Volhynian crossings more often.
_NORTHERN_REGIONS = frozenset({"UA-30", "UA-32", "UA-74", "UA-18", "UA-56", "UA-07", "UA-59"})
_NORTHERN_POINTS = frozenset({"yahodyn-dorohusk", "ustyluh-zosin"})


# --- Demo staff ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DemoLogin:
    role: str
    username: str
    password: str


# Fixed, published passwords: the demo runs only where CRISISDESK_DEMO_ALLOWED is set (local).
DEMO_LOGINS = (
    DemoLogin(Role.ADMIN, "admin", "demo-admin-2022"),
    DemoLogin(Role.DESK_CHIEF, "chief", "demo-chief-2022"),
    DemoLogin(Role.CONSULAR_OFFICER, "consul", "demo-consul-2022"),
    DemoLogin(Role.BORDER_OFFICER, "border", "demo-border-2022"),
    DemoLogin(Role.CASE_OFFICER, "caseworker", "demo-caseworker-2022"),
    DemoLogin(Role.LOGISTICS_OFFICER, "logistics", "demo-logistics-2022"),
    DemoLogin(Role.DIPLOMAT, "diplomat", "demo-diplomat-2022"),
    # Appended, so that the names drawn for the logins above stay as they were.
    DemoLogin(Role.SENIOR_DIPLOMAT, "senior", "demo-senior-2022"),
    DemoLogin(Role.POLITICAL_DIRECTOR, "director", "demo-director-2022"),
)
CONSUL, BORDER = "consul", "border"
DIPLOMAT, SENIOR_DIPLOMAT, POLITICAL_DIRECTOR = "diplomat", "senior", "director"


def staff_names(seed: int) -> dict[str, tuple[str, str]]:
    """Fictional Hebrew names for the demo staff, by username."""
    fake = Faker("he_IL")
    fake.seed_instance(seed)
    names = {}
    for login in DEMO_LOGINS:
        first = fake.first_name_male() if len(names) % 2 else fake.first_name_female()
        names[login.username] = (first, fake.last_name())
    return names


# --- The world -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class EventPlan:
    """A timeline event beyond "registered". `member` indexes the household's people;
    `corrects` indexes the household's events (the event this one marks as entered in error)."""

    member: int
    kind: str
    occurred_at: datetime
    recorded_at: datetime
    source: str
    recorded_by: str = ""  # username of a demo login; "" for none
    point: str = ""  # crossing point code
    note: str = ""
    corrects: int | None = None


@dataclass(frozen=True, slots=True)
class HouseholdPlan:
    """One registration: a household, or one person (who then has no Household row)."""

    reference: str
    submission_key: uuid.UUID
    submitted_at: datetime
    language: str
    people: tuple[PersonInput, ...]
    reporter: ReporterInput | None
    events: tuple[EventPlan, ...]


@dataclass(frozen=True, slots=True)
class World:
    seed: int
    households: tuple[HouseholdPlan, ...]

    @property
    def person_count(self) -> int:
        return sum(len(h.people) for h in self.households)


def world_build(*, size: int = DEFAULT_SIZE, seed: int = DEFAULT_SEED) -> World:
    """The demo world with `size` persons (exactly), reproducible from `seed`."""
    if size < 1:
        raise ValueError("size must be at least 1")
    return _WorldBuilder(seed).build(size)


# --- Name lists ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _HebrewName:
    hebrew: str
    latin: tuple[str, ...]  # passport spellings, most usual first
    sex: str  # "M", "F", or "" when given to either


def _split_variants(cell: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in (cell or "").split("|") if part.strip())


def _sex_of(cell: str) -> str:
    value = (cell or "").strip().upper()[:1]
    return value if value in ("M", "F") else ""


@cache
def _hebrew_given_names() -> tuple[_HebrewName, ...]:
    with (NAMES_DIR / "hebrew_given_names.csv").open(encoding="utf-8", newline="") as handle:
        rows = [
            _HebrewName(row["hebrew"].strip(), _split_variants(row["latin"]), _sex_of(row.get("sex", "")))
            for row in csv.DictReader(handle)
        ]
    return tuple(row for row in rows if row.hebrew and row.latin)


@cache
def _hebrew_given_names_for(sex: str) -> tuple[_HebrewName, ...]:
    return tuple(name for name in _hebrew_given_names() if name.sex in (sex, ""))


@cache
def _hebrew_surnames() -> tuple[_HebrewName, ...]:
    with (NAMES_DIR / "hebrew_surnames.csv").open(encoding="utf-8", newline="") as handle:
        rows = [_HebrewName(row["hebrew"].strip(), _split_variants(row["latin"]), "") for row in csv.DictReader(handle)]
    return tuple(row for row in rows if row.hebrew and row.latin)


def _ukrainian_feminine(surname: str) -> str:
    """The feminine form of a Ukrainian surname: adjectival ones change (Тихий → Тиха,
    Гайворонський → Гайворонська), possessives in -шин add -а, the rest (-енко, -чук,
    -ич, -ій …) do not change."""
    if surname.endswith("ий"):
        return surname[:-2] + "а"
    if surname.endswith("шин"):
        return surname + "а"
    return surname


# --- Places ----------------------------------------------------------------------------------

# ISO 3166-2:UA region → (weight, cities, first one most likely). Weighted toward the big
# cities where most Israelis lived; Uman (Cherkasy) for the Breslov pilgrims.
REGIONS: dict[str, tuple[float, tuple[str, ...]]] = {
    "UA-30": (30, ("Kyiv",)),
    "UA-63": (12, ("Kharkiv", "Chuhuiv", "Lozova")),
    "UA-51": (12, ("Odesa", "Izmail", "Chornomorsk", "Bilhorod-Dnistrovskyi")),
    "UA-12": (10, ("Dnipro", "Kryvyi Rih", "Kamianske", "Nikopol")),
    "UA-46": (6, ("Lviv", "Drohobych", "Truskavets")),
    "UA-32": (4, ("Bila Tserkva", "Brovary", "Irpin", "Boryspil")),
    "UA-71": (3, ("Uman", "Cherkasy")),
    "UA-23": (3, ("Zaporizhzhia", "Melitopol", "Berdiansk")),
    "UA-48": (2, ("Mykolaiv",)),
    "UA-14": (2, ("Kramatorsk", "Mariupol", "Sloviansk")),
    "UA-05": (2, ("Vinnytsia",)),
    "UA-53": (2, ("Poltava", "Kremenchuk")),
    "UA-18": (1.5, ("Zhytomyr", "Berdychiv")),
    "UA-74": (1.5, ("Chernihiv",)),
    "UA-77": (1.5, ("Chernivtsi",)),
    "UA-68": (1, ("Khmelnytskyi", "Kamianets-Podilskyi")),
    "UA-65": (1, ("Kherson",)),
    "UA-59": (1, ("Sumy",)),
    "UA-35": (1, ("Kropyvnytskyi",)),
    "UA-21": (1, ("Uzhhorod", "Mukachevo")),
    "UA-26": (1, ("Ivano-Frankivsk",)),
    "UA-61": (0.5, ("Ternopil",)),
    "UA-56": (0.5, ("Rivne",)),
    "UA-07": (0.5, ("Lutsk",)),
    "UA-09": (0.5, ("Sievierodonetsk",)),
}
# Where fighting cut people off in the first days: missing-person reports come from here.
_FRONT_REGIONS = ("UA-63", "UA-30", "UA-32", "UA-74", "UA-59", "UA-14")

# Kyivstar, Vodafone Ukraine and lifecell mobile prefixes; Israeli mobile prefixes.
_UA_MOBILE_PREFIXES = ("50", "66", "95", "99", "67", "68", "96", "97", "98", "63", "73", "93")
_IL_MOBILE_PREFIXES = ("50", "52", "53", "54", "55", "58")
_EMAIL_DOMAINS = ("example.org", "example.com")

_NEEDS_NOTES = {
    Vulnerability.Kind.MEDICAL: (
        "Needs insulin every day.",
        "Heart condition; takes regular medication.",
        "Needs dialysis twice a week.",
        "Asthma; running out of inhalers.",
        "Recovering from an operation.",
    ),
    Vulnerability.Kind.MOBILITY: (
        "Uses a wheelchair.",
        "Walks with a cane; cannot manage stairs.",
        "Cannot walk long distances.",
    ),
    Vulnerability.Kind.PREGNANCY: ("Pregnant, seven months.", "Pregnant, due in April.", "Pregnant; needs check-ups."),
    Vulnerability.Kind.ELDERLY_ALONE: ("Lives alone; no family nearby.", "Lives alone on the fifth floor."),
    Vulnerability.Kind.UNACCOMPANIED_MINOR: ("Parents are in Israel; staying with neighbours.",),
}


# --- Building ----------------------------------------------------------------------------------


@dataclass(slots=True)
class _Member:
    relationship: str
    sex: str
    age: int
    given_name: str = ""
    family_name: str = ""
    other_names: list[NameInput] = field(default_factory=list)
    birth: tuple[int | None, int | None, int | None] = (None, None, None)
    citizenships: list[str] = field(default_factory=list)
    documents: list[DocumentInput] = field(default_factory=list)
    contacts: list[ContactInput] = field(default_factory=list)
    vulnerabilities: list[str] = field(default_factory=list)
    needs_note: str = ""
    intent: str = Intent.UNKNOWN
    passport_latin: str = ""  # for the e-mail address

    def person_input(self, region: str, city: str) -> PersonInput:
        year, month, day = self.birth
        return PersonInput(
            given_name=self.given_name,
            family_name=self.family_name,
            sex=self.sex,
            birth_year=year,
            birth_month=month,
            birth_day=day,
            relationship=self.relationship,
            other_names=tuple(self.other_names),
            citizenships=tuple(self.citizenships),
            documents=tuple(self.documents),
            contacts=tuple(self.contacts),
            vulnerabilities=tuple(self.vulnerabilities),
            needs_note=self.needs_note,
            region=region,
            city=city,
            intent=self.intent,
        )


@dataclass(slots=True)
class _Household:
    script: str
    members: list[_Member]
    region: str
    city: str
    intent: str
    submitted_at: datetime | None = None
    reporter: ReporterInput | None = None
    events: list[EventPlan] = field(default_factory=list)
    crossed: bool = False

    @property
    def language(self) -> str:
        return {"hebrew": "he", "ukrainian": "uk", "russian": "ru"}.get(self.script, "en")


_SCRIPTS = ("hebrew", "ukrainian", "russian", "latin")
_SCRIPT_WEIGHTS = (35, 40, 20, 5)
_HOUSEHOLD_SIZES = (1, 2, 3, 4, 5, 6)
_HOUSEHOLD_SIZE_WEIGHTS = (35, 25, 17, 13, 7, 3)
_INTENTS = (Intent.LEAVE, Intent.STAY, Intent.UNDECIDED, Intent.UNKNOWN)
_INTENT_WEIGHTS = (45, 20, 25, 10)
# Chance that a household (by script) holds Ukrainian or Russian citizenship besides Israeli.
_UA_FAMILY = {"hebrew": 0.10, "ukrainian": 0.57, "russian": 0.25, "latin": 0.12}
_RU_FAMILY = {"hebrew": 0.02, "ukrainian": 0.03, "russian": 0.28, "latin": 0.02}
_UK_OTHER_CONVENTIONS = (Convention.UK_RUSSIAN_STYLE, Convention.UK_GERMAN, Convention.UK_POLISH, Convention.UK_FRENCH)
_UK_OTHER_WEIGHTS = (5, 2, 2, 1)


class _WorldBuilder:
    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.rng = random.Random(seed)
        self.fake_uk = Faker("uk_UA")
        self.fake_ru = Faker("ru_RU")
        self.fake_uk.seed_instance(seed)
        self.fake_ru.seed_instance(seed + 1)
        self.references: set[str] = set()

    # The world

    def build(self, size: int) -> World:
        households: list[_Household] = []
        remaining = size
        while remaining:
            n = min(remaining, self.rng.choices(_HOUSEHOLD_SIZES, _HOUSEHOLD_SIZE_WEIGHTS)[0])
            households.append(self._household(n))
            remaining -= n
        self._plan_timelines(households, size)
        plans = tuple(self._freeze(h) for h in households)
        return World(seed=self.seed, households=plans)

    def _freeze(self, household: _Household) -> HouseholdPlan:
        assert household.submitted_at is not None  # noqa: S101 - set by _plan_timelines
        return HouseholdPlan(
            reference=self._reference(),
            submission_key=uuid.UUID(int=self.rng.getrandbits(128), version=4),
            submitted_at=household.submitted_at,
            language=household.language,
            people=tuple(m.person_input(household.region, household.city) for m in household.members),
            reporter=household.reporter,
            events=tuple(household.events),
        )

    def _reference(self) -> str:
        while True:
            reference = "".join(self.rng.choice(REFERENCE_ALPHABET) for _ in range(REFERENCE_LENGTH))
            if reference not in self.references:
                self.references.add(reference)
                return reference

    # One household

    def _household(self, n: int) -> _Household:
        rng = self.rng
        script = rng.choices(_SCRIPTS, _SCRIPT_WEIGHTS)[0]
        members = [_Member(rel, sex, age) for rel, sex, age in self._composition(n)]
        region = rng.choices(list(REGIONS), [w for w, _ in REGIONS.values()])[0]
        cities = REGIONS[region][1]
        city = cities[0] if rng.random() < 0.7 else rng.choice(cities)
        alone_elderly = n == 1 and members[0].age >= 70
        intent_weights = (30, 40, 20, 10) if alone_elderly else _INTENT_WEIGHTS
        intent = rng.choices(_INTENTS, intent_weights)[0]
        household = _Household(script=script, members=members, region=region, city=city, intent=intent)

        self._name(household)
        ua_family = rng.random() < _UA_FAMILY[script]
        ru_family = rng.random() < _RU_FAMILY[script]
        for member in members:
            member.birth = self._birth(member.age)
            member.intent = intent if rng.random() > 0.04 else rng.choices(_INTENTS, _INTENT_WEIGHTS)[0]
            member.citizenships = ["IL"]
            if rng.random() < (0.93 if ua_family else 0.02):
                member.citizenships.append("UA")
            if rng.random() < (0.93 if ru_family else 0.01):
                member.citizenships.append("RU")
            self._documents(member)
            self._contacts(member, script)
            self._vulnerabilities(member, alone=n == 1)
        if n == 1 and (alone_elderly or members[0].age < 18) and rng.random() < 0.3:
            household.reporter = self._reporter()
        elif rng.random() < 0.01:
            household.reporter = self._reporter()
        return household

    def _composition(self, n: int) -> list[tuple[str, str, int]]:
        """(relationship, sex, age on 24 February 2022) of each member, head first."""
        rng = self.rng
        head_sex = rng.choice("MF")
        partner_sex = "F" if head_sex == "M" else "M"
        if n == 1:
            roll = rng.random()
            if roll < 0.005:
                return [(Relationship.SELF, rng.choice("MF"), rng.randint(15, 17))]
            if roll < 0.22:
                return [(Relationship.SELF, "F" if rng.random() < 0.65 else "M", rng.randint(70, 90))]
            return [(Relationship.SELF, head_sex, self._adult_age())]
        if n == 2:
            roll = rng.random()
            if roll < 0.55:
                age = rng.randint(20, 85)
                return [(Relationship.SELF, head_sex, age), (Relationship.SPOUSE, partner_sex, _spouse_age(rng, age))]
            if roll < 0.8:
                age = rng.randint(22, 50)
                sex = "F" if rng.random() < 0.8 else "M"
                return [(Relationship.SELF, sex, age), (Relationship.CHILD, rng.choice("MF"), self._child_age(age))]
            age = rng.randint(35, 60)
            parent = (Relationship.PARENT, "F" if rng.random() < 0.65 else "M", min(92, age + rng.randint(22, 34)))
            return [(Relationship.SELF, head_sex, age), parent]
        head_age = rng.randint(25, 52)
        members = [(Relationship.SELF, head_sex, head_age)]
        if rng.random() < 0.9:
            members.append((Relationship.SPOUSE, partner_sex, _spouse_age(rng, head_age)))
        if len(members) < n and rng.random() < 0.25:
            members.append(
                (Relationship.PARENT, "F" if rng.random() < 0.65 else "M", min(92, head_age + rng.randint(22, 34)))
            )
        while len(members) < n:
            members.append((Relationship.CHILD, rng.choice("MF"), self._child_age(head_age)))
        return members

    def _adult_age(self) -> int:
        low, high = self.rng.choices(((18, 29), (30, 44), (45, 59), (60, 69)), (30, 35, 22, 13))[0]
        return self.rng.randint(low, high)

    def _child_age(self, parent_age: int) -> int:
        oldest = max(0, min(parent_age - 19, 25))
        if oldest > 17 and self.rng.random() < 0.8:
            oldest = 17
        return self.rng.randint(0, oldest)

    def _birth(self, age: int) -> tuple[int | None, int | None, int | None]:
        """A birth date that makes the person `age` on 24 February 2022; 10 % give only the
        year and 5 % the year and month, as registrants do."""
        born = date(CRISIS_DAY.year - age, 2, 24) - timedelta(days=self.rng.randrange(365))
        roll = self.rng.random()
        if roll < 0.10:
            return born.year, None, None
        if roll < 0.15:
            return born.year, born.month, None
        return born.year, born.month, born.day

    # Names

    def _name(self, household: _Household) -> None:
        namer = {
            "hebrew": self._name_hebrew,
            "ukrainian": self._name_ukrainian,
            "russian": self._name_russian,
            "latin": self._name_latin,
        }[household.script]
        family = None
        for member in household.members:
            # Most households share one family name; some spouses kept their own.
            if member.relationship == Relationship.SPOUSE and self.rng.random() < 0.08:
                namer(member, None)
            else:
                family = namer(member, family)

    def _name_hebrew(self, member: _Member, family):
        rng = self.rng
        if family is None:
            surname = rng.choice(_hebrew_surnames())
            family = (surname, _usual_variant(rng, surname.latin))
        surname, family_latin = family
        given = rng.choice(_hebrew_given_names_for(member.sex))
        given_latin = _usual_variant(rng, given.latin)
        member.given_name, member.family_name = given.hebrew, surname.hebrew
        passport_family = family_latin if rng.random() < 0.9 else _usual_variant(rng, surname.latin)
        member.other_names.append(NameInput(PersonName.Kind.PASSPORT, given_latin, passport_family))
        member.passport_latin = f"{given_latin} {passport_family}"
        if rng.random() < 0.15:
            other_given = [v for v in given.latin if v != given_latin]
            other_family = [v for v in surname.latin if v != passport_family]
            if other_given or other_family:
                member.other_names.append(
                    NameInput(
                        PersonName.Kind.OTHER,
                        rng.choice(other_given) if other_given else given_latin,
                        rng.choice(other_family) if other_family else passport_family,
                    )
                )
        return family

    def _name_ukrainian(self, member: _Member, family):
        rng = self.rng
        if family is None:
            family = self.fake_uk.last_name_male()
        surname = _ukrainian_feminine(family) if member.sex == "F" else family
        given = self.fake_uk.first_name_female() if member.sex == "F" else self.fake_uk.first_name_male()
        member.given_name, member.family_name = given, surname
        passport = (
            transliterate(given, Convention.UK_NATIONAL_2010),
            transliterate(surname, Convention.UK_NATIONAL_2010),
        )
        member.other_names.append(NameInput(PersonName.Kind.PASSPORT, *passport))
        member.passport_latin = " ".join(passport)
        if rng.random() < 0.25:
            convention = rng.choices(_UK_OTHER_CONVENTIONS, _UK_OTHER_WEIGHTS)[0]
            other = (transliterate(given, convention), transliterate(surname, convention))
            if other != passport:
                member.other_names.append(NameInput(PersonName.Kind.OTHER, *other))
        return family

    def _name_russian(self, member: _Member, family):
        rng = self.rng
        if family is None:
            family = rng.randrange(len(RussianNames.last_names_male))
        # Faker's Russian surname lists are paired: the same index is the same family.
        surname = (RussianNames.last_names_female if member.sex == "F" else RussianNames.last_names_male)[family]
        given = self.fake_ru.first_name_female() if member.sex == "F" else self.fake_ru.first_name_male()
        member.given_name, member.family_name = given, surname
        passport = (transliterate(given, Convention.RU_ICAO_9303), transliterate(surname, Convention.RU_ICAO_9303))
        member.other_names.append(NameInput(PersonName.Kind.PASSPORT, *passport))
        member.passport_latin = " ".join(passport)
        if rng.random() < 0.15:
            other = (transliterate(given, Convention.RU_BGN_PCGN), transliterate(surname, Convention.RU_BGN_PCGN))
            if other != passport:
                member.other_names.append(NameInput(PersonName.Kind.OTHER, *other))
        return family

    def _name_latin(self, member: _Member, family):
        """Registrants who wrote their name only in Latin letters: Israelis in their passport
        spelling, or Ukrainian-born registrants in the Ukrainian passport's romanisation."""
        rng = self.rng
        if family is None:
            if rng.random() < 0.6:
                family = ("hebrew", _usual_variant(rng, rng.choice(_hebrew_surnames()).latin))
            else:
                family = ("ukrainian", self.fake_uk.last_name_male())
        origin, surname = family
        if origin == "hebrew":
            given = _usual_variant(rng, rng.choice(_hebrew_given_names_for(member.sex)).latin)
            member.given_name, member.family_name = given, surname
        else:
            given = self.fake_uk.first_name_female() if member.sex == "F" else self.fake_uk.first_name_male()
            cyrillic = _ukrainian_feminine(surname) if member.sex == "F" else surname
            member.given_name = transliterate(given, Convention.UK_NATIONAL_2010)
            member.family_name = transliterate(cyrillic, Convention.UK_NATIONAL_2010)
        member.passport_latin = f"{member.given_name} {member.family_name}"
        return family

    # Documents, contacts, needs

    def _documents(self, member: _Member) -> None:
        rng = self.rng
        adult = member.age >= 16
        if rng.random() < (0.65 if adult else 0.4):
            number = str(rng.randrange(20_000_000, 40_000_000))  # invented 8-digit numbers
            member.documents.append(DocumentInput(IdentityDocument.Kind.PASSPORT, number, "IL"))
        if "UA" in member.citizenships and adult and rng.random() < 0.3:
            if rng.random() < 0.6:  # ID card since 2016: 9 digits
                number = f"{rng.randrange(10**9):09d}"
                member.documents.append(DocumentInput(IdentityDocument.Kind.NATIONAL_ID, number, "UA"))
            else:  # the older booklet: two Cyrillic letters and six digits
                number = rng.choice(("КВ", "МЕ", "СО", "ТТ", "ВК")) + f"{rng.randrange(10**6):06d}"
                member.documents.append(DocumentInput(IdentityDocument.Kind.INTERNAL_PASSPORT, number, "UA"))
        if "RU" in member.citizenships and adult and rng.random() < 0.4:
            number = f"{rng.randrange(70, 80)} {rng.randrange(10**7):07d}"
            member.documents.append(DocumentInput(IdentityDocument.Kind.PASSPORT, number, "RU"))

    def _contacts(self, member: _Member, script: str) -> None:
        rng = self.rng
        if member.age < 14 or rng.random() > (0.55 if member.age >= 75 else 0.8):
            return
        israeli_share = 0.45 if script in ("hebrew", "latin") else 0.12
        phone = self._phone(israeli=rng.random() < israeli_share)
        member.contacts.append(ContactInput(ContactPoint.Kind.PHONE, phone))
        if rng.random() < 0.3:
            messenger = rng.choice(
                (ContactPoint.Messenger.TELEGRAM, ContactPoint.Messenger.WHATSAPP, ContactPoint.Messenger.VIBER)
            )
            member.contacts.append(ContactInput(ContactPoint.Kind.MESSENGER, phone, messenger))
        if member.age >= 16 and rng.random() < 0.3:
            member.contacts.append(ContactInput(ContactPoint.Kind.EMAIL, self._email(member.passport_latin)))

    def _phone(self, *, israeli: bool) -> str:
        while True:
            if israeli:
                raw = f"+9725{self.rng.choice(_IL_MOBILE_PREFIXES)[1]}{self.rng.randrange(10**7):07d}"
            else:
                raw = f"+380{self.rng.choice(_UA_MOBILE_PREFIXES)}{self.rng.randrange(10**7):07d}"
            if phonenumbers.is_valid_number(phonenumbers.parse(raw)):
                return raw

    def _email(self, latin_name: str) -> str:
        ascii_name = unicodedata.normalize("NFKD", latin_name).encode("ascii", "ignore").decode().lower()
        parts = ["".join(c for c in word if c.isalnum()) for word in ascii_name.split()]
        local = ".".join(p for p in parts if p) or "registrant"
        if self.rng.random() < 0.5:
            local += str(self.rng.randrange(1, 100))
        return f"{local}@{self.rng.choice(_EMAIL_DOMAINS)}"

    def _vulnerabilities(self, member: _Member, *, alone: bool) -> None:
        rng = self.rng
        kinds = []
        if alone and member.age >= 70 and rng.random() < 0.7:
            kinds.append(Vulnerability.Kind.ELDERLY_ALONE)
        if alone and member.age < 18:
            kinds.append(Vulnerability.Kind.UNACCOMPANIED_MINOR)
        if (
            member.sex == "F"
            and 18 <= member.age <= 45
            and member.relationship != Relationship.CHILD
            and rng.random() < 0.04
        ):
            kinds.append(Vulnerability.Kind.PREGNANCY)
        if rng.random() < (0.2 if member.age >= 75 else 0.005):
            kinds.append(Vulnerability.Kind.MOBILITY)
        if rng.random() < (0.1 if member.age >= 60 else 0.025):
            kinds.append(Vulnerability.Kind.MEDICAL)
        member.vulnerabilities = kinds
        if kinds and rng.random() < 0.6:
            member.needs_note = rng.choice(_NEEDS_NOTES[rng.choice(kinds)])

    def _reporter(self) -> ReporterInput:
        """A relative in Israel registering someone they cannot reach."""
        rng = self.rng
        given = rng.choice(_hebrew_given_names()).hebrew
        family = rng.choice(_hebrew_surnames()).hebrew
        relationship = rng.choice(("son", "daughter", "grandson", "granddaughter", "niece", "neighbour"))
        return ReporterInput(name=f"{given} {family}", contact=self._phone(israeli=True), relationship=relationship)

    # Timelines

    def _plan_timelines(self, households: list[_Household], size: int) -> None:
        rng = self.rng
        leaving = [h for h in households if h.intent == Intent.LEAVE]
        undecided = [h for h in households if h.intent == Intent.UNDECIDED and rng.random() < 0.1]
        rng.shuffle(leaving)
        rng.shuffle(undecided)
        # Mostly people who said they would leave, and a few who had not decided.
        candidates = leaving[: int(len(leaving) * 0.85)] + undecided + leaving[int(len(leaving) * 0.85) :]
        target = round(size * CROSSED_SHARE)
        crossed = 0
        for household in candidates:
            if crossed >= target:
                break
            crossed += self._plan_crossing(household)

        crossing = [h for h in households if h.crossed]
        for household in rng.sample(crossing, k=min(CORRECTIONS, len(crossing))):
            self._plan_correction(household)

        for household in households:
            if household.submitted_at is None:
                household.submitted_at = self._registration_time(REGISTRATION_CLOSES)
            if household.crossed:
                continue
            if household.intent == Intent.LEAVE and rng.random() < 0.15:
                self._plan_on_the_way(household)
            elif household.intent == Intent.STAY and rng.random() < 0.35:
                self._plan_household_event(household, StatusKind.STAYING, "Confirmed by phone: staying for now.")
            elif rng.random() < 0.06:
                self._plan_household_event(household, StatusKind.CONTACTED, "Called; advised on routes to the border.")

        quiet = [h for h in households if not h.events and h.region in _FRONT_REGIONS]
        for household in rng.sample(quiet, k=min(len(quiet), max(2, round(size * 0.0015)))):
            self._plan_missing(household)

    def _plan_crossing(self, household: _Household) -> int:
        """Plan a household's journey to the border; returns how many of them crossed."""
        rng = self.rng
        point = self._crossing_point(household.region)
        day = rng.choices(CROSSING_DAYS, CROSSING_DAY_WEIGHTS)[0]
        crossed_at = datetime(day.year, day.month, day.day, tzinfo=KYIV) + timedelta(minutes=rng.randrange(24 * 60))
        en_route_at = max(crossed_at - timedelta(minutes=rng.randrange(5 * 60, 40 * 60)), INVASION + timedelta(hours=1))
        journey_minutes = int((crossed_at - en_route_at).total_seconds() // 60)
        at_border_at = crossed_at - timedelta(minutes=rng.randrange(30, min(journey_minutes - 30, 30 * 60)))
        household.submitted_at = self._registration_time(en_route_at - timedelta(minutes=30))
        at_border = rng.random() < 0.35
        self_reported_route = rng.random() < 0.6
        crossing_self_reported = rng.random() < 0.3
        crossed = 0
        for index, member in enumerate(household.members):
            self._add(
                household,
                index,
                StatusKind.EN_ROUTE,
                en_route_at,
                source="self" if self_reported_route else "staff",
                recorded_by="" if self_reported_route else CONSUL,
            )
            turned_back = (
                member.sex == "M"
                and "UA" in member.citizenships
                and member.age in CONSCRIPTION_AGES
                and rng.random() < 0.75
            )
            if turned_back:
                self._add(household, index, StatusKind.AT_BORDER, at_border_at, point=point, recorded_by=BORDER)
                self._add(
                    household,
                    index,
                    StatusKind.STAYING,
                    at_border_at + timedelta(minutes=rng.randrange(60, 240)),
                    recorded_by=BORDER,
                    note="Not allowed to leave: Ukrainian citizen, man aged 18–60 (martial law). Went back to the family's city.",
                )
                continue
            if at_border:
                self._add(household, index, StatusKind.AT_BORDER, at_border_at, point=point, recorded_by=BORDER)
            self._add(
                household,
                index,
                StatusKind.CROSSED,
                crossed_at,
                point=point,
                source="self" if crossing_self_reported else "staff",
                recorded_by="" if crossing_self_reported else BORDER,
            )
            crossed += 1
        household.crossed = crossed > 0
        return crossed

    def _crossing_point(self, region: str) -> str:
        weights = [
            p.weight * (2 if region in _NORTHERN_REGIONS and p.code in _NORTHERN_POINTS else 1) for p in CROSSING_POINTS
        ]
        return self.rng.choices(CROSSING_POINTS, weights)[0].code

    def _plan_correction(self, household: _Household) -> None:
        """A crossing first recorded at the wrong point, then marked as entered in error."""
        rng = self.rng
        right = next(e for e in household.events if e.kind == StatusKind.CROSSED)
        wrong_point = rng.choice([p.code for p in CROSSING_POINTS if p.code != right.point])
        wrong_index = len(household.events)
        self._add(household, right.member, StatusKind.CROSSED, right.occurred_at, point=wrong_point, recorded_by=BORDER)
        names = {p.code: f"{p.name}–{p.name_far_side}" for p in CROSSING_POINTS}
        self._add(
            household,
            right.member,
            StatusKind.ENTERED_IN_ERROR,
            right.occurred_at + timedelta(minutes=rng.randrange(45, 300)),
            recorded_by=BORDER,
            note=f"Recorded at the wrong crossing point ({names[wrong_point]}); crossed at {names[right.point]}.",
            corrects=wrong_index,
        )

    def _plan_on_the_way(self, household: _Household) -> None:
        """On the road, or waiting at the border, when the scenario ends."""
        rng = self.rng
        start = max(household.submitted_at + timedelta(minutes=30), datetime(2022, 2, 25, 6, 0, tzinfo=KYIV))
        window = int((SCENARIO_ENDS - timedelta(hours=3) - start).total_seconds() // 60)
        if window <= 0:
            return
        en_route_at = start + timedelta(minutes=rng.randrange(window))
        at_border = rng.random() < 0.5
        at_border_at = en_route_at + timedelta(minutes=rng.randrange(60, 180))
        point = self._crossing_point(household.region)
        for index in range(len(household.members)):
            self._add(household, index, StatusKind.EN_ROUTE, en_route_at, source="self")
            if at_border:
                self._add(household, index, StatusKind.AT_BORDER, at_border_at, point=point, recorded_by=BORDER)

    def _plan_household_event(self, household: _Household, kind: str, note: str) -> None:
        at = self._time_after(household.submitted_at, INVASION + timedelta(hours=3))
        if at is None:
            return
        for index in range(len(household.members)):
            self._add(household, index, kind, at, recorded_by=CONSUL, note=note)

    def _plan_missing(self, household: _Household) -> None:
        """Relatives abroad report someone missing; half are found safe a day or two later."""
        rng = self.rng
        index = 0
        missing_at = self._time_after(household.submitted_at, datetime(2022, 2, 25, 9, 0, tzinfo=KYIV), room_hours=30)
        if missing_at is None:
            return
        self._add(
            household,
            index,
            StatusKind.MISSING,
            missing_at,
            recorded_by=CONSUL,
            note="Family in Israel has not heard from them since 24 February.",
        )
        if rng.random() < 0.5:
            found_at = missing_at + timedelta(minutes=rng.randrange(12 * 60, 28 * 60))
            note = f"Reached by phone: safe, sheltering in {household.city}."
            self._add(household, index, StatusKind.FOUND_SAFE, found_at, recorded_by=CONSUL, note=note)

    def _add(
        self,
        household: _Household,
        member: int,
        kind: str,
        at: datetime,
        *,
        source: str = "staff",
        recorded_by: str = "",
        point: str = "",
        note: str = "",
        corrects: int | None = None,
    ) -> None:
        delay = self.rng.randrange(10, 12 * 60) if source == "self" else self.rng.randrange(2, 60)
        household.events.append(
            EventPlan(
                member=member,
                kind=kind,
                occurred_at=at,
                recorded_at=at + timedelta(minutes=delay),
                source=StatusEvent.Source.SELF_SERVICE if source == "self" else StatusEvent.Source.STAFF,
                recorded_by=recorded_by,
                point=point,
                note=note,
                corrects=corrects,
            )
        )

    def _registration_time(self, latest: datetime) -> datetime:
        """When a household registered: a trickle from 14 February after the embassy's call,
        then a rush after the invasion. Never after `latest`."""
        rng = self.rng
        for _ in range(20):
            if rng.random() < 0.35:
                start, end = REGISTRATION_OPENS, INVASION
            else:
                start, end = INVASION, REGISTRATION_CLOSES
                # The rush fades: more registrations on the 24th than on the 27th.
                end = start + (end - start) * rng.random() ** 0.5
            at = (start + (end - start) * rng.random()).replace(microsecond=0)
            if at <= latest:
                return at
        return (REGISTRATION_OPENS + (max(latest, REGISTRATION_OPENS) - REGISTRATION_OPENS) * rng.random()).replace(
            microsecond=0
        )

    def _time_after(self, registered: datetime, earliest: datetime, room_hours: int = 0) -> datetime | None:
        start = max(registered + timedelta(minutes=30), earliest)
        end = SCENARIO_ENDS - timedelta(hours=room_hours)
        if start >= end:
            return None
        # Whole minutes; `start` is 30 minutes past registration, so rounding down stays after it.
        return (start + (end - start) * self.rng.random()).replace(second=0, microsecond=0)


def _usual_variant(rng: random.Random, variants: tuple[str, ...]) -> str:
    """The most usual Latin spelling three times in four, another one otherwise."""
    if len(variants) == 1 or rng.random() < 0.75:
        return variants[0]
    return rng.choice(variants[1:])


def _spouse_age(rng: random.Random, age: int) -> int:
    return max(18, min(90, age + rng.randint(-6, 6)))
