"""A small war, by the clock: who registered, who crossed where, who came back, what the
desks tallied and what a partner counted, with every right answer known by hand.

The clock is moved with time-machine, so each record carries the time it would have had:
persons register on 20–21 February 2022, the desks work on the 26th, the first sitrep is
taken at 18:00 that day (`T1`), and more arrives on the 27th before `T2`.

Personas: `border_officer` syncs the field devices; the registrants report through their
private link; `desk_chief` enters the partner's figure.
"""

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest
import time_machine

from crisisdesk.border.models import CrossingPoint
from crisisdesk.border.services import desk_events_sync
from crisisdesk.common.origin import SYSTEM
from crisisdesk.common.testing.browser import (  # noqa: F401 - imported fixtures are registered by name
    allow_async_unsafe,
    browser_problems,
    chromium,
    new_browser_context,
    page,
)
from crisisdesk.registry.inputs import RegistrationInput
from crisisdesk.registry.models import Person, StatusKind
from crisisdesk.registry.services import (
    person_update,
    registration_self_report,
    registration_submit,
    status_event_add,
)
from crisisdesk.registry.tests.factories import PersonInputFactory, household_registered, person_registered
from crisisdesk.sitrep.services import partner_figure_add

T1 = datetime(2022, 2, 26, 18, 0, tzinfo=UTC)
T2 = datetime(2022, 2, 27, 12, 0, tzinfo=UTC)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2022, 2, day, hour, minute, tzinfo=UTC)


@dataclass
class Scenario:
    points: dict[str, CrossingPoint]
    persons: dict[str, Person] = field(default_factory=dict)
    household: list[Person] = field(default_factory=list)
    quick_registered: Person | None = None


def _event(kind: str, payload: dict, *, device_time: datetime, event_id=None) -> dict:
    return {
        "id": str(event_id or uuid.uuid4()),
        "kind": kind,
        "device_time": device_time.isoformat(),
        "payload": payload,
    }


def _sync(actor, events: list[dict]) -> None:
    results = desk_events_sync(actor=actor, origin=SYSTEM, events=events, device_label="tablet")
    assert [result.status for result in results] == ["applied"] * len(events), [r.reason for r in results]


def _registered(name: str, **fields) -> Person:
    return person_registered(given_name=name, family_name="Testova", **fields)


def scenario_to_t1(users) -> Scenario:
    """Everything recorded up to T1 (the clock ends at T1)."""
    officer = users["border_officer"]
    with time_machine.travel(at(20, 10), tick=False):
        points = {
            code: CrossingPoint.objects.create(
                code=code, name=near, name_far_side=far, country_from="UA", country_to="PL"
            )
            for code, near, far in (("shehyni", "Shehyni", "Medyka"), ("rava", "Rava-Ruska", "Hrebenne"))
        }
        scenario = Scenario(points=points)
        for name, intent in (("A1", "leave"), ("A2", "leave"), ("A3", "stay"), ("A4", "undecided"), ("A5", "unknown")):
            scenario.persons[name] = _registered(name, intent=intent)
        # A6 registers on the public form, so has a private link to report through.
        public = registration_submit(
            origin=SYSTEM,
            data=_one_person_registration(
                given_name="A6",
                family_name="Testova",
                intent="leave",
                citizenships=("IL", "UA"),
                sex="M",
                birth_year=1990,
            ),
        ).registration
        scenario.persons["A6"] = Person.objects.get(registration=public)
    with time_machine.travel(at(21, 9), tick=False):
        registration = household_registered(people=3).registration
        scenario.household = list(Person.objects.filter(registration=registration).order_by("id"))
    # The desks on the 26th: two named crossings, one person registered at the desk and
    # checked in, a bus tallied at Shehyni. Synced at 09:00.
    with time_machine.travel(at(26, 9), tick=False):
        quick = uuid.uuid4()
        _sync(
            officer,
            [
                _event(
                    "check_in", {"person_id": scenario.persons["A1"].pk, "point": "shehyni"}, device_time=at(26, 8, 50)
                ),
                _event(
                    "check_in", {"person_id": scenario.persons["A2"].pk, "point": "rava"}, device_time=at(26, 8, 55)
                ),
                _event(
                    "quick_register",
                    {"given_name": "Q1", "family_name": "Desk", "citizenships": ["IL"], "point": "shehyni"},
                    device_time=at(26, 8, 57),
                    event_id=quick,
                ),
                _event("check_in", {"person_event": str(quick), "point": "shehyni"}, device_time=at(26, 8, 58)),
                _event("tally", {"point": "shehyni", "nationals": 10, "children": 3}, device_time=at(26, 8, 59)),
            ],
        )
        scenario.quick_registered = Person.objects.get(given_name="Q1")
    # Two registrants say "I crossed" through their private link; the desk sees neither yet.
    with time_machine.travel(at(26, 12), tick=False):
        registration_self_report(
            origin=SYSTEM,
            registration=public,
            persons=[scenario.persons["A6"]],
            intent=None,
            location=None,
            crossed_point=points["rava"],
            crossed_at=at(26, 11, 30),
            staying=False,
        )
    with time_machine.travel(at(26, 13), tick=False):
        registration_self_report(
            origin=SYSTEM,
            registration=registration,
            persons=[scenario.household[0]],
            intent=None,
            location=None,
            crossed_point=points["shehyni"],
            crossed_at=at(26, 12, 45),
            staying=False,
        )
    with time_machine.travel(at(26, 14), tick=False):
        status_event_add(
            actor=users["consul"],
            origin=SYSTEM,
            person=scenario.household[2],
            kind=StatusKind.MISSING,
            occurred_at=at(26, 13, 30),
            source="staff",
        )
    return scenario


def _one_person_registration(**person_fields) -> RegistrationInput:
    return RegistrationInput(
        people=(PersonInputFactory(**person_fields),),
        submission_key=str(uuid.uuid4()),
        language="en",
        consent_given=True,
    )


def scenario_to_t2(users, scenario: Scenario) -> None:
    """What is recorded after T1, up to T2: a late sync of a crossing on the 26th, A6 confirmed
    at the desk, A2 coming back, A4 deciding to stay, A3 moving, a new registrant, and the
    partner's count for the 26th."""
    officer = users["border_officer"]
    with time_machine.travel(at(27, 9), tick=False):
        _sync(
            officer,
            [
                _event("check_in", {"person_id": scenario.persons["A5"].pk, "point": "rava"}, device_time=at(26, 15)),
                _event("check_in", {"person_id": scenario.persons["A6"].pk, "point": "rava"}, device_time=at(27, 8)),
            ],
        )
    with time_machine.travel(at(27, 10, 30), tick=False):
        _sync(
            officer,
            [
                _event(
                    "check_in",
                    {"person_id": scenario.persons["A2"].pk, "point": "rava", "direction": "in"},
                    device_time=at(27, 10),
                )
            ],
        )
        person_update(actor=None, origin=SYSTEM, person=scenario.persons["A4"], changes={"intent": "stay"})
        person_update(actor=None, origin=SYSTEM, person=scenario.persons["A3"], changes={"region": "UA-32"})
        scenario.persons["A7"] = _registered("A7", intent="leave")
        partner_figure_add(
            actor=users["desk_chief"],
            origin=SYSTEM,
            source="Polish Border Guard",
            crossed=30,
            period_start=at(26, 0),
            period_end=at(27, 0),
            point=None,
            note="phoned figure",
        )


@pytest.fixture
def scenario(users):
    return scenario_to_t1(users)
