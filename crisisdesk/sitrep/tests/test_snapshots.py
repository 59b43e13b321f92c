"""Snapshots: numbered, drafted by a desk chief, cleared by a second person, distributed, and
frozen after clearance; each knows what changed since the one before.

Personas: `desk_chief` saves and distributes; `admin` is the second person who clears;
`consul` reads but may not save.
"""

import pytest
import time_machine
from django.core.exceptions import PermissionDenied

from crisisdesk.common.models import AuditEvent
from crisisdesk.common.origin import SYSTEM
from crisisdesk.sitrep.errors import SitrepError, SitrepValidationError
from crisisdesk.sitrep.figures import SitrepWindow, sitrep_figures
from crisisdesk.sitrep.models import SitrepSnapshot, SnapshotIsFrozen
from crisisdesk.sitrep.report import changes_since
from crisisdesk.sitrep.services import sitrep_snapshot_clear, sitrep_snapshot_distribute, sitrep_snapshot_save
from crisisdesk.sitrep.tests.conftest import T1, T2, scenario_to_t2

pytestmark = pytest.mark.django_db


def _save(users, persona="desk_chief", **kwargs):
    return sitrep_snapshot_save(
        actor=users[persona], origin=SYSTEM, audience=kwargs.pop("audience", "internal"), **kwargs
    )


def test_snapshots_are_numbered_in_order_and_audited(scenario, users):
    with time_machine.travel(T1, tick=False):
        first = _save(users)
        second = _save(users, audience="public")

    assert (first.number, second.number) == (1, 2)
    assert first.state == SitrepSnapshot.State.DRAFT and first.as_of == T1
    saved = AuditEvent.objects.filter(action=AuditEvent.Action.SITREP_SNAPSHOT_SAVED)
    assert saved.count() == 2
    # The internal one names the missing person; the audit row lists who it names.
    assert saved.get(target_id=str(first.pk)).changes["persons"] == [scenario.household[2].pk]


def test_a_snapshot_is_cleared_by_a_second_person_then_distributed(scenario, users):
    with time_machine.travel(T1, tick=False):
        snapshot = _save(users)
    with pytest.raises(SitrepValidationError) as error:
        sitrep_snapshot_clear(actor=users["desk_chief"], origin=SYSTEM, snapshot=snapshot)
    assert error.value.code == SitrepError.CLEARER_IS_AUTHOR
    with pytest.raises(SitrepValidationError) as error:
        sitrep_snapshot_distribute(actor=users["desk_chief"], origin=SYSTEM, snapshot=snapshot)
    assert error.value.code == SitrepError.SNAPSHOT_STATE

    cleared = sitrep_snapshot_clear(actor=users["admin"], origin=SYSTEM, snapshot=snapshot)
    distributed = sitrep_snapshot_distribute(actor=users["desk_chief"], origin=SYSTEM, snapshot=cleared)

    assert (cleared.cleared_by, distributed.state) == (users["admin"], SitrepSnapshot.State.DISTRIBUTED)
    with pytest.raises(SitrepValidationError):
        sitrep_snapshot_clear(actor=users["admin"], origin=SYSTEM, snapshot=distributed)


def test_a_cleared_snapshot_never_changes(scenario, users):
    with time_machine.travel(T1, tick=False):
        snapshot = _save(users)
    sitrep_snapshot_clear(actor=users["admin"], origin=SYSTEM, snapshot=snapshot)
    snapshot.refresh_from_db()

    snapshot.report_json = snapshot.report_json.replace('"identified": 3', '"identified": 4')
    with pytest.raises(SnapshotIsFrozen):
        snapshot.save()
    snapshot.refresh_from_db()
    assert snapshot.report["crossed"]["identified"] == 3


@pytest.mark.parametrize("persona", ["consul", "border_officer", "case_officer", "logistics_officer", "diplomat"])
def test_only_a_desk_chief_or_admin_saves_snapshots(scenario, users, persona):
    with time_machine.travel(T1, tick=False), pytest.raises(PermissionDenied):
        _save(users, persona=persona, audience="public")


def test_a_snapshot_of_then_is_what_the_sitrep_as_of_then_gives_later(scenario, users):
    with time_machine.travel(T1, tick=False):
        snapshot = _save(users, audience="inter_ministry")
    with time_machine.travel(T2, tick=False):
        scenario_to_t2(users, scenario)
        recomputed = sitrep_figures(window=SitrepWindow.ending(T1))

    stored = snapshot.report
    for key in ("registry", "crossed", "remaining", "intent", "status_over_time", "posture"):
        assert stored[key] == recomputed[key], key


def test_the_change_since_the_previous_snapshot(scenario, users):
    with time_machine.travel(T1, tick=False):
        first = _save(users)
    with time_machine.travel(T2, tick=False):
        scenario_to_t2(users, scenario)
        second = _save(users)

    changes = {row["key"]: row for row in changes_since(second.report, first.report)}
    assert changes["crossed.identified"] == {
        "key": "crossed.identified",
        "label": changes["crossed.identified"]["label"],
        "before": 3,
        "after": 5,
        "delta": 2,
    }
    assert changes["registry.registered"]["delta"] == 1
    assert changes["crossed.range.1"]["delta"] == 15  # 15 → 30, the partner's count
