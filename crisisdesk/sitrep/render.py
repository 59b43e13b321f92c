"""A report dict (report.py, after redaction) as Markdown or as a PDF.

Both start from the same reading of the report (`_report_parts`): the facts and tables a reader
sees, formatted in the report's language, so the Markdown and the PDF never disagree. The PDF
adds the charts from charts.py and is laid out by WeasyPrint from sitrep/report_pdf.html.

The renderers cope with what redaction leaves out: `registry` or `posture` None, empty lists, and
counts None (suppressed, written "<5").
"""

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import partial
from pathlib import Path

from django.template.loader import get_template
from django.utils import translation
from django.utils.formats import date_format, number_format
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language_bidi, gettext

from crisisdesk.sitrep.charts import bar_list_chart, count_label, line_chart, range_label, stacked_bar_chart

__all__ = ["data_only_url_fetcher", "report_charts", "report_markdown", "report_pdf"]

PDF_TEMPLATE = "sitrep/report_pdf.html"


@dataclass
class Table:
    title: str
    columns: list[str]
    rows: list[list[str]]
    # Columns from this one on hold figures: right-aligned (end-aligned in right-to-left).
    first_figure_column: int = 1
    # Too many columns for A4 portrait: the PDF puts it on a landscape page.
    wide: bool = False
    note: str = ""


@dataclass
class Chart:
    title: str
    # Drawn only when asked (the PDF, the dashboard): the Markdown has no use for it. A partial,
    # not a lambda, so its arguments are bound when the chart is listed.
    draw: Callable[[], SafeString]


@dataclass
class Part:
    """One section of the report as read: a heading, facts, tables, and charts for the PDF."""

    key: str
    title: str
    facts: list[tuple[str, str]] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)


def report_markdown(report: dict) -> str:
    """The report as a Markdown document (GitHub-flavoured tables)."""
    with translation.override(report.get("language") or translation.get_language()):
        lines = [f"# {_md(_report_title(report))}", ""]
        lines += [f"- {_md(label)}: {_md(value)}" for label, value in _meta_facts(report)]
        lines += ["", f"## {_md(gettext('Headline'))}", ""]
        for item in report.get("headline") or []:
            lines.append(f"- **{_md(item['label'])}:** {_md(_figure_with_range(item.get('value'), item.get('range')))}")
        changes_title, changes = _changes(report)
        if changes_title:
            lines += ["", f"## {_md(changes_title)}", ""]
            lines += [f"- {_md(change)}" for change in changes] or [_md(gettext("No change."))]
        for part in _report_parts(report):
            lines += ["", f"## {_md(part.title)}", ""]
            lines += [f"- {_md(label)}: {_md(value)}" for label, value in part.facts]
            for table in part.tables:
                lines += ["", f"### {_md(table.title)}", ""]
                if table.note:
                    lines += [_md(table.note), ""]
                lines += _markdown_table(table)
        methods = report.get("methods") or []
        if methods:
            lines += ["", f"## {_md(gettext('Methods'))}"]
        for method in methods:
            lines += ["", f"### {_md(method.get('title', ''))}", "", _md(method.get("text", ""))]
            assumptions = method.get("assumptions") or []
            if assumptions:
                lines += ["", f"{_md(gettext('Assumptions:'))}", ""]
                lines += [f"- {_md(assumption)}" for assumption in assumptions]
        return "\n".join(lines).rstrip() + "\n"


def report_pdf(report: dict) -> bytes:
    """The report as an A4 PDF. Nothing is fetched: the charts are inline SVG, the font is the
    system's DejaVu Sans, and the URL fetcher refuses every URL that is not a data: URL."""
    from weasyprint import HTML  # imports Pango through cffi: only the PDF needs it

    with translation.override(report.get("language") or translation.get_language()):
        template = get_template(PDF_TEMPLATE)
        html = template.render(_pdf_context(report))
        # A relative URL resolves against the templates folder, i.e. to a file: URL, which the
        # fetcher refuses like any other.
        base_url = str(Path(template.origin.name).parent)
        return HTML(string=html, base_url=base_url, url_fetcher=data_only_url_fetcher()).write_pdf()


def report_charts(report: dict) -> list[dict]:
    """The report's charts as `{"title", "svg"}` (inline SVG), for the dashboard: the same ones
    the PDF draws."""
    return [{"title": chart.title, "svg": chart.draw()} for part in _report_parts(report) for chart in part.charts]


def data_only_url_fetcher():
    """A WeasyPrint URL fetcher for data: URLs only: no network, no local files."""
    from weasyprint.urls import URLFetcher

    return URLFetcher(allowed_protocols={"data"})


def _pdf_context(report: dict) -> dict:
    rtl = get_language_bidi()
    parts = _report_parts(report)
    changes_title, changes = _changes(report)
    title = _report_title(report)
    return {
        "language": translation.get_language(),
        "direction": "rtl" if rtl else "ltr",
        "title": title,
        "meta": _meta_facts(report),
        "headline": [
            {
                "label": item["label"],
                "value": count_label(item.get("value")),
                "range": range_label(*item["range"]) if item.get("range") else "",
            }
            for item in report.get("headline") or []
        ],
        "changes_title": changes_title,
        "changes": changes,
        "parts": [{"part": part, "charts": [(chart.title, chart.draw()) for chart in part.charts]} for part in parts],
        "methods": report.get("methods") or [],
        # Margin boxes are named by physical side, so right-to-left swaps them; they take CSS strings.
        "css": {
            "start_margin_box": "top-right" if rtl else "top-left",
            "end_margin_box": "top-left" if rtl else "top-right",
            "footer_start_box": "bottom-right" if rtl else "bottom-left",
            "footer_end_box": "bottom-left" if rtl else "bottom-right",
            "header_start": _css_string(title),
            "header_end": _css_string(_audience_label(report)),
            "footer_start": _css_string(_as_of_text(report.get("as_of"))),
            "page_of_pages": _css_page_counter(),
        },
    }


def _report_parts(report: dict) -> list[Part]:
    rtl = get_language_bidi()
    parts = [
        _crossed_part(report.get("crossed"), rtl=rtl),
        _remaining_part(report.get("remaining")),
        _intent_part(report, rtl=rtl),
        _status_part(report.get("status_over_time") or [], rtl=rtl),
        _registry_part(report.get("registry"), rtl=rtl),
        _posture_part(report.get("posture")),
    ]
    parts += [_contributed_part(section) for section in report.get("sections") or []]
    return [part for part in parts if part is not None]


def _crossed_part(crossed: dict | None, *, rtl: bool) -> Part | None:
    if not crossed:
        return None
    part = Part(key="crossed", title=gettext("Crossings"))
    part.facts = [
        (gettext("Crossed (identified)"), count_label(crossed.get("identified"))),
        (gettext("Tallied, not identified"), count_label(crossed.get("tallied"))),
        (gettext("Reported by the person"), count_label(crossed.get("self_reported"))),
        (gettext("Reported by partners"), count_label(crossed.get("partner"))),
        (gettext("Returned"), count_label(crossed.get("returned"))),
        (gettext("Range"), range_label(*crossed["range"]) if crossed.get("range") else ""),
    ]
    for key, label in (("last_24h", gettext("Last 24 hours")), ("last_72h", gettext("Last 72 hours"))):
        window = crossed.get(key)
        if window:
            part.facts.append(
                (
                    label,
                    gettext("%(identified)s identified, %(tallied)s tallied (range %(range)s)")
                    % {
                        "identified": count_label(window.get("identified")),
                        "tallied": count_label(window.get("tallied")),
                        "range": range_label(*window["range"]) if window.get("range") else "",
                    },
                )
            )
    rows = crossed.get("per_point_day") or []
    days = crossed.get("days") or sorted({row["day"] for row in rows})
    if not rows:
        return part
    day_labels = [_day_label(day) for day in days]
    by_point: dict[str, dict] = {}
    for row in rows:
        point = by_point.setdefault(row["point"], {"label": row.get("point_label") or row["point"], "days": {}})
        point["days"][row["day"]] = (row.get("identified"), row.get("tallied"))
    identified_per_day = [sum(_known(p["days"].get(day, (0, 0))[0]) for p in by_point.values()) for day in days]
    tallied_per_day = [sum(_known(p["days"].get(day, (0, 0))[1]) for p in by_point.values()) for day in days]
    chart_title = gettext("Crossings per day, all points")
    series = [(gettext("Identified"), identified_per_day), (gettext("Tallied"), tallied_per_day)]
    part.charts.append(Chart(chart_title, partial(stacked_bar_chart, day_labels, series, title=chart_title, rtl=rtl)))
    point_totals = sorted(
        ((p["label"], sum(_known(i) + _known(t) for i, t in p["days"].values())) for p in by_point.values()),
        key=lambda item: -item[1],  # bar_list_chart draws in the order given: largest first
    )
    points_title = gettext("Crossings per point (identified and tallied)")
    other = gettext("Other points")
    part.charts.append(
        Chart(points_title, partial(bar_list_chart, point_totals, title=points_title, rtl=rtl, other_label=other))
    )
    table_rows = []
    for point in by_point.values():
        cells = [_pair(*point["days"][day]) if day in point["days"] else "" for day in days]
        identified = sum(_known(i) for i, _ in point["days"].values())
        tallied = sum(_known(t) for _, t in point["days"].values())
        table_rows.append([point["label"], *cells, _pair(identified, tallied)])
    day_totals = [_pair(i, t) for i, t in zip(identified_per_day, tallied_per_day, strict=True)]
    table_rows.append([gettext("All points"), *day_totals, _pair(sum(identified_per_day), sum(tallied_per_day))])
    part.tables.append(
        Table(
            title=gettext("Crossings per point per day"),
            columns=[gettext("Point"), *day_labels, gettext("Total")],
            rows=table_rows,
            wide=len(days) > 7,
            note=gettext("Each cell: identified + tallied."),
        )
    )
    return part


def _remaining_part(remaining: dict | None) -> Part | None:
    if not remaining:
        return None
    part = Part(key="remaining", title=gettext("Still in the country"))
    part.facts = [
        (gettext("Estimate"), _figure_with_range(remaining.get("estimate"), remaining.get("range"))),
        (gettext("Registered, not departed"), count_label(remaining.get("registered_not_departed"))),
    ]
    recapture = remaining.get("capture_recapture")
    if recapture:
        interval = recapture.get("interval")
        rows = [
            [gettext("First list (n1)"), count_label(recapture.get("n1"))],
            [gettext("Second list (n2)"), count_label(recapture.get("n2"))],
            [gettext("On both lists (m)"), count_label(recapture.get("m"))],
            [gettext("Chapman estimate"), count_label(_rounded(recapture.get("chapman")))],
            # xgettext:no-python-format
            [gettext("95% interval"), range_label(*(_rounded(end) for end in interval)) if interval else ""],
            [
                gettext("On neither list (estimated)"),
                count_label(recapture.get("unregistered", remaining.get("unregistered"))),
            ],
            [
                gettext("Reliable"),
                gettext("Yes") if recapture.get("reliable") else gettext("No: too few on both lists"),
            ],
        ]
        part.tables.append(
            Table(title=gettext("Capture–recapture"), columns=[gettext("Figure"), gettext("Value")], rows=rows)
        )
    return part


def _intent_part(report: dict, *, rtl: bool) -> Part | None:
    intent = report.get("intent")
    if not intent:
        return None
    part = Part(key="intent", title=gettext("Intentions"))
    labelled = [
        ("leave", gettext("Want to leave")),
        ("stay", gettext("Want to stay")),
        ("undecided", gettext("Undecided")),
        ("unknown", gettext("Not known")),
    ]
    rows = [(row["label"], row.get("count")) for row in report.get("intent_rows") or []] or [
        (label, intent.get(key)) for key, label in labelled
    ]
    part.facts = [(label, count_label(value)) for label, value in rows]
    if intent.get("stay_range"):
        part.facts.append((gettext("Want to stay, range"), range_label(*intent["stay_range"])))
    if intent.get("undecided_share") is not None:
        part.facts.append(
            (
                gettext("Share of the undecided and not known counted at the high end"),
                f"{number_format(intent['undecided_share'] * 100, 0)}%",
            )
        )
    if intent.get("population") is not None:
        part.facts.append((gettext("Registered persons still inside"), count_label(intent["population"])))
    title = gettext("Intentions")
    part.charts.append(Chart(title, partial(bar_list_chart, rows, title=title, rtl=rtl)))
    return part


def _status_part(days: list[dict], *, rtl: bool) -> Part | None:
    if not days:
        return None
    part = Part(key="status_over_time", title=gettext("Status over time"))
    columns = [
        ("registered", gettext("Registered")),
        ("crossed", gettext("Crossed")),
        ("inside", gettext("Still inside")),
    ]
    labels = [_day_label(day["day"]) for day in days]
    series = [(label, [day.get(key) for day in days]) for key, label in columns]
    title = part.title
    part.charts.append(Chart(title, partial(line_chart, labels, series, title=title, rtl=rtl)))
    part.tables.append(
        Table(
            title=part.title,
            columns=[gettext("Day"), *(label for _, label in columns)],
            rows=[
                [label, *(count_label(day.get(key)) for key, _ in columns)]
                for label, day in zip(labels, days, strict=True)
            ],
        )
    )
    return part


def _registry_part(registry: dict | None, *, rtl: bool) -> Part | None:
    if not registry:
        return None
    part = Part(key="registry", title=gettext("Registry"))
    for key, label in (
        ("registered", gettext("Registered")),
        ("households", gettext("Households")),
        ("vulnerable", gettext("Vulnerable")),
    ):
        if key in registry and (registry[key] is not None or key == "registered"):
            part.facts.append((label, count_label(registry[key])))
    if registry.get("contact_stale") is not None:
        hours = registry.get("contact_stale_hours") or 48
        part.facts.append(
            (
                gettext("No contact for more than %(hours)s hours") % {"hours": hours},
                count_label(registry["contact_stale"]),
            )
        )
    regions = registry.get("by_region") or []
    if regions:
        title = gettext("Registrants by region")
        items = [(row["label"], row.get("count")) for row in regions]
        other = gettext("Other regions")
        part.charts.append(Chart(title, partial(bar_list_chart, items, title=title, rtl=rtl, other_label=other)))
    for key, title in (
        ("by_status", gettext("By status")),
        ("by_region", gettext("By region")),
        ("by_intent", gettext("By intention")),
        ("by_citizenship", gettext("By citizenship")),
        ("dual", gettext("Dual citizenship")),
        ("risk_groups", gettext("Risk groups")),
    ):
        rows = registry.get(key) or []
        if rows:
            part.tables.append(
                Table(
                    title=title,
                    columns=[gettext("Group"), gettext("Registrants")],
                    rows=[[row["label"], count_label(row.get("count"))] for row in rows],
                )
            )
    return part


def _posture_part(posture: dict | None) -> Part | None:
    if not posture:
        return None
    part = Part(key="posture", title=gettext("Posture"))
    part.facts = [(gettext("Open sync conflicts"), count_label(posture.get("open_conflicts")))]
    posts = posture.get("posts") or []
    if posts:
        part.tables.append(
            Table(
                title=gettext("Posts"),
                columns=[gettext("Post"), gettext("City"), gettext("Kind"), gettext("On shift")],
                rows=[
                    [
                        post.get("name", ""),
                        post.get("city", ""),
                        post.get("kind_label", ""),
                        count_label(post.get("on_shift")),
                    ]
                    for post in posts
                ],
                first_figure_column=3,
            )
        )
    points = posture.get("points") or []
    if points:
        part.tables.append(
            Table(
                title=gettext("Crossing points"),
                columns=[gettext("Point"), gettext("Status"), gettext("Covered (24 h)"), gettext("Wait (minutes)")],
                rows=[
                    [
                        point.get("label", ""),
                        point.get("status_label", ""),
                        gettext("Yes") if point.get("covered_24h") else gettext("No"),
                        "" if point.get("wait_minutes") is None else count_label(point["wait_minutes"]),
                    ]
                    for point in points
                ],
                first_figure_column=3,
            )
        )
    return part


def _contributed_part(section: dict) -> Part:
    def shown(value) -> str:
        return count_label(value) if value is None or isinstance(value, int) else str(value)

    return Part(
        key=section.get("key", ""),
        title=section.get("title", ""),
        facts=[(row.get("label", ""), shown(row.get("value"))) for row in section.get("rows") or []],
    )


def _report_title(report: dict) -> str:
    title = report.get("title") or gettext("Situation report")
    snapshot = report.get("snapshot")
    if snapshot and snapshot.get("number") is not None:
        return gettext("%(title)s #%(number)s") % {"title": title, "number": snapshot["number"]}
    return title


def _audience_label(report: dict) -> str:
    labels = {
        "internal": gettext("Internal"),
        "inter_ministry": gettext("Inter-ministry — no personal data"),
        "public": gettext("Public"),
    }
    audience = report.get("audience")
    return labels.get(audience) or report.get("audience_label") or str(audience or "")


def _meta_facts(report: dict) -> list[tuple[str, str]]:
    facts = [
        (gettext("As of"), _as_of_text(report.get("as_of"))),
        (gettext("Audience"), _audience_label(report)),
    ]
    snapshot = report.get("snapshot")
    if snapshot:
        states = {"draft": gettext("Draft"), "cleared": gettext("Cleared"), "distributed": gettext("Distributed")}
        state = snapshot.get("state_label") or states.get(snapshot.get("state"), snapshot.get("state") or "")
        if snapshot.get("cleared_by"):
            state = gettext("%(state)s by %(person)s") % {"state": state, "person": snapshot["cleared_by"]}
        facts.append((gettext("Snapshot"), state))
    if report.get("generated_at"):
        facts.append((gettext("Generated"), _as_of_text(report["generated_at"])))
    return facts


def _changes(report: dict) -> tuple[str, list[str]]:
    """The heading and lines for the change since the previous snapshot; no heading when none."""
    snapshot = report.get("snapshot") or {}
    previous = snapshot.get("previous_number")
    changes = report.get("changes") or []
    if previous is None and not changes:
        return "", []
    if previous is None:
        heading = gettext("Changes since the previous sitrep")
    else:
        heading = gettext("Changes since sitrep #%(number)s") % {"number": previous}
    lines = []
    for change in changes:
        values = {"label": change.get("label", ""), "before": count_label(change.get("before"))}
        delta = change.get("delta")
        if delta is None:
            lines.append(gettext("%(label)s changed (was %(before)s)") % values)
            continue
        values["delta"] = _signed(delta)
        if previous is None:
            lines.append(gettext("%(delta)s %(label)s (was %(before)s)") % values)
        else:
            lines.append(
                gettext("%(delta)s %(label)s since sitrep #%(number)s (was %(before)s)")
                % {**values, "number": previous}
            )
    return heading, lines


def _figure_with_range(value: int | None, value_range: list | None) -> str:
    if not value_range:
        return count_label(value)
    return gettext("%(value)s (range %(range)s)") % {"value": count_label(value), "range": range_label(*value_range)}


def _signed(delta: int) -> str:
    if delta > 0:
        return f"+{count_label(delta)}"
    if delta == 0:
        return "±0"
    return f"−{count_label(-delta)}"


def _pair(identified: int | None, tallied: int | None) -> str:
    return f"{count_label(identified)} + {count_label(tallied)}"


def _known(value: int | None) -> int:
    # A suppressed cell adds nothing we know to a sum.
    return value or 0


def _rounded(value: float | None) -> int | None:
    return None if value is None else round(value)


def _day_label(day: str) -> str:
    try:
        return date_format(date.fromisoformat(day), "j M")
    except (TypeError, ValueError):
        return str(day)


def _as_of_text(moment: str | None) -> str:
    if not moment:
        return ""
    try:
        parsed = datetime.fromisoformat(moment)
    except (TypeError, ValueError):
        return str(moment)
    offset = parsed.strftime("%z")  # "+0200"; empty for a naive time, taken as UTC
    zone = "UTC" if offset in ("", "+0000") else f"UTC{offset[:3]}:{offset[3:5]}"
    return f"{date_format(parsed, 'j E Y, H:i')} {zone}"


def _markdown_table(table: Table) -> list[str]:
    def row(cells: list[str]) -> str:
        return "| " + " | ".join(_md(cell) for cell in cells) + " |"

    alignments = ["---" if i < table.first_figure_column else "---:" for i in range(len(table.columns))]
    return [row(table.columns), "| " + " | ".join(alignments) + " |", *(row(cells) for cells in table.rows)]


# Backslash first, so the escapes added for the others are not escaped again. "<" only before
# what could open a tag or an autolink, so "<5" stays as written.
_MARKDOWN_ESCAPES = (("\\", "\\\\"), ("`", "\\`"), ("*", "\\*"), ("_", "\\_"), ("[", "\\["), ("]", "\\]"), ("|", "\\|"))
_MARKUP_OPENING = re.compile(r"<(?=[A-Za-z/!?])")
# What CommonMark reads as a heading, quote or list item at the start of a line.
_BLOCK_MARKER = re.compile(r"^(\s*)(#{1,6}(?=\s|$)|>|[-+](?=\s|$)|\d{1,9}[.)](?=\s|$))")


def _md(text) -> str:
    """Plain text for Markdown: no markup, link or HTML can come from a label, a pipe never splits
    a table cell, and text at the start of a line never becomes a heading, quote or list."""
    escaped = str(text).replace("\r", " ").replace("\n", " ")
    for char, replacement in _MARKDOWN_ESCAPES:
        escaped = escaped.replace(char, replacement)
    escaped = _MARKUP_OPENING.sub(r"\\<", escaped)
    return _BLOCK_MARKER.sub(lambda m: m[1] + "\\" + m[2], escaped)


def _css_string(text: str) -> SafeString:
    """A CSS string literal safe inside <style>: quotes, backslashes and < (which could close the
    element) become CSS escapes."""
    escaped = "".join(f"\\{ord(char):x} " if char in '"\\<>\n\r' else char for char in str(text))
    return mark_safe(f'"{escaped}"')  # noqa: S308 - every character that could leave the string is escaped


def _css_page_counter() -> SafeString:
    """ "Page N of M", translated, as CSS content: strings around counter(page) and counter(pages)."""
    text = gettext("Page %(page)s of %(pages)s") % {"page": "\0page\0", "pages": "\0pages\0"}
    pieces = [
        f"counter({piece})" if index % 2 else _css_string(piece)
        for index, piece in enumerate(text.split("\0"))
        if piece or index % 2
    ]
    return mark_safe(" ".join(pieces))  # noqa: S308 - each piece is a counter() or an escaped string
