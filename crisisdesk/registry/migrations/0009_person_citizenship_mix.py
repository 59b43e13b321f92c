from django.db import migrations, models

# Each person's citizenship codes, sorted and joined by "+", from their citizenship rows: one
# statement, so that a registry of a million persons is filled in seconds. SQLite before 3.44
# has no ORDER BY inside an aggregate; it concatenates in the order of an ordered subquery.
FILL = {
    "postgresql": """
        UPDATE registry_person SET citizenship_mix = held.mix
        FROM (SELECT person_id, string_agg(country, '+' ORDER BY country) AS mix
              FROM registry_citizenship GROUP BY person_id) AS held
        WHERE held.person_id = registry_person.id
    """,
    "sqlite": """
        UPDATE registry_person SET citizenship_mix = COALESCE((
            SELECT group_concat(country, '+') FROM (
                SELECT country FROM registry_citizenship
                WHERE registry_citizenship.person_id = registry_person.id ORDER BY country
            )
        ), '')
    """,
}


def fill_citizenship_mix(apps, schema_editor):
    schema_editor.execute(FILL[schema_editor.connection.vendor])


class Migration(migrations.Migration):
    dependencies = [
        ("registry", "0008_sitrep_covering_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="person",
            name="citizenship_mix",
            field=models.CharField(blank=True, default="", editable=False, max_length=64),
        ),
        migrations.RunPython(fill_citizenship_mix, migrations.RunPython.noop, elidable=True),
        migrations.AddIndex(
            model_name="person",
            index=models.Index(fields=["citizenship_mix", "created_at"], name="person_citizenship_mix"),
        ),
    ]
