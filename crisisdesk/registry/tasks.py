"""Background jobs of the registry (Django Tasks; `manage.py db_worker` runs them)."""

from django.conf import settings
from django_tasks import task

from crisisdesk.registry.duplicates import possible_duplicates_record
from crisisdesk.registry.models import Registration

# When a surge saturates the machine, the worker leaves nearly all of it to the public
# form: on SQLite its writes queue on the same lock, and on PostgreSQL its queries run
# in backends that `nice` does not reach. It still adds a few registrations a second,
# and runs flat out whenever the processors have time to spare.
# Measured with bench/registration_throughput.py (docs/benchmarks.md).
DEFAULT_BUSY_SHARE = 0.03


@task()
def registration_duplicates_find(registration_id: int) -> int:
    """After a public registration: flag, silently for staff, anyone already registered
    under a name that matches in any script. Returns how many pairs were stored."""
    registration = Registration.objects.filter(pk=registration_id).first()
    if registration is None:
        return 0
    return len(possible_duplicates_record(registration=registration))


def intake_busy_share() -> float:
    """The share of time the drain may take while registrations keep arriving."""
    configured = settings.CRISISDESK_INTAKE_BUSY_SHARE
    return DEFAULT_BUSY_SHARE if configured is None else configured


@task()
def registration_intake_drain() -> dict[str, int]:
    """Add the public registrations that are waiting to the registry (see
    `services.registrations_add_received`). Returns how many were added and failed."""
    from crisisdesk.registry.services import registrations_add_received

    result = registrations_add_received(busy_share=intake_busy_share())
    return {"added": result.added, "failed": result.failed}
