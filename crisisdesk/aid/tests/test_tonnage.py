"""Tonnage arithmetic (aid/tonnage.py), with its units and rounding stated:

- weights are kilograms in Decimal with three decimals (the gram); sums are exact;
- tonnes = kilograms / 1000, rounded half up to three decimals (the kilogram), once, on the
  total: rounded line values are never summed;
- what was delivered of a line is quantity − short − damaged + over, and its weight is the
  line's gross weight in proportion, rounded half up to the gram.

These are pure functions: the lines are unsaved `ManifestLine`s and no database is used."""

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crisisdesk.aid.models import Category, ManifestLine, Unit
from crisisdesk.aid.tonnage import (
    GRAM,
    LineFigures,
    delivered_quantity,
    delivered_weight,
    tonnes,
    totals_of,
)

D = Decimal


def _line(gross_weight_kg, *, category=Category.MEDICAL, quantity="1", pallets="0", volume_m3="0") -> ManifestLine:
    return ManifestLine(
        item="Test item",
        category=category,
        quantity=D(quantity),
        unit=Unit.BOX,
        gross_weight_kg=D(gross_weight_kg),
        pallets=D(pallets),
        volume_m3=D(volume_m3),
    )


def _figures(*weights, **kwargs) -> list[LineFigures]:
    return [LineFigures(line=_line(weight, **kwargs)) for weight in weights]


# --- tonnes: kilograms / 1000, half up at the kilogram ----------------------------------------


@pytest.mark.parametrize(
    ("kilograms", "expected"),
    [
        ("2345.5", "2.346"),  # exactly half a kilogram: up
        ("2345.4999", "2.345"),  # just under half: down
        ("2344.5", "2.345"),  # half up, not half to even (which would give 2.344)
        ("0.5", "0.001"),
        ("0.499", "0.000"),
        ("0", "0.000"),
        ("1000", "1.000"),
        ("999999999.999", "1000000.000"),
    ],
)
def test_tonnes_round_half_up_at_the_kilogram(kilograms, expected):
    result = tonnes(D(kilograms))
    assert result == D(expected)
    assert result.as_tuple().exponent == -3  # always shown with three decimals


def test_tonnes_accept_whole_kilograms_as_integers():
    assert tonnes(12500) == D("12.500")


# --- sums are exact -------------------------------------------------------------------------------


def test_a_tenth_and_two_tenths_of_a_kilogram_are_three_tenths_exactly():
    """The float sum 0.1 + 0.2 is 0.30000000000000004; Decimal sums of the cells are exact."""
    totals = totals_of(_figures("0.1", "0.2"))
    assert totals.total.dispatched_kg == D("0.3")
    assert totals.total.dispatched_kg == D("0.1") + D("0.2")


def test_a_thousand_one_gram_lines_weigh_one_kilogram():
    totals = totals_of(_figures(*["0.001"] * 1000))
    assert totals.total.lines == 1000
    assert totals.total.dispatched_kg == D("1.000")
    assert totals.total.dispatched_t == D("0.001")


def test_many_lines_of_tenths_add_up_exactly():
    weights = ["0.1", "0.2", "0.3"] * 3333 + ["0.4"]
    totals = totals_of(_figures(*weights))
    assert totals.total.dispatched_kg == D("1999.8") + D("0.4")
    assert totals.total.dispatched_t == tonnes(D("2000.2"))


def test_the_total_in_tonnes_is_the_sum_rounded_not_the_sum_of_rounded_lines():
    """Two lines of 1.5 kg are each 0.002 t when rounded alone (0.004 t summed), yet 3 kg is 0.003 t."""
    figures = _figures("1.5", "1.5")
    summed_rounded = sum((tonnes(figure.line.gross_weight_kg) for figure in figures), start=D("0"))

    totals = totals_of(figures)

    assert totals.total.dispatched_t == D("0.003")
    assert summed_rounded == D("0.004")
    assert totals.total.dispatched_t != summed_rounded


def test_lines_each_below_half_a_kilogram_still_add_up_to_tonnes():
    """Three lines of 0.4 kg round to 0.000 t each; together they are 1.2 kg, 0.001 t."""
    totals = totals_of(_figures("0.4", "0.4", "0.4"))
    assert totals.total.dispatched_t == D("0.001")
    assert all(tonnes(D("0.4")) == 0 for _ in range(3))


def test_totals_by_category_and_shipment():
    figures = [
        *_figures("2345.500", "1200.000", category=Category.MEDICAL, pallets="4", volume_m3="6.5"),
        *_figures("850.250", category=Category.FOOD, pallets="2", volume_m3="3.25"),
        *_figures("3100", category=Category.POWER, pallets="6"),
    ]
    totals = totals_of(figures)

    medical = totals.by_category[Category.MEDICAL]
    assert (medical.lines, medical.dispatched_kg, medical.dispatched_t) == (2, D("3545.5"), D("3.546"))
    assert totals.by_category[Category.FOOD].dispatched_t == D("0.850")
    assert totals.by_category[Category.POWER].dispatched_t == D("3.100")
    assert set(totals.by_category) == {Category.MEDICAL, Category.FOOD, Category.POWER}
    assert totals.total.dispatched_kg == D("7495.75")
    assert totals.total.dispatched_t == D("7.496")
    # pallets and volume are per line: 4 + 4 + 2 + 6, and 6.5 + 6.5 + 3.25 + 0
    assert (totals.total.pallets, totals.total.volume_m3) == (D("16"), D("16.25"))


def test_an_empty_manifest_weighs_nothing():
    totals = totals_of([])
    assert (totals.total.lines, totals.total.dispatched_t, totals.total.delivered_t) == (0, D("0.000"), D("0.000"))
    assert totals.by_category == {}


# --- what was delivered ----------------------------------------------------------------------------


def test_delivered_quantity_is_sent_less_short_and_damaged_plus_over():
    assert delivered_quantity(quantity=D("100"), short=D("7"), damaged=D("3"), over=D("2")) == D("92")


@pytest.mark.parametrize(
    ("gross", "quantity", "delivered", "expected"),
    [
        ("1000", "3", "1", "333.333"),  # 333.3333… to the gram
        ("1000", "3", "2", "666.667"),  # 666.6666… rounds up
        ("1", "3", "2", "0.667"),
        ("0.001", "2", "1", "0.001"),  # half a gram: up
        ("250.5", "100", "97", "242.985"),  # exact, nothing to round
        ("250.5", "100", "100", "250.5"),
        ("250.5", "100", "0", "0"),
        ("250.5", "100", "110", "275.55"),  # over: more weight than dispatched
    ],
)
def test_delivered_weight_is_pro_rata_to_the_gram(gross, quantity, delivered, expected):
    weight = delivered_weight(gross_weight_kg=D(gross), quantity=D(quantity), delivered=D(delivered))
    assert weight == D(expected)
    assert weight == weight.quantize(GRAM)


def test_a_line_of_zero_quantity_delivers_no_weight():
    assert delivered_weight(gross_weight_kg=D("10"), quantity=D("0"), delivered=D("0")) == 0


def test_short_damaged_and_over_are_weighed_like_the_delivered_part():
    figure = LineFigures(line=_line("480", quantity="240"), short=D("12"), damaged=D("4"), over=D("1"))
    totals = totals_of([figure]).total

    assert figure.delivered == D("225")
    assert (totals.short_kg, totals.damaged_kg, totals.over_kg) == (D("24"), D("8"), D("2"))
    assert totals.delivered_kg == D("450")
    assert totals.difference_kg == D("-30")
    assert totals.dispatched_kg == D("480")  # what was sent is kept beside what arrived


def test_thirds_of_a_line_still_reconcile_to_the_gram():
    """1 kg over 3 boxes, one short and one damaged: each third is 0.333 kg when rounded alone,
    which would leave 1 − 0.333 − 0.333 = 0.334 kg against a delivered third of 0.333 kg. The
    missing two thirds are weighed together (0.667 kg), so the parts add up."""
    figure = LineFigures(line=_line("1", quantity="3"), short=D("1"), damaged=D("1"))
    totals = totals_of([figure]).total

    assert totals.delivered_kg == D("0.333")
    assert totals.short_kg + totals.damaged_kg == D("0.667")
    assert totals.delivered_kg == totals.dispatched_kg - totals.short_kg - totals.damaged_kg + totals.over_kg


def test_a_line_wholly_lost_delivers_nothing_however_it_splits():
    figure = LineFigures(line=_line("0.001", quantity="2"), short=D("1"), damaged=D("1"))
    totals = totals_of([figure]).total
    assert totals.delivered_kg == 0
    assert totals.short_kg + totals.damaged_kg == D("0.001")


# --- properties --------------------------------------------------------------------------------

grams = st.integers(min_value=0, max_value=999_999_999_999).map(lambda g: D(g).scaleb(-3))
quantities = st.integers(min_value=1, max_value=10_000_000).map(lambda q: D(q).scaleb(-3))


@st.composite
def lines(draw, *, discrepancies: bool):
    quantity = draw(quantities)
    line = ManifestLine(
        item="x",
        category=draw(st.sampled_from(Category.values)),
        quantity=quantity,
        unit=Unit.PIECE,
        gross_weight_kg=draw(grams),
        pallets=D(draw(st.integers(min_value=0, max_value=9_999_999))).scaleb(-2),
        volume_m3=D(draw(st.integers(min_value=0, max_value=999_999_999))).scaleb(-3),
    )
    if not discrepancies:
        return LineFigures(line=line)
    # short + damaged never more than dispatched (discrepancy_add refuses it); over unbounded
    units = int(quantity * 1000)
    short = draw(st.integers(min_value=0, max_value=units))
    damaged = draw(st.integers(min_value=0, max_value=units - short))
    over = draw(st.integers(min_value=0, max_value=units * 3))
    return LineFigures(line=line, short=D(short).scaleb(-3), damaged=D(damaged).scaleb(-3), over=D(over).scaleb(-3))


@given(st.lists(lines(discrepancies=True), max_size=40))
@settings(max_examples=200, deadline=None)
def test_the_shipment_total_is_the_sum_of_its_category_totals(figures):
    totals = totals_of(figures)
    by_category = totals.by_category.values()

    for name in ("lines", "dispatched_kg", "delivered_kg", "pallets", "volume_m3", "short_kg", "damaged_kg", "over_kg"):
        assert getattr(totals.total, name) == sum((getattr(part, name) for part in by_category), start=0), name
    assert totals.total.dispatched_kg == sum((figure.line.gross_weight_kg for figure in figures), start=D("0"))


@given(st.lists(lines(discrepancies=False), max_size=40))
@settings(max_examples=200, deadline=None)
def test_without_discrepancies_delivered_is_dispatched(figures):
    totals = totals_of(figures)
    for part in (totals.total, *totals.by_category.values()):
        assert part.delivered_kg == part.dispatched_kg
        assert part.delivered_t == part.dispatched_t
        assert part.difference_kg == 0
        assert part.short_kg == part.damaged_kg == part.over_kg == 0


@given(st.lists(lines(discrepancies=True), max_size=40))
@settings(max_examples=300, deadline=None)
def test_delivered_differs_from_dispatched_by_exactly_the_discrepancies(figures):
    """Both figures are kept, and they reconcile to the gram: delivered = dispatched − short
    − damaged + over, per category and for the shipment."""
    totals = totals_of(figures)
    for part in (totals.total, *totals.by_category.values()):
        assert part.delivered_kg == part.dispatched_kg - part.short_kg - part.damaged_kg + part.over_kg
        assert part.delivered_kg >= 0
        for weight in (part.delivered_kg, part.short_kg, part.damaged_kg, part.over_kg):
            assert weight == weight.quantize(GRAM)


@given(lines(discrepancies=True))
@settings(max_examples=300, deadline=None)
def test_a_lines_delivered_weight_is_its_pro_rata_share_within_a_gram(figure):
    line = figure.line
    exact = line.gross_weight_kg * figure.delivered / line.quantity
    assert abs(totals_of([figure]).total.delivered_kg - exact) <= GRAM


@given(grams)
def test_tonnes_are_the_kilograms_within_half_a_kilogram(kilograms):
    assert abs(tonnes(kilograms) * 1000 - kilograms) <= D("0.5")


@given(grams, grams)
def test_tonnes_never_decrease_as_kilograms_grow(first, second):
    low, high = sorted((first, second))
    assert tonnes(low) <= tonnes(high)
