"""The applicant's side: the public request form at /immigrate/ in four languages, one
submission for the applicant and family, idempotent on its submission key; the private
status link, which shows the stage, the documents still missing and received, and the names
on the request, and nothing internal or of another request; and uploads through the link,
checked like any other. No account is needed for any of it."""

import html
import re
import uuid
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from crisisdesk.cases.errors import MESSAGES, CaseError
from crisisdesk.cases.models import Case, CaseDocument, CaseMember, DocumentKind, EligibilityBasis, RequestType, Stage
from crisisdesk.cases.public_forms import FAMILY_ROWS, MORE_ROWS, MORE_ROWS_BUTTON, PLAIN_DOCUMENT_KINDS
from crisisdesk.cases.public_views import PLAIN_STAGES
from crisisdesk.cases.selectors import case_for_status_token
from crisisdesk.cases.services import (
    MemberInput,
    case_assign,
    case_decide,
    case_move,
    case_note_add,
    case_open,
    case_rejection_review,
)
from crisisdesk.cases.tests.conftest import case_walk_to
from crisisdesk.common.models import AuditEvent
from crisisdesk.common.origin import SYSTEM
from crisisdesk.common.testing.browser import (  # noqa: F401 - imported fixtures are registered by name
    allow_async_unsafe,
    browser_problems,
    chromium,
    new_browser_context,
)
from crisisdesk.common.testing.personas import persona_create, persona_create_named
from crisisdesk.registry.errors import MESSAGES as REGISTRY_MESSAGES
from crisisdesk.registry.errors import RegistryError
from crisisdesk.registry.inputs import PersonInput
from crisisdesk.registry.models import ContactPoint, Person

pytestmark = pytest.mark.django_db

REQUEST_URL = "/immigrate/"
INTERNAL_MARKER = "INTERNAL-NOTE-7Q3X"
REASON_MARKER = "DECISION-REASON-9K2W"


def request_post(*, applicant: dict | None = None, family: list[dict] = (), rows: int | None = None, **fields) -> dict:
    """POST data for the request form: `applicant` and each `family` row override a
    default person, `fields` the request's own fields; a value of None leaves it out.
    `rows` is the number of family rows sent (default: the filled ones plus one empty)."""
    immigration = RequestType.objects.get(code="immigration")
    jewish = EligibilityBasis.objects.get(code="jewish_descent")
    total = rows if rows is not None else len(family) + 1
    data = {
        "submission_key": str(uuid.uuid4()),
        "request_type": str(immigration.pk),
        "basis": str(jewish.pk),
        "basis_note": "Мій дід був євреєм.",
        "phone": "",
        "email": "",
        "consent": "on",
        "family-TOTAL_FORMS": str(total),
        "family-INITIAL_FORMS": "0",
        "family-MIN_NUM_FORMS": "0",
        "family-MAX_NUM_FORMS": "14",
    }
    person = {"given_name": "Olena", "family_name": "Koval", "birth_year": "1985", "sex": "F"}
    data.update({f"applicant-{name}": value for name, value in {**person, **(applicant or {})}.items()})
    for index, overrides in enumerate(family):
        row = {"role": "child", "given_name": f"Child{index}", "family_name": "Koval", "birth_year": "2012"}
        data.update({f"family-{index}-{name}": value for name, value in {**row, **overrides}.items()})
    data.update(fields)
    return {name: value for name, value in data.items() if value is not None}


def _field_error(page: str, field_id: str) -> str | None:
    """The error shown next to a field (forms/field.html links it to the field by id)."""
    match = re.search(rf'id="id_{re.escape(field_id)}_error"[^>]*>(.*?)</div>', page, re.S)
    return html.unescape(match.group(1)).strip() if match else None


def _section(page: str, testid: str) -> str:
    match = re.search(rf'<(\w+)[^>]*data-testid="{testid}"[^>]*>(.*?)</\1>', page, re.S)
    assert match, f"no {testid} on the page"
    return html.unescape(match.group(2))


def _assert_nothing_saved():
    assert Case.objects.count() == 0
    assert Person.objects.count() == 0
    assert CaseMember.objects.count() == 0


def _status_link(done_page: str) -> str:
    return re.search(r'value="http://testserver(/immigrate/status/[^"/]+/)"', done_page).group(1)


# -- the request form ----------------------------------------------------------------------


@pytest.mark.parametrize(("language", "direction"), [("he", "rtl"), ("en", "ltr"), ("uk", "ltr"), ("ru", "ltr")])
def test_request_form_in_each_language(client, language, direction):
    """The form follows the browser's language (Hebrew right to left) and offers a few
    empty family rows and the active request types."""
    response = client.get(REQUEST_URL, HTTP_ACCEPT_LANGUAGE=language)

    assert response.status_code == 200
    page = response.content.decode()
    assert f'<html lang="{language}" dir="{direction}">' in page
    assert page.count('data-testid="family-member-block"') == FAMILY_ROWS
    for request_type in RequestType.objects.filter(active=True):
        assert f'name="request_type" value="{request_type.pk}"' in page
    with translation.override(language):
        assert html.escape(translation.gettext("Given name")) in page


def test_an_inactive_request_type_is_not_offered(client):
    entry = RequestType.objects.get(code="entry")
    entry.active = False
    entry.save()

    page = client.get(REQUEST_URL).content.decode()

    assert f'name="request_type" value="{entry.pk}"' not in page


def test_the_public_home_page_links_to_the_request_form(client):
    page = client.get("/").content.decode()

    assert f'href="{reverse("cases_public:request")}"' in page


@pytest.mark.parametrize(
    ("language", "applicant", "spouse", "child"),
    [
        ("he", ("שושנה", "לוי"), ("דוד", "לוי"), ("מרים", "לוי")),
        ("uk", ("Олена", "Коваленко"), ("Тарас", "Коваленко"), ("Марія", "Коваленко")),
    ],
)
def test_one_submission_opens_one_case_for_the_applicant_and_family(client, language, applicant, spouse, child):
    """Applicant, spouse and child in one POST: one case in "received" from the website,
    three registry persons, three members with their roles; the done page shows the
    reference and the private link, which opens the request."""
    # given
    data = request_post(
        applicant={
            "given_name": applicant[0],
            "family_name": applicant[1],
            "citizenships_common": ["UA"],
            "vulnerabilities": ["medical"],
        },
        family=[
            {"role": "spouse", "given_name": spouse[0], "family_name": spouse[1], "birth_year": "1980", "sex": "M"},
            {"role": "child", "given_name": child[0], "family_name": child[1], "birth_year": "2015"},
        ],
        rows=FAMILY_ROWS,
        phone="050 123 4567",
        email="Olena@Example.org",
    )

    # when
    response = client.post(REQUEST_URL, data, HTTP_ACCEPT_LANGUAGE=language)

    # then
    assert response.status_code == 302
    assert response["Location"] == reverse("cases_public:request_done")
    case = Case.objects.get()
    assert (case.origin, case.stage, case.language, case.request_type.code) == (
        Case.Origin.WEB,
        Stage.RECEIVED,
        language,
        "immigration",
    )
    assert (case.basis.code, case.basis_note) == ("jewish_descent", "Мій дід був євреєм.")
    assert case.priority == Case.Priority.URGENT  # a medical need
    members = [
        (m.role, m.person.given_name, m.person.family_name)
        for m in case.members.select_related("person").order_by("id")
    ]
    assert members == [
        (CaseMember.Role.APPLICANT, *applicant),
        (CaseMember.Role.SPOUSE, *spouse),
        (CaseMember.Role.CHILD, *child),
    ]
    assert Person.objects.count() == 3
    head = case.members.get(role=CaseMember.Role.APPLICANT).person
    assert sorted(head.contacts.values_list("kind", "value")) == [
        (ContactPoint.Kind.EMAIL, "olena@example.org"),
        (ContactPoint.Kind.PHONE, "+380501234567"),
    ]
    assert list(head.citizenships.values_list("country", flat=True)) == ["UA"]
    assert head.relationship == "self"

    done = client.get(response["Location"], HTTP_ACCEPT_LANGUAGE=language)
    assert done.status_code == 200
    assert done["Cache-Control"].count("no-store") == 1
    assert done["Referrer-Policy"] == "strict-origin"
    page = done.content.decode()
    assert f'<html lang="{language}" dir="{"rtl" if language == "he" else "ltr"}">' in page
    assert f'dir="ltr" data-testid="reference">{case.reference}<' in page
    link = _status_link(page)
    token = link.split("/")[3]
    assert case_for_status_token(token=token, origin=SYSTEM).case == case
    assert client.get(link, HTTP_ACCEPT_LANGUAGE=language).status_code == 200


def test_a_resubmission_with_the_same_key_opens_no_second_case(client):
    """A double click, or the form sent again: the case it opened is answered again."""
    data = request_post(family=[{}])

    first = client.post(REQUEST_URL, data)
    second = client.post(REQUEST_URL, data)

    assert (first.status_code, second.status_code) == (302, 302)
    assert Case.objects.count() == 1
    assert Person.objects.count() == 2
    case = Case.objects.get()
    # The browser that sent it still sees its link; only the digest is stored, so another
    # browser resending the same form learns the reference and nothing more.
    assert "/immigrate/status/" in client.get(second["Location"]).content.decode()
    other = Client()
    replay = other.post(REQUEST_URL, data)
    page = other.get(replay["Location"]).content.decode()
    assert case.reference in page
    assert 'data-testid="already-received"' in page
    assert "/immigrate/status/" not in page


def test_the_done_page_without_a_request_goes_back_to_the_form(client):
    response = client.get(reverse("cases_public:request_done"))

    assert response.status_code == 302
    assert response["Location"] == reverse("cases_public:request")


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"consent": None}, "consent", "We can only take your request with your consent."),
        (
            {"applicant-given_name": "", "applicant-family_name": ""},
            "applicant-given_name",
            REGISTRY_MESSAGES[RegistryError.NAME_EMPTY],
        ),
        (
            {"applicant-birth_year": str(timezone.localdate().year + 1)},
            "applicant-birth_year",
            REGISTRY_MESSAGES[RegistryError.BIRTH_DATE_IN_FUTURE],
        ),
        ({"phone": "12345"}, "phone", REGISTRY_MESSAGES[RegistryError.PHONE_INVALID]),
        ({"basis": None, "basis_note": ""}, "basis", MESSAGES[CaseError.UNKNOWN_BASIS]),
        ({"family-0-role": ""}, "family-0-role", "This field is required."),
        ({"family-0-given_name": "", "family-0-family_name": ""}, "family-0-given_name", None),
    ],
    ids=["consent", "applicant-name", "future-birth", "phone", "basis", "family-role", "family-name"],
)
def test_validation_errors_are_shown_at_the_field_and_nothing_is_created(client, overrides, field, message):
    """A family row begun but not finished is an error too; nothing is saved."""
    data = request_post(family=[{}], **overrides)

    response = client.post(REQUEST_URL, data)

    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-testid="form-has-errors"' in page
    shown = _field_error(page, field)
    if message is None:  # the row still has a year of birth: its name is asked for
        assert shown == str(REGISTRY_MESSAGES[RegistryError.NAME_EMPTY])
    else:
        assert shown == str(message)
    _assert_nothing_saved()


def test_a_basis_in_own_words_is_enough(client):
    """Not sure which category applies: the note alone carries the request."""
    response = client.post(REQUEST_URL, request_post(basis=None, basis_note="My mother's father was Jewish."))

    assert response.status_code == 302
    assert (Case.objects.get().basis, Case.objects.get().basis_note) == (None, "My mother's father was Jewish.")


def test_empty_family_rows_are_skipped(client):
    """Rows left empty (the sex and role placeholders untouched) add nobody."""
    response = client.post(REQUEST_URL, request_post(rows=FAMILY_ROWS, **{"family-1-sex": ""}))

    assert response.status_code == 302
    assert list(Case.objects.get().members.values_list("role", flat=True)) == [CaseMember.Role.APPLICANT]


def test_more_rows_keeps_the_answers_and_saves_nothing(client):
    """Without JavaScript: the "more rows" button sends the form back, unsaved, with the
    answers kept, more empty rows and no errors yet; sending it then opens the case."""
    # given
    data = request_post(family=[{"given_name": "Mariia"}], rows=FAMILY_ROWS, consent=None)
    data[MORE_ROWS_BUTTON] = "1"

    # when
    response = client.post(REQUEST_URL, data)

    # then
    assert response.status_code == 200
    page = response.content.decode()
    _assert_nothing_saved()
    assert page.count('data-testid="family-member-block"') == FAMILY_ROWS + MORE_ROWS
    assert 'name="family-TOTAL_FORMS" value="6"' in page
    assert 'name="family-0-given_name" value="Mariia"' in page
    assert 'name="applicant-given_name" value="Olena"' in page
    assert f'value="{data["submission_key"]}"' in page
    assert 'data-testid="form-has-errors"' not in page
    assert "invalid-feedback" not in page

    # and the sixth row can be filled and sent
    data.pop(MORE_ROWS_BUTTON)
    data.update({"family-TOTAL_FORMS": "6", "consent": "on", "family-5-role": "parent", "family-5-given_name": "Ivan"})
    assert client.post(REQUEST_URL, data).status_code == 302
    assert sorted(Case.objects.get().members.values_list("person__given_name", flat=True)) == [
        "Ivan",
        "Mariia",
        "Olena",
    ]


def test_rows_can_be_asked_for_in_the_address(client):
    page = client.get(REQUEST_URL, {"rows": "5"}).content.decode()

    assert page.count('data-testid="family-member-block"') == 5


def test_the_request_form_is_rate_limited(client, settings):
    """Over the limit, the clear "too many requests" page, and nothing is opened."""
    settings.CRISISDESK_PUBLIC_RATE_LIMIT = 2
    for _ in range(2):
        assert client.post(REQUEST_URL, request_post(consent=None)).status_code == 200

    response = client.post(REQUEST_URL, request_post())

    assert response.status_code == 429
    assert 'data-testid="rate-limited"' in response.content.decode()
    assert Case.objects.count() == 0
    assert client.get(REQUEST_URL).status_code == 200  # reading the form is not limited


def test_the_public_forms_need_the_csrf_token(opened):
    """The forms are plain POSTs from the site's own pages: another site cannot send them."""
    client = Client(enforce_csrf_checks=True)

    assert client.post(REQUEST_URL, request_post()).status_code == 403
    assert client.post(opened.upload_url, {"kind": "passport"}).status_code == 403
    assert Case.objects.count() == 1


# -- the private status link -----------------------------------------------------------------


class Opened:
    def __init__(self, case: Case, token: str):
        self.case = case
        self.token = token
        self.url = reverse("cases_public:status", args=[token])
        self.upload_url = reverse("cases_public:document_upload", args=[token])


def _open(request_type_code: str = "immigration", names=(("Shoshana", "Levi"), ("Miriam", "Levi"))) -> Opened:
    members = [
        MemberInput(
            role=CaseMember.Role.APPLICANT if index == 0 else CaseMember.Role.CHILD,
            new_person=PersonInput(given_name=given, family_name=family, sex="F", birth_year=1985 + index * 25),
        )
        for index, (given, family) in enumerate(names)
    ]
    result = case_open(
        actor=None,
        origin=SYSTEM,
        request_type=RequestType.objects.get(code=request_type_code),
        members=members,
        case_origin=Case.Origin.WEB,
        basis=EligibilityBasis.objects.get(code="jewish"),
        basis_note="Internal-looking basis text",
    )
    return Opened(result.case, result.status_token)


@pytest.fixture
def opened(db) -> Opened:
    return _open()


@pytest.fixture
def officer(db):
    user = persona_create_named("officer_quartermain", "case_officer")
    user.first_name, user.last_name = "Yehudit", "Quartermain"
    user.save()
    return user


@pytest.fixture
def chief(db):
    return persona_create("desk_chief")


def _worked_on(case: Case, *, officer, chief) -> Case:
    """Assigned to an officer, moved on with a note, and a separate internal note."""
    case = case_assign(actor=chief, origin=SYSTEM, case=case, officer=officer)
    case = case_move(
        actor=officer, origin=SYSTEM, case=case, to_stage=Stage.ELIGIBILITY_REVIEW, note=f"{INTERNAL_MARKER} move"
    )
    case_note_add(actor=officer, origin=SYSTEM, case=case, note=f"{INTERNAL_MARKER} note")
    return case


def test_the_status_page_shows_stage_missing_documents_and_names(client, opened, officer, chief):
    """The stage in plain words and as steps, the checklist still missing, the names on
    the request; sent with no-store and a referrer policy that never sends the address,
    since the token is in it."""
    _worked_on(opened.case, officer=officer, chief=chief)

    response = client.get(opened.url)

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert response["Referrer-Policy"] == "strict-origin"
    page = response.content.decode()
    assert 'data-stage="eligibility_review"' in page
    assert html.escape(str(PLAIN_STAGES[Stage.ELIGIBILITY_REVIEW])) in page
    steps = _section(page, "steps")
    assert steps.count("<li") == len(opened.case.request_type.stages())
    assert 'aria-current="step"' in steps
    missing = _section(page, "missing-documents")
    for kind in opened.case.request_type.checklist:
        assert str(PLAIN_DOCUMENT_KINDS[kind]) in missing
    names = _section(page, "names")
    assert "<bdi>Shoshana Levi</bdi>" in names
    assert "<bdi>Miriam Levi</bdi>" in names
    assert f'data-testid="reference">{opened.case.reference}<' in page


def test_the_status_page_shows_nothing_internal_and_nothing_of_another_case(client, opened, officer, chief):
    """No internal note, no officer, no basis text typed by staff, no other applicant."""
    # given
    _worked_on(opened.case, officer=officer, chief=chief)
    other = _open(names=(("Zinovii", "Unikalnyi"), ("Bohdana", "Unikalna")))
    _worked_on(other.case, officer=officer, chief=chief)

    # when
    page = client.get(opened.url).content.decode()

    # then
    assert INTERNAL_MARKER not in page
    for staff in (officer.username, officer.first_name, officer.last_name, chief.username):
        assert staff not in page
    for stranger in ("Zinovii", "Unikalnyi", "Bohdana", other.case.reference):
        assert stranger not in page
    assert "Internal-looking basis text" not in page


def test_a_rejection_shows_the_outcome_but_not_its_reason(client, opened, officer, chief):
    """The decision itself, without the officers' reasons, steps still to come, or uploads."""
    # given
    case = case_assign(actor=chief, origin=SYSTEM, case=opened.case, officer=officer)
    case = case_walk_to(case, Stage.DECISION, actor=officer)
    case_decide(actor=officer, origin=SYSTEM, case=case, outcome=Stage.REJECTED, reason=REASON_MARKER)

    # while the rejection waits for a second officer, the applicant sees a decision pending
    page = client.get(opened.url).content.decode()
    assert 'data-stage="decision"' in page
    assert REASON_MARKER not in page

    # when a second officer confirms it
    second = persona_create_named("officer_two", "case_officer")
    case_rejection_review(actor=second, origin=SYSTEM, case=case, confirm=True)
    page = client.get(opened.url).content.decode()

    # then
    assert 'data-stage="rejected"' in page
    assert html.escape(str(PLAIN_STAGES[Stage.REJECTED])) in page
    assert REASON_MARKER not in page
    assert 'data-testid="steps"' not in page
    assert 'data-testid="upload-form"' not in page
    assert 'data-testid="closed"' in page
    for staff in (officer.username, second.username):
        assert staff not in page


def test_an_approval_shows_the_step_reached(client, opened, officer, chief):
    case = case_assign(actor=chief, origin=SYSTEM, case=opened.case, officer=officer)
    case = case_walk_to(case, Stage.DECISION, actor=officer)
    case_decide(actor=officer, origin=SYSTEM, case=case, outcome=Stage.APPROVED, reason=REASON_MARKER)

    page = client.get(opened.url).content.decode()

    assert 'data-stage="approved"' in page
    assert REASON_MARKER not in page
    assert 'data-testid="upload-form"' in page  # documents may still follow an approval


def test_every_status_view_is_audited(client, opened):
    """Each opening of the link is a `case.status_viewed` row, attributed to no user."""
    client.get(opened.url)
    client.get(opened.url)

    rows = AuditEvent.objects.filter(action=AuditEvent.Action.CASE_STATUS_VIEWED)
    assert rows.count() == 2
    applicant = opened.case.members.get(role=CaseMember.Role.APPLICANT)
    assert {(row.actor_id, row.channel, row.target_id, row.person_id) for row in rows} == {
        (None, AuditEvent.Channel.PUBLIC, str(opened.case.pk), applicant.person_id)
    }


@pytest.mark.parametrize("token", ["not-a-real-token", "x" * 80])
def test_an_unknown_token_gets_a_plain_404(client, opened, token):
    """Nothing of any request is on the page, and it too is kept out of caches."""
    for response in (
        client.get(reverse("cases_public:status", args=[token])),
        client.post(reverse("cases_public:document_upload", args=[token]), {"kind": "passport"}),
    ):
        assert response.status_code == 404
        assert "no-store" in response["Cache-Control"]
        assert response["Referrer-Policy"] == "strict-origin"
        page = response.content.decode()
        assert opened.case.reference not in page
        assert "C-" not in page
        assert "Shoshana" not in page
        with translation.override("en"):
            assert translation.gettext("This link is not valid") in page
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.CASE_STATUS_VIEWED).exists()


def test_guessing_status_links_is_rate_limited(client, settings, opened):
    settings.CRISISDESK_PUBLIC_RATE_LIMIT = 2
    client.get(reverse("cases_public:status", args=["guess-1"]))
    client.get(reverse("cases_public:status", args=["guess-2"]))

    response = client.get(opened.url)

    assert response.status_code == 429
    assert response["Referrer-Policy"] == "strict-origin"


@pytest.mark.parametrize(("language", "direction"), [("he", "rtl"), ("uk", "ltr")])
def test_the_public_pages_follow_the_language(client, opened, language, direction):
    """The status page and the unknown-link page in Hebrew are laid out right to left."""
    marker = f'<html lang="{language}" dir="{direction}">'
    assert marker in client.get(opened.url, HTTP_ACCEPT_LANGUAGE=language).content.decode()
    unknown = client.get(reverse("cases_public:status", args=["nope"]), HTTP_ACCEPT_LANGUAGE=language)
    assert marker in unknown.content.decode()


# -- uploads through the link ----------------------------------------------------------------


def _stored_files(settings) -> list[Path]:
    root = Path(settings.CRISISDESK_DOCUMENT_ROOT)
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []


def _upload(client, opened: Opened, *, name: str, content: bytes, kind: str = DocumentKind.PASSPORT, **extra):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post(opened.upload_url, {"kind": kind, "file": SimpleUploadedFile(name, content)}, **extra)


def test_a_pdf_sent_through_the_link_is_accepted_and_listed(client, opened, sample_pdf):
    """The document is the applicant's, its kind leaves the missing list, and the page lists
    it by kind and date only."""
    # when
    response = _upload(client, opened, name="my passport scan.pdf", content=sample_pdf)

    # then
    assert response.status_code == 302
    assert response["Location"] == f"{opened.url}?sent=1"
    document = CaseDocument.objects.get()
    assert (document.case, document.kind, document.by_applicant, document.uploaded_by) == (
        opened.case,
        DocumentKind.PASSPORT,
        True,
        None,
    )
    assert AuditEvent.objects.filter(action=AuditEvent.Action.CASE_DOCUMENT_ADDED).count() == 1
    page = client.get(response["Location"]).content.decode()
    assert 'data-testid="document-sent"' in page
    received = _section(page, "received-documents")
    assert str(PLAIN_DOCUMENT_KINDS[DocumentKind.PASSPORT]) in received
    assert timezone.localdate(document.uploaded_at).isoformat() in received
    assert "my passport scan" not in page
    missing = _section(page, "missing-documents")
    assert str(PLAIN_DOCUMENT_KINDS[DocumentKind.PASSPORT]) not in missing
    assert str(PLAIN_DOCUMENT_KINDS[DocumentKind.BIRTH_CERTIFICATE]) in missing


def test_a_text_file_renamed_pdf_is_refused(client, opened, settings):
    response = _upload(client, opened, name="passport.pdf", content=b"#!/bin/sh\necho not a passport\n")

    assert response.status_code == 200
    assert _field_error(response.content.decode(), "file") == str(MESSAGES[CaseError.FILE_TYPE])
    assert CaseDocument.objects.count() == 0
    assert _stored_files(settings) == []


def test_an_oversize_file_is_refused(client, opened, settings, sample_pdf):
    settings.CRISISDESK_DOCUMENT_MAX_BYTES = len(sample_pdf) - 1

    response = _upload(client, opened, name="passport.pdf", content=sample_pdf)

    assert response.status_code == 200
    assert _field_error(response.content.decode(), "file") == str(MESSAGES[CaseError.FILE_TOO_LARGE])
    assert CaseDocument.objects.count() == 0
    assert _stored_files(settings) == []


def test_an_empty_file_is_refused_with_the_services_message(client, opened):
    response = _upload(client, opened, name="passport.pdf", content=b"")

    assert _field_error(response.content.decode(), "file") == str(MESSAGES[CaseError.FILE_EMPTY])
    assert CaseDocument.objects.count() == 0


def test_a_path_in_the_file_name_goes_nowhere(client, opened, settings, sample_png):
    """ "../../etc/passwd.png" is shown as "passwd.png" and stored under the document root,
    named by a random key."""
    response = _upload(client, opened, name="../../etc/passwd.png", content=sample_png)

    assert response.status_code == 302
    document = CaseDocument.objects.get()
    assert (document.display_name, document.content_type) == ("passwd.png", "image/png")
    root = Path(settings.CRISISDESK_DOCUMENT_ROOT).resolve()
    (stored,) = _stored_files(settings)
    assert stored.resolve().is_relative_to(root)
    assert stored.name == document.storage_key
    assert not (root.parent / "etc").exists()


def test_a_kind_outside_the_checklist_is_refused(client, opened, sample_pdf):
    """An entry permit asks for a passport only; anything else is sent as "another document"."""
    entry = _open("entry")

    refused = _upload(client, entry, name="m.pdf", content=sample_pdf, kind=DocumentKind.MARRIAGE_CERTIFICATE)
    accepted = _upload(client, entry, name="m.pdf", content=sample_pdf, kind=DocumentKind.OTHER)

    assert refused.status_code == 200
    assert _field_error(refused.content.decode(), "kind")
    assert accepted.status_code == 302
    assert list(CaseDocument.objects.values_list("kind", flat=True)) == [DocumentKind.OTHER]


def test_a_closed_case_refuses_uploads_clearly(client, opened, officer, chief, sample_pdf):
    """Withdrawn: the page says documents can no longer be sent, and nothing is stored."""
    case = case_assign(actor=chief, origin=SYSTEM, case=opened.case, officer=officer)
    case_decide(actor=officer, origin=SYSTEM, case=case, outcome=Stage.WITHDRAWN, reason="The family asked.")

    response = _upload(client, opened, name="passport.pdf", content=sample_pdf)

    assert response.status_code == 409
    page = response.content.decode()
    assert 'data-testid="closed"' in page
    assert 'data-testid="upload-form"' not in page
    assert 'data-stage="withdrawn"' in page
    assert CaseDocument.objects.count() == 0


def test_an_upload_page_reached_by_get_goes_back_to_the_status_page(client, opened):
    """E.g. after switching the language on a refused upload."""
    response = client.get(opened.upload_url)

    assert response.status_code == 302
    assert response["Location"] == opened.url
    assert response["Referrer-Policy"] == "strict-origin"


def test_uploads_are_rate_limited(client, settings, opened, sample_pdf):
    settings.CRISISDESK_PUBLIC_RATE_LIMIT = 1
    _upload(client, opened, name="a.pdf", content=b"nope")

    response = _upload(client, opened, name="passport.pdf", content=sample_pdf)

    assert response.status_code == 429
    assert CaseDocument.objects.count() == 0


# -- in a real browser ----------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # keeps the default request types
def test_the_applicants_story_in_a_browser(new_browser_context, browser_problems, sample_pdf):  # noqa: F811
    """In Hebrew, right to left: a request for two, a family row added without JavaScript's
    help, Enter sends it; the private link opens; a document is sent through it; the
    language is switched on the status page. The page's own posts pass the CSRF check
    under its referrer policy, no request carries the token in its Referer, and the flow
    runs without a console error or CSP violation."""
    context = new_browser_context(locale="he-IL")
    referers = []
    context.on("request", lambda request: referers.append(request.headers.get("referer") or ""))
    page = context.new_page()

    # when: the form is filled in and sent
    page.goto(REQUEST_URL)
    assert page.evaluate("document.documentElement.dir") == "rtl"
    page.check('input[name="request_type"] >> nth=0')
    page.check('input[name="basis"] >> nth=0')
    page.fill("#id_applicant-given_name", "שושנה")
    page.fill("#id_applicant-family_name", "לוי")
    page.fill("#id_applicant-birth_year", "1980")
    page.select_option("#id_family-0-role", "child")
    page.fill("#id_family-0-given_name", "מרים")
    page.fill("#id_family-0-birth_year", "2010")
    page.click("[data-testid=more-rows]")
    assert page.locator("[data-testid=family-member-block]").count() == FAMILY_ROWS + MORE_ROWS
    assert page.input_value("#id_family-0-given_name") == "מרים"
    page.check("#id_consent")
    with page.expect_navigation():
        page.press("#id_applicant-family_name", "Enter")

    # then: the reference and the link, once
    case = Case.objects.get()
    assert page.inner_text("[data-testid=reference]") == case.reference
    link = page.input_value("[data-testid=status-link]")
    token = link.rstrip("/").rsplit("/", 1)[1]
    page.click("[data-testid=open-status]")
    assert page.evaluate("document.documentElement.dir") == "rtl"

    # when: a document is sent through the link
    page.select_option("#id_kind", DocumentKind.PASSPORT)
    page.set_input_files(
        "#id_file", files=[{"name": "passport.pdf", "mimeType": "application/pdf", "buffer": sample_pdf}]
    )
    with page.expect_navigation():
        page.click("[data-testid=send-document]")

    # then
    assert page.locator("[data-testid=document-sent]").is_visible()
    assert CaseDocument.objects.filter(case=case, by_applicant=True).count() == 1

    # and the language switcher works on the page
    with page.expect_navigation():
        page.select_option("#language-switch", "uk")
    assert page.evaluate("document.documentElement.lang") == "uk"
    assert token in page.url
    assert [referer for referer in referers if token in referer] == []
    assert not browser_problems, browser_problems.report()
