"""Server-side SVG charts for situation reports.

The site's Content Security Policy allows no inline styles or scripts, so a chart is plain SVG with
presentation attributes (fill, stroke, font-size) and CSS classes that app.css may restyle:

    sitrep-chart, sitrep-chart-stacked / -line / -bars    the <svg> root, by kind
    series-0, series-1, …                                 the marks of one series
    sitrep-chart-total, -value, -label, -tick, -grid,
    -axis, -legend, -other, -suppressed, -empty          the other parts

Right-to-left: the layout is computed left to right and mirrored, and the root carries `direction`.
A mirrored "start" anchor must mean "the right edge" and `direction="rtl"` says exactly that, so the
anchors hold in a browser (where the page's own dir would otherwise be inherited) and in WeasyPrint.

Every label is escaped here; the charts are returned as SafeString for templates and the PDF.
"""

import hashlib
import math
from collections.abc import Sequence

from django.utils.formats import number_format
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

__all__ = ["bar_list_chart", "count_label", "line_chart", "range_label", "stacked_bar_chart"]

VIEW_WIDTH = 640
FONT_FAMILY = "DejaVu Sans, Arial, sans-serif"
FONT_SIZE = 11
# Okabe–Ito: distinguishable with the common colour-vision deficiencies, and in greyscale print.
PALETTE = ("#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00", "#f0e442", "#555555")
OTHER_COLOUR = "#9e9e9e"
INK = "#222222"
GRID = "#dddddd"
# Cells below this are suppressed by the redaction step before they reach a chart (see sitrep_shape).
SUPPRESSION_THRESHOLD = 5
# DejaVu Sans averages a little under 0.6 em a glyph; layout only needs an estimate.
GLYPH_WIDTH_EM = 0.6


def count_label(value: int | None) -> str:
    """A count with thousands separators, or "<5" for a suppressed (None) count."""
    if value is None:
        return f"<{SUPPRESSION_THRESHOLD}"
    return number_format(value, force_grouping=True)


def range_label(low: int | None, high: int | None) -> str:
    """ "1,612–1,952"; a single figure when both ends agree."""
    if low == high:
        return count_label(low)
    return f"{count_label(low)}–{count_label(high)}"


def stacked_bar_chart(
    categories: list[str], series: list[tuple[str, list[int]]], *, title: str, rtl: bool = False
) -> SafeString:
    """One bar per category, one stacked segment per series, the bar's total above it.

    None values count as 0. Missing values (a series shorter than the categories) count as 0 too.
    """
    values = [[_as_int(v) for v in _padded(vals, len(categories))] for _, vals in series]
    totals = [sum(column) for column in zip(*values, strict=True)] if values else []
    chart_id = _chart_id("stacked", title, categories, series)
    if not categories or not series:
        return _empty_chart(chart_id=chart_id, kind="stacked", title=title, rtl=rtl)

    ticks = _round_ticks(max(totals))
    top, plot_height = 24, 200
    left = _axis_label_width(ticks) + 10
    right = 12
    plot_width = VIEW_WIDTH - left - right
    bottom = top + plot_height
    band = plot_width / len(categories)
    bar_width = min(band * 0.7, 48)
    scale = plot_height / ticks[-1]
    drawing = _Drawing(rtl=rtl)
    _y_axis(drawing, ticks, left=left, right=VIEW_WIDTH - right, bottom=bottom, scale=scale)
    _category_labels(drawing, categories, left=left, band=band, y=bottom + 15)

    total_font = min(FONT_SIZE, max(6, band / _width_of_chars(_longest(count_label(t) for t in totals), 1)))
    for index, category in enumerate(categories):
        x = left + index * band + (band - bar_width) / 2
        drawing.open_group("sitrep-chart-stack")
        y = bottom
        for series_index, (name, _) in enumerate(series):
            value = values[series_index][index]
            if value == 0:
                continue
            height = value * scale
            y -= height
            drawing.rect(
                x,
                y,
                bar_width,
                height,
                class_=f"sitrep-chart-bar series-{series_index}",
                fill=_colour(series_index),
                tooltip=f"{name}, {category}: {count_label(value)}",
            )
        drawing.text(
            x + bar_width / 2,
            y - 4,
            count_label(totals[index]),
            anchor="middle",
            class_="sitrep-chart-total",
            font_size=_number(total_font),
            font_weight="bold",
        )
        drawing.close_group()

    legend_height = _legend(drawing, [name for name, _ in series], left=left, width=plot_width, y=bottom + 30)
    series_totals = "; ".join(
        f"{name}: {count_label(sum(vals))}" for (name, _), vals in zip(series, values, strict=True)
    )
    per_category = "; ".join(f"{c}: {count_label(t)}" for c, t in zip(categories, totals, strict=True))
    description = gettext(
        "%(count)s bars, %(first)s to %(last)s. Totals: %(series_totals)s; all: %(total)s. Per bar: %(per_category)s."
    ) % {
        "count": len(categories),
        "first": categories[0],
        "last": categories[-1],
        "series_totals": series_totals,
        "total": count_label(sum(totals)),
        "per_category": per_category,
    }
    return _document(
        drawing,
        chart_id=chart_id,
        kind="stacked",
        title=title,
        description=description,
        height=bottom + 30 + legend_height + 8,
    )


def line_chart(
    x_labels: list[str], series: list[tuple[str, list[int]]], *, title: str, rtl: bool = False
) -> SafeString:
    """One line per series over the x labels, y ticks at round numbers (1, 2 or 5 × 10^k).

    A None value is unknown, not zero, so the line has a gap there rather than a dip.
    """
    values = [_padded(vals, len(x_labels)) for _, vals in series]
    known = [v for vals in values for v in vals if v is not None]
    chart_id = _chart_id("line", title, x_labels, series)
    if not x_labels or not known:
        return _empty_chart(chart_id=chart_id, kind="line", title=title, rtl=rtl)

    ticks = _round_ticks(max(known))
    top, plot_height = 16, 200
    left = _axis_label_width(ticks) + 10
    right = 12
    plot_width = VIEW_WIDTH - left - right
    bottom = top + plot_height
    band = plot_width / len(x_labels)
    scale = plot_height / ticks[-1]
    drawing = _Drawing(rtl=rtl)
    _y_axis(drawing, ticks, left=left, right=VIEW_WIDTH - right, bottom=bottom, scale=scale)
    _category_labels(drawing, x_labels, left=left, band=band, y=bottom + 15)

    for series_index, (name, _) in enumerate(series):
        colour = _colour(series_index)
        drawing.open_group(f"sitrep-chart-series series-{series_index}")
        points = [
            None if value is None else (left + (i + 0.5) * band, bottom - value * scale)
            for i, value in enumerate(values[series_index])
        ]
        for run in _runs_without_gaps(points):
            drawing.polyline(run, class_="sitrep-chart-line", fill="none", stroke=colour, stroke_width="2")
        for label, value, point in zip(x_labels, values[series_index], points, strict=True):
            if point is not None:
                drawing.circle(*point, 3, fill=colour, tooltip=f"{name}, {label}: {count_label(value)}")
        drawing.close_group()

    legend_height = _legend(drawing, [name for name, _ in series], left=left, width=plot_width, y=bottom + 30)
    movements = []
    for (name, _), vals in zip(series, values, strict=True):
        present = [v for v in vals if v is not None]
        if present:
            movements.append(
                gettext("%(series)s from %(first)s to %(last)s")
                % {"series": name, "first": count_label(present[0]), "last": count_label(present[-1])}
            )
    description = gettext("%(count)s points, %(first)s to %(last)s. %(movements)s.") % {
        "count": len(x_labels),
        "first": x_labels[0],
        "last": x_labels[-1],
        "movements": "; ".join(movements),
    }
    return _document(
        drawing,
        chart_id=chart_id,
        kind="line",
        title=title,
        description=description,
        height=bottom + 30 + legend_height + 8,
    )


def bar_list_chart(
    items: list[tuple[str, int | None]],
    *,
    title: str,
    rtl: bool = False,
    max_items: int = 12,
    other_label: str = "Other",
) -> SafeString:
    """Horizontal bars in the order given (callers pass largest first).

    A None value is a suppressed cell: an outlined, hatched bar labelled "<5". Items after the first
    `max_items` are summed into one final bar named `other_label`. When suppressed cells fall into
    it, its label is a range: each of them is somewhere between 0 and 4.
    """
    chart_id = _chart_id("bars", title, items, max_items, other_label)
    if not items:
        return _empty_chart(chart_id=chart_id, kind="bars", title=title, rtl=rtl)

    rows: list[tuple[str, int | None, str, str]] = [  # label, drawn length value, value label, class
        (label, value, count_label(value), "sitrep-chart-row") for label, value in items[:max_items]
    ]
    rest = items[max_items:]
    if rest:
        known_sum = sum(v for _, v in rest if v is not None)
        suppressed = sum(1 for _, v in rest if v is None)
        most = known_sum + suppressed * (SUPPRESSION_THRESHOLD - 1)
        rows.append((other_label, known_sum, range_label(known_sum, most), "sitrep-chart-row sitrep-chart-other"))

    row_height, bar_height, top = 22, 14, 6
    label_width = min(VIEW_WIDTH * 0.38, _width_of_chars(_longest(label for label, *_ in rows)) + 8)
    value_width = _width_of_chars(_longest(text for _, _, text, _ in rows)) + 8
    bar_left = label_width + 6
    bar_space = VIEW_WIDTH - bar_left - value_width - 6
    largest = max([v for _, v, *_ in rows if v is not None] + [SUPPRESSION_THRESHOLD])
    scale = bar_space / largest
    drawing = _Drawing(rtl=rtl)
    pattern_id = f"{chart_id}-hatch"
    if any(v is None for _, v, *_ in rows):
        drawing.raw(
            f'<defs><pattern id="{pattern_id}" width="6" height="6" patternUnits="userSpaceOnUse"'
            f' patternTransform="rotate(45)"><line x1="0" y1="0" x2="0" y2="6" stroke="{OTHER_COLOUR}"'
            ' stroke-width="2"/></pattern></defs>'
        )
    max_label_chars = max(4, int((label_width - 8) / _width_of_chars(1)))
    for index, (label, value, value_text, row_class) in enumerate(rows):
        y = top + index * row_height
        is_other = "sitrep-chart-other" in row_class
        drawing.open_group(row_class, tooltip=f"{label}: {value_text}")
        drawing.text(
            label_width,
            y + bar_height - 3,
            _shortened(label, max_label_chars),
            anchor="end",
            class_="sitrep-chart-label",
        )
        if value is None:
            width = max(8, SUPPRESSION_THRESHOLD * scale)
            drawing.rect(
                bar_left,
                y,
                width,
                bar_height,
                class_="sitrep-chart-bar sitrep-chart-suppressed",
                fill=f"url(#{pattern_id})",
                stroke=OTHER_COLOUR,
                stroke_dasharray="3 2",
            )
        else:
            width = value * scale
            if value > 0:
                drawing.rect(
                    bar_left,
                    y,
                    width,
                    bar_height,
                    class_="sitrep-chart-bar series-other" if is_other else "sitrep-chart-bar series-0",
                    fill=OTHER_COLOUR if is_other else _colour(0),
                )
        drawing.text(bar_left + width + 4, y + bar_height - 3, value_text, anchor="start", class_="sitrep-chart-value")
        drawing.close_group()

    description = "; ".join(f"{label}: {value_text}" for label, _, value_text, _ in rows) + "."
    return _document(
        drawing,
        chart_id=chart_id,
        kind="bars",
        title=title,
        description=description,
        height=top * 2 + len(rows) * row_height,
    )


class _Drawing:
    """SVG fragments laid out left to right, mirrored on output when right-to-left."""

    def __init__(self, *, rtl: bool):
        self.rtl = rtl
        self.parts: list[str] = []

    def _x(self, x: float, width: float = 0) -> float:
        return VIEW_WIDTH - x - width if self.rtl else x

    def raw(self, markup: str) -> None:
        self.parts.append(markup)

    def open_group(self, class_: str, *, tooltip: str | None = None) -> None:
        self.parts.append(f'<g class="{escape(class_)}">{_tooltip(tooltip)}')

    def close_group(self) -> None:
        self.parts.append("</g>")

    def rect(self, x: float, y: float, width: float, height: float, *, tooltip: str | None = None, **attrs) -> None:
        geometry = {"x": self._x(x, width), "y": y, "width": width, "height": height}
        self._element("rect", geometry | attrs, _tooltip(tooltip))

    def line(self, x1: float, y1: float, x2: float, y2: float, **attrs) -> None:
        self._element("line", {"x1": self._x(x1), "y1": y1, "x2": self._x(x2), "y2": y2} | attrs)

    def circle(self, cx: float, cy: float, r: float, *, tooltip: str | None = None, **attrs) -> None:
        self._element("circle", {"cx": self._x(cx), "cy": cy, "r": r} | attrs, _tooltip(tooltip))

    def polyline(self, points: Sequence[tuple[float, float]], **attrs) -> None:
        coordinates = " ".join(f"{_number(self._x(x))},{_number(y)}" for x, y in points)
        self._element("polyline", {"points": coordinates} | attrs)

    def text(self, x: float, y: float, content: str, *, anchor: str, **attrs) -> None:
        # "start"/"end" are relative to the direction set on the root, which mirrors with the layout.
        self._element("text", {"x": self._x(x), "y": y, "text_anchor": anchor} | attrs, escape(content))

    def _element(self, tag: str, attrs: dict, content: str = "") -> None:
        rendered = " ".join(
            f'{name.rstrip("_").replace("_", "-")}="{_number(value) if isinstance(value, float | int) else escape(value)}"'
            for name, value in attrs.items()
        )
        self.parts.append(f"<{tag} {rendered}>{content}</{tag}>" if content else f"<{tag} {rendered}/>")


def _document(
    drawing: _Drawing, *, chart_id: str, kind: str, title: str, description: str, height: float
) -> SafeString:
    direction = "rtl" if drawing.rtl else "ltr"
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="sitrep-chart sitrep-chart-{kind}"'
        f' viewBox="0 0 {VIEW_WIDTH} {_number(math.ceil(height))}" width="100%" role="img"'
        f' aria-labelledby="{chart_id}-title {chart_id}-desc" direction="{direction}"'
        f' font-family="{FONT_FAMILY}" font-size="{FONT_SIZE}" fill="{INK}">'
        f'<title id="{chart_id}-title">{escape(title)}</title>'
        f'<desc id="{chart_id}-desc">{escape(description)}</desc>'
        f"{''.join(drawing.parts)}</svg>"
    )
    return mark_safe(svg)  # noqa: S308 - every label and attribute value above went through escape()


def _empty_chart(*, chart_id: str, kind: str, title: str, rtl: bool) -> SafeString:
    drawing = _Drawing(rtl=rtl)
    drawing.rect(0.5, 0.5, VIEW_WIDTH - 1, 79, class_="sitrep-chart-empty", fill="none", stroke=GRID)
    drawing.text(VIEW_WIDTH / 2, 45, gettext("No data"), anchor="middle", class_="sitrep-chart-empty", fill="#666666")
    return _document(drawing, chart_id=chart_id, kind=kind, title=title, description=gettext("No data."), height=80)


def _y_axis(drawing: _Drawing, ticks: list[int], *, left: float, right: float, bottom: float, scale: float) -> None:
    for tick in ticks:
        y = bottom - tick * scale
        if tick:
            drawing.line(left, y, right, y, class_="sitrep-chart-grid", stroke=GRID)
        drawing.text(left - 6, y + 4, count_label(tick), anchor="end", class_="sitrep-chart-tick", fill="#555555")
    drawing.line(left, bottom, right, bottom, class_="sitrep-chart-axis", stroke=INK)


def _category_labels(drawing: _Drawing, labels: list[str], *, left: float, band: float, y: float) -> None:
    # Show every n-th label when they would overlap; the <desc> and tooltips still name them all.
    step = max(1, math.ceil((_width_of_chars(_longest(labels)) + 6) / band))
    for index in range(0, len(labels), step):
        drawing.text(left + (index + 0.5) * band, y, labels[index], anchor="middle", class_="sitrep-chart-label")


def _legend(drawing: _Drawing, names: list[str], *, left: float, width: float, y: float) -> float:
    """Draw the legend in rows that wrap at `width`; return the height it took."""
    x, row = left, 0
    drawing.open_group("sitrep-chart-legend")
    for index, name in enumerate(names):
        item_width = 10 + 4 + _width_of_chars(len(name)) + 14
        if x > left and x + item_width > left + width:
            x, row = left, row + 1
        top = y + row * 16
        drawing.rect(x, top, 10, 10, class_=f"series-{index}", fill=_colour(index))
        drawing.text(x + 14, top + 9, name, anchor="start")
        x += item_width
    drawing.close_group()
    return (row + 1) * 16


def _round_ticks(largest: int, *, target: int = 5) -> list[int]:
    """0 up to the first round number at or above `largest`, in steps of 1, 2 or 5 × 10^k."""
    if largest <= 0:
        return [0, 1]
    rough = largest / target
    magnitude = 10 ** max(0, math.floor(math.log10(rough))) if rough >= 1 else 1
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= rough)
    return list(range(0, math.ceil(largest / step) * step + 1, step))


def _runs_without_gaps(points: list[tuple[float, float] | None]) -> list[list[tuple[float, float]]]:
    runs: list[list[tuple[float, float]]] = [[]]
    for point in points:
        if point is None:
            runs.append([])
        else:
            runs[-1].append(point)
    return [run for run in runs if len(run) > 1]


def _axis_label_width(ticks: list[int]) -> float:
    return _width_of_chars(len(count_label(ticks[-1])))


def _width_of_chars(count: int, font_size: float = FONT_SIZE) -> float:
    return count * font_size * GLYPH_WIDTH_EM


def _longest(texts) -> int:
    return max((len(t) for t in texts), default=0)


def _shortened(text: str, max_chars: int) -> str:
    return text if len(text) <= max_chars else text[: max_chars - 1].rstrip() + "…"


def _padded(values: Sequence[int | None], length: int) -> list[int | None]:
    return [*values[:length], *[None] * (length - len(values))]


def _as_int(value: int | None) -> int:
    return 0 if value is None else int(value)


def _colour(index: int) -> str:
    return PALETTE[index % len(PALETTE)]


def _number(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".") if isinstance(value, float) else str(value)


def _tooltip(text: str | None) -> str:
    return f"<title>{escape(text)}</title>" if text else ""


def _chart_id(kind: str, *data) -> str:
    # Derived from the content, so a page gets stable ids and two different charts never share one.
    digest = hashlib.blake2s(repr((kind, data)).encode(), digest_size=5).hexdigest()
    return f"sitrep-chart-{digest}"
