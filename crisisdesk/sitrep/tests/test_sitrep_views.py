"""The sitrep's pages, API and command: who may do what, and that each output carries the
figures. Personas: all of conftest's; `desk_chief` saves, `admin` clears."""

import json

import pytest
import time_machine
from django.core.management import call_command
from django.urls import reverse
from pypdf import PdfReader

from crisisdesk.common.models import AuditEvent
from crisisdesk.common.testing.personas import ALL_PERSONAS
from crisisdesk.sitrep.models import PartnerFigure, SitrepSnapshot
from crisisdesk.sitrep.tests.conftest import T1, at

pytestmark = pytest.mark.django_db

DASHBOARD = reverse("sitrep:dashboard")
API = reverse("api:sitrep_live")
READERS = {
    "admin",
    "desk_chief",
    "consul",
    "border_officer",
    "case_officer",
    "logistics_officer",
    "diplomat",
    "senior_diplomat",
    "political_director",
}


@pytest.mark.parametrize("persona", ALL_PERSONAS)
def test_dashboard_permission_matrix(scenario, as_persona, persona):
    with time_machine.travel(T1, tick=False):
        response = as_persona(persona).get(DASHBOARD)

    if persona == "anonymous":
        assert response.status_code == 302
    else:
        assert response.status_code == (200 if persona in READERS else 403)


@pytest.mark.parametrize("persona", ALL_PERSONAS)
def test_api_permission_matrix(scenario, api, persona):
    with time_machine.travel(T1, tick=False):
        response = api(persona).get(API)

    expected = 401 if persona == "anonymous" else 200
    assert response.status_code == expected
    if expected == 200:
        body = response.json()
        assert body["audience"] == (
            "inter_ministry"
            if persona in {"logistics_officer", "diplomat", "senior_diplomat", "political_director"}
            else "internal"
        )


def test_the_dashboard_shows_the_three_answers_with_their_method_and_links(scenario, as_persona):
    with time_machine.travel(T1, tick=False):
        response = as_persona("desk_chief").get(DASHBOARD)
    html = response.content.decode()

    assert 'data-testid="headline-crossed"' in html and "range 3–15" in html
    assert "Method and assumptions" in html and "closed" in html
    assert f'href="{reverse("registry:person_list")}?status=crossed"' in html
    assert 'hx-trigger="every 60s"' in html  # a live sitrep refreshes in place (the default)
    assert html.count("<svg") >= 4  # crossings, status over time, intent, regions
    assert AuditEvent.objects.filter(action=AuditEvent.Action.SITREP_VIEWED, actor__username="desk_chief").exists()


def test_a_past_moment_stays_put_and_links_nowhere(scenario, as_persona):
    with time_machine.travel(at(27, 9), tick=False):
        response = as_persona("desk_chief").get(DASHBOARD, {"as_of": "2022-02-26T18:00"})
    html = response.content.decode()

    assert 'data-as-of="2022-02-26T18:00:00+00:00"' in html
    assert "hx-trigger" not in html
    assert "?status=crossed" not in html  # the registry list is of now, not of then


def test_a_moment_in_the_future_is_refused_with_a_reason(scenario, as_persona):
    with time_machine.travel(T1, tick=False):
        response = as_persona("desk_chief").get(DASHBOARD, {"as_of": "2022-03-01T00:00"})

    assert response.status_code == 200
    assert "has not come yet" in response.content.decode()


def test_the_pdf_carries_the_figures(scenario, as_persona, tmp_path):
    with time_machine.travel(T1, tick=False):
        response = as_persona("desk_chief").get(DASHBOARD, {"format": "pdf"})

    assert response["Content-Type"] == "application/pdf"
    path = tmp_path / "sitrep.pdf"
    path.write_bytes(response.content)
    text = " ".join(page.extract_text() for page in PdfReader(path).pages)
    assert "Situation report" in text and "3–15" in text


def test_snapshot_workflow_through_the_pages(scenario, as_persona):
    chief, admin = as_persona("desk_chief"), as_persona("admin")
    with time_machine.travel(T1, tick=False):
        saved = chief.post(reverse("sitrep:snapshot_list"), {"audience": "inter_ministry", "note": "evening"})
    snapshot = SitrepSnapshot.objects.get()
    assert saved.status_code == 302 and saved["Location"] == reverse("sitrep:snapshot_detail", args=[snapshot.number])

    own = chief.get(reverse("sitrep:snapshot_detail", args=[1])).content.decode()
    assert 'data-testid="clear"' not in own  # not the author's to clear
    assert 'data-testid="clear"' in admin.get(reverse("sitrep:snapshot_detail", args=[1])).content.decode()
    admin.post(reverse("sitrep:snapshot_clear", args=[1]))
    chief.post(reverse("sitrep:snapshot_distribute", args=[1]))

    snapshot.refresh_from_db()
    assert snapshot.state == SitrepSnapshot.State.DISTRIBUTED and snapshot.cleared_by.username == "admin"
    markdown = chief.get(reverse("sitrep:snapshot_detail", args=[1]), {"format": "md"}).content.decode()
    assert "3–15" in markdown


@pytest.mark.parametrize(
    ("persona", "status"),
    [("desk_chief", 302), ("consul", 302), ("border_officer", 404), ("logistics_officer", 404)],
)
def test_partner_figures_are_entered_by_the_consular_desk(scenario, as_persona, persona, status):
    with time_machine.travel(T1, tick=False):
        response = as_persona(persona).post(
            reverse("sitrep:partner_figures"),
            {
                "source": "Straż Graniczna",
                "crossed": "40",
                "period_start": "2022-02-26T00:00",
                "period_end": "2022-02-26T12:00",
            },
        )

    assert response.status_code == status
    assert PartnerFigure.objects.count() == (1 if status == 302 else 0)


def test_an_overlapping_partner_period_is_refused_with_its_reason_and_nothing_saved(scenario, api):
    body = {"source": "UNHCR", "crossed": 12, "period_start": "2022-02-26T00:00Z", "period_end": "2022-02-26T12:00Z"}
    with time_machine.travel(T1, tick=False):
        first = api("consul").post(reverse("api:sitrep_partner_figure_add"), body, content_type="application/json")
        again = api("consul").post(
            reverse("api:sitrep_partner_figure_add"),
            {**body, "period_start": "2022-02-26T06:00Z", "period_end": "2022-02-26T18:00Z"},
            content_type="application/json",
        )
        live = api("consul").get(API).json()

    assert first.status_code == 201
    assert again.status_code == 422 and again.json()["code"] == "period_overlaps"
    assert PartnerFigure.objects.count() == 1
    assert live["crossed"]["partner"] == 12


def test_snapshots_over_the_api(scenario, api):
    with time_machine.travel(T1, tick=False):
        created = api("desk_chief").post(
            reverse("api:sitrep_snapshot_save"), {"audience": "public"}, content_type="application/json"
        )
        refused = api("desk_chief").post(reverse("api:sitrep_snapshot_clear", args=[1]))
        cleared = api("admin").post(reverse("api:sitrep_snapshot_clear", args=[1]))
        detail = api("diplomat").get(reverse("api:sitrep_snapshot", args=[1])).json()

    assert created.status_code == 201 and created.json()["number"] == 1
    assert refused.status_code == 422 and refused.json()["code"] == "clearer_is_author"
    assert cleared.json()["state"] == "cleared"
    assert detail["crossed"]["range"] == [3, 15] and detail["snapshot"]["cleared_by"] == "admin"
    assert [method["key"] for method in detail["methods"]] == ["crossed", "remaining", "intent_stay"]


def test_the_command_writes_json_with_the_stable_keys_and_a_pdf(scenario, tmp_path):
    with time_machine.travel(at(27, 9), tick=False):
        call_command("sitrep", "--as-of", "2022-02-26T18:00Z", "-o", str(tmp_path / "s.json"))
        call_command("sitrep", "--format", "pdf", "--audience", "public", "-o", str(tmp_path / "s.pdf"))
        call_command("sitrep", "--format", "md", "--language", "he", "-o", str(tmp_path / "s.md"))

    figures = json.loads((tmp_path / "s.json").read_text())
    assert figures["crossed"]["identified"] == 3 and figures["crossed"]["range"] == [3, 15]
    assert isinstance(figures["remaining"]["estimate"], int) and len(figures["remaining"]["range"]) == 2
    assert {key: figures["intent"][key] for key in ("leave", "stay", "undecided", "unknown")} == {
        "leave": 2,
        "stay": 1,
        "undecided": 1,
        "unknown": 1,
    }
    assert (tmp_path / "s.pdf").read_bytes().startswith(b"%PDF")
    assert AuditEvent.objects.filter(action=AuditEvent.Action.SITREP_VIEWED, channel="cli").count() == 3
