"""The arithmetic behind the sitrep's ranges, with no database: each function takes counts
and returns a figure with the interval the method allows. docs/subsystems/estimates.md
explains each one and when it misleads."""

from __future__ import annotations

import math
from dataclasses import dataclass

# Two-sided 95 %: the normal quantile.
Z_95 = 1.959963984540054
# Below this many persons on both lists, Chapman's estimate is biased beyond use
# (Robson and Regier 1964: m ≥ 7 keeps the bias small).
MIN_RELIABLE_OVERLAP = 7


@dataclass(frozen=True, slots=True)
class CaptureRecapture:
    """Two lists of one closed population: `n1` on the first, `n2` on the second, `m` on both."""

    n1: int
    n2: int
    m: int
    estimate: float
    variance: float
    interval: tuple[float, float]

    @property
    def seen(self) -> int:
        """Persons on at least one list."""
        return self.n1 + self.n2 - self.m

    @property
    def unseen(self) -> float:
        return max(0.0, self.estimate - self.seen)

    @property
    def unseen_interval(self) -> tuple[float, float]:
        low, high = self.interval
        return max(0.0, low - self.seen), max(0.0, high - self.seen)

    @property
    def reliable(self) -> bool:
        return self.m >= MIN_RELIABLE_OVERLAP


def chapman(*, n1: int, n2: int, m: int) -> CaptureRecapture:
    """Chapman's bias-corrected two-list estimate of a closed population, with a 95 %
    interval on the log scale of the unseen part (Chao 1987), so that the interval never
    goes below the persons actually seen and is skewed upwards as the estimate is.

    N = (n1 + 1)(n2 + 1) / (m + 1) − 1
    Var = (n1 + 1)(n2 + 1)(n1 − m)(n2 − m) / ((m + 1)² (m + 2))
    """
    if min(n1, n2, m) < 0 or m > min(n1, n2):
        raise ValueError("need 0 ≤ m ≤ min(n1, n2)")
    estimate = (n1 + 1) * (n2 + 1) / (m + 1) - 1
    variance = (n1 + 1) * (n2 + 1) * (n1 - m) * (n2 - m) / ((m + 1) ** 2 * (m + 2))
    seen = n1 + n2 - m
    unseen = estimate - seen
    if unseen <= 0 or variance <= 0:
        interval = (float(max(estimate, seen)), float(max(estimate, seen)))
    else:
        spread = math.exp(Z_95 * math.sqrt(math.log(1 + variance / unseen**2)))
        interval = (seen + unseen / spread, seen + unseen * spread)
    return CaptureRecapture(n1=n1, n2=n2, m=m, estimate=estimate, variance=variance, interval=interval)


def count_range(*, certain: int, uncertain: int, share: float) -> tuple[int, int]:
    """From the `certain` count up to it plus `share` of the `uncertain` ones (rounded half up)."""
    if not 0.0 <= share <= 1.0:
        raise ValueError("share must lie between 0 and 1")
    return certain, certain + math.floor(share * uncertain + 0.5)
