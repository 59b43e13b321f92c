from django.db import migrations, models

# Each person's timeline facts (registry.services.derive_timeline_facts) from their timeline, in
# one statement for both databases (SQLite has UPDATE … FROM since 3.33), so that a registry of
# a million persons is filled in seconds. The kinds and sources are spelled out: a migration
# must not change meaning when the code's constants do.
FILL = """
    UPDATE registry_person SET
        first_crossed_at = facts.first_crossed_at,
        first_verified_crossed_at = facts.first_verified_crossed_at,
        last_verified_crossed_at = facts.last_verified_crossed_at,
        last_self_reported_crossed_at = facts.last_self_reported_crossed_at,
        last_contact_at = facts.last_contact_at
    FROM (
        SELECT e.person_id,
            MIN(CASE WHEN e.kind = 'crossed' AND c.corrects_id IS NULL THEN e.occurred_at END) AS first_crossed_at,
            MIN(CASE WHEN e.kind = 'crossed' AND c.corrects_id IS NULL AND e.source IN ('desk', 'staff', 'api')
                THEN e.occurred_at END) AS first_verified_crossed_at,
            MAX(CASE WHEN e.kind = 'crossed' AND c.corrects_id IS NULL AND e.source IN ('desk', 'staff', 'api')
                THEN e.occurred_at END) AS last_verified_crossed_at,
            MAX(CASE WHEN e.kind = 'crossed' AND c.corrects_id IS NULL AND e.source = 'self'
                THEN e.occurred_at END) AS last_self_reported_crossed_at,
            MAX(CASE WHEN e.kind NOT IN ('missing', 'deceased', 'entered_in_error') THEN e.occurred_at END)
                AS last_contact_at
        FROM registry_statusevent e
        LEFT JOIN (SELECT DISTINCT corrects_id FROM registry_statusevent WHERE corrects_id IS NOT NULL) c
            ON c.corrects_id = e.id
        GROUP BY e.person_id
    ) AS facts
    WHERE facts.person_id = registry_person.id
"""


def fill_timeline_facts(apps, schema_editor):
    schema_editor.execute(FILL)


class Migration(migrations.Migration):
    dependencies = [
        ("registry", "0009_person_citizenship_mix"),
    ]

    operations = [
        migrations.AddField(
            model_name="person",
            name="first_crossed_at",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="person",
            name="first_verified_crossed_at",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="person",
            name="last_verified_crossed_at",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="person",
            name="last_self_reported_crossed_at",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="person",
            name="last_contact_at",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.RunPython(fill_timeline_facts, migrations.RunPython.noop, elidable=True),
        migrations.AddIndex(
            model_name="person",
            index=models.Index(
                condition=models.Q(first_crossed_at__isnull=False),
                fields=[
                    "first_crossed_at",
                    "first_verified_crossed_at",
                    "last_verified_crossed_at",
                    "last_self_reported_crossed_at",
                    "created_at",
                    "id",
                ],
                name="person_crossings",
            ),
        ),
        migrations.AddIndex(
            model_name="person",
            index=models.Index(fields=["last_contact_at", "created_at"], name="person_last_contact"),
        ),
    ]
