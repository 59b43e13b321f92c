"""Registrations made before `people_count` existed get the number of their persons."""

from django.db import migrations
from django.db.models import Count, OuterRef, Subquery


def people_count_backfill(apps, schema_editor):
    Registration = apps.get_model("registry", "Registration")
    Person = apps.get_model("registry", "Person")
    counts = (
        Person.objects.filter(registration=OuterRef("pk"))
        .order_by()
        .values("registration")
        .annotate(n=Count("id"))
        .values("n")
    )
    Registration.objects.update(people_count=Subquery(counts))
    Registration.objects.filter(people_count__isnull=True).update(people_count=0)


class Migration(migrations.Migration):
    dependencies = [("registry", "0004_registration_intake")]

    operations = [migrations.RunPython(people_count_backfill, migrations.RunPython.noop)]
