"""`POST /api/v1/desk/sync`: the field devices' batches of events.

Personas: `border_officer` and `consul` at the crossings, `desk_chief` who reviews conflicts.
A device makes each event's UUID and stamps it with its own clock."""

import json
import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from crisisdesk.border.errors import BorderError
from crisisdesk.border.models import CheckIn, CrossingPoint, DeskConflict, DeskEvent, DeskNeed, Intake, Tally
from crisisdesk.border.services import MAX_BATCH
from crisisdesk.common.models import AuditEvent
from crisisdesk.registry.errors import RegistryError
from crisisdesk.registry.models import Person, StatusEvent, StatusKind
from crisisdesk.registry.tests.factories import household_registered, person_registered

pytestmark = pytest.mark.django_db

SYNC = reverse("api:desk_sync")


@pytest.fixture
def points():
    return {
        code: CrossingPoint.objects.create(code=code, name=near, name_far_side=far, country_from="UA", country_to="PL")
        for code, near, far in (("shehyni", "Shehyni", "Medyka"), ("rava", "Rava-Ruska", "Hrebenne"))
    }


def _event(kind: str, payload: dict, *, at=None, event_id=None) -> dict:
    return {
        "id": str(event_id or uuid.uuid4()),
        "kind": kind,
        "device_time": (at or timezone.now() - timedelta(minutes=5)).isoformat(),
        "payload": payload,
    }


def _sync(client, events, device="tablet-1"):
    return client.post(SYNC, {"device": device, "events": events}, content_type="application/json")


def test_a_check_in_is_applied_once_with_its_timeline_event_and_audit(api, points):
    person = person_registered()
    event = _event("check_in", {"person_id": person.pk, "point": "shehyni"})

    response = _sync(api("border_officer"), [event])

    assert response.status_code == 200
    (result,) = response.json()["results"]
    assert result["status"] == "applied" and result["person_ids"] == [person.pk] and not result["replayed"]
    check_in = CheckIn.objects.get()
    assert (check_in.person, check_in.point, check_in.direction) == (person, points["shehyni"], "out")
    crossed = StatusEvent.objects.get(person=person, kind=StatusKind.CROSSED)
    assert crossed.source == StatusEvent.Source.BORDER_DESK and crossed.crossing_point == points["shehyni"]
    person.refresh_from_db()
    assert person.current_status == StatusKind.CROSSED
    assert AuditEvent.objects.filter(action=AuditEvent.Action.CHECK_IN_RECORDED, person_id=person.pk).count() == 1
    assert AuditEvent.objects.filter(action=AuditEvent.Action.DESK_EVENT_RECEIVED).count() == 1


def test_a_replayed_batch_is_acknowledged_and_changes_nothing(api, points):
    person = person_registered()
    batch = [
        _event("check_in", {"person_id": person.pk, "point": "shehyni"}),
        _event("tally", {"point": "rava", "nationals": 38, "children": 6, "description": "bus"}),
        _event("check_in", {"person_id": 999_999, "point": "shehyni"}),
    ]
    first = _sync(api("border_officer"), batch).json()["results"]
    counts = (CheckIn.objects.count(), Tally.objects.count(), DeskEvent.objects.count(), StatusEvent.objects.count())

    again = _sync(api("border_officer"), batch).json()["results"]

    assert [r["status"] for r in again] == [r["status"] for r in first] == ["applied", "applied", "rejected"]
    assert all(r["replayed"] for r in again)
    assert again[2]["reason"] == BorderError.PERSON_UNKNOWN
    assert (
        CheckIn.objects.count(),
        Tally.objects.count(),
        DeskEvent.objects.count(),
        StatusEvent.objects.count(),
    ) == counts
    assert not DeskConflict.objects.exists()


def test_the_same_id_with_other_content_is_a_visible_conflict_that_keeps_both(api, points):
    person = person_registered()
    event_id = uuid.uuid4()
    original = _event("tally", {"point": "shehyni", "nationals": 38}, event_id=event_id)
    altered = {**original, "payload": {"point": "shehyni", "nationals": 83}}
    _sync(api("border_officer"), [original])

    result = _sync(api("border_officer"), [altered]).json()["results"][0]
    _sync(api("border_officer"), [altered])  # sent again: still one conflict

    assert result["status"] == "conflict" and result["reason"] == BorderError.SAME_ID_OTHER_CONTENT
    assert Tally.objects.get().nationals == 38
    conflict = DeskConflict.objects.get()
    assert conflict.kind == DeskConflict.Kind.SAME_ID_OTHER_CONTENT and conflict.state == DeskConflict.State.OPEN
    versions = json.loads(conflict.versions)
    assert [version["payload"]["nationals"] for version in versions] == [38, 83]
    assert person.check_ins.count() == 0


def test_one_bad_event_does_not_block_the_others_and_each_gets_its_reason(api, points):
    person = person_registered()
    batch = [
        _event("check_in", {"person_id": person.pk, "point": "shehyni"}),
        {"id": "not-a-uuid", "kind": "tally", "device_time": timezone.now().isoformat(), "payload": {}},
        _event("teleport", {"person_id": person.pk}),
        _event("tally", {"point": "nowhere", "nationals": 3}),
        _event("tally", {"point": "rava", "nationals": -1}),
        {**_event("tally", {"point": "rava", "nationals": 2}), "device_time": "yesterday"},
        _event("quick_register", {"given_name": "", "family_name": ""}),
        _event("tally", {"point": "rava", "nationals": 12}),
    ]

    results = _sync(api("border_officer"), batch).json()["results"]

    assert [(r["status"], r["reason"]) for r in results] == [
        ("applied", ""),
        ("rejected", BorderError.EVENT_ID_INVALID),
        ("rejected", BorderError.EVENT_KIND_UNKNOWN),
        ("rejected", BorderError.POINT_UNKNOWN),
        ("rejected", BorderError.PAYLOAD_INVALID),
        ("rejected", BorderError.EVENT_TIME_INVALID),
        ("rejected", RegistryError.NAME_EMPTY),
        ("applied", ""),
    ]
    assert all(r["message"] for r in results if r["status"] == "rejected")
    assert CheckIn.objects.count() == 1 and list(Tally.objects.values_list("nationals", flat=True)) == [12]
    # Every event with an id is kept, the rejected ones with their reasons.
    rejected = DeskEvent.objects.filter(outcome=DeskEvent.Outcome.REJECTED)
    assert sorted(rejected.values_list("reason", flat=True)) == sorted(
        [
            BorderError.EVENT_KIND_UNKNOWN,
            BorderError.POINT_UNKNOWN,
            BorderError.PAYLOAD_INVALID,
            BorderError.EVENT_TIME_INVALID,
            RegistryError.NAME_EMPTY,
        ]
    )
    assert Person.objects.count() == 1


def test_a_device_clock_in_the_future_is_kept_and_flagged_and_the_crossing_not_dated_ahead(api, points):
    person = person_registered()
    ahead = timezone.now() + timedelta(hours=3)

    before = timezone.now()
    result = _sync(api("border_officer"), [_event("check_in", {"person_id": person.pk, "point": "rava"}, at=ahead)])

    (outcome,) = result.json()["results"]
    assert outcome["status"] == "applied" and "clock_ahead" in outcome["flagged"]
    event = DeskEvent.objects.get()
    assert event.clock_ahead and event.device_time == ahead
    assert before <= CheckIn.objects.get().crossed_at <= timezone.now()
    slightly = timezone.now() + timedelta(minutes=2)
    other = person_registered()
    second = _sync(api("border_officer"), [_event("check_in", {"person_id": other.pk, "point": "rava"}, at=slightly)])
    assert second.json()["results"][0]["flagged"] == []


def test_a_quick_registration_made_offline_is_checked_in_by_its_event_id(api, points):
    registered = uuid.uuid4()
    batch = [
        _event(
            "quick_register",
            {
                "given_name": "Олена",
                "family_name": "Коваленко",
                "birth": "1990",
                "citizenships": ["IL", "UA"],
                "contacts": [{"kind": "phone", "value": "+380501112233"}],
                "point": "shehyni",
            },
            event_id=registered,
        ),
        _event("check_in", {"person_event": str(registered), "point": "shehyni"}),
        _event("need", {"person_event": str(registered), "kinds": ["transport", "shelter"], "note": "2 nights"}),
    ]

    results = _sync(api("border_officer"), batch).json()["results"]

    assert [r["status"] for r in results] == ["applied"] * 3
    person = Person.objects.get()
    assert results[0]["person_ids"] == results[1]["person_ids"] == [person.pk]
    assert person.family_name == "Коваленко" and person.check_ins.count() == 1
    assert set(DeskNeed.objects.values_list("kind", flat=True)) == {"transport", "shelter"}
    with connection.cursor() as cursor:
        cursor.execute("SELECT payload FROM border_deskevent")
        stored = " ".join(row[0] for row in cursor.fetchall())
    assert "380501112233" not in stored and "Коваленко" not in stored


def test_a_person_checked_in_at_two_points_within_an_hour_is_flagged_with_both_versions(api, points):
    person = person_registered()
    now = timezone.now()
    _sync(api("border_officer"), [_event("check_in", {"person_id": person.pk, "point": "shehyni"}, at=now)], "a")

    result = _sync(
        api("consul"),
        [_event("check_in", {"person_id": person.pk, "point": "rava"}, at=now - timedelta(minutes=20))],
        "b",
    ).json()["results"][0]

    assert result["status"] == "applied" and result["flagged"] == [DeskConflict.Kind.TWO_POINTS]
    conflict = DeskConflict.objects.get()
    assert conflict.person == person and conflict.other_event.device_label == "a"
    versions = json.loads(conflict.versions)
    assert [version["point"] for version in versions] == [points["shehyni"].pk, points["rava"].pk]
    assert person.check_ins.count() == 2


def test_the_same_crossing_recorded_on_two_devices_is_counted_once(api, points):
    person = person_registered()
    now = timezone.now()
    _sync(api("border_officer"), [_event("check_in", {"person_id": person.pk, "point": "shehyni"}, at=now)], "a")

    result = _sync(
        api("consul"), [_event("check_in", {"person_id": person.pk, "point": "shehyni"}, at=now + timedelta(minutes=1))]
    ).json()["results"][0]

    assert result["status"] == "already"
    assert person.check_ins.count() == 1
    assert StatusEvent.objects.filter(person=person, kind=StatusKind.CROSSED).count() == 1
    assert not DeskConflict.objects.exists()


def test_staying_on_one_device_and_crossed_on_another_is_flagged(api, points):
    person = person_registered()
    now = timezone.now()
    _sync(api("consul"), [_event("staying", {"person_id": person.pk}, at=now - timedelta(hours=3))], "office")

    result = _sync(api("border_officer"), [_event("check_in", {"person_id": person.pk, "point": "rava"}, at=now)])

    assert result.json()["results"][0]["flagged"] == [DeskConflict.Kind.STAYING_AND_CROSSED]
    conflict = DeskConflict.objects.get()
    assert [version["marked"] for version in json.loads(conflict.versions)] == ["staying", "crossed"]
    assert conflict.other_event.device_label == "office"


def test_a_household_is_checked_in_together_or_by_the_members_present(api, points):
    registration = household_registered(people=3).registration
    members = list(Person.objects.filter(registration=registration).order_by("pk"))
    household_id = members[0].household_id

    whole = _sync(
        api("border_officer"), [_event("household_check_in", {"household_id": household_id, "point": "rava"})]
    )
    partial = _sync(
        api("border_officer"),
        [
            _event(
                "household_check_in",
                {"household_id": household_id, "person_ids": [members[0].pk, 999_999], "point": "rava"},
            )
        ],
    )

    assert whole.json()["results"][0]["person_ids"] == [member.pk for member in members]
    assert CheckIn.objects.count() == 3
    assert partial.json()["results"][0]["reason"] == BorderError.HOUSEHOLD_MEMBER_UNKNOWN


def test_an_intake_is_kept_for_the_cases_module(api, points):
    results = _sync(
        api("border_officer"),
        [_event("intake", {"given_name": "Ісаак", "family_name": "Левін", "family_size": 4, "point": "shehyni"})],
    ).json()["results"]

    assert results[0]["status"] == "applied"
    intake = Intake.objects.get()
    assert (intake.family_name, intake.family_size, intake.point) == ("Левін", 4, points["shehyni"])


def test_a_batch_over_the_limit_is_refused_whole(api, points):
    events = [_event("tally", {"point": "rava", "nationals": 1}) for _ in range(MAX_BATCH + 1)]

    response = _sync(api("border_officer"), events)

    assert response.status_code == 422
    assert not DeskEvent.objects.exists() and not Tally.objects.exists()


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("admin", 200),
        ("desk_chief", 200),
        ("consul", 200),
        ("border_officer", 200),
        ("case_officer", 403),
        ("logistics_officer", 403),
        ("diplomat", 403),
        ("anonymous", 401),
    ],
)
def test_sync_permission_matrix(api, points, persona, status):
    response = _sync(api(persona), [_event("tally", {"point": "rava", "nationals": 1})])

    assert response.status_code == status
    assert Tally.objects.count() == (1 if status == 200 else 0)
