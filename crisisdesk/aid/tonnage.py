"""Weights and tonnage, stated once.

- Weights are kilograms in `Decimal` with three decimals (the gram). Sums are exact.
- A total is converted to tonnes once, at the end (1 t = 1,000 kg), and rounded half up to
  three decimals, the kilogram: 2,345.5 kg is 2.346 t. Rounded line values are never summed.
- What was delivered of a line is what was sent, less what was short or damaged, plus what
  came over: quantity − short − damaged + over. What was missing (short and damaged together)
  and what came over are each weighed as the line's gross weight in proportion to their
  quantity, rounded half up to the gram; the short part is weighed so too and the damaged
  part is the rest of the missing weight. The delivered weight is the gross weight less the
  missing weight plus the over weight: within a gram of its pro-rata share, and
  delivered = dispatched − short − damaged + over holds to the gram in every total (rounding
  each part on its own would let them drift apart by a gram a line).
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

GRAM = Decimal("0.001")
KILOGRAM_IN_TONNES = Decimal("0.001")
ZERO = Decimal("0")


def tonnes(kilograms: Decimal) -> Decimal:
    return (Decimal(kilograms) / 1000).quantize(KILOGRAM_IN_TONNES, rounding=ROUND_HALF_UP)


def delivered_quantity(*, quantity: Decimal, short: Decimal, damaged: Decimal, over: Decimal) -> Decimal:
    return quantity - short - damaged + over


def delivered_weight(*, gross_weight_kg: Decimal, quantity: Decimal, delivered: Decimal) -> Decimal:
    if quantity == 0:
        return ZERO
    return (gross_weight_kg * delivered / quantity).quantize(GRAM, rounding=ROUND_HALF_UP)


@dataclass(slots=True)
class Totals:
    """What a shipment (or a category of it) weighs, as dispatched and as delivered."""

    lines: int = 0
    dispatched_kg: Decimal = ZERO
    delivered_kg: Decimal = ZERO
    pallets: Decimal = ZERO
    volume_m3: Decimal = ZERO
    short_kg: Decimal = ZERO
    damaged_kg: Decimal = ZERO
    over_kg: Decimal = ZERO

    @property
    def dispatched_t(self) -> Decimal:
        return tonnes(self.dispatched_kg)

    @property
    def delivered_t(self) -> Decimal:
        return tonnes(self.delivered_kg)

    @property
    def difference_kg(self) -> Decimal:
        return self.delivered_kg - self.dispatched_kg


@dataclass(slots=True)
class LineFigures:
    """One manifest line with what came of it."""

    line: object
    short: Decimal = ZERO
    damaged: Decimal = ZERO
    over: Decimal = ZERO

    @property
    def delivered(self) -> Decimal:
        return delivered_quantity(quantity=self.line.quantity, short=self.short, damaged=self.damaged, over=self.over)

    def weight_of(self, quantity: Decimal) -> Decimal:
        return delivered_weight(
            gross_weight_kg=self.line.gross_weight_kg, quantity=self.line.quantity, delivered=quantity
        )

    @property
    def missing_kg(self) -> Decimal:
        return self.weight_of(self.short + self.damaged)

    @property
    def short_kg(self) -> Decimal:
        return self.weight_of(self.short)

    @property
    def damaged_kg(self) -> Decimal:
        return self.missing_kg - self.short_kg

    @property
    def over_kg(self) -> Decimal:
        return self.weight_of(self.over)

    @property
    def delivered_kg(self) -> Decimal:
        # Derived from the parts, so that the totals reconcile exactly (module docstring).
        return self.line.gross_weight_kg - self.missing_kg + self.over_kg


@dataclass(slots=True)
class ShipmentTotals:
    total: Totals = field(default_factory=Totals)
    by_category: dict[str, Totals] = field(default_factory=dict)


def totals_of(figures: Iterable[LineFigures]) -> ShipmentTotals:
    result = ShipmentTotals()
    for figure in figures:
        line = figure.line
        for totals in (result.total, result.by_category.setdefault(line.category, Totals())):
            totals.lines += 1
            totals.dispatched_kg += line.gross_weight_kg
            totals.delivered_kg += figure.delivered_kg
            totals.pallets += line.pallets
            totals.volume_m3 += line.volume_m3
            totals.short_kg += figure.short_kg
            totals.damaged_kg += figure.damaged_kg
            totals.over_kg += figure.over_kg
    return result
