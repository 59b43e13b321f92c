"""The bulk path of the sync (a run of check-ins, tallies and needs written together) decides
every event exactly as the one-by-one path does: same answers, same rows, same conflicts.

Each scenario is a random mix of good events, duplicates, crossings at two points, people
marked staying, unknown persons and points, broken payloads, clocks ahead, quick
registrations named by later events, replays and reused ids. It runs once with the bulk path
switched off and once with it on, each time inside a transaction that is then rolled back,
and the two outcomes are compared."""

import copy
import random
import uuid
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from crisisdesk.border import services
from crisisdesk.border.models import CheckIn, CrossingPoint, DeskConflict, DeskEvent, DeskNeed, Tally
from crisisdesk.common.models import AuditEvent
from crisisdesk.common.origin import SYSTEM
from crisisdesk.registry.models import Person, StatusEvent, StatusKind
from crisisdesk.registry.services import TIMELINE_FACT_FIELDS, derive_timeline_facts, person_state_read
from crisisdesk.registry.tests.factories import person_registered

pytestmark = pytest.mark.django_db


class _RollBack(Exception):
    pass


def _scenario(seed: int, persons: list[Person], now) -> list[list[dict]]:
    """Batches as devices would send them, with the mistakes devices make."""
    rng = random.Random(seed)
    sent: list[dict] = []
    registered: list[str] = []
    batches = []
    for _batch in range(4):
        batch = []
        for _ in range(rng.randint(5, 25)):
            roll = rng.random()
            at = now - timedelta(minutes=rng.randint(0, 180))
            if roll < 0.05:
                at = now + timedelta(hours=2)  # a device clock ahead
            person = rng.choice(persons)
            point = rng.choice(["rava", "shehyni", "shehyni", "nowhere"] if roll < 0.5 else ["rava", "shehyni"])
            if roll < 0.45:
                payload = {"person_id": person.pk, "point": point, "direction": rng.choice(["out", "out", "in"])}
                kind = "check_in"
            elif roll < 0.55:
                payload = {"point": point, "nationals": rng.randint(0, 40), "children": rng.randint(0, 5)}
                kind = "tally"
            elif roll < 0.62:
                payload = {"person_id": person.pk, "kinds": rng.sample(["transport", "medical", "shelter"], 2)}
                kind = "need"
            elif roll < 0.67:
                payload = {"person_id": person.pk}
                kind = "staying"
            elif roll < 0.72:
                payload = {"given_name": "Олег", "family_name": f"Новий{len(registered)}", "birth": "1970"}
                kind = "quick_register"
            elif roll < 0.8 and registered:
                payload = {"person_event": rng.choice(registered), "point": "rava"}
                kind = "check_in"
            elif roll < 0.84:
                payload = {"person_id": 10_000_000, "point": "rava"}
                kind = "check_in"
            elif roll < 0.88:
                payload = {"person_id": person.pk, "point": "rava", "direction": "sideways"}
                kind = "check_in"
            elif roll < 0.94 and sent:
                batch.append(dict(rng.choice(sent)))  # a replay
                continue
            elif sent:
                reused = dict(rng.choice(sent))
                reused["payload"] = {"point": "rava", "nationals": 99}  # an id reused with other content
                reused["kind"] = "tally"
                batch.append(reused)
                continue
            else:
                continue
            event = {"id": str(uuid.uuid4()), "kind": kind, "device_time": at.isoformat(), "payload": payload}
            if kind == "quick_register":
                registered.append(event["id"])
            batch.append(event)
            sent.append(event)
        batches.append(batch)
    return batches


def _person_key(person_id, persons_by_id):
    person = persons_by_id.get(person_id) or Person.objects.get(pk=person_id)
    return person.family_name


CROSSING_FACT_FIELDS = [name for name in TIMELINE_FACT_FIELDS if "crossed" in name]


def _facts_off_the_timeline(person: Person) -> bool:
    expected = copy.copy(person)
    derive_timeline_facts(list(person.timeline.all())).apply_to(expected)
    return any(getattr(expected, name) != getattr(person, name) for name in TIMELINE_FACT_FIELDS)


def _befores_off_the_timeline() -> list[int]:
    """Entries whose `person_before` is not what their person's earlier entries derive."""
    wrong = []
    entries = list(StatusEvent.objects.all())
    for entry in entries:
        if entry.person_before is None:
            assert entry.kind == StatusKind.REGISTERED, entry.kind
            continue
        earlier = [e for e in entries if e.person_id == entry.person_id and e.recorded_at < entry.recorded_at]
        kept, _intent, _region = person_state_read(entry.person_before)
        derived = derive_timeline_facts(earlier)
        if (kept.current_status, *(getattr(kept, n) for n in CROSSING_FACT_FIELDS), kept.last_contact_at) != (
            derived.current_status,
            *(getattr(derived, n) for n in CROSSING_FACT_FIELDS),
            derived.last_contact_at,
        ):
            wrong.append(entry.pk)
    return wrong


def _outcome(batches, actor, persons_by_id):
    results = []
    for batch in batches:
        for result in services.desk_events_sync(actor=actor, origin=SYSTEM, events=batch, device_label="d"):
            results.append(
                (
                    result.event_id,
                    result.status,
                    result.reason,
                    result.replayed,
                    tuple(_person_key(pid, persons_by_id) for pid in result.person_ids),
                    tuple(result.flagged),
                )
            )
    key = lambda pid: _person_key(pid, persons_by_id)  # noqa: E731 - a short local alias
    return {
        "results": results,
        "events": sorted(
            (str(e.event_id), e.kind, e.outcome, e.reason, tuple(map(key, e.person_ids)), e.clock_ahead)
            for e in DeskEvent.objects.all()
        ),
        "check_ins": sorted(
            (key(c.person_id), c.point.code, c.direction, str(c.desk_event.event_id)) for c in CheckIn.objects.all()
        ),
        "tallies": sorted(
            (t.point.code, t.nationals, t.children, str(t.desk_event.event_id)) for t in Tally.objects.all()
        ),
        "needs": sorted((key(n.person_id), n.kind, str(n.desk_event.event_id)) for n in DeskNeed.objects.all()),
        "conflicts": sorted(
            (
                c.kind,
                key(c.person_id) if c.person_id else "",
                str(c.event.event_id),
                str(c.other_event.event_id) if c.other_event else "",
            )
            for c in DeskConflict.objects.all()
        ),
        "timeline": sorted(
            (key(s.person_id), s.kind, s.source, s.crossing_point.code if s.crossing_point else "")
            for s in StatusEvent.objects.filter(source=StatusEvent.Source.BORDER_DESK)
        ),
        # Which crossing facts are set, not their times: an event from a device whose clock ran
        # ahead is timed at the moment it arrived, which differs between the two runs.
        "status": sorted(
            (p.family_name, p.current_status, *(getattr(p, name) is not None for name in CROSSING_FACT_FIELDS))
            for p in Person.objects.all()
        ),
        # Every entry keeps the person as the entries recorded before it left them.
        "befores_off_the_timeline": _befores_off_the_timeline(),
        # What the sitrep reads is what the timeline says, on either path.
        "facts_off_the_timeline": sorted(
            p.family_name for p in Person.objects.prefetch_related("timeline") if _facts_off_the_timeline(p)
        ),
        "audit": sorted(
            (a.action, key(a.person_id) if a.person_id else "")
            for a in AuditEvent.objects.filter(
                action__in=[
                    AuditEvent.Action.DESK_EVENT_RECEIVED,
                    AuditEvent.Action.CHECK_IN_RECORDED,
                    AuditEvent.Action.STATUS_EVENT_ADDED,
                ]
            )
        ),
    }


def _run(batches, actor, persons_by_id, *, bulk: bool, monkeypatch):
    with monkeypatch.context() as patch:
        if not bulk:
            patch.setattr(services, "_in_bulk", lambda raw: False)
        try:
            with transaction.atomic():
                outcome = _outcome(batches, actor, persons_by_id)
                raise _RollBack
        except _RollBack:
            pass
    return outcome


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5, 6])
def test_the_bulk_path_decides_like_the_one_by_one_path(users, monkeypatch, seed):
    CrossingPoint.objects.create(
        code="rava", name="Rava-Ruska", name_far_side="Hrebenne", country_from="UA", country_to="PL"
    )
    CrossingPoint.objects.create(
        code="shehyni", name="Shehyni", name_far_side="Medyka", country_from="UA", country_to="PL"
    )
    persons = [person_registered(family_name=f"Особа{number}", other_names=()) for number in range(6)]
    persons_by_id = {person.pk: person for person in persons}
    batches = _scenario(seed, persons, timezone.now())
    actor = users["border_officer"]

    one_by_one = _run(batches, actor, persons_by_id, bulk=False, monkeypatch=monkeypatch)
    in_bulk = _run(batches, actor, persons_by_id, bulk=True, monkeypatch=monkeypatch)

    assert len(one_by_one["results"]) == sum(len(batch) for batch in batches)
    assert {row[1] for row in one_by_one["results"]} >= {"applied", "rejected"}
    assert in_bulk["facts_off_the_timeline"] == []
    assert one_by_one["befores_off_the_timeline"] == in_bulk["befores_off_the_timeline"] == []
    for part in one_by_one:
        assert in_bulk[part] == one_by_one[part], part
