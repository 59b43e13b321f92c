"""The PFIF tests' world: a few persons with timelines, a merge and a pair decided the same,
made through the registry's services at fixed moments (time_machine), so that an export is
the same bytes every time but for the record ids, which the golden files hold as {tokens}."""

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
import time_machine

GOLDEN = Path(__file__).parent / "golden"
T0 = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)


def at(day: int, hour: int = 10) -> datetime:
    return datetime(2026, 3, day, hour, 0, tzinfo=UTC)


_IDS = re.compile(r"(?<=/)(person|note|link)\.(\d+)(?:\.(\d+))?(?=<)")


def golden(name: str, *, persons: dict[str, int], events: dict[str, int]) -> bytes:
    """A golden file with its {tokens} filled in: registry ids, which differ between databases.
    Persons are {name}, timeline entries {e0}, {e1}, ... in the order they were recorded."""
    tokens = {**persons, **events}
    text = (GOLDEN / name).read_text(encoding="utf-8")
    return re.sub(r"\{(\w+)\}", lambda match: str(tokens[match[1]]), text).encode("utf-8")


def golden_tokens(content: bytes, *, persons: dict[str, int], events: dict[str, int]) -> str:
    """`content` with its record ids' registry ids written as {tokens}: how a golden file is
    (re)written (PFIF_GOLDEN_WRITE=1), to be read through before it is committed."""
    person_name = {pk: name for name, pk in persons.items()}
    event_name = {pk: name for name, pk in events.items()}

    def token(match) -> str:
        kind, first, second = match[1], int(match[2]), match[3]
        if kind == "note":
            return f"note.{{{event_name[first]}}}"
        text = f"{kind}.{{{person_name[first]}}}"
        return text + (f".{{{person_name[int(second)]}}}" if second else "")

    return _IDS.sub(token, content.decode("utf-8"))


def event_tokens() -> dict[str, int]:
    from crisisdesk.registry.models import StatusEvent

    return {
        f"e{number}": pk for number, pk in enumerate(StatusEvent.objects.order_by("id").values_list("id", flat=True))
    }


@pytest.fixture
def world(users):
    """Persons of every kind the export maps, and the ids the golden files need."""
    return world_build(users)


def world_build(users) -> dict[str, int]:
    from crisisdesk.common.origin import SYSTEM
    from crisisdesk.duplicates.models import DuplicatePair, Merge, PairSource, PairStatus
    from crisisdesk.registry.inputs import ReporterInput
    from crisisdesk.registry.models import Channel, Person, StatusEvent, StatusKind
    from crisisdesk.registry.services import registration_submit, status_event_add
    from crisisdesk.registry.tests.factories import PersonInputFactory, person_registered, registration_input

    chief = users["desk_chief"]
    with time_machine.travel(T0, tick=False):
        olena = person_registered(
            actor=chief, given_name="Olena", family_name="Kovalenko", needs_note="insulin, secret needs"
        )
        taras = person_registered(
            actor=chief,
            given_name="Taras",
            family_name="Shevchuk",
            sex="M",
            birth_year=1990,
            birth_month=None,
            birth_day=None,
            citizenships=("IL", "UA"),
            region="",
            city="",
            other_names=(),
        )
    with time_machine.travel(at(2), tick=False):
        status_event_add(
            actor=chief,
            origin=SYSTEM,
            person=olena,
            kind=StatusKind.CONTACTED,
            occurred_at=at(2, 9),
            source=StatusEvent.Source.STAFF,
            note="staff only: called her sister",
        )
        missing = status_event_add(
            actor=chief,
            origin=SYSTEM,
            person=taras,
            kind=StatusKind.MISSING,
            occurred_at=at(2, 8),
            source=StatusEvent.Source.STAFF,
        )
    with time_machine.travel(at(3), tick=False):
        status_event_add(
            actor=chief,
            origin=SYSTEM,
            person=taras,
            kind=StatusKind.ENTERED_IN_ERROR,
            occurred_at=at(3, 9),
            source=StatusEvent.Source.STAFF,
            corrects=missing,
        )
        status_event_add(
            actor=chief,
            origin=SYSTEM,
            person=olena,
            kind=StatusKind.CROSSED,
            occurred_at=at(3, 7),
            source=StatusEvent.Source.BORDER_DESK,
            place_note="Shehyni",
        )
    with time_machine.travel(at(4), tick=False):
        self_registered = registration_submit(
            origin=SYSTEM, data=registration_input(people=1), channel=Channel.PUBLIC
        ).registration.persons.get()
        Person.objects.filter(pk=self_registered.pk).update(given_name="Mariia", family_name="Tkachenko")
        reported = registration_submit(
            origin=SYSTEM,
            data=registration_input(people=1, reporter=ReporterInput(name="Andrii", contact="+380671112233")),
            channel=Channel.PUBLIC,
        ).registration.persons.get()
        Person.objects.filter(pk=reported.pk).update(given_name="Petro", family_name="Melnyk")
    with time_machine.travel(at(5), tick=False):
        iryna = person_registered(actor=chief, given_name="Iryna", family_name="Bondarenko", other_names=())
        iryna_cyrillic = person_registered(actor=chief, given_name="Ірина", family_name="Бондаренко", other_names=())
        Merge.objects.create(survivor=iryna, merged=iryna_cyrillic, decided_by=chief, decided_at=at(5, 12))
        Person.objects.filter(pk=iryna_cyrillic.pk).update(merged_into=iryna)
        anna = person_registered(actor=chief, given_name="Anna", family_name="Lysenko", other_names=())
        hanna = person_registered(actor=chief, given_name="Hanna", family_name="Lysenko", other_names=())
        DuplicatePair.objects.create(
            person_a=anna,
            person_b=hanna,
            match_weight=12.5,
            match_probability=0.99,
            source=PairSource.LINKAGE,
            status=PairStatus.MERGED,
            decided_by=chief,
            decided_at=at(5, 13),
        )
    del PersonInputFactory
    return {
        "olena": olena.pk,
        "taras": taras.pk,
        "mariia": self_registered.pk,
        "petro": reported.pk,
        "iryna": iryna.pk,
        "iryna_cyrillic": iryna_cyrillic.pk,
        "anna": anna.pk,
        "hanna": hanna.pk,
    }
