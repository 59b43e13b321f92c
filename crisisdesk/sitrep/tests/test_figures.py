"""The sitrep's figures on the small war of conftest.py, against answers worked out by hand.

At T1 (26 Feb, 18:00): ten registered (A1–A6, a household of three, Q1 registered at the
desk). Identified crossings: A1 and Q1 at Shehyni, A2 at Rava; a bus of ten tallied at
Shehyni; A6 and the household's first member say they crossed; the household's third is
reported missing. At T2 (27 Feb, 12:00) more has arrived: see `scenario_to_t2`.
"""

import math
from datetime import timedelta

import pytest
import time_machine
from django.db import connection

from crisisdesk.common.origin import SYSTEM
from crisisdesk.registry.models import Person, StatusEvent, StatusKind
from crisisdesk.registry.services import status_event_add
from crisisdesk.sitrep.figures import SitrepWindow, _PersonsAsOf, sitrep_figures
from crisisdesk.sitrep.tests.conftest import T1, T2, at, scenario_to_t2

pytestmark = pytest.mark.django_db


def _figures(as_of, *, include_persons=False):
    return sitrep_figures(window=SitrepWindow.ending(as_of), include_persons=include_persons)


def _chapman_by_hand(n1: int, n2: int, m: int) -> tuple[float, float, float]:
    """Chapman's N and its 95 % log-normal interval (Chao 1987), written out again here."""
    estimate = (n1 + 1) * (n2 + 1) / (m + 1) - 1
    variance = (n1 + 1) * (n2 + 1) * (n1 - m) * (n2 - m) / ((m + 1) ** 2 * (m + 2))
    seen = n1 + n2 - m
    f0 = estimate - seen
    c = math.exp(1.96 * math.sqrt(math.log(1 + variance / f0**2)))
    return estimate, seen + f0 / c, seen + f0 * c


def test_registry_figures_at_t1(scenario):
    figures = _figures(T1)
    registry = figures["registry"]

    assert registry["registered"] == 10
    assert registry["by_status"] == {"crossed": 5, "registered": 4, "missing": 1}
    # Q1, registered at the desk, never said.
    assert registry["by_intent"] == {"leave": 6, "unknown": 2, "stay": 1, "undecided": 1}
    assert registry["households"] == 1
    # A6 holds Israeli and Ukrainian citizenship: a man of 31 — the conscription-risk group.
    assert registry["dual"] == {"IL+UA": 1}
    assert registry["risk_groups"] == {"conscription-risk": 1}
    # Heard from in the 48 h before T1: the five who crossed or said so. Being reported
    # missing is no contact.
    assert registry["contact_stale"] == 5


def test_intent_counts_the_registered_still_inside_and_its_range_adds_half_the_undecided(scenario):
    intent = _figures(T1)["intent"]

    # Inside at T1: A3 (stay), A4 (undecided), A5 (unknown), the household's second and
    # third (leave).
    assert {key: intent[key] for key in ("leave", "stay", "undecided", "unknown")} == {
        "leave": 2,
        "stay": 1,
        "undecided": 1,
        "unknown": 1,
    }
    assert intent["population"] == 5
    assert intent["stay_range"] == [1, 2]  # 1 + half of (1 undecided + 1 unknown)


def test_crossings_keep_identified_tallied_and_self_reported_apart(scenario):
    crossed = _figures(T1)["crossed"]

    assert (crossed["identified"], crossed["tallied"], crossed["self_reported"], crossed["partner"]) == (3, 10, 2, 0)
    assert crossed["range"] == [3, 15]
    assert crossed["last_24h"]["range"] == [3, 15]
    assert crossed["per_point_day"] == [
        {"point": "rava", "day": "2022-02-26", "identified": 1, "tallied": 0},
        {"point": "shehyni", "day": "2022-02-26", "identified": 2, "tallied": 10},
    ]
    assert crossed["returned"] == 0


def test_remaining_is_registered_not_departed_plus_chapman_unseen(scenario):
    remaining = _figures(T1)["remaining"]
    capture = remaining["capture_recapture"]

    # List 2: A1, A2, Q1 checked in. On both: A1 and A2 (registered on the 20th); Q1 was
    # registered at the desk as she crossed. List 1: the ten registered but Q1.
    assert (capture["n1"], capture["n2"], capture["m"]) == (9, 3, 2)
    estimate, low, high = _chapman_by_hand(9, 3, 2)
    assert capture["chapman"] == pytest.approx(estimate, abs=0.05)
    assert capture["interval"] == pytest.approx([low, high], abs=0.05)
    assert capture["reliable"] is False  # two on both lists is too few
    assert remaining["registered_not_departed"] == 5
    unseen = round(estimate - 10)
    assert remaining["estimate"] == 5 + unseen
    # The low end takes off the ten tallied (they may be among the unseen).
    assert remaining["range"] == [5 + max(0, round(low - 10) - 10), 5 + round(high - 10)]


def test_later_records_move_the_figures_at_t2(scenario, users):
    with time_machine.travel(T2, tick=False):
        scenario_to_t2(users, scenario)
        figures = _figures(T2)

    crossed = figures["crossed"]
    # A5 (late sync of the 26th) and A6 (confirmed on the 27th) join the identified; A6's own
    # report is no longer counted apart; the partner's 30 for the 26th tops our own 16.
    assert (crossed["identified"], crossed["tallied"], crossed["self_reported"], crossed["partner"]) == (5, 10, 1, 30)
    assert crossed["range"] == [5, 30]
    # Since 26 Feb 12:00: A5 at 15:00, A6 on the 27th; the household's self-report at 12:45.
    assert crossed["last_24h"] == {"identified": 2, "tallied": 0, "self_reported": 1, "partner": 0, "range": [2, 3]}
    assert crossed["returned"] == 1  # A2 came back
    registry = figures["registry"]
    assert registry["registered"] == 11
    # Crossed: A1, Q1, A5, A6, the household's first; A2 came back; missing: one.
    assert registry["by_status"] == {"crossed": 5, "registered": 4, "returned": 1, "missing": 1}
    intent = figures["intent"]
    # Inside: A2 (leave), A3 (stay), A4 (now stay), A7 (leave), household 2nd and 3rd (leave).
    assert (intent["leave"], intent["stay"], intent["undecided"], intent["unknown"]) == (4, 2, 0, 0)


def test_a_past_moment_computed_later_gives_the_figures_of_then(scenario, users):
    """Late syncs, changed intents and regions, new persons and partner figures recorded after
    T1 leave the sitrep as of T1 as it was."""
    with time_machine.travel(T1, tick=False):
        then = _figures(T1, include_persons=True)
    with time_machine.travel(T2, tick=False):
        scenario_to_t2(users, scenario)
        again = _figures(T1, include_persons=True)
        now = _figures(T2)

    assert again == then
    assert now["registry"]["by_region"] != then["registry"]["by_region"]  # A3 moved after T1


def test_an_entry_timed_minutes_ahead_waits_for_its_time(scenario):
    """A crossing entered at T1 from a clock a few minutes fast (within the allowed skew) has
    not happened yet at T1: the sitrep of now leaves it out, although the stored facts of the
    person already hold it, and the same sitrep taken later agrees."""
    with time_machine.travel(T1, tick=False):
        before = _figures(T1, include_persons=True)
        status_event_add(
            actor=None,
            origin=SYSTEM,
            person=scenario.persons["A3"],
            kind=StatusKind.CROSSED,
            occurred_at=T1 + timedelta(minutes=4),
            source=StatusEvent.Source.STAFF,
            crossing_point=scenario.points["shehyni"],
        )
        now = _figures(T1, include_persons=True)
    with time_machine.travel(T2, tick=False):
        later = _figures(T1, include_persons=True)
        after_it = _figures(T1 + timedelta(minutes=5))

    assert Person.objects.get(pk=scenario.persons["A3"].pk).first_verified_crossed_at == T1 + timedelta(minutes=4)
    assert now == before
    assert later == before
    assert after_it["crossed"]["identified"] == before["crossed"]["identified"] + 1
    assert after_it["registry"]["contact_stale"] == before["registry"]["contact_stale"] - 1


def _staff_entry(person, kind, *, occurred_at, **fields):
    status_event_add(
        actor=None, origin=SYSTEM, person=person, kind=kind, occurred_at=occurred_at, source="staff", **fields
    )


@pytest.mark.parametrize("as_of", [at(26, 12), at(26, 15, 30), T1, at(27, 9, 30), at(27, 10, 45), at(27, 11, 15)])
def test_the_state_kept_with_each_entry_gives_what_re_deriving_gives(scenario, users, as_of):
    """A past moment reads each changed person's state then from their first entry recorded
    after it; re-deriving every timeline (as for entries that keep no state) agrees."""
    a3, a5 = scenario.persons["A3"], scenario.persons["A5"]
    with time_machine.travel(T1, tick=False):  # from a clock running four minutes ahead
        _staff_entry(a5, StatusKind.EN_ROUTE, occurred_at=T1 + timedelta(minutes=4))
    scenario_to_t2(users, scenario)  # A5 checked in at Rava, A3 moved at 10:30
    with time_machine.travel(at(27, 11), tick=False):
        _staff_entry(a3, StatusKind.AT_BORDER, occurred_at=at(27, 11))
    with time_machine.travel(at(27, 11, 30), tick=False):
        _staff_entry(a3, StatusKind.CROSSED, occurred_at=at(27, 11, 30), crossing_point=scenario.points["shehyni"])
    with time_machine.travel(T2, tick=False):
        assert _PersonsAsOf(as_of)._states_kept_then()  # the kept states are read
        kept = _figures(as_of, include_persons=True)
        with connection.cursor() as cursor:  # entries are append-only: wiped behind the ORM's back
            cursor.execute(f"UPDATE {StatusEvent._meta.db_table} SET person_before = NULL")  # noqa: S608
        assert not _PersonsAsOf(as_of)._states_kept_then()
        re_derived = _figures(as_of, include_persons=True)

    assert kept == re_derived


def test_status_over_time_is_cumulative_per_day(scenario):
    rows = {row["day"]: row for row in _figures(T1)["status_over_time"]}

    # The window starts on the crisis date, 24 Feb; all ten registered by then but Q1.
    assert rows["2022-02-24"] == {"day": "2022-02-24", "registered": 9, "crossed": 0, "inside": 9}
    assert rows["2022-02-26"] == {"day": "2022-02-26", "registered": 10, "crossed": 5, "inside": 5}


def test_persons_of_concern_name_the_missing(scenario):
    figures = _figures(T1, include_persons=True)

    (missing,) = figures["persons_of_concern"]
    assert missing["id"] == scenario.household[2].pk
    assert missing["name"] == scenario.household[2].full_name


def test_posture_counts_staff_on_shift_and_points_covered(scenario, users):
    from crisisdesk.border.models import Shift

    with time_machine.travel(at(26, 6), tick=False):
        shift = Shift.objects.create(
            point=scenario.points["shehyni"],
            officer=users["border_officer"],
            starts_at=at(26, 6),
            ends_at=at(26, 18),
            started_at=at(26, 6),
            created_by=users["desk_chief"],
        )
    posture = _figures(at(26, 12))["posture"]

    by_code = {point["code"]: point for point in posture["points"]}
    assert (by_code["shehyni"]["on_shift"], by_code["shehyni"]["covered_24h"]) == (1, True)
    assert (by_code["rava"]["on_shift"], by_code["rava"]["covered_24h"]) == (0, False)
    assert shift.pk


def test_citizenship_mix_counts_each_combination_once(db):
    from crisisdesk.registry.tests.factories import person_registered

    for citizenships in (("IL",), ("IL", "UA"), ("UA", "IL"), ("IL", "UA", "RU"), ("IL", "RU")):
        person_registered(citizenships=citizenships)

    registry = _figures(None)["registry"]

    assert registry["dual"] == {"IL+UA": 2, "IL+RU": 1, "IL+RU+UA": 1}
    assert registry["by_citizenship"] == {"IL": 5, "UA": 3, "RU": 2}


def test_citizenship_mix_follows_a_change_of_citizenships(db):
    from crisisdesk.common.origin import SYSTEM
    from crisisdesk.registry.services import person_update
    from crisisdesk.registry.tests.factories import person_registered

    person = person_registered(citizenships=("IL", "RU"))
    person_registered(citizenships=("IL",))

    person_update(actor=None, origin=SYSTEM, person=person, changes={}, citizenships=["UA", "IL", "RU"])
    registry = _figures(None)["registry"]
    assert (registry["dual"], registry["by_citizenship"]) == ({"IL+RU+UA": 1}, {"IL": 2, "RU": 1, "UA": 1})

    person_update(actor=None, origin=SYSTEM, person=person, changes={}, citizenships=["IL"])
    registry = _figures(None)["registry"]
    assert (registry["dual"], registry["by_citizenship"]) == ({}, {"IL": 2})
