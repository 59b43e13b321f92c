"""Staff pages of the border desk: who may open each, and what each shows.

Personas: `desk_chief` (board, roster, posts, conflicts), `border_officer` and `consul`
(points, roster, own shifts), `case_officer`, `logistics_officer` and `diplomat` (posts only)."""

import uuid
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from crisisdesk.border import services
from crisisdesk.border.models import CrossingPoint, DeskConflict, Mission, Post, Shift
from crisisdesk.common.models import AuditEvent
from crisisdesk.common.origin import SYSTEM
from crisisdesk.registry.tests.factories import person_registered

pytestmark = pytest.mark.django_db

DESK_STAFF = {"admin", "desk_chief", "consul", "border_officer"}
DESK_LEADS = {"admin", "desk_chief"}
EVERY_STAFF = DESK_STAFF | {"case_officer", "logistics_officer", "diplomat"}
PERSONAS = ("admin", "desk_chief", "consul", "border_officer", "case_officer", "logistics_officer", "diplomat")


@pytest.fixture
def points():
    return [
        CrossingPoint.objects.create(code=code, name=near, name_far_side=far, country_from="UA", country_to="PL")
        for code, near, far in (("shehyni", "Shehyni", "Medyka"), ("rava", "Rava-Ruska", "Hrebenne"))
    ]


@pytest.mark.parametrize(
    ("url_name", "allowed"),
    [
        ("border:post_history", EVERY_STAFF),
        ("border:point_list", DESK_STAFF),
        ("border:roster", DESK_STAFF),
        ("border:my_shifts", DESK_STAFF),
        ("border:desk_board", DESK_LEADS),
        ("border:conflict_list", DESK_LEADS),
    ],
)
@pytest.mark.parametrize("persona", [*PERSONAS, "anonymous"])
def test_page_permission_matrix(as_persona, points, url_name, allowed, persona):
    response = as_persona(persona).get(reverse(url_name))

    if persona == "anonymous":
        assert response.status_code == 302 and "/login/" in response["Location"]
    else:
        assert response.status_code == (200 if persona in allowed else 403)


def test_the_post_page_relocates_the_mission_and_shows_its_history(as_persona, users):
    mission = Mission.objects.create(name="Embassy in Ukraine", country="UA")
    kyiv = Post.objects.create(
        mission=mission,
        kind=Post.Kind.EMBASSY,
        name="Embassy",
        city="Kyiv",
        country="UA",
        opened_at=timezone.now() - timedelta(days=5),
    )

    response = as_persona("desk_chief").post(
        reverse("border:post_history"),
        {
            "relocating": kyiv.pk,
            "kind": "temporary",
            "name": "Embassy (temporary)",
            "city": "Lviv",
            "country": "UA",
            "opened_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        },
    )
    page = as_persona("diplomat").get(reverse("border:post_history")).content.decode()

    assert response.status_code == 302
    kyiv.refresh_from_db()
    assert kyiv.closed_at is not None
    assert page.index("Kyiv") < page.index("Lviv") and "relocated from <bdi>Kyiv</bdi>" in page
    assert as_persona("border_officer").post(reverse("border:post_history"), {}).status_code == 404


def test_an_officer_updates_a_points_status(as_persona, points):
    response = as_persona("border_officer").post(
        reverse("border:point_status", args=["shehyni"]),
        {"shehyni-status": "long_queue", "shehyni-expected_wait_minutes": "480", "shehyni-note": "cars 3 km"},
    )

    assert response.status_code == 302
    point = CrossingPoint.objects.get(code="shehyni")
    assert (point.status, point.expected_wait_minutes) == ("long_queue", 480)
    assert "cars 3 km" in as_persona("consul").get(reverse("border:point_list")).content.decode()
    denied = as_persona("case_officer").post(reverse("border:point_status", args=["rava"]), {"rava-status": "closed"})
    assert denied.status_code == 403 and CrossingPoint.objects.get(code="rava").status == "open"


def test_the_roster_marks_uncovered_hours_red(as_persona, users, points):
    now = timezone.now()
    services.shift_schedule(
        actor=users["desk_chief"],
        origin=SYSTEM,
        point=points[0],
        officer=users["border_officer"],
        starts_at=now - timedelta(hours=2),
        ends_at=now + timedelta(hours=10),
    )

    page = as_persona("border_officer").get(reverse("border:roster")).content.decode()
    rava, shehyni = page.split('data-code="rava"')[1].split('data-code="shehyni"')  # in name order

    assert shehyni.count("roster-hour bg-danger") in (62, 63) and shehyni.count("roster-hour bg-success") in (9, 10)
    assert rava.count("roster-hour bg-danger") == 72
    assert "covered now" in shehyni and "not covered now" in rava


def test_the_desk_chief_adds_a_shift_and_the_officer_starts_and_ends_it(as_persona, users, points):
    start = timezone.localtime() - timedelta(minutes=30)
    added = as_persona("desk_chief").post(
        reverse("border:roster"),
        {
            "point": points[1].pk,
            "officer": users["border_officer"].pk,
            "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
            "ends_at": (start + timedelta(hours=8)).strftime("%Y-%m-%dT%H:%M"),
        },
    )
    shift = Shift.objects.get()
    officer = as_persona("border_officer")

    rostered = as_persona("desk_chief").get(reverse("border:desk_board")).content.decode()
    officer.post(reverse("border:shift_start", args=[shift.pk]))
    board = as_persona("desk_chief").get(reverse("border:desk_board")).content.decode()
    stolen = as_persona("consul").post(reverse("border:shift_end", args=[shift.pk]), {"handover_note": "x"})
    officer.post(reverse("border:shift_end", args=[shift.pk]), {"handover_note": "Quiet night."})

    assert added.status_code == 302
    assert "rostered, shift not started" in rostered.split('data-code="rava"')[1].split("</tr>")[0]
    rava_now = board.split('data-code="rava"')[1].split("</tr>")[0]
    assert "border_officer" in rava_now and "text-bg-success" in rava_now
    assert stolen.status_code == 404
    shift.refresh_from_db()
    assert shift.handover_note == "Quiet night." and shift.ended_at is not None
    assert AuditEvent.objects.filter(action=AuditEvent.Action.SHIFT_ENDED).count() == 1


def test_the_board_keeps_named_check_ins_and_tallies_apart(api, as_persona, points):
    people = [person_registered() for _ in range(3)]
    now = timezone.now().isoformat()
    events = [
        {
            "id": str(uuid.uuid4()),
            "kind": "check_in",
            "device_time": now,
            "payload": {"person_id": p.pk, "point": "rava"},
        }
        for p in people
    ]
    events.append(
        {
            "id": str(uuid.uuid4()),
            "kind": "tally",
            "device_time": now,
            "payload": {"point": "rava", "nationals": 38, "children": 6},
        }
    )
    api("border_officer").post(reverse("api:desk_sync"), {"events": events}, content_type="application/json")

    page = as_persona("desk_chief").get(reverse("border:desk_board")).content.decode()
    rava = page.split('data-code="rava"')[1].split("</tr>")[0]

    assert '<td class="text-end" data-testid="identified">3</td>' in rava
    assert 'hx-trigger="every 30s"' in page  # the board refreshes itself
    assert 'data-testid="tallied">38' in rava and "6 children" in rava


def test_a_conflict_is_reviewed_with_both_versions_and_resolved(api, as_persona, points):
    person = person_registered(given_name="Марія", family_name="Шевченко")
    now = timezone.now()
    for point, minutes in (("shehyni", 0), ("rava", 10)):
        event = {
            "id": str(uuid.uuid4()),
            "kind": "check_in",
            "device_time": (now + timedelta(minutes=minutes) - timedelta(hours=1)).isoformat(),
            "payload": {"person_id": person.pk, "point": point},
        }
        api("border_officer").post(reverse("api:desk_sync"), {"events": [event]}, content_type="application/json")
    conflict = DeskConflict.objects.get()
    chief = as_persona("desk_chief")

    page = chief.get(reverse("border:conflict_list")).content.decode()
    chief.post(reverse("border:conflict_resolve", args=[conflict.pk]), {"resolution": "Called her: crossed at Rava."})

    assert "Шевченко" in page and page.count('data-testid="conflict-version"') == 2
    listed = AuditEvent.objects.filter(action=AuditEvent.Action.PERSON_LISTED).latest("at")
    assert listed.changes["ids"] == [person.pk]
    conflict.refresh_from_db()
    assert conflict.state == DeskConflict.State.RESOLVED and conflict.resolution == "Called her: crossed at Rava."
    assert "Nothing to review." in chief.get(reverse("border:conflict_list")).content.decode()
