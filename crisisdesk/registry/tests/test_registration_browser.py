"""The registration story in a real browser (issue scenario):

a household of three registers through the Hebrew form (the page is dir="rtl"); a
consular officer logs in, finds them in the list, opens a record, and sees the audit
entry for that view. No console error and no CSP violation anywhere on the way.
"""

import re

import pytest
from django.utils import translation
from playwright.sync_api import expect

from crisisdesk.common.models import AuditEvent
from crisisdesk.common.testing.browser import login_through_form, screenshot
from crisisdesk.common.testing.personas import persona_create
from crisisdesk.registry.errors import MESSAGES, RegistryError
from crisisdesk.registry.models import ContactPoint, Person
from crisisdesk.registry.tests.factories import person_registered

FAMILY_NAME = "לוינסון"
HOUSEHOLD = (
    {
        "relationship": "self",
        "given_name": "דוד",
        "sex": "M",
        "birth": ("1979", "5", "14"),
        "citizenships": ("IL", "UA"),
        "phone": "+380501234567",
    },
    {"relationship": "spouse", "given_name": "מרים", "sex": "F", "birth": ("1982", "", ""), "citizenships": ("IL",)},
    # The day is impossible (30 February): the form must refuse it and save nothing.
    {
        "relationship": "child",
        "given_name": "נועה",
        "sex": "F",
        "birth": ("2012", "2", "30"),
        "citizenships": ("IL", "UA"),
    },
)
HEBREW_LETTER = re.compile(r"[\u05d0-\u05ea]")


def _fill_person(page, index: int, person: dict) -> None:
    prefix = f"#id_person-{index}-"
    page.select_option(f"{prefix}relationship", person["relationship"])
    page.fill(f"{prefix}given_name", person["given_name"])
    page.fill(f"{prefix}family_name", FAMILY_NAME)
    year, month, day = person["birth"]
    page.fill(f"{prefix}birth_year", year)
    page.select_option(f"{prefix}birth_month", month)
    page.fill(f"{prefix}birth_day", day)
    page.select_option(f"{prefix}sex", person["sex"])
    for country in person["citizenships"]:
        page.check(f'input[name="person-{index}-citizenships_common"][value="{country}"]')
    if "phone" in person:
        page.fill(f"{prefix}phone", person["phone"])


def _add_person(page, index: int) -> None:
    page.click("[data-testid=add-person]")
    expect(page.locator(f"#person-block-{index}")).to_be_visible()
    expect(page.locator("#id_person-TOTAL_FORMS")).to_have_value(str(index + 1))


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # keeps the seeded risk rule
def test_household_registers_in_hebrew_and_consul_sees_the_audited_view(new_browser_context, browser_problems):
    # given: someone else already registered, so the name filter has something to leave out
    person_registered(given_name="Olena", family_name="Koval")
    person_registered(given_name="שרה", family_name="כהן")
    consul = persona_create("consul")
    persons_before = Person.objects.count()

    # when: a household of three fills in the Hebrew form
    registrant = new_browser_context(locale="he-IL").new_page()
    registrant.goto("/register/")
    expect(registrant.locator("html")).to_have_attribute("dir", "rtl")
    expect(registrant.locator("html")).to_have_attribute("lang", "he")
    _fill_person(registrant, 0, HOUSEHOLD[0])
    _add_person(registrant, 1)
    _add_person(registrant, 2)
    _fill_person(registrant, 1, HOUSEHOLD[1])
    _fill_person(registrant, 2, HOUSEHOLD[2])
    registrant.select_option("#id_region", "UA-46")
    registrant.check('input[name="intent"][value="leave"]')
    registrant.check("#id_consent")
    screenshot(registrant, "01-register-he-filled")
    registrant.click("[data-testid=submit-registration]")

    # then: the impossible date is refused next to the day field, in the page's language
    day_field = registrant.locator("#id_person-2-birth_day")
    day_error = day_field.locator("xpath=..").locator("[role=alert]")
    expect(day_error).to_be_visible()
    expect(day_field).to_have_attribute("aria-invalid", "true")
    expect(day_field).to_have_attribute("aria-describedby", re.compile(r"\bid_person-2-birth_day_error\b"))
    assert registrant.evaluate("document.documentElement.dir") == "rtl"
    with translation.override("he"):
        expected = str(MESSAGES[RegistryError.BIRTH_DATE_INVALID])
    expect(day_error).to_have_text(expected)
    with translation.override("en"):
        untranslated = str(MESSAGES[RegistryError.BIRTH_DATE_INVALID])
    if expected != untranslated:  # a Hebrew catalogue is installed
        assert HEBREW_LETTER.search(day_error.inner_text())
    expect(registrant.locator("[data-testid=person-block]")).to_have_count(3)
    assert Person.objects.count() == persons_before
    screenshot(registrant, "02-register-he-date-error")

    # when: the day is corrected and the form sent again
    registrant.fill("#id_person-2-birth_day", "28")
    registrant.click("[data-testid=submit-registration]")

    # then: the household is registered, with a reference and a private update link
    expect(registrant.locator("[data-testid=reference]")).to_have_text(re.compile(r"\w{3,}"))
    expect(registrant.locator("[data-testid=update-link]")).to_have_value(re.compile(r"/u/[^/]+/$"))
    screenshot(registrant, "03-register-he-done")
    household = list(Person.objects.filter(family_name=FAMILY_NAME).order_by("id"))
    assert [(p.given_name, p.relationship) for p in household] == [
        (p["given_name"], p["relationship"]) for p in HOUSEHOLD
    ]
    assert (household[2].birth_year, household[2].birth_month, household[2].birth_day) == (2012, 2, 28)
    assert [c.value for c in ContactPoint.objects.filter(person=household[0])] == ["+380501234567"]

    # when: a consular officer logs in (English UI), filters by the family name and opens a record
    officer = new_browser_context(locale="en-GB", language="en").new_page()
    login_through_form(officer, user=consul)
    officer.goto("/staff/persons/")
    expect(officer.locator("[data-testid=person-link]")).to_have_count(5)
    officer.fill("#id_q", FAMILY_NAME)
    officer.click("[data-testid=person-filters] button[type=submit]")
    rows = officer.locator("[data-testid=person-table] [data-testid=person-link]")
    expect(rows).to_have_count(3)
    for link in rows.all():
        expect(link).to_contain_text(FAMILY_NAME)
    screenshot(officer, "04-staff-person-list")
    first = rows.first
    person_id = int(re.search(r"/staff/persons/(\d+)/", first.get_attribute("href")).group(1))
    first.click()
    officer.wait_for_url(f"**/staff/persons/{person_id}/")

    # then: the audit trail shows this very view, by the consul, and the database has it too
    with translation.override(officer.evaluate("document.documentElement.lang")):
        viewed_label = str(AuditEvent.Action.PERSON_VIEWED.label)
    trail = officer.locator("[data-testid=audit-trail] tr")
    expect(trail.filter(has_text=viewed_label).filter(has_text="consul")).to_have_count(1)
    screenshot(officer, "05-staff-person-detail")
    assert (
        AuditEvent.objects.filter(action=AuditEvent.Action.PERSON_VIEWED, person_id=person_id, actor=consul).count()
        == 1
    )

    # and: the language menu turns the same record into a right-to-left Hebrew page
    with officer.expect_navigation(url=f"**/staff/persons/{person_id}/"):
        officer.select_option("#language-switch", "he")
    expect(officer.locator("html")).to_have_attribute("dir", "rtl")
    expect(officer.locator("[data-testid=person-name]")).to_contain_text(FAMILY_NAME)
    screenshot(officer, "06-staff-person-detail-he")

    # and: nothing went wrong in either browser
    assert registrant.evaluate("window.__cspViolations") == []
    assert officer.evaluate("window.__cspViolations") == []
    assert not browser_problems, browser_problems.report()
