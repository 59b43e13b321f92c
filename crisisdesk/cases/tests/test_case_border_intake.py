"""The border desk's intake opens a case: an `intake` event synced by the field app, through
the real `POST /api/v1/desk/sync`, opens one case in "received" with the people checked in,
exactly once however often the device sends it.

Personas: `border_officer` syncs (and may open cases); `consul` syncs too but may not open
cases; `desk_chief` follows an intake to its case."""

import uuid
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from crisisdesk.border.errors import BorderError
from crisisdesk.border.models import CrossingPoint, DeskConflict, DeskEvent, Intake, Mission, Post
from crisisdesk.cases.models import Case, CaseEvent, CaseMember, Stage
from crisisdesk.common.models import AuditEvent
from crisisdesk.registry.models import Person
from crisisdesk.registry.tests.factories import person_registered

pytestmark = pytest.mark.django_db

SYNC = reverse("api:desk_sync")


@pytest.fixture
def post_lviv():
    mission = Mission.objects.create(name="Embassy of Israel in Ukraine", country="UA")
    return Post.objects.create(
        mission=mission,
        kind=Post.Kind.TEMPORARY_OFFICE,
        name="Lviv office",
        city="Lviv",
        country="UA",
        opened_at=timezone.now() - timedelta(days=10),
    )


@pytest.fixture
def points(post_lviv):
    shehyni = CrossingPoint.objects.create(
        code="shehyni", name="Shehyni", name_far_side="Medyka", country_from="UA", country_to="PL", post=post_lviv
    )
    rava = CrossingPoint.objects.create(
        code="rava", name="Rava-Ruska", name_far_side="Hrebenne", country_from="UA", country_to="PL"
    )
    return {"shehyni": shehyni, "rava": rava}


@pytest.fixture
def family():
    """A mother and a son already in the registry (registered at the consulate)."""
    return [
        person_registered(given_name="Хана", family_name="Левіна", birth_year=1958),
        person_registered(given_name="Давид", family_name="Левін", birth_year=2010),
    ]


def intake_event(payload: dict, *, event_id=None) -> dict:
    return {
        "id": str(event_id or uuid.uuid4()),
        "kind": "intake",
        "device_time": (timezone.now() - timedelta(minutes=5)).isoformat(),
        "payload": payload,
    }


def sync(client, events):
    response = client.post(SYNC, {"device": "tablet-1", "events": events}, content_type="application/json")
    assert response.status_code == 200, response.content
    return response.json()["results"]


def counts() -> dict[str, int]:
    return {
        "desk events": DeskEvent.objects.count(),
        "intakes": Intake.objects.count(),
        "cases": Case.objects.count(),
        "members": CaseMember.objects.count(),
        "case events": CaseEvent.objects.count(),
        "persons": Person.objects.count(),
    }


def test_an_intake_opens_one_case_with_the_listed_persons_and_a_new_applicant(api, points, family, post_lviv):
    # given an intake of Isaak Levin, with his mother and son from the registry
    payload = {
        "given_name": "Ісаак",
        "family_name": "Левін",
        "birth_year": 1984,
        "family_size": 3,
        "basis": "Мати єврейка",
        "basis_code": "jewish",
        "note": "Needs a wheelchair for his mother.",
        "point": "shehyni",
        "person_ids": [person.pk for person in family],
    }
    event = intake_event(payload)
    before = counts()

    # when the device syncs it
    (result,) = sync(api("border_officer"), [event])

    # then one intake and one case, linked, with a new applicant and the two listed persons
    assert result["status"] == "applied", result
    intake, case = Intake.objects.get(), Case.objects.get()
    assert intake.case == case and case.border_intake == intake
    assert (intake.family_name, intake.family_size, intake.point) == ("Левін", 3, points["shehyni"])
    assert (case.stage, case.origin, case.post, case.request_type.code) == (
        Stage.RECEIVED,
        Case.Origin.BORDER,
        post_lviv,
        "immigration",
    )
    assert (case.basis.code, case.basis_note) == ("jewish", "Мати єврейка")
    assert case.submission_key == uuid.UUID(event["id"])
    assert case.created_by.username == "border_officer"
    members = list(case.members.select_related("person").order_by("id"))
    applicant = members[0]
    assert (applicant.role, applicant.person.given_name, applicant.person.birth_year) == ("applicant", "Ісаак", 1984)
    assert [(m.role, m.person) for m in members[1:]] == [("other", family[0]), ("other", family[1])]
    assert counts()["persons"] == before["persons"] + 1
    assert result["person_ids"] == [member.person_id for member in members]
    created = case.events.get(kind=CaseEvent.Kind.CREATED)
    assert created.note == "Needs a wheelchair for his mother."
    audit = AuditEvent.objects.get(action=AuditEvent.Action.CASE_CREATED)
    assert (audit.target_id, audit.channel, audit.actor.username) == (str(case.pk), "api", "border_officer")


def test_a_replayed_batch_opens_nothing_more(api, points, family):
    batch = [
        intake_event({"given_name": "Ісаак", "family_name": "Левін", "person_ids": [family[0].pk], "point": "rava"}),
        intake_event({"person_ids": [family[1].pk]}),
        intake_event({"person_ids": [999_999]}),
    ]
    first = sync(api("border_officer"), batch)
    after_first = counts()

    again = sync(api("border_officer"), batch)
    once_more = sync(api("border_officer"), list(reversed(batch)))

    assert [r["status"] for r in first] == ["applied", "applied", "rejected"]
    assert counts() == after_first
    assert after_first["cases"] == after_first["intakes"] == 2
    assert [(r["status"], r["person_ids"]) for r in again] == [(r["status"], r["person_ids"]) for r in first]
    assert all(r["replayed"] for r in again + once_more)


def test_the_same_id_with_other_content_is_a_conflict_and_opens_no_second_case(api, points, family):
    event_id = uuid.uuid4()
    sync(api("border_officer"), [intake_event({"given_name": "Ісаак", "family_name": "Левін"}, event_id=event_id)])
    before = counts()

    (result,) = sync(
        api("border_officer"), [intake_event({"given_name": "Isaak", "family_name": "Levin"}, event_id=event_id)]
    )

    assert (result["status"], result["reason"]) == ("conflict", BorderError.SAME_ID_OTHER_CONTENT)
    assert counts() == before
    assert DeskConflict.objects.get().kind == DeskConflict.Kind.SAME_ID_OTHER_CONTENT


def test_without_a_name_the_first_listed_person_is_the_applicant(api, points, family):
    (result,) = sync(api("border_officer"), [intake_event({"person_ids": [family[1].pk, family[0].pk]})])

    assert result["status"] == "applied"
    case = Case.objects.get()
    assert [(m.role, m.person) for m in case.members.order_by("id")] == [("applicant", family[1]), ("other", family[0])]
    assert case.post is None  # no point named
    assert result["person_ids"] == [family[1].pk, family[0].pk]


def test_a_person_listed_twice_is_on_the_case_once(api, points, family):
    (result,) = sync(api("border_officer"), [intake_event({"person_ids": [family[0].pk, family[0].pk, family[1].pk]})])

    assert result["status"] == "applied"
    assert CaseMember.objects.count() == 2


def quick_register_event(given: str, family: str) -> dict:
    return {
        "id": str(uuid.uuid4()),
        "kind": "quick_register",
        "device_time": (timezone.now() - timedelta(minutes=6)).isoformat(),
        "payload": {"given_name": given, "family_name": family, "sex": "F", "citizenships": ["IL"]},
    }


def test_members_registered_on_the_device_join_the_case_in_the_order_listed(api, points, family):
    """The field app lists members as it has them: registry ids, and people it registered
    itself while offline, named by their quick registration's event, which the same batch
    (or an earlier one) carries."""
    grandmother = quick_register_event("Ганна", "Вишневська")
    members = [{"person_id": family[0].pk}, {"person_event": grandmother["id"]}, {"person_id": family[1].pk}]
    intake = intake_event({"members": members, "basis": "Бабуся єврейка", "point": "shehyni"})

    results = sync(api("border_officer"), [grandmother, intake])

    assert [result["status"] for result in results] == ["applied", "applied"]
    registered = Person.objects.get(family_name="Вишневська")
    case = Case.objects.get()
    assert [(m.role, m.person_id) for m in case.members.order_by("id")] == [
        ("applicant", family[0].pk),
        ("other", registered.pk),
        ("other", family[1].pk),
    ]
    assert results[1]["person_ids"] == [family[0].pk, registered.pk, family[1].pk]
    # sent again, in another batch: nothing more
    before = counts()
    again = sync(api("border_officer"), [grandmother, intake])
    assert all(result["replayed"] for result in again)
    assert counts() == before


def test_person_ids_and_members_together_list_each_person_once(api, points, family):
    payload = {"person_ids": [family[1].pk], "members": [{"person_id": family[0].pk}, {"person_id": family[1].pk}]}

    (result,) = sync(api("border_officer"), [intake_event(payload)])

    assert result["status"] == "applied"
    case = Case.objects.get()
    assert [(m.role, m.person_id) for m in case.members.order_by("id")] == [
        ("applicant", family[1].pk),
        ("other", family[0].pk),
    ]


def test_an_old_field_app_intake_still_opens_a_case(api, points):
    """The payload an earlier field app sent (a name, the family size, the basis in words)."""
    payload = {"given_name": "Ісаак", "family_name": "Левін", "family_size": 4, "basis": "", "point": "rava"}

    (result,) = sync(api("border_officer"), [intake_event(payload)])

    assert result["status"] == "applied"
    case = Case.objects.get()
    assert (case.post, case.basis, case.members.get().role) == (None, None, "applicant")  # rava has no post


def test_the_request_type_can_be_chosen(api, points):
    sync(api("border_officer"), [intake_event({"family_name": "Левін", "request_type": "entry"})])

    assert Case.objects.get().request_type.code == "entry"


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        ({"given_name": "Ісаак", "person_ids": [999_999]}, BorderError.PERSON_UNKNOWN),
        ({"person_ids": [999_999]}, BorderError.PERSON_UNKNOWN),
        ({"given_name": "Ісаак", "request_type": "visa"}, BorderError.PAYLOAD_INVALID),
        ({"given_name": "Ісаак", "basis_code": "cousin"}, BorderError.PAYLOAD_INVALID),
        ({"given_name": "", "family_name": " "}, BorderError.PAYLOAD_INVALID),
        ({"given_name": "Ісаак", "person_ids": list(range(1, 32))}, BorderError.PAYLOAD_INVALID),
        (
            {"person_ids": list(range(1, 21)), "members": [{"person_id": n} for n in range(21, 32)]},
            BorderError.PAYLOAD_INVALID,
        ),
        ({"members": [{"person_event": str(uuid.uuid4())}]}, BorderError.PERSON_EVENT_UNKNOWN),
        ({"members": [{"person_id": 999_999}]}, BorderError.PERSON_UNKNOWN),
        ({"members": [{"person_id": 1, "person_event": str(uuid.uuid4())}]}, BorderError.PAYLOAD_INVALID),
        ({"members": [{}]}, BorderError.PAYLOAD_INVALID),
        ({"given_name": "Ісаак", "point": "nowhere"}, BorderError.POINT_UNKNOWN),
    ],
)
def test_a_bad_intake_is_kept_rejected_with_its_reason_and_opens_nothing(api, points, family, payload, reason):
    event = intake_event(payload)
    before = counts()

    (result,) = sync(api("border_officer"), [event])

    assert (result["status"], result["reason"]) == ("rejected", reason)
    assert result["message"]
    stored = DeskEvent.objects.get(event_id=event["id"])
    assert (stored.outcome, stored.reason, stored.person_ids) == (DeskEvent.Outcome.REJECTED, reason, [])
    # Nothing half-made: no intake, no case, and the applicant who would have been new is not registered.
    assert counts() == {**before, "desk events": before["desk events"] + 1}
    # Sent again, it is answered the same from what was kept.
    (again,) = sync(api("border_officer"), [event])
    assert (again["status"], again["reason"], again["replayed"]) == ("rejected", reason, True)


def test_one_bad_intake_does_not_block_the_rest_of_the_batch(api, points, family):
    results = sync(
        api("border_officer"),
        [intake_event({"person_ids": [999_999]}), intake_event({"person_ids": [family[0].pk]})],
    )

    assert [r["status"] for r in results] == ["rejected", "applied"]
    assert Case.objects.count() == 1


def test_an_officer_who_may_not_open_cases_still_has_the_intake_kept(api, points, family):
    """A consul syncs for the desk but has no `case.intake`: the intake is kept as the desk
    recorded it, without a case, for someone who may open one."""
    (result,) = sync(api("consul"), [intake_event({"given_name": "Ісаак", "person_ids": [family[0].pk]})])

    assert result["status"] == "applied"
    assert Intake.objects.get().case is None
    assert not Case.objects.exists()
    # The listed persons are still checked: an unknown one is refused for the consul too.
    (bad,) = sync(api("consul"), [intake_event({"given_name": "Ісаак", "person_ids": [999_999]})])
    assert bad["reason"] == BorderError.PERSON_UNKNOWN


@pytest.mark.parametrize(("persona", "offered"), [("border_officer", True), ("desk_chief", True), ("consul", False)])
def test_the_field_app_offers_the_intake_form_only_to_those_who_may_open_a_case(as_persona, persona, offered):
    page = as_persona(persona).get(reverse("desk:app")).content.decode()

    assert ('data-testid="desk-intake"' in page) is offered
    assert 'data-testid="desk-search"' in page  # the rest of the desk is theirs either way


def test_the_desk_chief_follows_the_intake_to_its_case(api, points):
    sync(api("border_officer"), [intake_event({"given_name": "Ісаак", "family_name": "Левін", "point": "shehyni"})])
    intake = Intake.objects.select_related("case").get()

    response = api("desk_chief").get(f"/api/v1/cases/{intake.case.pk}")

    assert response.status_code == 200
    case = response.json()
    assert (case["origin"], case["stage"], case["officer"]) == ("border", "received", None)
    assert case["post"]["name"] == "Lviv office"
    # It waits in the pool for an officer.
    pool = api("case_officer").get("/api/v1/cases", {"queue": "pool"}).json()
    assert [row["reference"] for row in pool["items"]] == [intake.case.reference]
