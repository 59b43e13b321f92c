"""An immigration request in Chromium, from the border desk to arrival: at the crossing,
offline, the border officer checks a mother and her son in, quick-registers the grandmother
who came with them, adds the three to an intake and syncs once back online, which opens
one case in "received" with the three (sent again, nothing more). The desk chief, in another
browser, assigns it; the case officer, in a third, moves it through eligibility review and
documents (uploading a PDF through the form), approves it with a reason, arranges travel
and records the arrival. The timeline tells the whole story, and nothing breaks the CSP.
"""

import re
from dataclasses import replace

import pytest
from playwright.sync_api import expect

from crisisdesk.border.models import CrossingPoint, DeskEvent, Intake
from crisisdesk.cases.models import Case, CaseMember, Stage
from crisisdesk.common.origin import SYSTEM
from crisisdesk.common.testing.browser import (  # noqa: F401 - imported fixtures are registered by name
    allow_async_unsafe,
    browser_problems,
    chromium,
    login_through_form,
    new_browser_context,
    screenshot,
)
from crisisdesk.registry.models import Person
from crisisdesk.registry.services import registration_submit
from crisisdesk.registry.tests.factories import PersonInputFactory, registration_input


def _submit(page, form: str) -> None:
    with page.expect_navigation():
        page.click(f"[data-testid={form}] button[type=submit]")
    expect(page.locator(".alert-danger")).to_have_count(0)


def _desk_intake(page, context, *, family: list[Person]) -> None:
    """At the crossing, offline: the household checked in, the grandmother quick-registered,
    the three added to one intake; then back online, one sync."""
    page.goto("/desk/")
    expect(page.locator("#desk")).to_have_attribute("data-ready", "true", timeout=20_000)
    page.wait_for_function("async () => Boolean(await caches.match('/desk/'))", timeout=20_000)
    context.set_offline(True)
    page.select_option("[data-testid=desk-point]", "shehyni")
    page.fill("[data-testid=desk-search]", "Kovalenko Olena")
    mother = page.locator(f"[data-testid=desk-result][data-person='{family[0].pk}']")
    mother.locator("[data-testid=desk-check-in-household]").click()
    mother.locator("[data-testid=desk-intake-add-household]").click()
    page.fill("#register-given", "Hanna")
    page.fill("#register-family", "Vyshnevska")
    page.fill("#register-birth", "1951")
    page.click("#desk-register button[type=submit]")
    expect(page.locator("[data-testid=desk-pack-count]")).to_have_text(str(len(family) + 1))
    page.fill("[data-testid=desk-search]", "Vyshnevska Hanna")
    page.locator("[data-testid=desk-result]").first.locator("[data-testid=desk-intake-add]").click()
    # added twice, listed once
    mother = page.locator(f"[data-testid=desk-result][data-person='{family[0].pk}']")
    page.fill("[data-testid=desk-search]", "Kovalenko Olena")
    mother.locator("[data-testid=desk-intake-add]").click()
    people = page.locator("[data-testid=desk-intake-person]")
    expect(people).to_have_count(3)
    expect(people.first).to_contain_text("applicant")

    # a reload, still offline, keeps the draft
    page.reload()
    expect(page.locator("#desk")).to_have_attribute("data-ready", "true", timeout=20_000)
    expect(people).to_have_count(3)
    people.nth(1).locator("[data-testid=desk-intake-remove]").click()
    expect(people).to_have_count(2)
    page.fill("[data-testid=desk-search]", "Kovalenko Olena")
    page.locator(
        f"[data-testid=desk-result][data-person='{family[0].pk}'] [data-testid=desk-intake-add-household]"
    ).click()
    expect(people).to_have_count(3)
    page.fill("#intake-basis", "Grandmother Hanna is Jewish; her birth record is at home in Lviv.")
    expect(page.locator("#intake-size")).to_have_value("3")
    screenshot(page, "desk-intake")
    page.click("#desk-intake button[type=submit]")
    expect(people).to_have_count(0)
    expect(page.locator("[data-testid=desk-queue]")).to_have_text("3")
    assert Case.objects.count() == 0

    context.set_offline(False)
    page.click("[data-testid=desk-sync]")
    expect(page.locator("[data-testid=desk-queue]")).to_have_text("0", timeout=20_000)
    page.click("[data-testid=desk-sync]")


def _move(page, stage: str) -> None:
    page.select_option("#id_move-to_stage", stage)
    _submit(page, "move-form")
    expect(page.locator(f"[data-testid=pipeline] [data-stage={stage}]")).to_have_attribute("data-state", "current")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_intake_assignment_documents_approval_travel_arrival(
    users,
    sample_pdf,
    tmp_path,
    new_browser_context,  # noqa: F811 - the fixture imported above
    browser_problems,  # noqa: F811 - the fixture imported above
):
    # given a mother and her son in the registry, and the crossing they come to
    CrossingPoint.objects.create(
        code="shehyni", name="Shehyni", name_far_side="Medyka", country_from="UA", country_to="PL"
    )
    mother_and_son = (
        PersonInputFactory(given_name="Olena", family_name="Kovalenko", other_names=()),
        PersonInputFactory(given_name="Taras", family_name="Kovalenko", sex="M", birth_year=2011, other_names=()),
    )
    registration = registration_submit(
        origin=SYSTEM, data=replace(registration_input(), people=mother_and_son)
    ).registration
    family = list(Person.objects.filter(registration=registration).order_by("pk"))

    # when the border officer takes their request at the desk
    context = new_browser_context()
    desk = context.new_page()
    login_through_form(desk, user=users["border_officer"])
    _desk_intake(desk, context, family=family)

    # then one case in "received", from the border, with the three as listed, the mother the applicant
    case = Case.objects.get()
    grandmother = Person.objects.get(family_name="Vyshnevska")
    assert (case.stage, case.origin, case.officer) == (Stage.RECEIVED, Case.Origin.BORDER, None)
    members = list(case.members.order_by("id").values_list("person_id", "role"))
    assert members == [
        (family[0].pk, CaseMember.Role.APPLICANT),
        (grandmother.pk, CaseMember.Role.OTHER),
        (family[1].pk, CaseMember.Role.OTHER),  # removed, then added again: listed last
    ]
    assert case.basis_note.startswith("Grandmother Hanna is Jewish")
    intake = Intake.objects.get()
    assert intake.case == case and intake.family_size == 3
    assert DeskEvent.objects.filter(kind=DeskEvent.Kind.INTAKE).count() == 1
    passport = tmp_path / "passport scan.pdf"
    passport.write_bytes(sample_pdf)

    # the desk chief finds it in the queue and assigns it to the case officer
    chief = new_browser_context().new_page()
    login_through_form(chief, user=users["desk_chief"])
    with chief.expect_navigation():
        chief.click("[data-testid=nav-cases]")
    row = chief.locator(f"[data-testid=case-row][data-reference='{case.reference}']")
    expect(row).to_contain_text("Olena Kovalenko")
    expect(row).to_contain_text("Unassigned")
    with chief.expect_navigation():
        row.locator("[data-testid=case-link]").click()
    chief.select_option("#id_assign-officer", str(users["case_officer"].pk))
    _submit(chief, "assign-form")
    expect(chief.locator("[data-testid=case-officer]")).to_have_text("case_officer")

    # the case officer, in their own browser, finds it in their queue
    officer = new_browser_context().new_page()
    login_through_form(officer, user=users["case_officer"])
    officer.goto("/staff/cases/")
    expect(officer.locator("[data-testid=tab-mine]")).to_have_attribute("aria-current", "page")
    with officer.expect_navigation():
        officer.locator(f"[data-testid=case-row][data-reference='{case.reference}'] a").click()
    expect(officer.locator("[data-testid=case-reference]")).to_have_text(case.reference)

    # eligibility review, then documents pending, where the passport is uploaded
    _move(officer, Stage.ELIGIBILITY_REVIEW)
    _move(officer, Stage.DOCUMENTS_PENDING)
    officer.select_option("#id_upload-kind", "passport")
    officer.set_input_files("#id_upload-file", str(passport))
    _submit(officer, "upload-form")
    document = officer.locator("[data-testid=case-document][data-kind=passport]")
    expect(document).to_contain_text("passport scan.pdf")
    expect(officer.locator("[data-testid=checklist] [data-kind=passport]")).to_have_attribute("data-state", "received")

    # the decision, with its reason
    _move(officer, Stage.DECISION)
    officer.check("input[name='decide-outcome'][value='approved']")
    officer.fill("#id_decide-reason", "Grandmother's birth record confirms eligibility.")
    _submit(officer, "decide-form")
    expect(officer.locator("[data-testid=case-decision]")).to_contain_text("Approved")

    # travel, then arrival: the case is closed and no form is offered any more
    _move(officer, Stage.TRAVEL_ARRANGED)
    _move(officer, Stage.ARRIVED)
    expect(officer.locator("[data-testid=case-stage]")).to_have_text("Arrived")
    expect(officer.locator("[data-testid=move-form]")).to_have_count(0)
    expect(officer.locator("[data-testid=decide-form]")).to_have_count(0)

    # the timeline, in order
    kinds = officer.locator("[data-testid=timeline-item]").evaluate_all("items => items.map(i => i.dataset.kind)")
    assert kinds == [
        "created",
        "assigned",
        "stage_changed",  # eligibility review
        "stage_changed",  # documents pending
        "document_added",
        "stage_changed",  # decision
        "stage_changed",  # approved
        "stage_changed",  # travel arranged
        "stage_changed",  # arrived
    ]
    timeline = officer.locator("[data-testid=timeline]")
    expect(timeline).to_contain_text("Grandmother's birth record confirms eligibility.")
    expect(timeline).to_contain_text(re.compile(r"from Travel arranged to Arrived"))
    screenshot(officer, "cases-arrived")

    # the desk chief's board shows it arrived
    chief.goto("/staff/cases/board/")
    expect(chief.locator(f"[data-stage=arrived] [data-reference='{case.reference}']")).to_have_count(1)
    screenshot(chief, "cases-board")

    case.refresh_from_db()
    assert (case.stage, case.decision, case.officer) == (Stage.ARRIVED, Stage.APPROVED, users["case_officer"])
    assert not browser_problems, browser_problems.report()
