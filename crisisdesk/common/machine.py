"""Background work that uses only the processors the foreground leaves idle.

A worker that adds public registrations to the registry must not slow the public form
down in a surge, and must run flat out when the machine has time to spare. How busy the
processors are is read from Linux's `/proc/stat`; where that is not available the
machine always counts as busy, so background work is paced.
"""

import time
from collections.abc import Callable
from pathlib import Path

PROC_STAT = Path("/proc/stat")


def cpu_jiffies() -> tuple[int, int] | None:
    """(idle, total) jiffies of all processors since boot, or None where unknown."""
    try:
        first_line = PROC_STAT.read_text().split("\n", 1)[0]
    except OSError:
        return None
    fields = [int(value) for value in first_line.split()[1:]]
    if len(fields) < 5:
        return None
    return fields[3] + fields[4], sum(fields)  # idle + iowait


def idle_share_while(wait: Callable[[], None], *, jiffies=cpu_jiffies) -> float:
    """The idle share of all processors (0 busy to 1 idle) while `wait()` runs; 0 where
    it cannot be measured."""
    before = jiffies()
    wait()
    after = jiffies()
    if before is None or after is None or after[1] <= before[1]:
        return 0.0
    return (after[0] - before[0]) / (after[1] - before[1])


class Pacer:
    """Paces a loop of background work against the rest of the machine.

    Every `probe_every` seconds the loop pauses for `probe_for` seconds and looks at how
    idle the processors are while it does nothing (so its own load, or a lock it holds,
    does not count). Below `spare_idle` the machine is saturated by others, and until the
    next look each unit of work is followed by a pause that keeps the loop at `share` of
    the time. Otherwise the loop runs flat out.
    """

    def __init__(
        self,
        *,
        share: float,
        probe_every: float = 0.5,
        probe_for: float = 0.05,
        spare_idle: float = 0.25,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        jiffies=cpu_jiffies,
    ):
        if not 0 < share <= 1:
            raise ValueError("share must be in (0, 1]")
        self.share = share
        self.probe_every, self.probe_for, self.spare_idle = probe_every, probe_for, spare_idle
        self._sleep, self._clock, self._jiffies = sleep, clock, jiffies
        self._looked_at: float | None = None
        self.saturated = False

    def pace(self, worked: float) -> None:
        """Call after each unit of work, with the seconds it took."""
        if self.share >= 1:
            return
        if self._looked_at is None or self._clock() - self._looked_at >= self.probe_every:
            idle = idle_share_while(lambda: self._sleep(self.probe_for), jiffies=self._jiffies)
            self.saturated = idle < self.spare_idle
            self._looked_at = self._clock()
        if self.saturated:
            self._sleep(worked * (1 - self.share) / self.share)
