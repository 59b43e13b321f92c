"""The person import's pages: upload, the mapping screen with its preview, the import, and
a batch's rejected rows corrected on the page or downloaded.

Personas: `consul` imports (person.create and contact details); `border_officer` may import
but sees no contact values of rejected rows; `case_officer` and `diplomat` may not import."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from crisisdesk.registry.models import ColumnMapping, ImportBatch, ImportRejectedRow, Person

pytestmark = pytest.mark.django_db

CSV = (
    b"First name,Last name,Date of birth,Phone,Citizenship\n"
    b"Olena,Kovalenko,1985-06-15,+380501234567,IL\n"
    b'Taras,Shevchuk,15.03.1990,+380671112233,"IL, UA"\n'
    b",,1970,+380501112233,IL\n"
    b"Iryna,Bondarenko,1988-13-40,not a phone,IL\n"
)


def _upload(client, content: bytes = CSV, name: str = "call centre.csv", **extra):
    upload = SimpleUploadedFile(name, content, content_type="text/csv")
    return client.post(reverse("registry:import_list"), {"file": upload, **extra})


def test_upload_check_and_import(as_persona):
    client = as_persona("consul")

    response = _upload(client)
    assert response.status_code == 302 and response["Location"] == reverse("registry:import_preview")

    # the mapping screen: the columns recognised, the first rows, the rejected ones with why
    page = client.get(reverse("registry:import_preview")).content.decode()
    assert 'data-testid="column-map-form"' in page
    assert "4 rows: 2 would be added, 2 would be rejected" in page
    assert "Olena Kovalenko" in page and 'data-row="5"' in page
    assert not Person.objects.exists()  # checking writes nothing

    response = client.post(reverse("registry:import_preview"), {"action": "import", **_columns_as_recognised(client)})

    batch = ImportBatch.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("registry:import_detail", args=[batch.pk])
    assert (batch.rows_total, batch.rows_imported, batch.rows_rejected) == (4, 2, 2)
    assert sorted(Person.objects.values_list("family_name", flat=True)) == ["Kovalenko", "Shevchuk"]
    assert set(Person.objects.values_list("import_row", flat=True)) == {2, 3}


def _columns_as_recognised(client) -> dict:
    """The mapping form as the screen offers it, unchanged."""
    page = client.get(reverse("registry:import_preview"))
    form = page.context["map_form"]
    return {name: form[name].value() or "" for name in form.fields if name.startswith("column_")}


def test_a_mapping_chosen_on_the_screen_and_saved(as_persona):
    client = as_persona("consul")
    content = "Імʼя;Прізвище;Примітка\nОлена;Коваленко;x\n".encode("cp1251", errors="replace")
    _upload(client, content)
    columns = _columns_as_recognised(client)
    # the third column read as the needs note, and the mapping kept as "Hotline 2022"
    third = next(name for name in columns if name.endswith("_2"))
    columns[third] = "needs_note"

    client.post(reverse("registry:import_preview"), {"action": "import", "save_as": "Hotline 2022", **columns})

    mapping = ColumnMapping.objects.get(name="Hotline 2022")
    assert "needs_note" in mapping.columns.values()
    assert Person.objects.get().needs_note == "x"
    assert ImportBatch.objects.get().mapping_name == "Hotline 2022"


def test_a_file_that_is_not_a_spreadsheet_goes_back_to_the_upload_with_why(as_persona):
    client = as_persona("consul")
    _upload(client, b"\x7fELF\x02\x01\x01" + bytes(200), name="persons.csv")

    response = client.get(reverse("registry:import_preview"), follow=True)

    assert response.redirect_chain[-1][0] == reverse("registry:import_list")
    assert 'role="alert"' in response.content.decode() or "alert" in response.content.decode()


def test_rejected_rows_are_corrected_on_the_page_and_downloaded(as_persona):
    client = as_persona("consul")
    _upload(client)
    client.post(reverse("registry:import_preview"), {"action": "import", **_columns_as_recognised(client)})
    batch = ImportBatch.objects.get()
    row = ImportRejectedRow.objects.get(batch=batch, row_number=5)

    page = client.get(reverse("registry:import_detail", args=[batch.pk])).content.decode()
    assert 'data-testid="import-rejected-row"' in page and 'data-testid="import-row-form"' in page

    refused = client.post(
        reverse("registry:import_row_correct", args=[batch.pk, row.pk]),
        {f"row-{row.pk}-{name}": value for name, value in {**row.values, "birth_date": "1988-13-40"}.items()},
    )
    assert refused.status_code == 200 and not ImportRejectedRow.objects.get(pk=row.pk).resolved_person

    fixed = {**row.values, "birth_date": "1988-12-04", "phone": "+380501234599"}
    response = client.post(
        reverse("registry:import_row_correct", args=[batch.pk, row.pk]),
        {f"row-{row.pk}-{name}": value for name, value in fixed.items()},
    )
    assert response.status_code == 302
    assert ImportRejectedRow.objects.get(pk=row.pk).resolved_person.family_name == "Bondarenko"

    download = client.get(reverse("registry:import_errors", args=[batch.pk]))
    assert download.status_code == 200 and download["Content-Disposition"].startswith("attachment")
    assert download.content.decode("utf-8-sig").count("\n") >= 2  # header and the row left


def test_contact_values_of_rejected_rows_are_masked_without_the_permission(as_persona, users):
    consul = as_persona("consul")
    _upload(consul)
    consul.post(reverse("registry:import_preview"), {"action": "import", **_columns_as_recognised(consul)})
    batch = ImportBatch.objects.get()

    page = as_persona("border_officer").get(reverse("registry:import_detail", args=[batch.pk])).content.decode()

    assert "+380501112233" not in page and "•••" in page


@pytest.mark.parametrize(
    ("persona", "status"),
    [("consul", 200), ("border_officer", 200), ("desk_chief", 200), ("case_officer", 403), ("diplomat", 403)],
)
def test_who_may_import(as_persona, persona, status):
    assert as_persona(persona).get(reverse("registry:import_list")).status_code == status
