"""Opening a request at a post: for people not registered yet, or from a registry person's
page with the family already registered with them."""

import pytest
from django.urls import reverse

from crisisdesk.cases.models import Case, CaseEvent
from crisisdesk.common.models import AuditEvent
from crisisdesk.registry.models import Person

pytestmark = pytest.mark.django_db
URL = reverse("cases:intake")


def _form(immigration, jewish_basis, rows=(), **fields) -> dict:
    data = {
        "request_type": immigration.pk,
        "basis": jewish_basis.pk,
        "basis_note": "Mother is Jewish.",
        "note": "Arrived with two bags; asks for help with the children.",
        "people-TOTAL_FORMS": str(max(len(rows), 1)),
        "people-INITIAL_FORMS": "0",
        "people-MIN_NUM_FORMS": "0",
        "people-MAX_NUM_FORMS": "20",
        **fields,
    }
    for index, row in enumerate(rows):
        for key, value in row.items():
            data[f"people-{index}-{key}"] = value
        data.setdefault(f"people-{index}-sex", "U")
    return data


def test_new_people_are_registered_with_the_request(as_persona, immigration, jewish_basis):
    rows = [
        {"role": "applicant", "given_name": "Олена", "family_name": "Коваленко", "birth_year": "1983"},
        {"role": "child", "given_name": "Іван", "family_name": "Коваленко", "birth_year": "2012"},
        {"role": "spouse"},  # left empty: ignored
    ]
    response = as_persona("case_officer").post(URL, _form(immigration, jewish_basis, rows))

    case = Case.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("cases:detail", kwargs={"case_id": case.pk})
    assert case.origin == Case.Origin.POST
    members = [(m.role, m.person.given_name) for m in case.members.select_related("person").order_by("id")]
    assert members == [("applicant", "Олена"), ("child", "Іван")]
    assert case.events.get(kind=CaseEvent.Kind.CREATED).note.startswith("Arrived with two bags")


def test_a_request_for_a_registered_person_takes_the_family_chosen(as_persona, users, immigration, jewish_basis):
    from crisisdesk.common.origin import SYSTEM
    from crisisdesk.registry.inputs import PersonInput
    from crisisdesk.registry.models import Household
    from crisisdesk.registry.services import person_create

    household = Household.objects.create()
    olena, ivan, _petro = (
        person_create(
            actor=users["consul"],
            origin=SYSTEM,
            data=PersonInput(given_name=name, family_name="Kovalenko", sex="U", relationship=relationship),
            household=household,
        )
        for name, relationship in (("Olena", "self"), ("Ivan", "child"), ("Petro", "spouse"))
    )
    client = as_persona("border_officer")
    page = client.get(f"{URL}?person={olena.pk}").content.decode()
    assert "Olena" in page and "Ivan" in page and "Petro" in page

    response = client.post(URL, _form(immigration, jewish_basis, person=olena.pk, relatives=[ivan.pk]))

    case = Case.objects.get()
    assert response.status_code == 302
    assert response["Location"] == URL  # intake only: the border officer cannot open the case
    assert [(m.role, m.person) for m in case.members.order_by("id")] == [("applicant", olena), ("child", ivan)]
    assert Person.objects.count() == 3  # nobody registered twice
    assert AuditEvent.objects.filter(action=AuditEvent.Action.PERSON_VIEWED, person_id=olena.pk).exists()


def test_no_applicant_is_an_error_and_nothing_is_created(as_persona, immigration, jewish_basis):
    rows = [{"role": "child", "given_name": "Ivan", "family_name": "K"}]
    response = as_persona("case_officer").post(URL, _form(immigration, jewish_basis, rows))

    assert response.status_code == 200
    assert "A request needs an applicant." in response.content.decode()
    assert (Case.objects.count(), Person.objects.count()) == (0, 0)


def test_a_row_without_a_name_is_an_error(as_persona, immigration, jewish_basis):
    rows = [{"role": "applicant", "birth_year": "1980"}]
    response = as_persona("case_officer").post(URL, _form(immigration, jewish_basis, rows))

    assert "Give at least a given name or a family name." in response.content.decode()
    assert Case.objects.count() == 0


def test_the_registry_page_offers_a_request_to_those_who_may_open_one(as_persona, users):
    from crisisdesk.common.origin import SYSTEM
    from crisisdesk.registry.inputs import PersonInput
    from crisisdesk.registry.services import person_create

    person = person_create(
        actor=users["consul"], origin=SYSTEM, data=PersonInput(given_name="Olena", family_name="K", sex="F")
    )
    url = reverse("registry:person_detail", kwargs={"person_id": person.pk})

    assert 'data-testid="open-request"' in as_persona("border_officer").get(url).content.decode()
    assert 'data-testid="open-request"' not in as_persona("consul").get(url).content.decode()


def test_a_new_status_link_is_shown_once_and_the_old_one_stops(as_persona, users, make_case):
    from crisisdesk.cases.services import case_assign
    from crisisdesk.common.origin import SYSTEM

    case = make_case(actor=users["border_officer"], case_origin=Case.Origin.BORDER)
    case = case_assign(actor=users["desk_chief"], origin=SYSTEM, case=case, officer=users["case_officer"])
    old_digest = case.status_token_digest

    response = as_persona("case_officer").post(reverse("cases:status_link_issue", kwargs={"case_id": case.pk}))

    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    page = response.content.decode()
    link = page.split('data-testid="status-link">')[1].split("<")[0]
    case.refresh_from_db()
    assert case.status_token_digest != old_digest
    assert case.events.filter(kind=CaseEvent.Kind.STATUS_LINK_ISSUED).exists()
    assert as_persona("anonymous").get(link.replace("http://testserver", "")).status_code == 200


def test_the_same_person_twice_is_refused(users, make_case, immigration):
    from crisisdesk.cases.errors import CaseError, CaseValidationError
    from crisisdesk.cases.services import MemberInput, case_open
    from crisisdesk.common.origin import SYSTEM

    person = make_case().members.get().person
    with pytest.raises(CaseValidationError) as excinfo:
        case_open(
            actor=users["case_officer"],
            origin=SYSTEM,
            request_type=immigration,
            members=[MemberInput("applicant", person), MemberInput("child", person)],
            case_origin="post",
        )
    assert excinfo.value.code == CaseError.MEMBER_TWICE
