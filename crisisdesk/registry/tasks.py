"""Background jobs of the registry (Django Tasks; `manage.py db_worker` runs them)."""

from django_tasks import task

from crisisdesk.registry.duplicates import possible_duplicates_record
from crisisdesk.registry.models import Registration


@task()
def registration_duplicates_find(registration_id: int) -> int:
    """After a public registration: flag, silently for staff, anyone already registered
    under a name that matches in any script. Returns how many pairs were stored."""
    registration = Registration.objects.filter(pk=registration_id).first()
    if registration is None:
        return 0
    return len(possible_duplicates_record(registration=registration))
