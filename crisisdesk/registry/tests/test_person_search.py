"""Cross-script person search in the app: the index kept in step with the database, the
search endpoint (permissions, audit, ranking), the registry list's search box, and the
"possibly already registered" checks for staff and public registrations."""

import gc
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from crisisdesk.common.models import AuditEvent
from crisisdesk.common.origin import SYSTEM
from crisisdesk.registry import search
from crisisdesk.registry.duplicates import possible_duplicates_record
from crisisdesk.registry.inputs import NameInput
from crisisdesk.registry.models import Person, PossibleDuplicate, SearchChange
from crisisdesk.registry.search import person_name_search, search_index_reset
from crisisdesk.registry.services import person_update
from crisisdesk.registry.tests.factories import household_registered, person_registered

SEARCH = "/api/v1/persons/search"


@pytest.fixture
def zelensky(db):
    return person_registered(
        given_name="Володимир",
        family_name="Зеленський",
        sex="M",
        birth_year=1978,
        birth_month=1,
        birth_day=25,
        other_names=(NameInput(kind="passport", given_name="Volodymyr", family_name="Zelenskyi"),),
    )


@pytest.fixture
def others(db):
    return [
        person_registered(given_name="Олена", family_name="Коваль", sex="F", other_names=()),
        person_registered(given_name="דוד", family_name="כהן", sex="M", birth_year=1960, other_names=()),
        person_registered(given_name="Anna", family_name="Levi", sex="F", other_names=()),
    ]


@pytest.mark.parametrize("query", ["Zelensky", "Zelenskyy", "ZELENSKYI", "זלנסקי", "Зеленский", "Volodymyr Zelensky"])
def test_a_name_is_found_from_any_script_and_spelling(zelensky, others, query):
    matches = person_name_search(query=query, limit=3)

    assert matches, query
    assert matches[0].person_id == zelensky.pk
    assert matches[0].explanation


def test_the_index_follows_changes_made_after_it_was_built(zelensky, others):
    """given a built index, when a name changes and a person is added, then search sees both
    without a rebuild, through the outbox."""
    assert person_name_search(query="Zelensky", limit=1)[0].person_id == zelensky.pk
    changes_before = SearchChange.objects.count()

    person_update(actor=None, origin=SYSTEM, person=zelensky, changes={"family_name": "Шевченко"})
    newcomer = person_registered(given_name="Mykola", family_name="Hrytsenko", other_names=())

    assert SearchChange.objects.count() == changes_before + 2
    shevchenko = person_name_search(query="Shevchenko", limit=3)
    assert [match.person_id for match in shevchenko][:1] == [zelensky.pk]
    assert person_name_search(query="Грищенко Микола", limit=1)[0].person_id == newcomer.pk
    assert all(match.person_id != zelensky.pk or match.score < 80 for match in person_name_search(query="Zelensky"))


def test_a_reset_index_rebuilds_from_the_database(zelensky):
    person_name_search(query="Zelensky")
    search_index_reset()

    assert person_name_search(query="Zelensky", limit=1)[0].person_id == zelensky.pk


# The search endpoint

EXPECTED_SEARCH_STATUS = {
    "admin": 200,
    "desk_chief": 200,
    "consul": 200,
    "border_officer": 200,
    "case_officer": 200,
    "logistics_officer": 403,
    "diplomat": 403,
    "anonymous": 401,
}


@pytest.mark.parametrize(("persona", "status"), EXPECTED_SEARCH_STATUS.items())
def test_search_endpoint_permission_matrix(api, zelensky, persona, status):
    response = api(persona).get(SEARCH, {"q": "Zelensky"})

    assert response.status_code == status


def test_search_endpoint_ranks_explains_and_audits(api, users, zelensky, others):
    response = api("border_officer").get(SEARCH, {"q": "זלנסקי ולדימיר", "birth_year": 1978, "sex": "M"})

    assert response.status_code == 200
    body = response.json()
    first = body["results"][0]
    assert first["id"] == zelensky.pk
    assert first["score"] > 80
    assert "зеленський" in first["explanation"].lower()
    assert [r["score"] for r in body["results"]] == sorted((r["score"] for r in body["results"]), reverse=True)
    audit = AuditEvent.objects.filter(action=AuditEvent.Action.PERSON_LISTED, actor=users["border_officer"]).get()
    assert audit.channel == AuditEvent.Channel.API
    assert zelensky.pk in audit.changes["ids"]
    assert audit.changes["filters"]["query"] == "…", "the searched name itself is not written to the audit log"


def test_search_endpoint_finds_a_household_by_reference(api):
    result = household_registered(people=2)

    response = api("consul").get(SEARCH, {"q": result.registration.reference_display.lower()})

    assert sorted(r["id"] for r in response.json()["results"]) == sorted(
        result.registration.persons.values_list("id", flat=True)
    )
    assert all(r["score"] is None for r in response.json()["results"])


def test_search_endpoint_needs_a_query(api):
    assert api("consul").get(SEARCH).status_code == 422


def test_search_endpoint_query_count_does_not_grow_with_results(api, django_assert_max_num_queries):
    for index in range(12):
        person_registered(given_name="Олександр", family_name=f"Коваленко{chr(0x430 + index)}", other_names=())
    client = api("consul")
    client.get(SEARCH, {"q": "Oleksandr Kovalenko"})  # builds the index

    with django_assert_max_num_queries(12):
        response = client.get(SEARCH, {"q": "Oleksandr Kovalenko"})
    assert response.json()["count"] >= 12


def test_search_results_page_on_in_rank_order_and_other_filters_keep_that_order(api):
    for index in range(56):
        person_registered(
            given_name="Олександр",
            family_name=f"Коваленко{chr(0x430 + index % 28)}{'ко' * (index // 28)}",
            region="UA-46" if index % 2 else "UA-30",
            other_names=(),
        )
    client = api("consul")

    first = client.get(SEARCH, {"q": "Oleksandr Kovalenko"}).json()
    second = client.get(SEARCH, {"q": "Oleksandr Kovalenko", "page": 2}).json()
    in_lviv = client.get(SEARCH, {"q": "Oleksandr Kovalenko", "region": "UA-46"}).json()

    assert first["count"] == 56 and (len(first["results"]), len(second["results"])) == (50, 6)
    ranked = first["results"] + second["results"]
    assert len({row["id"] for row in ranked}) == 56
    assert [row["score"] for row in ranked] == sorted((row["score"] for row in ranked), reverse=True)
    assert in_lviv["count"] == 28
    assert [row["id"] for row in in_lviv["results"]] == [row["id"] for row in ranked if row["region"] == "UA-46"]


# The registry list's search box


def test_list_search_box_ranks_by_name_match_and_shows_why(as_persona, zelensky, others):
    response = as_persona("consul").get(reverse("registry:person_list"), {"q": "Zelenskyy"})

    html = response.content.decode()
    assert response.status_code == 200
    links = re.findall(r'href="(/staff/persons/\d+/)" data-testid="person-link"', html)
    assert links[0] == reverse("registry:person_detail", args=[zelensky.pk])
    assert 'data-testid="name-match"' in html
    assert "Коваль" not in html


# "Possibly already registered"


def _staff_household_post(given, family, *, birth_year="1978", sex="M", confirm=False):
    from uuid import uuid4

    data = {
        "submission_key": str(uuid4()),
        "person-TOTAL_FORMS": "1",
        "person-INITIAL_FORMS": "0",
        "person-MIN_NUM_FORMS": "1",
        "person-MAX_NUM_FORMS": "15",
        "person-0-relationship": "self",
        "person-0-given_name": given,
        "person-0-family_name": family,
        "person-0-sex": sex,
        "person-0-birth_year": birth_year,
        "region": "UA-46",
        "intent": "leave",
        "consent": "on",
    }
    if confirm:
        data["confirm_new"] = "1"
    return data


def test_staff_registration_warns_before_saving_a_likely_duplicate(as_persona, zelensky):
    client = as_persona("border_officer")
    before = Person.objects.count()

    warned = client.post(reverse("registry:household_register"), _staff_household_post("Volodymyr", "Zelenskyy"))

    assert warned.status_code == 200
    assert 'data-testid="possible-duplicates"' in warned.content.decode()
    assert reverse("registry:person_detail", args=[zelensky.pk]) in warned.content.decode()
    assert Person.objects.count() == before, "nothing is saved until staff confirm"

    confirmed = client.post(
        reverse("registry:household_register"), _staff_household_post("Volodymyr", "Zelenskyy", confirm=True)
    )
    assert confirmed.status_code == 302
    assert Person.objects.count() == before + 1


def test_staff_registration_of_a_new_name_is_not_held_up(as_persona, zelensky):
    response = as_persona("border_officer").post(
        reverse("registry:household_register"), _staff_household_post("Iryna", "Bondarenko", sex="F")
    )

    assert response.status_code == 302


def test_a_different_birth_year_is_not_a_duplicate(as_persona, zelensky):
    response = as_persona("border_officer").post(
        reverse("registry:household_register"), _staff_household_post("Volodymyr", "Zelenskyy", birth_year="1999")
    )

    assert response.status_code == 302


def test_public_registration_flags_a_likely_duplicate_silently(client, zelensky):
    """given a registered person, when someone registers the same name in Hebrew through the
    public form, then a background task stores a possible duplicate that staff see and the
    registrant does not."""
    page = client.get(reverse("registry:register")).content.decode()
    data = _staff_household_post("ולדימיר", "זלנסקי")
    data["submission_key"] = re.search(r'name="submission_key" value="([^"]+)"', page).group(1)

    response = client.post(reverse("registry:register"), data)

    assert response.status_code == 302
    newcomer = Person.objects.exclude(pk=zelensky.pk).get()
    pair = PossibleDuplicate.objects.get()
    assert (pair.person_id, pair.candidate_id) == (newcomer.pk, zelensky.pk)
    assert "Possibly" not in client.get(reverse("registry:register_done")).content.decode()


def test_possible_duplicates_show_on_both_records_and_in_the_list_filter(as_persona, zelensky):
    duplicate = person_registered(
        given_name="Volodymyr", family_name="Zelenskyi", sex="M", birth_year=1978, other_names=()
    )
    stored = possible_duplicates_record(registration=_registration_of(duplicate))
    client = as_persona("consul")

    assert stored
    page = client.get(reverse("registry:person_detail", args=[zelensky.pk])).content.decode()
    assert 'data-testid="possible-duplicate"' in page
    listed = client.get(reverse("registry:person_list"), {"possible_duplicate": "on"}).content.decode()
    assert "Zelenskyi" in listed


def _registration_of(person):
    from crisisdesk.registry.models import Registration

    registration = Registration.objects.create(
        reference="TESTDUP1",
        submission_key="00000000-0000-0000-0000-000000000001",
        update_token_digest="x" * 64,
        update_token="t",
        channel="public",
    )
    Person.objects.filter(pk=person.pk).update(registration=registration)
    return registration


def test_a_rebuild_counts_the_changes_it_read_as_applied(zelensky, django_assert_max_num_queries):
    """A removal marker (no person) makes every process rebuild once, not on every search
    while the marker is recent."""
    from crisisdesk.registry.search import _registry_index, search_changes_record

    search_changes_record([None])
    person_name_search(query="Zelensky")  # rebuilds: the marker is new

    with django_assert_max_num_queries(1):
        _registry_index.sync()  # nothing pending: one query for the outbox, no rebuild


def test_a_change_that_commits_after_a_later_one_is_still_applied(zelensky, others):
    """On PostgreSQL an outbox row can become visible after rows with higher ids: the
    index looks for the ids it skipped until they appear."""
    from crisisdesk.registry.search import _registry_index

    person_name_search(query="Zelensky")  # built
    late, early = others[0], others[1]
    newest = SearchChange.objects.order_by("-id").first().pk
    Person.objects.filter(pk=early.pk).update(given_name="Ostap", family_name="Vyshnia")
    Person.objects.filter(pk=late.pk).update(given_name="Lesia", family_name="Ukrainka")

    # given: the later change is visible first, its predecessor not yet
    SearchChange.objects.create(id=newest + 2, person_id=early.pk)
    assert person_name_search(query="Ostap Vyshnia", limit=1)[0].person_id == early.pk

    # when: the predecessor commits
    SearchChange.objects.create(id=newest + 1, person_id=late.pk)

    # then: the next search applies it, and reads nothing twice afterwards
    assert person_name_search(query="Lesia Ukrainka", limit=1)[0].person_id == late.pk
    assert _registry_index._pending() == []


def test_search_results_read_no_encrypted_registration_field(api):
    """A results row shows the reference only: the registration's token, reporter contact and
    intake payload are neither selected nor decrypted."""
    registered = household_registered(people=1)
    person = registered.registration.persons.get()
    client = api("consul")
    client.get(SEARCH, {"q": "warm up"})  # builds the index

    with CaptureQueriesContext(connection) as queries:
        response = client.get(SEARCH, {"q": f"{person.given_name} {person.family_name}"})

    first = response.json()["results"][0]
    assert (first["id"], first["reference"]) == (person.pk, registered.registration.reference_display)
    selected = " ".join(query["sql"] for query in queries.captured_queries if query["sql"].startswith("SELECT"))
    assert "registry_registration" in selected
    for secret in ("update_token", "reporter_contact", "intake_payload"):
        assert f'"registry_registration"."{secret}"' not in selected


@pytest.fixture
def unfrozen_collector():
    gc.unfreeze()
    yield
    gc.unfreeze()


def test_a_large_rebuilt_index_is_kept_out_of_garbage_collections(zelensky, monkeypatch, unfrozen_collector):
    search_index_reset()
    person_name_search(query="Zelensky")
    assert gc.get_freeze_count() == 0  # two spellings are far below the threshold

    monkeypatch.setattr(search, "FREEZE_AT", 2)
    search_index_reset()
    person_name_search(query="Zelensky")

    assert gc.get_freeze_count() > 0


def test_what_searches_leave_behind_is_frozen_again_every_so_many_searches(zelensky, monkeypatch, unfrozen_collector):
    monkeypatch.setattr(search, "FREEZE_AT", 2)
    monkeypatch.setattr(search, "REFREEZE_EVERY", 3)
    search_index_reset()
    person_name_search(query="Zelensky")  # the rebuild freezes
    gc.unfreeze()

    person_name_search(query="Зеленський")
    frozen_after_two = gc.get_freeze_count()
    person_name_search(query="זלנסקי")

    assert frozen_after_two == 0 and gc.get_freeze_count() > 0
