"""The SVG charts: well-formed, proportional, escaped, CSP-clean, and mirrored for right-to-left."""

import xml.etree.ElementTree as ET

import pytest
from django.utils.safestring import SafeString

from crisisdesk.sitrep.charts import bar_list_chart, count_label, line_chart, range_label, stacked_bar_chart

SVG = "{http://www.w3.org/2000/svg}"
HOSTILE = "<script>alert(1)</script>"


def parsed(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # noqa: S314 - our own output, parsed to check it


def with_class(root: ET.Element, tag: str, css_class: str) -> list[ET.Element]:
    return [e for e in root.iter(f"{SVG}{tag}") if css_class in e.get("class", "").split()]


def texts(root: ET.Element, css_class: str) -> list[str]:
    return [e.text for e in with_class(root, "text", css_class)]


def stacks(root: ET.Element) -> list[ET.Element]:
    return with_class(root, "g", "sitrep-chart-stack")


def every_chart(label: str = "Kyiv", *, rtl: bool = False) -> list[str]:
    return [
        stacked_bar_chart([label, "b"], [(label, [1, 2])], title=label, rtl=rtl),
        line_chart([label, "b"], [(label, [1, 2])], title=label, rtl=rtl),
        bar_list_chart([(label, 3), ("b", None)], title=label, rtl=rtl),
    ]


def test_count_and_range_labels_group_thousands_and_suppress():
    assert count_label(1612) == "1,612"
    assert count_label(None) == "<5"
    assert range_label(1612, 1952) == "1,612–1,952"
    assert range_label(700, 700) == "700"


def test_every_chart_is_well_formed_accessible_svg_for_templates():
    for svg in every_chart():
        assert isinstance(svg, SafeString)
        root = parsed(svg)
        assert root.tag == f"{SVG}svg"
        assert root.get("role") == "img"
        assert root.get("width") == "100%"
        assert root.get("viewBox").startswith("0 0 640 ")
        title_id, desc_id = root.get("aria-labelledby").split()
        assert root.find(f"{SVG}title").get("id") == title_id
        assert root.find(f"{SVG}desc").get("id") == desc_id
        assert "sitrep-chart" in root.get("class").split()


def test_no_inline_style_anywhere_so_the_csp_holds():
    for svg in [*every_chart(), *every_chart(rtl=True), stacked_bar_chart([], [], title="empty")]:
        root = parsed(svg)
        assert not list(root.iter(f"{SVG}style"))
        assert all("style" not in element.attrib for element in root.iter())
        assert not list(root.iter(f"{SVG}script"))


def test_labels_are_escaped():
    for svg in every_chart(HOSTILE):
        assert "<script>" not in svg
        assert "&lt;script&gt;" in svg
        root = parsed(svg)
        assert root.find(f"{SVG}title").text == HOSTILE  # escaped in the markup, intact as text


def test_stacked_bar_heights_are_proportional_and_totals_shown():
    svg = stacked_bar_chart(
        ["25 Feb", "26 Feb", "27 Feb"],
        [("Identified", [300, 600, 1200]), ("Tallied", [60, 0, 400])],
        title="Crossings per day",
    )
    root = parsed(svg)
    first, second, third = stacks(root)
    identified = [float(with_class(g, "rect", "series-0")[0].get("height")) for g in (first, second, third)]
    assert identified[1] == pytest.approx(2 * identified[0])
    assert identified[2] == pytest.approx(4 * identified[0])
    tallied_third = float(with_class(third, "rect", "series-1")[0].get("height"))
    assert tallied_third / identified[2] == pytest.approx(400 / 1200)
    assert not with_class(second, "rect", "series-1")  # a zero draws no segment
    assert texts(root, "sitrep-chart-total") == ["360", "600", "1,600"]
    legend = [t.text for t in with_class(root, "g", "sitrep-chart-legend")[0].iter(f"{SVG}text")]
    assert legend == ["Identified", "Tallied"]
    assert "1,600" in root.find(f"{SVG}desc").text


def test_stacked_bar_none_counts_as_zero_and_all_zero_is_drawn():
    root = parsed(stacked_bar_chart(["a", "b"], [("x", [None, 5]), ("y", [2])], title="t"))
    assert texts(root, "sitrep-chart-total") == ["2", "5"]
    zeros = parsed(stacked_bar_chart(["a", "b"], [("x", [0, 0])], title="t"))
    assert texts(zeros, "sitrep-chart-total") == ["0", "0"]
    assert not with_class(zeros, "rect", "sitrep-chart-bar")


@pytest.mark.parametrize(
    "chart",
    [
        lambda: stacked_bar_chart([], [], title="Crossings"),
        lambda: stacked_bar_chart(["a"], [], title="Crossings"),
        lambda: line_chart([], [("Registered", [])], title="Status"),
        lambda: line_chart(["a", "b"], [("Registered", [None, None])], title="Status"),
        lambda: bar_list_chart([], title="Regions"),
    ],
)
def test_empty_data_renders_a_no_data_chart(chart):
    root = parsed(chart())
    assert "No data" in texts(root, "sitrep-chart-empty")
    assert root.find(f"{SVG}title").text in {"Crossings", "Status", "Regions"}


def test_rtl_mirrors_categories_right_to_left():
    categories, series = ["first", "second", "third"], [("Identified", [1, 2, 3])]
    ltr = [
        float(with_class(g, "rect", "series-0")[0].get("x"))
        for g in stacks(parsed(stacked_bar_chart(categories, series, title="t")))
    ]
    rtl_root = parsed(stacked_bar_chart(categories, series, title="t", rtl=True))
    rtl = [float(with_class(g, "rect", "series-0")[0].get("x")) for g in stacks(rtl_root)]
    assert ltr == sorted(ltr)
    assert rtl == sorted(rtl, reverse=True)
    bar_width = float(with_class(rtl_root, "rect", "series-0")[0].get("width"))
    assert [640 - x - bar_width for x in rtl] == pytest.approx(ltr)
    assert rtl_root.get("direction") == "rtl"


def test_rtl_puts_the_y_axis_on_the_right_and_anchors_toward_the_plot():
    ltr = parsed(line_chart(["a", "b"], [("Registered", [10, 20])], title="t"))
    rtl = parsed(line_chart(["a", "b"], [("Registered", [10, 20])], title="t", rtl=True))
    ltr_ticks = with_class(ltr, "text", "sitrep-chart-tick")
    rtl_ticks = with_class(rtl, "text", "sitrep-chart-tick")
    assert all(float(t.get("x")) < 100 for t in ltr_ticks)
    assert all(float(t.get("x")) > 540 for t in rtl_ticks)
    # "end" under direction=ltr is the right edge, under direction=rtl the left: both face the plot.
    assert {t.get("text-anchor") for t in ltr_ticks + rtl_ticks} == {"end"}
    assert (ltr.get("direction"), rtl.get("direction")) == ("ltr", "rtl")


def test_rtl_bar_list_has_labels_on_the_right_and_bars_growing_left():
    root = parsed(bar_list_chart([("קייב", 2100), ("לבוב", 900)], title="אזורים", rtl=True))
    labels = with_class(root, "text", "sitrep-chart-label")
    bars = with_class(root, "rect", "series-0")
    assert [label.text for label in labels] == ["קייב", "לבוב"]
    assert all(float(label.get("x")) > 320 for label in labels)
    right_edges = [float(b.get("x")) + float(b.get("width")) for b in bars]
    assert right_edges[0] == pytest.approx(right_edges[1])  # bars start from the same edge, at the right
    assert float(bars[0].get("x")) < float(bars[1].get("x"))  # the larger one reaches further left


def test_line_chart_ticks_are_round_numbers():
    for largest, expected in [(1612, [0, 500, 1000, 1500, 2000]), (7, [0, 2, 4, 6, 8]), (3, [0, 1, 2, 3])]:
        root = parsed(line_chart(["a", "b"], [("Registered", [0, largest])], title="t"))
        assert texts(root, "sitrep-chart-tick") == [count_label(t) for t in expected]


def test_line_chart_points_are_proportional_and_none_leaves_a_gap():
    root = parsed(line_chart(["a", "b", "c", "d"], [("Inside", [100, 200, None, 400])], title="t"))
    lines = with_class(root, "polyline", "sitrep-chart-line")
    assert len(lines) == 1  # a-b; d alone is a point, not a line through the unknown c
    circles = list(root.iter(f"{SVG}circle"))
    assert len(circles) == 3
    baseline = float(with_class(root, "line", "sitrep-chart-axis")[0].get("y1"))
    heights = [baseline - float(c.get("cy")) for c in circles]
    assert heights[1] == pytest.approx(2 * heights[0])
    assert heights[2] == pytest.approx(4 * heights[0])
    assert "Inside from 100 to 400" in root.find(f"{SVG}desc").text


def test_bar_list_lengths_are_proportional_and_suppressed_is_hatched():
    root = parsed(bar_list_chart([("Kyiv", 2100), ("Lviv", 700), ("Uzhhorod", None)], title="Regions"))
    widths = [float(b.get("width")) for b in with_class(root, "rect", "series-0")]
    assert widths[0] == pytest.approx(3 * widths[1])
    (suppressed,) = with_class(root, "rect", "sitrep-chart-suppressed")
    assert suppressed.get("fill").startswith("url(#")
    assert texts(root, "sitrep-chart-value") == ["2,100", "700", "<5"]
    assert root.find(f"{SVG}defs/{SVG}pattern") is not None


def test_bar_list_sums_the_items_beyond_max_items_into_other():
    items = [(f"Region {i}", 100 - i) for i in range(20)]
    root = parsed(bar_list_chart(items, title="Regions", max_items=12, other_label="Other regions"))
    labels = texts(root, "sitrep-chart-label")
    assert len(labels) == 13
    assert labels[-1] == "Other regions"
    assert texts(root, "sitrep-chart-value")[-1] == count_label(sum(100 - i for i in range(12, 20)))
    (other,) = with_class(root, "g", "sitrep-chart-other")
    assert other.find(f"{SVG}rect").get("class") == "sitrep-chart-bar series-other"


def test_bar_list_other_with_suppressed_cells_is_a_range():
    items = [("Kyiv", 2100), ("Lviv", 10), ("Volyn", None), ("Rivne", None)]
    root = parsed(bar_list_chart(items, title="Regions", max_items=1))
    assert texts(root, "sitrep-chart-value") == ["2,100", "10–18"]


def test_long_labels_are_shortened_but_named_in_full_in_the_tooltip():
    label = "Autonomous Republic of Crimea and the city of Sevastopol, temporarily occupied"
    root = parsed(bar_list_chart([(label, 10)], title="Regions"))
    shown = texts(root, "sitrep-chart-label")[0]
    assert shown.endswith("…")
    assert len(shown) < len(label)
    assert with_class(root, "g", "sitrep-chart-row")[0].find(f"{SVG}title").text == f"{label}: 10"


def test_ids_differ_between_charts_and_repeat_for_the_same_chart():
    one = parsed(bar_list_chart([("a", 1)], title="A")).get("aria-labelledby")
    again = parsed(bar_list_chart([("a", 1)], title="A")).get("aria-labelledby")
    other = parsed(bar_list_chart([("a", 2)], title="A")).get("aria-labelledby")
    assert one == again
    assert one != other
