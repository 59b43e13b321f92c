"""The sitrep's figures, as the data stood at a moment (`as_of`), in stable language-neutral keys.

Reproducible by construction: every count reads only what had been *recorded* by `as_of`
(timeline events by `recorded_at`, desk records by when the server received them, partner
figures by when they were entered), so the sitrep of a past moment, computed today, gives
the numbers a snapshot took then. Persons' registry attributes that keep no history
(citizenships, vulnerabilities, households, risk flags) are counted at their present values
for the persons registered by then; docs/subsystems/estimates.md says so.

Fast at national scale because the present is denormalised on `Person` (status, intent,
region, and the timeline facts of `derive_timeline_facts`: first and last crossings, latest
contact): the figures of the persons whose timeline has nothing recorded (or dated) after
`as_of` are GROUP BYs and counts over those columns' indexes; the persons changed since are
read as they stood then from their first entry recorded after it (`StatusEvent.person_before`),
and only those whose entries keep no such state are re-derived from their timelines.

This module reads for the sitrep app only; it checks no permission and audits nothing —
`selectors.sitrep_for` does both.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db.models import Case, Count, Exists, F, IntegerField, OuterRef, Q, Sum, Value, When
from django.utils import timezone

from crisisdesk.border.models import (
    CrossingPoint,
    CrossingStatusChange,
    DeskConflict,
    Direction,
    Post,
    Shift,
    Tally,
)
from crisisdesk.registry.models import (
    VERIFIED_SOURCES,
    Household,
    Intent,
    Person,
    Registration,
    RiskFlag,
    StatusEvent,
    StatusKind,
    Vulnerability,
)
from crisisdesk.registry.services import (
    CLOCK_SKEW_ALLOWANCE,
    TimelineFacts,
    derive_timeline_facts,
    person_state_read,
)
from crisisdesk.sitrep.estimates import chapman, count_range
from crisisdesk.sitrep.models import PartnerFigure

SCHEMA_VERSION = 1
# Where a person stands once they have left the crisis country (or can no longer be helped in it).
DEPARTED = frozenset({StatusKind.CROSSED, StatusKind.ARRIVED_HOME, StatusKind.DECEASED})
CHANGED_CHUNK = 2000
PERSONS_OF_CONCERN_LIMIT = 50
# The per-day figures (crossings per point per day, status over time) cover at most this many days.
CHART_DAYS = 31


@dataclass(frozen=True, slots=True)
class SitrepWindow:
    as_of: datetime
    # "In total" starts here: the crisis date (CRISISDESK_CRISIS_DATE) unless asked otherwise.
    start: datetime

    @classmethod
    def ending(cls, as_of: datetime | None = None, start: datetime | None = None) -> SitrepWindow:
        as_of = as_of or timezone.now()
        if start is None:
            crisis_day = date.fromisoformat(settings.CRISISDESK_CRISIS_DATE)
            start = timezone.make_aware(datetime.combine(crisis_day, time.min))
        return cls(as_of=as_of, start=min(start, as_of))


def _settings_share() -> float:
    return settings.CRISISDESK_SITREP_UNDECIDED_STAY_SHARE


def _stale_hours() -> int:
    return settings.CRISISDESK_SITREP_STALE_CONTACT_HOURS


def sitrep_figures(*, window: SitrepWindow, include_persons: bool = False) -> dict:
    """Every figure of the sitrep at `window.as_of`. `include_persons` adds the named list of
    persons of concern (internal audience only; the caller decides)."""
    as_of = window.as_of
    state = _PersonsAsOf(as_of)
    registry = state.registry_figures()
    corrected = _corrected(as_of)  # read once: every crossing figure leaves these out
    charted = ChartDays.of(window, corrected)
    crossings = _crossing_pass(
        state, starts=_window_starts(window), ends=[end for _day, _start, end in _day_bounds(charted.days)]
    )
    crossed = _crossed_figures(window, state, charted, crossings, corrected)
    remaining = _remaining_figures(state, crossed, crossings)
    figures = {
        "schema": SCHEMA_VERSION,
        "as_of": as_of.isoformat(),
        "window_start": window.start.isoformat(),
        "registry": registry,
        "crossed": crossed,
        "remaining": remaining,
        "intent": _intent_figures(state),
        "status_over_time": _status_over_time(charted, state, crossings),
        "posture": _posture(as_of),
    }
    if include_persons:
        figures["persons_of_concern"] = state.persons_of_concern()
    return figures


@dataclass(frozen=True, slots=True)
class _Entry:
    """A timeline entry as `derive_timeline_facts` and `_value_at` read it."""

    pk: int
    kind: str
    source: str
    occurred_at: datetime
    recorded_at: datetime
    corrects_id: int | None
    data: dict


class _PersonsAsOf:
    """Who was registered at `as_of`, and where each stood then (status, intent, region)."""

    def __init__(self, as_of: datetime):
        self.as_of = as_of
        # Anything recorded after the moment? If not (a sitrep of now), no query needs a time filter.
        self.late_persons = Person.objects.filter(created_at__gt=as_of).exists()
        self.persons = Person.objects.filter(created_at__lte=as_of) if self.late_persons else Person.objects.all()
        # Persons whose timeline holds an entry recorded or dated after the moment: their
        # denormalised columns say more than was known then, so they are counted apart.
        self.any_changed = self._changed_ids_query().exists()
        self.cube: Counter[tuple[str, str, str]] = Counter()
        # Citizenships keep no history: every person registered by the moment, at their present
        # mix, counted in the cube's pass over the persons rather than in a pass of its own.
        self.citizenship_mixes: Counter[str] = Counter()
        self.changed_states: dict[int, tuple[str, str, str]] = {}
        self.changed_facts: list[tuple[TimelineFacts, datetime]] = []  # with when each registered
        self._build_cube()

    def _changed_ids_query(self):
        # An event recorded before the moment may still be dated after it (a device clock
        # within the allowance), so those persons are re-derived too.
        return (
            StatusEvent.objects.filter(recorded_at__gt=self.as_of - CLOCK_SKEW_ALLOWANCE)
            .filter(Q(recorded_at__gt=self.as_of) | Q(occurred_at__gt=self.as_of))
            .values("person_id")
        )

    def unchanged(self):
        """The persons registered by the moment whose denormalised columns held then."""
        persons = self.persons.order_by()
        return persons.exclude(id__in=self._changed_ids_query()) if self.any_changed else persons

    def _build_cube(self) -> None:
        for status, intent, region, mix, count in (
            self.unchanged()
            .values_list("current_status", "intent", "region", "citizenship_mix")
            .annotate(n=Count("id"))
            .order_by()
        ):
            self.cube[(status, intent, region)] += count
            self.citizenship_mixes[mix] += count
        if not self.any_changed:
            return
        changed = list(
            self.persons.filter(id__in=self._changed_ids_query())
            .order_by()
            .values_list("id", "intent", "region", "created_at", "citizenship_mix")
        )
        self.citizenship_mixes.update(mix for *_rest, mix in changed)
        states = self._states_kept_then()
        rederive = []
        for person in changed:
            state = states.get(person[0])
            if state is None:
                rederive.append(person)
            else:
                self._count_changed(person[0], *state, created_at=person[3])
        for start in range(0, len(rederive), CHANGED_CHUNK):
            self._rederive(rederive[start : start + CHANGED_CHUNK])

    def _states_kept_then(self) -> dict[int, tuple[TimelineFacts, str, str]]:
        """Each changed person's state at the moment, as their first entry recorded after it
        keeps it (`StatusEvent.person_before`): one pass over the entries since, no timeline
        re-derived. Left out: persons whose entries keep none (a registration, entries older
        than the column), and those with an entry recorded by the moment but dated after it (a
        device clock running ahead), which every later state already holds."""
        since = StatusEvent.objects.filter(recorded_at__gt=self.as_of)
        # Each person's first entries since the moment (entries recorded at one moment share
        # their state), the states read for those alone: a window ranking every entry since
        # had SQLite sort the whole table in person order, for seconds.
        earlier_since = since.filter(person_id=OuterRef("person_id"), recorded_at__lt=OuterRef("recorded_at"))
        first = since.filter(~Exists(earlier_since)).order_by().values_list("person_id", "person_before")
        # Read as they arrive: a few hundred thousand JSON objects held at once cost 300 MB.
        states = {person_id: person_state_read(state) for person_id, state in first.iterator(10_000) if state}
        ahead = StatusEvent.objects.filter(
            recorded_at__gt=self.as_of - CLOCK_SKEW_ALLOWANCE, recorded_at__lte=self.as_of, occurred_at__gt=self.as_of
        ).values_list("person_id", flat=True)
        for person_id in ahead:
            states.pop(person_id, None)
        return states

    def _count_changed(self, pk: int, facts: TimelineFacts, intent: str, region: str, *, created_at) -> None:
        self.changed_states[pk] = (facts.current_status, intent, region)
        self.changed_facts.append((facts, created_at))
        self.cube[(facts.current_status, intent, region)] += 1

    def _rederive(self, persons: list[tuple[int, str, str, datetime, str]]) -> None:
        ids = [pk for pk, *_rest in persons]
        # Plain tuples, not model instances, and the JSON read only where it says something (an
        # intent or a region). Only the persons whose entries keep no state come here.
        recorded = StatusEvent.objects.filter(person_id__in=ids).values_list(
            "id", "person_id", "kind", "source", "occurred_at", "recorded_at", "corrects_id"
        )
        data = dict(
            StatusEvent.objects.filter(
                person_id__in=ids, kind__in=(StatusKind.INTENT_CHANGED, StatusKind.LOCATION_UPDATED)
            ).values_list("id", "data")
        )
        timelines: dict[int, list[_Entry]] = defaultdict(list)
        for pk, person_id, kind, source, occurred_at, recorded_at, corrects_id in recorded:
            timelines[person_id].append(
                _Entry(pk, kind, source, occurred_at, recorded_at, corrects_id, data.get(pk, {}))
            )
        for pk, intent_now, region_now, created_at, _mix in persons:
            events = timelines[pk]
            known = [e for e in events if e.recorded_at <= self.as_of and e.occurred_at <= self.as_of]
            facts = derive_timeline_facts(known)
            intent = _value_at(
                events, known, StatusKind.INTENT_CHANGED, now_value=intent_now, after_key="to", before_key="from"
            )
            region = _value_at(
                events,
                known,
                StatusKind.LOCATION_UPDATED,
                now_value=region_now,
                after_key="region",
                before_key="from_region",
            )
            self._count_changed(pk, facts, intent, region, created_at=created_at)

    # ---- figures over the cube --------------------------------------------------------------

    def count(self, predicate=lambda status, intent, region: True) -> int:
        return sum(n for (status, intent, region), n in self.cube.items() if predicate(status, intent, region))

    def by(self, axis: int, predicate=lambda status, intent, region: True) -> dict[str, int]:
        totals: Counter[str] = Counter()
        for key, n in self.cube.items():
            if predicate(*key):
                totals[key[axis]] += n
        return dict(totals.most_common())

    def registry_figures(self) -> dict:
        stale_hours = _stale_hours()
        by_citizenship, dual = self._citizenship_mix()
        return {
            "registered": self.count(),
            "households": self._households(),
            "vulnerable": self._attribute_persons(Vulnerability),
            "contact_stale": self._contact_stale(stale_hours),
            "contact_stale_hours": stale_hours,
            "by_status": self.by(0),
            "by_region": self.by(2),
            "by_intent": self.by(1),
            "by_citizenship": by_citizenship,
            "dual": dual,
            "risk_groups": self._risk_groups(),
        }

    def _households(self) -> int:
        return Household.objects.filter(created_at__lte=self.as_of).count()

    def _attribute_rows(self, model):
        rows = model.objects.all()
        if self.late_persons:
            rows = rows.filter(person__created_at__lte=self.as_of)
        return rows.order_by()

    def _attribute_persons(self, model) -> int:
        return self._attribute_rows(model).values("person_id").distinct().count()

    def _citizenship_mix(self) -> tuple[dict[str, int], dict[str, int]]:
        """Citizenships held, by country, and persons holding more than one, by the combination
        ("IL+UA"), from each person's `citizenship_mix`, kept by the services."""
        by_country: Counter[str] = Counter()
        combinations: Counter[str] = Counter()
        for mix, n in self.citizenship_mixes.items():
            countries = mix.split("+") if mix else []
            for country in countries:
                by_country[country] += n
            if len(countries) > 1:
                combinations[mix] += n
        return _by_count(by_country), _by_count(combinations)

    def _risk_groups(self) -> dict[str, int]:
        rows = self._attribute_rows(RiskFlag).values_list("rule__code").annotate(n=Count("id"))
        return dict(sorted(rows, key=lambda row: (-row[1], row[0])))

    def _contact_stale(self, hours: int) -> int:
        """Registered persons with nothing on their timeline in the last `hours` (registering counts)."""
        since = self.as_of - timedelta(hours=hours)
        heard = self.unchanged().filter(last_contact_at__gt=since).count()
        heard += sum(
            1 for facts, _created in self.changed_facts if facts.last_contact_at and facts.last_contact_at > since
        )
        return self.count() - heard

    def persons_of_concern(self) -> list[dict]:
        """Persons missing at `as_of`: the internal sitrep's one named list, by family name."""
        fields = ("id", "given_name", "family_name", "region", "registration__reference")
        rows = []
        # Missing now and unchanged since: the first LIMIT by name, read lazily.
        for row in (
            self.persons.filter(current_status=StatusKind.MISSING)
            .order_by("family_name", "id")
            .values(*fields)
            .iterator(chunk_size=500)
        ):
            if row["id"] not in self.changed_states:
                rows.append(row)
                if len(rows) == PERSONS_OF_CONCERN_LIMIT:
                    break
        # Missing then, whatever they are now.
        missing_then = [pk for pk, (status, _i, _r) in self.changed_states.items() if status == StatusKind.MISSING]
        for start in range(0, len(missing_then), CHANGED_CHUNK):
            for row in Person.objects.filter(id__in=missing_then[start : start + CHANGED_CHUNK]).values(*fields):
                row["region"] = self.changed_states[row["id"]][2]
                rows.append(row)
        rows.sort(key=lambda row: (row["family_name"], row["id"]))
        return [
            {
                "id": row["id"],
                "reference": Registration(reference=ref).reference_display
                if (ref := row["registration__reference"])
                else "",
                "name": f"{row['given_name']} {row['family_name']}".strip(),
                "region": row["region"],
            }
            for row in rows[:PERSONS_OF_CONCERN_LIMIT]
        ]


def _by_count(counts: Counter[str]) -> dict[str, int]:
    """Largest first, then by key."""
    return dict(sorted(counts.items(), key=lambda row: (-row[1], row[0])))


def _value_at(events, known, kind: str, *, now_value: str, after_key: str, before_key: str) -> str:
    """A field's value at the moment, from the timeline entries that record its changes: the
    last change known by then, else the value before the first change after it, else now's."""
    changes = sorted((e for e in events if e.kind == kind), key=lambda e: (e.occurred_at, e.pk))
    known_ids = {e.pk for e in known}
    before = [e for e in changes if e.pk in known_ids and after_key in e.data]
    if before:
        return before[-1].data[after_key]
    later = [e for e in changes if e.pk not in known_ids and before_key in e.data]
    if later:
        return later[0].data[before_key]
    return now_value


# ---- crossings ------------------------------------------------------------------------------


# Up to this many corrections are passed to the database as a list of ids; more, as a subquery.
CORRECTIONS_AS_LIST = 5000


def _corrected(as_of: datetime):
    """The timeline entries marked entered in error by `as_of`: a list of ids when they are few
    (the usual case), else a subquery."""
    # The corrected entries are few: read them along the index of `corrects` (a subquery lets
    # SQLite walk every entry recorded by then instead, a second per figure at a million
    # persons). "> 0", not "IS NOT NULL": SQLite's planner walks the index only for the former.
    corrections = StatusEvent.objects.filter(corrects_id__gt=0).order_by()
    rows = list(corrections.values_list("corrects_id", "recorded_at")[: CORRECTIONS_AS_LIST + 1])
    if len(rows) > CORRECTIONS_AS_LIST:
        return corrections.filter(recorded_at__lte=as_of).values("corrects_id")
    return [corrects_id for corrects_id, recorded_at in rows if recorded_at <= as_of]


def _crossings(as_of: datetime, corrected):
    """Crossings out on the timeline as known at `as_of`, less the `corrected` ones."""
    return (
        StatusEvent.objects.filter(kind=StatusKind.CROSSED, occurred_at__lte=as_of, recorded_at__lte=as_of)
        .exclude(id__in=corrected)
        .order_by()
    )


def _verified(as_of: datetime, corrected):
    return _crossings(as_of, corrected).filter(source__in=VERIFIED_SOURCES)


def _partner_total(*, start: datetime, as_of: datetime) -> int:
    """The largest count any one partner gave for the window: partners count the same people
    we do, so their figures are alternatives to ours, never added to them."""
    per_source: Counter[str] = Counter()
    for source, crossed in PartnerFigure.objects.filter(
        period_start__gte=start, period_end__lte=as_of, entered_at__lte=as_of
    ).values_list("source", "crossed"):
        per_source[source.strip().casefold()] += crossed
    return max(per_source.values(), default=0)


def _tallies(start: datetime, as_of: datetime):
    return Tally.objects.filter(
        direction=Direction.OUT, counted_at__gte=start, counted_at__lte=as_of, desk_event__received_at__lte=as_of
    ).order_by()


@dataclass(frozen=True, slots=True)
class _CrossingPass:
    """What one pass over every person's crossings gives (see `_crossing_pass`)."""

    identified_since: list[int]  # per window start: persons seen crossing by staff since then
    self_reported_since: list[int]  # per window start: persons who said so, and whom staff never saw cross
    seen: int  # n2: persons seen crossing by staff
    seen_after_registering: int  # m: of those, registered before their first such crossing
    crossed_by: list[int]  # per day end: persons whose first crossing (any source) came before it


def _crossing_pass(state: _PersonsAsOf, *, starts: list[datetime], ends: list[datetime]) -> _CrossingPass:
    """Every crossing figure from each person's first and last crossings: one pass over the
    index of the persons who ever crossed for those whose columns held at the moment, and the
    re-derived facts of the others. Counting crossings per person instead re-reads a few
    hundred thousand timeline entries per figure."""
    columns = [
        *(Q(last_verified_crossed_at__gte=start) for start in starts),
        *(Q(first_verified_crossed_at__isnull=True, last_self_reported_crossed_at__gte=start) for start in starts),
        Q(first_verified_crossed_at__isnull=False),
        Q(created_at__lt=F("first_verified_crossed_at")),
        *(Q(first_crossed_at__lt=end) for end in ends),
    ]
    totals = (
        state.unchanged()
        .filter(first_crossed_at__isnull=False)
        .aggregate(
            **{
                f"figure_{number}": Count("first_crossed_at", filter=condition)
                for number, condition in enumerate(columns)
            }
        )
    )
    row = [totals[f"figure_{number}"] or 0 for number in range(len(columns))]

    def before(at: datetime | None, bound: datetime) -> bool:
        return at is not None and at < bound

    def since(at: datetime | None, bound: datetime) -> bool:
        return at is not None and at >= bound

    for facts, created_at in state.changed_facts:
        if facts.first_crossed_at is None:
            continue
        verified = facts.first_verified_crossed_at is not None
        tests = [
            *(since(facts.last_verified_crossed_at, start) for start in starts),
            *(not verified and since(facts.last_self_reported_crossed_at, start) for start in starts),
            verified,
            verified and created_at < facts.first_verified_crossed_at,
            *(before(facts.first_crossed_at, end) for end in ends),
        ]
        row = [total + test for total, test in zip(row, tests, strict=True)]
    count = len(starts)
    return _CrossingPass(
        identified_since=row[:count],
        self_reported_since=row[count : 2 * count],
        seen=row[2 * count],
        seen_after_registering=row[2 * count + 1],
        crossed_by=row[2 * count + 2 :],
    )


def _crossed_in(start: datetime, as_of: datetime, *, identified: int, self_reported: int) -> dict:
    tallied = _tallies(start, as_of).aggregate(n=Sum("nationals"))["n"] or 0
    partner = _partner_total(start=start, as_of=as_of)
    own = identified + tallied + self_reported
    return {
        "identified": identified,
        "tallied": tallied,
        "self_reported": self_reported,
        "partner": partner,
        "range": [identified, max(own, partner)],
    }


def _crossed_figures(
    window: SitrepWindow, state: _PersonsAsOf, charted: ChartDays, crossings: _CrossingPass, corrected
) -> dict:
    as_of = window.as_of
    starts = _window_starts(window)
    figures = [
        _crossed_in(start, as_of, identified=identified, self_reported=self_reported)
        for start, identified, self_reported in zip(
            starts, crossings.identified_since, crossings.self_reported_since, strict=True
        )
    ]
    total, total["last_24h"], total["last_72h"] = figures
    total["returned"] = state.count(lambda status, intent, region: status == StatusKind.RETURNED)
    total["per_point_day"] = _per_point_day(SitrepWindow(as_of=as_of, start=charted.start), charted.days, corrected)
    total["days"] = charted.days
    return total


def _window_starts(window: SitrepWindow) -> list[datetime]:
    """In total, the last 24 hours, the last 72 hours."""
    return [
        window.start,
        max(window.start, window.as_of - timedelta(hours=24)),
        max(window.start, window.as_of - timedelta(hours=72)),
    ]


def _days(start: datetime, as_of: datetime) -> list[str]:
    first, last = timezone.localtime(start).date(), timezone.localtime(as_of).date()
    return [(first + timedelta(days=offset)).isoformat() for offset in range((last - first).days + 1)]


@dataclass(frozen=True, slots=True)
class ChartDays:
    """The days the per-day figures cover: up to the last day anything was recorded happening
    (a sitrep long after the crisis has no empty weeks to draw), at most the last CHART_DAYS."""

    start: datetime
    days: list[str]

    @classmethod
    def of(cls, window: SitrepWindow, corrected) -> ChartDays:
        as_of = window.as_of
        # The latest of each, read backwards along its index until the first that counts.
        latest = [
            _crossings(as_of, corrected).order_by("-occurred_at").values_list("occurred_at", flat=True).first(),
            Person.objects.filter(created_at__lte=as_of)
            .order_by("-created_at")
            .values_list("created_at", flat=True)
            .first(),
            _tallies(window.start, as_of).order_by("-counted_at").values_list("counted_at", flat=True).first(),
        ]
        end = min(as_of, max((at for at in latest if at is not None), default=window.start))
        end = max(end, window.start)
        day_start = timezone.localtime(end).replace(hour=0, minute=0, second=0, microsecond=0)
        start = max(window.start, day_start - timedelta(days=CHART_DAYS - 1))
        return cls(start=start, days=_days(start, end))


def _day_bounds(days: list[str]) -> list[tuple[str, datetime, datetime]]:
    """Each day with its start and end in the server's time zone. Days are counted by comparing
    with these bounds, in one pass of the database's own comparisons: truncating each row's
    time to a date would call a Python function per row on SQLite."""
    bounds = []
    for day in days:
        start = timezone.make_aware(datetime.combine(date.fromisoformat(day), time.min))
        bounds.append(
            (day, start, timezone.make_aware(datetime.combine(date.fromisoformat(day) + timedelta(days=1), time.min)))
        )
    return bounds


def _day_number(field: str, bounds) -> Case:
    """The index of the day of `bounds` a row's `field` falls in, computed by the database."""
    return Case(
        *(When(**{f"{field}__lt": end}, then=Value(number)) for number, (_day, _start, end) in enumerate(bounds)),
        default=Value(len(bounds)),
        output_field=IntegerField(),
    )


def _per_day(queryset, *, field: str, group: str, aggregate, bounds) -> dict[tuple[str, str], int]:
    """`aggregate` of `queryset` per value of `group` and per day of `bounds` (rows before the
    first day must be filtered out by the caller)."""
    if not bounds:
        return {}
    counts = {}
    for key, number, value in (
        queryset.annotate(day_number=_day_number(field, bounds))
        .values_list(group, "day_number")
        .annotate(n=aggregate)
        .order_by()
    ):
        if number < len(bounds) and value:
            counts[(key, bounds[number][0])] = value
    return counts


def _per_point_day(window: SitrepWindow, days: list[str], corrected) -> list[dict]:
    bounds = _day_bounds(days)
    codes = dict(CrossingPoint.objects.values_list("id", "code"))
    identified = _per_day(
        _verified(window.as_of, corrected).filter(occurred_at__gte=window.start),
        field="occurred_at",
        group="crossing_point_id",
        aggregate=Count("person_id", distinct=True),
        bounds=bounds,
    )
    tallied = _per_day(
        _tallies(window.start, window.as_of),
        field="counted_at",
        group="point_id",
        aggregate=Sum("nationals"),
        bounds=bounds,
    )
    keys = sorted(set(identified) | set(tallied), key=lambda key: (key[1], codes.get(key[0], "")))
    return [
        {
            "point": codes.get(point_id, ""),
            "day": day,
            "identified": identified.get((point_id, day), 0),
            "tallied": tallied.get((point_id, day), 0),
        }
        for point_id, day in keys
    ]


# ---- remaining in the country, intent ---------------------------------------------------------


def _remaining_figures(state: _PersonsAsOf, crossed: dict, crossings: _CrossingPass) -> dict:
    """Registered and not departed, plus Chapman's estimate of the nationals on neither list.

    List 1 is the registry as it stood before each crossing: everyone registered by `as_of`
    except those first registered when they crossed (at a desk, or by staff afterwards).
    List 2 is everyone seen crossing out by staff. On both: those seen who had registered before.
    """
    registered = state.count()
    not_departed = state.count(lambda status, intent, region: status not in DEPARTED)
    n2, m = crossings.seen, crossings.seen_after_registering
    n1 = registered - (n2 - m)
    estimate = chapman(n1=n1, n2=n2, m=m)
    unseen = round(estimate.unseen) if n2 else 0
    unseen_low, unseen_high = (round(bound) for bound in estimate.unseen_interval) if n2 else (0, 0)
    # Unnamed nationals tallied crossing out may be among the unseen: the low end takes them off.
    tallied = crossed["tallied"]
    return {
        "estimate": not_departed + unseen,
        "range": [not_departed + max(0, unseen_low - tallied), not_departed + unseen_high],
        "registered_not_departed": not_departed,
        "unregistered": unseen,
        "capture_recapture": {
            "n1": n1,
            "n2": n2,
            "m": m,
            "chapman": round(estimate.estimate, 1),
            "interval": [round(estimate.interval[0], 1), round(estimate.interval[1], 1)],
            "reliable": estimate.reliable,
        },
    }


def _intent_figures(state: _PersonsAsOf) -> dict:
    inside = state.by(1, lambda status, intent, region: status not in DEPARTED)
    counts = {choice: inside.get(choice, 0) for choice in Intent.values}
    share = _settings_share()
    stay_range = count_range(
        certain=counts[Intent.STAY], uncertain=counts[Intent.UNDECIDED] + counts[Intent.UNKNOWN], share=share
    )
    return {**counts, "stay_range": list(stay_range), "undecided_share": share, "population": sum(counts.values())}


def _status_over_time(charted: ChartDays, state: _PersonsAsOf, crossings: _CrossingPass) -> list[dict]:
    """Per day of the (charted) window: registered by its end, crossed out by its end (first
    crossing of each person on their timeline), and the difference, still inside as far as we know."""
    days = charted.days
    bounds = _day_bounds(days)
    # A count per day along the index of `created_at` visits each registration once; one
    # statement with a filtered count per day would test every row against every day.
    registered = state.persons.filter(created_at__lt=charted.start).count()
    rows = []
    for number, (day, start, end) in enumerate(bounds):
        registered += state.persons.filter(created_at__gte=max(start, charted.start), created_at__lt=end).count()
        crossed = crossings.crossed_by[number]
        rows.append({"day": day, "registered": registered, "crossed": crossed, "inside": registered - crossed})
    return rows


# ---- posture ------------------------------------------------------------------------------------


def _posture(as_of: datetime) -> dict:
    """Posts open at the moment and the staff on shift at each, points with a shift in the last
    24 h and each point's reported status then, and the desk conflicts still open."""
    running = Shift.objects.filter(started_at__lte=as_of).filter(Q(ended_at__isnull=True) | Q(ended_at__gt=as_of))
    on_shift_at_point = Counter(running.values_list("point_id", flat=True))
    covered = set(
        Shift.objects.filter(started_at__lte=as_of)
        .filter(Q(ended_at__isnull=True) | Q(ended_at__gte=as_of - timedelta(hours=24)))
        .values_list("point_id", flat=True)
    )
    reported = {}
    for change in CrossingStatusChange.objects.filter(changed_at__lte=as_of).order_by("changed_at", "id"):
        reported[change.point_id] = change
    points = []
    post_staff: Counter[int] = Counter()
    for point in CrossingPoint.objects.order_by("name"):
        change = reported.get(point.pk)
        points.append(
            {
                "code": point.code,
                "name": f"{point.name} – {point.name_far_side}",
                "status": change.status if change else point.Status.OPEN,
                "wait_minutes": change.expected_wait_minutes if change else None,
                "on_shift": on_shift_at_point[point.pk],
                "covered_24h": point.pk in covered,
            }
        )
        if point.post_id:
            post_staff[point.post_id] += on_shift_at_point[point.pk]
    posts = [
        {"name": post.name, "city": post.city, "kind": post.kind, "on_shift": post_staff[post.pk]}
        for post in Post.objects.filter(opened_at__lte=as_of)
        .filter(Q(closed_at__isnull=True) | Q(closed_at__gt=as_of))
        .order_by("opened_at")
    ]
    conflicts = DeskConflict.objects.filter(detected_at__lte=as_of).filter(
        Q(resolved_at__isnull=True) | Q(resolved_at__gt=as_of)
    )
    return {"posts": posts, "points": points, "open_conflicts": conflicts.count()}
