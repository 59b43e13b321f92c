"""The live dashboard in Chromium: it refreshes its figures without a page reload, a method is
one click away, Hebrew lays it out right to left, and nothing breaks the CSP.

Personas: `desk_chief` watches the dashboard while `border_officer`'s device syncs a crossing;
`admin` reads it in Hebrew.
"""

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from crisisdesk.border.models import CrossingPoint
from crisisdesk.border.services import desk_events_sync
from crisisdesk.common.origin import SYSTEM
from crisisdesk.common.testing.browser import login_through_form, screenshot
from crisisdesk.common.testing.personas import persona_create
from crisisdesk.registry.tests.factories import person_registered


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_dashboard_refreshes_in_place_and_explains_its_ranges(new_browser_context, browser_problems, settings):
    settings.CRISISDESK_SITREP_REFRESH_SECONDS = 1
    CrossingPoint.objects.create(
        code="shehyni", name="Shehyni", name_far_side="Medyka", country_from="UA", country_to="PL"
    )
    chief, officer, admin = (persona_create(name) for name in ("desk_chief", "border_officer", "admin"))
    persons = [person_registered(given_name=f"P{n}", family_name="Koval", intent="leave") for n in range(3)]

    page = new_browser_context().new_page()
    login_through_form(page, user=chief)
    page.goto("/sitrep/")
    identified = page.locator("[data-testid=headline-crossed] [data-testid=value]")
    expect(identified).to_have_text("0")
    page.evaluate("window.__sameDocument = true")

    desk_events_sync(
        actor=officer,
        origin=SYSTEM,
        events=[
            {
                "id": str(uuid.uuid4()),
                "kind": "check_in",
                "device_time": (timezone.now() - timedelta(minutes=5)).isoformat(),
                "payload": {"person_id": person.pk, "point": "shehyni"},
            }
            for person in persons[:2]
        ],
    )

    expect(identified).to_have_text("2", timeout=10_000)
    assert page.evaluate("window.__sameDocument") is True  # no reload: HTMX swapped the figures
    method = page.locator("[data-testid=headline-remaining] [data-testid=method]")
    method.locator("summary").click()
    expect(method).to_contain_text("closed")
    expect(page.locator("[data-testid=chart] svg").first).to_be_visible()
    screenshot(page, "sitrep-dashboard")

    hebrew = new_browser_context(locale="he-IL", language="he").new_page()
    login_through_form(hebrew, user=admin)  # a TOTP code is good for one login only
    hebrew.goto("/sitrep/")
    expect(hebrew.locator("html")).to_have_attribute("dir", "rtl")
    expect(hebrew.locator("[data-testid=headline-crossed] [data-testid=value]")).to_have_text("2")
    screenshot(hebrew, "sitrep-dashboard-he")
    assert not browser_problems, browser_problems.report()
