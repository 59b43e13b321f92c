"""Dormancy: an open channel without contact for more than CRISISDESK_CHANNEL_DORMANT_AFTER_DAYS
becomes dormant, by `manage.py diplomacy_dormancy` or the hourly background sweep; a contact
opens it again. Each change is a row in the module's audit chain."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from crisisdesk.common.models import AuditEvent
from crisisdesk.common.origin import SYSTEM
from crisisdesk.diplomacy import services
from crisisdesk.diplomacy.audit import Action, audit_chain_verify
from crisisdesk.diplomacy.models import Channel, DiplomacyAuditEntry
from crisisdesk.diplomacy.tasks import SWEEP_INTERVAL, channels_dormancy_sweep_hourly, dormancy_sweep_schedule

DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


def last_contact_set(channel: Channel, *, days_ago: float) -> None:
    """Date a channel's last contact in the past (the sweep reads it; services set it)."""
    Channel.objects.filter(pk=channel.pk).update(last_contact_at=timezone.now() - timedelta(days=days_ago))


def status_of(channel: Channel) -> str:
    return Channel.objects.get(pk=channel.pk).status


def dormancy_rows(channel: Channel):
    return DiplomacyAuditEntry.objects.filter(
        action=Action.CHANNEL_STATUS_CHANGED, target_id=str(channel.pk), changes__automatic=True
    )


def test_a_channel_without_contact_for_longer_than_the_setting_becomes_dormant(world, settings):
    """Default 30 days: 31 days of silence make a channel dormant, 29 do not."""
    settings.CRISISDESK_CHANNEL_DORMANT_AFTER_DAYS = 30
    quiet, recent = world.lantern.channel, world.bridge.channel
    last_contact_set(quiet, days_ago=31)
    last_contact_set(recent, days_ago=29)

    changed = services.channels_dormancy_sweep(origin=SYSTEM)

    assert changed == 1
    assert status_of(quiet) == Channel.Status.DORMANT
    assert status_of(recent) == Channel.Status.OPEN


@pytest.mark.parametrize(("days", "expected"), [(7, Channel.Status.DORMANT), (10, Channel.Status.OPEN)])
def test_the_number_of_days_is_a_setting(world, settings, days, expected):
    settings.CRISISDESK_CHANNEL_DORMANT_AFTER_DAYS = days
    last_contact_set(world.lantern.channel, days_ago=8)

    services.channels_dormancy_sweep(origin=SYSTEM)

    assert status_of(world.lantern.channel) == expected


def test_a_channel_never_contacted_counts_from_its_opening(world):
    channel = world.lantern.channel
    Channel.objects.filter(pk=channel.pk).update(last_contact_at=None, opened_at=timezone.now() - timedelta(days=45))
    fresh = world.bridge.channel
    Channel.objects.filter(pk=fresh.pk).update(last_contact_at=None, opened_at=timezone.now() - timedelta(days=1))

    assert services.channels_dormancy_sweep(origin=SYSTEM) == 1
    assert (status_of(channel), status_of(fresh)) == (Channel.Status.DORMANT, Channel.Status.OPEN)


def test_a_closed_channel_stays_closed(world, users):
    channel = world.lantern.channel
    services.channel_close(actor=users["political_director"], origin=SYSTEM, channel=channel, reason="talks ended")
    last_contact_set(channel, days_ago=400)

    assert services.channels_dormancy_sweep(origin=SYSTEM) == 0
    assert status_of(channel) == Channel.Status.CLOSED
    assert not dormancy_rows(channel).exists()


def test_a_dormant_channel_is_not_counted_again(world):
    last_contact_set(world.lantern.channel, days_ago=60)
    assert services.channels_dormancy_sweep(origin=SYSTEM) == 1

    assert services.channels_dormancy_sweep(origin=SYSTEM) == 0
    assert dormancy_rows(world.lantern.channel).count() == 1


def test_logging_a_contact_on_a_dormant_channel_reopens_it(world, users):
    # given a channel the sweep made dormant
    channel = world.lantern.channel
    last_contact_set(channel, days_ago=60)
    services.channels_dormancy_sweep(origin=SYSTEM)
    assert status_of(channel) == Channel.Status.DORMANT

    # when a contact is logged on it
    occurred_at = timezone.now() - timedelta(minutes=10)
    services.contact_log(
        actor=users["diplomat"],
        origin=SYSTEM,
        channel=channel,
        occurred_at=occurred_at,
        form="message",
        summary="Back in touch",
        classification="confidential",
    )

    # then it is open again, with that contact as its last, and the next sweep leaves it so
    channel.refresh_from_db()
    assert (channel.status, channel.last_contact_at) == (Channel.Status.OPEN, occurred_at)
    assert services.channels_dormancy_sweep(origin=SYSTEM) == 0


def test_the_change_is_a_row_in_the_audit_chain(world):
    """Made by nobody (the system), in the channel's compartment, naming the status only."""
    channel = world.lantern.channel
    last_contact_set(channel, days_ago=60)

    services.channels_dormancy_sweep(origin=SYSTEM)

    (row,) = dormancy_rows(channel)
    assert (row.actor_id, row.channel, row.target_type) == (None, AuditEvent.Channel.SYSTEM, "channel")
    assert row.compartment_id == channel.compartment_id
    assert row.changes == {"status": Channel.Status.DORMANT, "automatic": True}
    assert audit_chain_verify().intact


def test_the_command_sweeps_and_prints_the_count(world, settings):
    settings.CRISISDESK_CHANNEL_DORMANT_AFTER_DAYS = 30
    last_contact_set(world.lantern.channel, days_ago=31)
    last_contact_set(world.bridge.channel, days_ago=32)
    out = StringIO()

    call_command("diplomacy_dormancy", stdout=out)

    assert "Marked 2 channel(s) dormant: open, without contact for more than 30 days." in out.getvalue()
    assert dormancy_rows(world.lantern.channel).get().channel == AuditEvent.Channel.CLI
    out = StringIO()
    call_command("diplomacy_dormancy", stdout=out)
    assert "Marked 0 channel(s) dormant" in out.getvalue()


# --- The background sweep -------------------------------------------------------------------


def test_the_task_sweeps_and_asks_no_successor_of_a_backend_that_cannot_defer(world):
    """The tests' immediate backend runs a task at once; it cannot hold one for an hour, so
    the sweep does not queue its successor there (it would run sweeps without end)."""
    last_contact_set(world.lantern.channel, days_ago=60)

    result = channels_dormancy_sweep_hourly.enqueue()

    assert result.status == TaskResultStatus.SUCCESSFUL
    assert result.return_value == 1
    assert status_of(world.lantern.channel) == Channel.Status.DORMANT
    assert dormancy_sweep_schedule(delay=SWEEP_INTERVAL) is False


@pytest.fixture
def database_tasks(settings, monkeypatch):
    """Tasks go to the database and wait for a worker, as under `make run` (see
    registry/tests/test_registration_intake.py for why the connection check is skipped)."""
    settings.TASKS = DATABASE_TASKS
    monkeypatch.setattr("django_tasks_db.management.commands.db_worker.close_old_connections", lambda: None)


def worker_run() -> None:
    call_command("db_worker", batch=True, startup_delay=False, reload=False, verbosity=0)


def waiting_sweeps():
    return DBTaskResult.objects.filter(
        status=TaskResultStatus.READY, task_path=channels_dormancy_sweep_hourly.module_path
    )


def test_schedule_queues_one_sweep_however_often_it_is_called(db, database_tasks):
    out = StringIO()
    call_command("diplomacy_dormancy", "--schedule", stdout=out)
    call_command("diplomacy_dormancy", "--schedule", stdout=out)

    assert waiting_sweeps().count() == 1
    assert out.getvalue().splitlines() == [
        "Queued the hourly dormancy sweep.",
        "The hourly dormancy sweep is already queued.",
    ]


def test_each_sweep_queues_the_next_for_an_hour_later(world, database_tasks):
    # given a quiet channel and the sweep queued, as `make run` does
    last_contact_set(world.lantern.channel, days_ago=60)
    dormancy_sweep_schedule()
    before = timezone.now()

    # when the worker runs what is due
    worker_run()

    # then the channel is dormant, and one sweep waits for an hour later
    assert status_of(world.lantern.channel) == Channel.Status.DORMANT
    ran = DBTaskResult.objects.get(status=TaskResultStatus.SUCCESSFUL)
    assert ran.return_value == 1
    (waiting,) = waiting_sweeps()
    assert before + SWEEP_INTERVAL <= waiting.run_after <= timezone.now() + SWEEP_INTERVAL
    # and it is not due yet: the worker leaves it, and a restart adds none beside it
    worker_run()
    assert waiting_sweeps().count() == 1
    assert dormancy_sweep_schedule() is False
    assert waiting_sweeps().count() == 1


def test_a_failing_sweep_still_queues_the_next(db, database_tasks, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr("crisisdesk.diplomacy.services.channels_dormancy_sweep", broken)
    dormancy_sweep_schedule()

    worker_run()

    assert DBTaskResult.objects.filter(status=TaskResultStatus.FAILED).count() == 1
    assert waiting_sweeps().count() == 1
