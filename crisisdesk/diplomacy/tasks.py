"""Background jobs of the diplomacy module (Django Tasks; `manage.py db_worker` runs them)."""

from datetime import timedelta

from django.utils import timezone
from django_tasks import task

from crisisdesk.common.origin import SYSTEM

SWEEP_INTERVAL = timedelta(hours=1)


@task()
def channels_dormancy_sweep_hourly() -> int:
    """Mark dormant the open channels without contact for too long, then queue the next
    sweep for an hour later (where the backend can defer a task). Returns how many changed."""
    from crisisdesk.diplomacy.services import channels_dormancy_sweep

    try:
        return channels_dormancy_sweep(origin=SYSTEM)
    finally:
        # Even after a failed sweep: the next hour may succeed, and the failure is on record.
        dormancy_sweep_schedule(delay=SWEEP_INTERVAL)


def dormancy_sweep_schedule(*, delay: timedelta | None = None) -> bool:
    """Queue a sweep `delay` from now (or at once), unless one is already waiting: `make run`
    calls this at every start, and each sweep calls it again, so there is one chain of sweeps,
    never one more per restart. Returns whether a sweep was queued.

    A backend that cannot defer (the tests' immediate one) runs the sweep now and is not asked
    for a next one: re-enqueueing there would run sweep after sweep without end."""
    backend = channels_dormancy_sweep_hourly.get_backend()
    if delay is not None and not backend.supports_defer:
        return False
    if _sweep_waiting(backend):
        return False
    sweep = channels_dormancy_sweep_hourly
    if delay is not None:
        sweep = sweep.using(run_after=timezone.now() + delay)
    sweep.enqueue()
    return True


def _sweep_waiting(backend) -> bool:
    """A sweep queued and not yet started. Only the database backend can be asked."""
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.backend import DatabaseBackend
    from django_tasks_db.models import DBTaskResult

    if not isinstance(backend, DatabaseBackend):
        return False
    return DBTaskResult.objects.filter(
        status=TaskResultStatus.READY,
        task_path=channels_dormancy_sweep_hourly.module_path,
        backend_name=backend.alias,
        queue_name=channels_dormancy_sweep_hourly.queue_name,
    ).exists()
