"""Data migration: the scenario's first risk rule, from the deployment's crisis settings.

Kept apart from the schema migration (Saleor's rule). Reversible: unapplying removes it.
"""

from datetime import date

from django.conf import settings
from django.db import migrations

RULE_CODE = "conscription-risk"


def create_rule(apps, schema_editor):
    RiskRule = apps.get_model("registry", "RiskRule")
    RiskRule.objects.get_or_create(
        code=RULE_CODE,
        defaults={
            "label": "May be stopped at exit (conscription risk)",
            "advice": (
                "Men of military age who also hold the crisis country's citizenship may be "
                "stopped at the border and conscripted. Advise before they travel."
            ),
            "citizenship": settings.CRISISDESK_CRISIS_COUNTRY,
            "sex": "M",
            "age_min": 16,
            "age_max": 60,
            "age_on": date.fromisoformat(settings.CRISISDESK_CRISIS_DATE),
        },
    )


def remove_rule(apps, schema_editor):
    apps.get_model("registry", "RiskRule").objects.filter(code=RULE_CODE).delete()


class Migration(migrations.Migration):
    dependencies = [("registry", "0001_initial")]
    operations = [migrations.RunPython(create_rule, remove_rule)]
