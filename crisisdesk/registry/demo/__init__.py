"""The demo scenario: Israelis in Ukraine, 14–27 February 2022 (docs: /work/shared/scenario.md).

`scenario` builds the world in memory from a seed (no database access); `loader` writes it
through the registry services and removes it again. `manage.py demo_load` is the entry point.
Everything in it is invented: no real person's name, number or document appears. The one
exception is the diplomacy part (`crisisdesk/diplomacy/demo.py`): it quotes public statements
that real officials made on the air, from the report; everything confidential in it is invented
and names fictional officials only.
"""

from crisisdesk.registry.demo.scenario import (
    CROSSING_POINTS,
    DEFAULT_SEED,
    DEFAULT_SIZE,
    DEMO_LOGINS,
    CrossingPointSpec,
    DemoLogin,
    EventPlan,
    HouseholdPlan,
    World,
    world_build,
)

__all__ = [
    "CROSSING_POINTS",
    "DEFAULT_SEED",
    "DEFAULT_SIZE",
    "DEMO_LOGINS",
    "CrossingPointSpec",
    "DemoLogin",
    "EventPlan",
    "HouseholdPlan",
    "World",
    "world_build",
]
