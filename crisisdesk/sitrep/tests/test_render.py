"""The report as Markdown and as PDF: the figures and ranges, redacted reports, escaping, Hebrew,
and a PDF render that fetches nothing."""

import copy
import io
import re
import socket

import pytest
from pypdf import PdfReader

from crisisdesk.sitrep.render import data_only_url_fetcher, report_charts, report_markdown, report_pdf

HOSTILE_IMAGE = '<img src="http://example.com/x.png">'


def report_dict(**overrides) -> dict:
    """A report in the shape figures.py and report.py produce (sitrep_shape.md), kept small."""
    days = ["2022-02-25", "2022-02-26", "2022-02-27"]
    points = [("medyka", "Shehyni – Medyka"), ("ravaruska", "Rava-Ruska – Hrebenne")]
    report = {
        "schema": 1,
        "as_of": "2022-02-27T18:00:00+00:00",
        "generated_at": "2022-02-27T18:05:00+00:00",
        "audience": "internal",
        "language": "en",
        "title": "Situation report",
        "snapshot": {"number": 8, "state": "cleared", "cleared_by": "consul", "previous_number": 7},
        "changes": [
            {"key": "crossed.identified", "label": "Crossed (identified)", "before": 1200, "after": 1612, "delta": 412},
            {"key": "remaining.estimate", "label": "Still in the country", "before": 6100, "after": 6050, "delta": -50},
        ],
        "headline": [
            {"key": "crossed", "label": "Crossed", "value": 1612, "range": [1612, 1952], "method": "…"},
            {"key": "remaining", "label": "Still in the country", "value": 6050, "range": [5800, 6600], "method": "…"},
            {"key": "intent_stay", "label": "Want to stay", "value": 700, "range": [700, 1900], "method": "…"},
        ],
        "registry": {
            "registered": 8000,
            "households": 3100,
            "vulnerable": 410,
            "contact_stale": 5200,
            "contact_stale_hours": 48,
            "by_status": [{"code": "registered", "label": "Registered", "count": 5000}],
            "by_region": [
                {"code": "UA-30", "label": "Kyiv", "count": 2100},
                {"code": "UA-46", "label": "Lviv", "count": 900},
                {"code": "UA-07", "label": "Volyn", "count": None},
            ],
            "by_intent": [{"code": "leave", "label": "Wants to leave", "count": 3000}],
            "by_citizenship": [{"code": "IL", "label": "Israel", "count": 8000}],
            "dual": [{"codes": "IL+UA", "label": "Israel + Ukraine", "count": 2500}],
            "risk_groups": [{"code": "conscription-risk", "label": "May be stopped at exit", "count": 900}],
        },
        "crossed": {
            "identified": 1612,
            "tallied": 300,
            "self_reported": 40,
            "partner": 1900,
            "returned": 12,
            "range": [1612, 1952],
            "last_24h": {"identified": 400, "tallied": 90, "range": [400, 490]},
            "last_72h": {"identified": 1500, "tallied": 280, "range": [1500, 1780]},
            "per_point_day": [
                {"point": code, "point_label": label, "day": day, "identified": 100 * (p + 1) + d, "tallied": 10 * d}
                for p, (code, label) in enumerate(points)
                for d, day in enumerate(days)
            ],
            "days": days,
        },
        "remaining": {
            "estimate": 6050,
            "range": [5800, 6600],
            "registered_not_departed": 5400,
            "capture_recapture": {
                "n1": 7800,
                "n2": 1500,
                "m": 1300,
                "chapman": 8999.3,
                "interval": [8700.1, 9300.8],
                "unregistered": 650,
                "reliable": True,
            },
        },
        "intent": {
            "leave": 3000,
            "stay": 700,
            "undecided": 900,
            "unknown": 800,
            "stay_range": [700, 1550],
            "undecided_share": 0.5,
            "population": 5400,
        },
        "status_over_time": [
            {"day": day, "registered": 7000 + 500 * i, "crossed": 100 + 700 * i, "inside": 6900 - 200 * i}
            for i, day in enumerate(days)
        ],
        "posture": {
            "posts": [{"name": "Forward team", "city": "Przemyśl", "kind_label": "Forward team", "on_shift": 3}],
            "points": [
                {
                    "code": "medyka",
                    "label": "Shehyni – Medyka",
                    "status_label": "Open",
                    "covered_24h": True,
                    "wait_minutes": 240,
                }
            ],
            "open_conflicts": 2,
        },
        "sections": [
            {"key": "diplomacy", "title": "Channel activity", "rows": [{"label": "Contacts logged (24 h)", "value": 4}]}
        ],
        "methods": [
            {
                "key": "crossed",
                "title": "How many crossed",
                "text": "The low end counts identified crossings.",
                "assumptions": ["A bus may be counted twice."],
            },
            {
                "key": "remaining",
                "title": "How many are still inside",
                "text": "Chapman's estimate from two lists.",
                "assumptions": ["The population is closed."],
            },
            {
                "key": "intent_stay",
                "title": "How many want to stay",
                "text": "Declared intent.",
                "assumptions": ["Intent changes quickly in a war."],
            },
        ],
    }
    report.update(overrides)
    return report


def public_report() -> dict:
    """What redaction leaves for the public: by_region with small cells suppressed, no posture."""
    return report_dict(
        audience="public",
        snapshot=None,
        changes=[],
        registry={
            "registered": 8000,
            "by_region": [
                {"code": "UA-30", "label": "Kyiv", "count": 2100},
                {"code": "UA-07", "label": "Volyn", "count": None},
            ],
        },
        posture=None,
        sections=[],
    )


def pdf_text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def table_rows(markdown: str, first_cell: str) -> list[list[str]]:
    """The cells of the table rows that start with `first_cell`, split on unescaped pipes."""
    rows = [line for line in markdown.splitlines() if line.startswith(f"| {first_cell}")]
    return [[cell.strip() for cell in re.split(r"(?<!\\)\|", row)[1:-1]] for row in rows]


# Markdown


def test_markdown_has_the_headline_answers_with_their_ranges():
    markdown = report_markdown(report_dict())
    assert markdown.startswith("# Situation report #8\n")
    assert "- **Crossed:** 1,612 (range 1,612–1,952)" in markdown
    assert "- **Still in the country:** 6,050 (range 5,800–6,600)" in markdown
    assert "- **Want to stay:** 700 (range 700–1,900)" in markdown
    assert "27 February 2022, 18:00 UTC" in markdown
    assert "Internal" in markdown


def test_markdown_has_the_changes_since_the_previous_snapshot():
    markdown = report_markdown(report_dict())
    assert "## Changes since sitrep #7" in markdown
    assert "- +412 Crossed (identified) since sitrep #7 (was 1,200)" in markdown
    assert "- −50 Still in the country since sitrep #7 (was 6,100)" in markdown


def test_markdown_tables_for_crossings_registry_and_capture_recapture():
    markdown = report_markdown(report_dict())
    assert "| Point | 25 Feb | 26 Feb | 27 Feb | Total |" in markdown
    assert table_rows(markdown, "Shehyni")[0] == ["Shehyni – Medyka", "100 + 0", "101 + 10", "102 + 20", "303 + 30"]
    assert table_rows(markdown, "All points") == [["All points", "300 + 0", "302 + 20", "304 + 40", "906 + 60"]]
    assert table_rows(markdown, "Kyiv") == [["Kyiv", "2,100"]]
    assert table_rows(markdown, "Chapman estimate") == [["Chapman estimate", "8,999"]]
    assert table_rows(markdown, "95% interval") == [["95% interval", "8,700–9,301"]]
    assert table_rows(markdown, "Forward team") == [["Forward team", "Przemyśl", "Forward team", "3"]]
    assert "- Contacts logged (24 h): 4" in markdown  # a contributed section


def test_markdown_methods_list_each_method_with_its_assumptions():
    markdown = report_markdown(report_dict())
    methods = markdown[markdown.index("## Methods") :]
    for title, assumption in [
        ("How many crossed", "A bus may be counted twice."),
        ("How many are still inside", "The population is closed."),
        ("How many want to stay", "Intent changes quickly in a war."),
    ]:
        assert f"### {title}" in methods
        assert f"- {assumption}" in methods


def test_markdown_copes_with_a_public_report_and_suppressed_counts():
    markdown = report_markdown(public_report())
    assert table_rows(markdown, "Volyn") == [["Volyn", "<5"]]
    assert "Changes since" not in markdown
    assert "Posture" not in markdown
    assert "Households" not in markdown
    assert "- Registered: 8,000" in markdown


def test_markdown_copes_with_none_sections_and_empty_lists():
    report = report_dict(
        registry=None, posture=None, snapshot=None, changes=[], sections=[], status_over_time=[], methods=[]
    )
    report["crossed"]["per_point_day"] = []
    report["headline"][2]["value"] = None
    markdown = report_markdown(report)
    assert "- **Want to stay:** <5 (range 700–1,900)" in markdown
    assert "## Registry" not in markdown
    assert "## Methods" not in markdown
    assert "Crossings per point per day" not in markdown


def test_markdown_escapes_pipes_and_markup_in_labels():
    report = report_dict()
    report["registry"]["by_region"][0]["label"] = "Kyiv | city"
    report["registry"]["by_status"][0]["label"] = HOSTILE_IMAGE
    report["sections"][0]["rows"][0]["label"] = "# not a heading *nor bold*"
    markdown = report_markdown(report)
    assert table_rows(markdown, "Kyiv") == [["Kyiv \\| city", "2,100"]]
    assert not re.search(r"(?<!\\)<img", markdown)  # never an unescaped tag
    assert '\\<img src="http://example.com/x.png">' in markdown
    assert "- \\# not a heading \\*nor bold\\*: 4" in markdown


# PDF


@pytest.fixture(scope="module")
def english_pdf() -> bytes:
    return report_pdf(report_dict())


def test_pdf_is_a_pdf_with_the_headline_figures(english_pdf):
    assert english_pdf.startswith(b"%PDF")
    text = pdf_text(english_pdf)
    for figure in ["1,612", "range 1,612–1,952", "6,050", "range 5,800–6,600", "700", "range 700–1,900"]:
        assert figure in text
    assert "Situation report #8" in text
    assert "+412 Crossed (identified) since sitrep #7" in text


def test_pdf_has_the_audience_and_page_numbers_in_the_margins(english_pdf):
    reader = PdfReader(io.BytesIO(english_pdf))
    pages = len(reader.pages)
    assert pages > 1
    for number, page in enumerate(reader.pages, start=1):
        text = page.extract_text()
        assert f"Page {number} of {pages}" in text
        assert "INTERNAL" in text  # text-transform in the margin box; the audience label is "Internal"


def test_pdf_inlines_the_charts_and_annexes_the_methods(english_pdf):
    text = pdf_text(english_pdf)
    assert "Crossings per point per day" in text
    assert "Shehyni – Medyka" in text
    assert "Methods" in text
    assert "The population is closed." in text
    assert "Kyiv" in text  # the registrants-by-region chart and table


def test_report_charts_are_the_pdf_charts_as_inline_svg(english_pdf):
    charts = report_charts(report_dict())
    titles = [re.search(r"<title id=[^>]*>([^<]*)</title>", chart["svg"])[1] for chart in charts]
    assert titles == [chart["title"] for chart in charts]
    assert titles == [
        "Crossings per day, all points",
        "Crossings per point (identified and tallied)",
        "Intentions",
        "Status over time",
        "Registrants by region",
    ]
    text = pdf_text(english_pdf)
    assert all(title in text for title in titles)  # each chart has its caption in the PDF


def test_pdf_of_a_public_report_renders_the_suppressed_cells():
    text = pdf_text(report_pdf(public_report()))
    assert "PUBLIC" in text
    assert "<5" in text
    assert "Posture" not in text


def test_pdf_in_hebrew_is_right_to_left_and_carries_the_hebrew_label():
    report = report_dict(language="he", title="דוח מצב")
    report["registry"]["by_region"][0]["label"] = "קייב"
    pdf = report_pdf(report)
    assert pdf.startswith(b"%PDF")
    text = pdf_text(pdf)
    assert "קייב" in text
    assert "דוח מצב" in text


def test_pdf_render_fetches_nothing_for_a_label_that_looks_like_an_image(monkeypatch):
    report = report_dict()
    report["registry"]["by_region"][0]["label"] = HOSTILE_IMAGE
    report["crossed"]["per_point_day"][0]["point_label"] = HOSTILE_IMAGE
    connections = []
    monkeypatch.setattr(socket.socket, "connect", lambda sock, address: connections.append(address))
    text = pdf_text(report_pdf(report))
    assert connections == []
    assert 'src="http://example.com/x.png"' in text  # drawn as text, not loaded as an image


def test_a_title_cannot_break_out_of_the_page_header_css(monkeypatch):
    title = 'Report"; } </style><img src="http://example.com/x.png"> \\'
    connections = []
    monkeypatch.setattr(socket.socket, "connect", lambda sock, address: connections.append(address))
    first_page = PdfReader(io.BytesIO(report_pdf(report_dict(title=title, snapshot=None)))).pages[0].extract_text()
    assert connections == []
    # The page header and the heading (wrapped over two lines), both drawn as text.
    assert first_page.replace("\n", "").count(title) == 2


@pytest.mark.parametrize(
    "url", ["http://example.com/x.png", "https://example.com/x.css", "file:///etc/passwd", "ftp://example.com/x"]
)
def test_the_url_fetcher_refuses_everything_but_data_urls(url):
    with pytest.raises(ValueError, match="disallowed protocol"):
        data_only_url_fetcher().fetch(url)


def test_the_url_fetcher_serves_data_urls():
    response = data_only_url_fetcher().fetch("data:text/plain;base64,b2s=")
    assert response.read() == b"ok"


def test_rendering_leaves_the_report_untouched():
    report = report_dict()
    before = copy.deepcopy(report)
    report_markdown(report)
    report_pdf(public_report())
    assert report == before
