"""`machine.Pacer`: background work runs flat out on a machine with time to spare, and
takes only its share of a machine the foreground keeps busy."""

import time

import pytest

from crisisdesk.common.machine import Pacer, cpu_jiffies, idle_share_while


class FakeMachine:
    """Processors whose idle share during each pause is set by the test, and a clock
    that moves only when something sleeps."""

    def __init__(self, idle: float):
        self.idle = idle
        self.now = 0.0
        self.jiffies = (0, 0)
        self.sleeps: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        ticks = round(seconds * 1000)
        self.jiffies = (self.jiffies[0] + round(ticks * self.idle), self.jiffies[1] + ticks)

    def clock(self) -> float:
        return self.now

    def read(self):
        return self.jiffies

    def pacer(self, share: float) -> Pacer:
        return Pacer(share=share, sleep=self.sleep, clock=self.clock, jiffies=self.read)


def test_on_a_saturated_machine_work_takes_only_its_share():
    machine = FakeMachine(idle=0.05)
    pacer = machine.pacer(0.1)

    pacer.pace(0.01)

    assert pacer.saturated
    probe, pause = machine.sleeps
    assert probe == pacer.probe_for
    assert pause == pytest.approx(0.09)  # 0.01 of work is 10% of 0.1


def test_with_processors_to_spare_work_runs_flat_out():
    machine = FakeMachine(idle=0.6)
    pacer = machine.pacer(0.1)

    for _ in range(20):
        pacer.pace(0.01)

    assert not pacer.saturated
    assert machine.sleeps == [pacer.probe_for]  # one look, then no pauses


def test_the_machine_is_looked_at_again_and_the_pace_follows():
    machine = FakeMachine(idle=0.6)
    pacer = machine.pacer(0.1)
    pacer.pace(0.01)
    machine.idle = 0.02
    machine.now += pacer.probe_every

    pacer.pace(0.01)

    assert pacer.saturated
    assert machine.sleeps[-1] == pytest.approx(0.09)


def test_a_share_of_one_never_pauses():
    machine = FakeMachine(idle=0.0)

    machine.pacer(1.0).pace(0.5)

    assert machine.sleeps == []


def test_where_the_processors_cannot_be_read_the_machine_counts_as_busy():
    assert idle_share_while(lambda: None, jiffies=lambda: None) == 0.0


def test_the_idle_share_of_this_machine_is_a_share():
    assert cpu_jiffies() is not None  # the tests run on Linux
    assert 0.0 <= idle_share_while(lambda: time.sleep(0.05)) <= 1.0


@pytest.mark.parametrize("share", [0, -0.5, 1.5])
def test_a_share_outside_zero_to_one_is_refused(share):
    with pytest.raises(ValueError, match="share"):
        Pacer(share=share)
