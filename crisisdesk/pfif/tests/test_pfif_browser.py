"""The PFIF exchange in Chromium: the desk chief uploads a partner's Person Finder file, reads
what became of every record on the batch's page (added, already here, rejected with reasons),
uploads it again and sees nothing doubled, then downloads the export and finds the imported
records in it under their own ids. Nothing breaks the CSP."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from crisisdesk.common.testing.browser import (  # noqa: F401 - imported fixtures are registered by name
    allow_async_unsafe,
    browser_problems,
    chromium,
    login_through_form,
    new_browser_context,
    screenshot,
)
from crisisdesk.pfif.models import PfifBatch, PfifPerson
from crisisdesk.pfif.tests.conftest import GOLDEN

PARTNER_FILE = GOLDEN / "import_personfinder.xml"


def _upload(page) -> PfifBatch:
    page.set_input_files("#id_file", str(PARTNER_FILE))
    with page.expect_navigation():
        page.click("[data-testid=pfif-upload-form] button[type=submit]")
    expect(page).to_have_url(re.compile(r"/staff/pfif/imports/\d+/$"))
    return PfifBatch.objects.get(pk=int(page.url.rstrip("/").rsplit("/", 1)[1]))


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_upload_read_the_batch_upload_again_and_download(users, new_browser_context, browser_problems):  # noqa: F811
    page = new_browser_context().new_page()
    login_through_form(page, user=users["desk_chief"])
    page.goto("/staff/pfif/")
    expect(page.locator("[data-testid=pfif-batches]")).to_be_visible()

    # the first upload: the page says what became of every record, as the batch counted it
    first = _upload(page)
    assert first.persons_imported > 0
    persons = page.locator("[data-testid=pfif-batch-persons]")
    expect(persons).to_contain_text(f"{first.persons_total} records: {first.persons_imported} added")
    expect(page.locator("[data-testid=pfif-rejected]")).to_have_count(first.persons_rejected + first.notes_rejected)
    screenshot(page, "pfif-batch")

    # the same file again: everything already here, nothing doubled
    page.goto("/staff/pfif/")
    second = _upload(page)
    expect(page.locator("[data-testid=pfif-batch-persons]")).to_contain_text(
        f"{second.persons_total} records: 0 added, {first.persons_imported} already here"
    )
    assert PfifPerson.objects.count() == first.persons_imported
    page.goto("/staff/pfif/")
    expect(page.locator("[data-testid=pfif-batch]")).to_have_count(2)

    # the export carries the imported records under the ids they came with
    with page.expect_download() as download_info:
        page.click("[data-testid=pfif-export-form] button[type=submit]")
    content = Path(download_info.value.path()).read_text(encoding="utf-8")
    assert 'xmlns:pfif="http://zesty.ca/pfif/1.4"' in content
    for record_id in PfifPerson.objects.values_list("record_id", flat=True):
        assert f"<pfif:person_record_id>{record_id}</pfif:person_record_id>" in content

    assert not browser_problems, browser_problems.report()
