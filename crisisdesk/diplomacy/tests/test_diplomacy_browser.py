"""The diplomacy desk in Chromium: a diplomat logs a contact with a follow-up, raises another
from the entry, asks to escalate the channel; a senior diplomat approves in their own
browser; the diplomat records a mediation request and its outcome. Every page carries its
marking, the HTMX channel search works, and nothing breaks the CSP.

Personas (conftest.py): `diplomat` (read into LANTERN and BRIDGE) and `senior_diplomat`.
"""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from crisisdesk.common.testing.browser import (  # noqa: F401 - imported fixtures are registered by name
    allow_async_unsafe,
    browser_problems,
    chromium,
    login_through_form,
    new_browser_context,
    screenshot,
)
from crisisdesk.diplomacy.models import MediationRequest


def _login(page, user) -> None:
    """Log in through the form: a diplomat's role lands on the module's overview."""
    login_through_form(page, user=user)
    expect(page).to_have_url(re.compile(r"/staff/diplomacy/$"))


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_contact_a_follow_up_an_escalation_and_a_mediation_request(
    world,
    users,
    new_browser_context,  # noqa: F811 - the fixture imported above
    browser_problems,  # noqa: F811 - the fixture imported above
):
    channel = world.lantern.channel
    today = timezone.localdate().isoformat()
    diplomat = new_browser_context().new_page()
    _login(diplomat, users["diplomat"])

    # The diplomat logs a contact, finding the channel through the search box (HTMX).
    diplomat.goto("/staff/diplomacy/contacts/new/")
    expect(diplomat.locator("[data-testid=marking]").first).to_contain_text("LANTERN")
    diplomat.fill("[data-testid=channel-search]", "LANTERN")
    expect(diplomat.locator("#id_channel option")).to_have_count(1)
    diplomat.select_option("#id_channel", str(channel.pk))
    diplomat.fill("#id_occurred_at", (timezone.localtime() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"))
    diplomat.select_option("#id_form", "meeting")
    diplomat.select_option("#id_own_participants", [str(world.our_minister.pk)])
    diplomat.select_option("#id_their_participants", [str(world.their_minister.pk)])
    diplomat.fill("#id_summary", "Agreed to keep the working channel open.")
    diplomat.select_option("#id_classification", "confidential")
    diplomat.fill("#id_follow_ups-0-action", "Send the corridor map")
    diplomat.select_option("#id_follow_ups-0-owner", str(users["diplomat"].pk))
    diplomat.fill("#id_follow_ups-0-due_on", today)
    with diplomat.expect_navigation():
        diplomat.click("[data-testid=entry-form] button[type=submit]")
    expect(diplomat.locator("[data-testid=entry-summary]")).to_have_text("Agreed to keep the working channel open.")
    expect(diplomat.locator("[data-testid=follow-up]")).to_contain_text("Send the corridor map")

    # It raises a second follow-up from the entry; both wait in the queue, the nav counts them.
    diplomat.fill("#id_follow_up-action", "Confirm the date of the next call")
    diplomat.select_option("#id_follow_up-owner", str(users["diplomat"].pk))
    diplomat.fill("#id_follow_up-due_on", today)
    with diplomat.expect_navigation():
        diplomat.click("[data-testid=follow-up-form] button[type=submit]")
    expect(diplomat.locator("[data-testid=follow-up]")).to_have_count(2)
    diplomat.goto("/staff/diplomacy/follow-ups/")
    due = diplomat.locator("[data-testid=queue-due]")
    expect(due).to_contain_text("Send the corridor map")
    expect(due).to_contain_text("Confirm the date of the next call")
    # Two here, and the conftest's own follow-up for the diplomat due yesterday in each compartment.
    expect(diplomat.locator("[data-testid=follow-ups-due]")).to_have_attribute("title", "You have 4 follow-ups due")

    # It asks to escalate the channel to senior officials.
    diplomat.goto(f"/staff/diplomacy/channels/{channel.pk}/")
    with diplomat.expect_navigation():
        diplomat.click("[data-testid=request-change]")
    diplomat.select_option("#id_kind", "escalate")
    diplomat.select_option("#id_level", "senior_officials")
    diplomat.fill("#id_reason", "The working level is stuck on the corridor.")
    with diplomat.expect_navigation():
        diplomat.click("[data-testid=form] button[type=submit]")
    expect(diplomat.locator("[data-testid=awaiting-decision]")).to_be_visible()

    # The senior diplomat, in another browser, approves it from their overview.
    senior = new_browser_context().new_page()
    _login(senior, users["senior_diplomat"])
    senior.goto("/staff/diplomacy/")
    with senior.expect_navigation():
        senior.locator("[data-testid=requests-to-decide] a", has_text="Escalate a channel").first.click()
    senior.check("#id_decision_0")
    senior.fill("#id_reason", "Agreed: senior officials should meet.")
    with senior.expect_navigation():
        senior.click("[data-testid=decide-form] button[type=submit]")
    expect(senior.locator("[data-testid=channel-level]")).to_have_text("Senior officials")
    screenshot(senior, "diplomacy-channel-escalated")
    channel.refresh_from_db()
    assert channel.level == "senior_officials"

    # The diplomat records a mediation request, made before, and then its outcome.
    diplomat.goto("/staff/diplomacy/mediation/new/")
    diplomat.select_option("#id_compartment", str(world.lantern.compartment.pk))
    diplomat.select_option("#id_kind", "host_talks")
    diplomat.select_option("#id_requested_by", str(world.their_minister.pk))
    diplomat.select_option("#id_requested_of", str(world.our_minister.pk))
    diplomat.select_option("#id_parties", [str(world.ukraine.pk), str(world.russia.pk)])
    diplomat.fill("#id_asked_on", "2022-03-05")
    diplomat.select_option("#id_channel", str(channel.pk))
    diplomat.select_option("#id_repeat_of", str(world.lantern.mediation_request.pk))
    diplomat.fill("#id_summary", "Asked again to host talks.")
    with diplomat.expect_navigation():
        diplomat.click("[data-testid=form] button[type=submit]")
    expect(diplomat.locator("[data-testid=request-chain] li")).to_have_count(2)
    diplomat.select_option("#id_outcome", "refused")
    diplomat.fill("#id_on", "2022-10-10")
    diplomat.fill("#id_note", "Refused in October.")
    with diplomat.expect_navigation():
        diplomat.click("[data-testid=outcome-form] button[type=submit]")
    expect(diplomat.locator("[data-testid=mediation-outcome]")).to_contain_text("Refused")
    expect(diplomat.locator("[data-testid=timeline] [data-kind=outcome]")).to_contain_text("Refused in October.")
    expect(diplomat.locator("[data-testid=marking]")).to_have_count(2)
    screenshot(diplomat, "diplomacy-mediation")
    assert MediationRequest.objects.get(summary="Asked again to host talks.").outcome == "refused"

    assert not browser_problems, browser_problems.report()
