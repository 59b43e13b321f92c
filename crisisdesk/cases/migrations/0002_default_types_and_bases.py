"""The request types and eligibility bases a new installation starts with. They are data:
a ministry edits them in the Django admin."""

from django.db import migrations

TYPES = [
    {
        "code": "immigration",
        "name": "Immigration (aliyah)",
        "pipeline": [
            "received",
            "eligibility_review",
            "documents_pending",
            "decision",
            "approved",
            "travel_arranged",
            "arrived",
        ],
        "checklist": ["passport", "birth_certificate", "eligibility_proof", "marriage_certificate"],
    },
    {
        "code": "entry",
        "name": "Entry permit",
        "pipeline": ["received", "documents_pending", "decision", "approved", "travel_arranged", "arrived"],
        "checklist": ["passport"],
    },
]
BASES = [
    ("jewish", "Jewish (Law of Return)"),
    ("jewish_descent", "Child or grandchild of a Jew (Law of Return)"),
    ("spouse", "Spouse of an eligible person"),
    ("family_reunification", "Family reunification with a citizen"),
    ("humanitarian", "Humanitarian grounds"),
]


def create(apps, schema_editor):
    RequestType = apps.get_model("cases", "RequestType")
    EligibilityBasis = apps.get_model("cases", "EligibilityBasis")
    for fields in TYPES:
        RequestType.objects.get_or_create(code=fields["code"], defaults=fields)
    for code, name in BASES:
        EligibilityBasis.objects.get_or_create(code=code, defaults={"name": name})


class Migration(migrations.Migration):
    dependencies = [("cases", "0001_initial")]
    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
