"""An immigration request in Chromium, from the border desk to arrival: the border officer's
intake opens the case; the desk chief, in one browser, assigns it; the case officer, in
another, moves it through eligibility review and documents (uploading a PDF through the
form), approves it with a reason, arranges travel and records the arrival. The timeline
tells the whole story, and nothing breaks the CSP.
"""

import re

import pytest
from playwright.sync_api import expect

from crisisdesk.cases.models import Case, Stage
from crisisdesk.common.testing.browser import (  # noqa: F401 - imported fixtures are registered by name
    allow_async_unsafe,
    browser_problems,
    chromium,
    login_through_form,
    new_browser_context,
    screenshot,
)


def _submit(page, form: str) -> None:
    with page.expect_navigation():
        page.click(f"[data-testid={form}] button[type=submit]")
    expect(page.locator(".alert-danger")).to_have_count(0)


def _move(page, stage: str) -> None:
    page.select_option("#id_move-to_stage", stage)
    _submit(page, "move-form")
    expect(page.locator(f"[data-testid=pipeline] [data-stage={stage}]")).to_have_attribute("data-state", "current")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_intake_assignment_documents_approval_travel_arrival(  # noqa: PLR0917 - pytest fixtures
    make_case,
    users,
    sample_pdf,
    tmp_path,
    new_browser_context,  # noqa: F811 - the fixture imported above
    browser_problems,  # noqa: F811 - the fixture imported above
):
    # given a case opened by the border desk's intake
    case = make_case(actor=users["border_officer"], case_origin=Case.Origin.BORDER)
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
