"""From figures (language-neutral, figures.py) to what a reader sees: redacted for an audience,
labelled in the reader's language, with the method behind each range and the change since
the previous snapshot. The dashboard, the PDF, the Markdown and the API all start here.
"""

from __future__ import annotations

import copy
from urllib.parse import urlencode

from django.urls import reverse
from django.utils.formats import number_format
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django_countries import countries

from crisisdesk.border.models import CrossingPoint, Post
from crisisdesk.registry.models import Intent, RiskRule, StatusKind
from crisisdesk.registry.validation import region_name
from crisisdesk.sitrep.models import Audience

# Below this, a count in a public breakdown is shown as "fewer than 5": in a small region a
# count of 1 or 2 can point at a family.
SMALL_CELL = 5
# The figures compared with the previous snapshot, in this order.
CHANGE_KEYS = (
    "crossed.identified",
    "crossed.range.1",
    "remaining.estimate",
    "intent.stay",
    "registry.registered",
    "registry.contact_stale",
)


def figures_redacted(figures: dict, *, audience: str) -> dict:
    """What an audience may hold. Internal: everything. Inter-ministry: no person named, no
    per-person row. Public: the three answers, crossings, registrants by region with small
    counts suppressed, and nothing about staff, risk groups or citizenships."""
    redacted = copy.deepcopy(figures)
    redacted["audience"] = audience
    if audience == Audience.INTERNAL:
        return redacted
    redacted.pop("persons_of_concern", None)
    if audience == Audience.INTER_MINISTRY:
        return redacted
    registry = redacted["registry"]
    redacted["registry"] = {
        "registered": registry["registered"],
        "by_region": {code: (n if n >= SMALL_CELL else None) for code, n in registry["by_region"].items()},
    }
    redacted["posture"] = None
    return redacted


def _value(figures: dict, dotted: str):
    value = figures
    for part in dotted.split("."):
        if isinstance(value, list):
            value = value[int(part)]
        elif isinstance(value, dict):
            value = value.get(part)
        else:
            return None
        if value is None:
            return None
    return value


def change_labels() -> dict[str, str]:
    return {
        "crossed.identified": _("Crossed (identified)"),
        "crossed.range.1": _("Crossed (upper end of the range)"),
        "remaining.estimate": _("Still in the country (estimate)"),
        "intent.stay": _("Declared they will stay"),
        "registry.registered": _("Registered"),
        "registry.contact_stale": _("No contact in 48 hours"),
    }


def changes_since(figures: dict, previous: dict | None) -> list[dict]:
    if previous is None:
        return []
    labels = change_labels()
    rows = []
    for key in CHANGE_KEYS:
        before, after = _value(previous, key), _value(figures, key)
        if isinstance(before, int) and isinstance(after, int):
            rows.append({"key": key, "label": labels[key], "before": before, "after": after, "delta": after - before})
    return rows


def _n(value) -> str:
    return "<5" if value is None else number_format(value, force_grouping=True)


def methods_of(figures: dict) -> list[dict]:
    """Each range's method and assumptions, in the active language, with the figures filled in."""
    crossed, remaining, intent = figures["crossed"], figures["remaining"], figures["intent"]
    capture = remaining["capture_recapture"]
    share_percent = round(intent["undecided_share"] * 100)
    return [
        {
            "key": "crossed",
            "title": _("How many crossed"),
            "text": _(
                "The low end counts the persons our desks identified crossing out: %(identified)s. The high end adds "
                "the nationals our desks counted without names (%(tallied)s), the persons who told us through their "
                "private link that they crossed and whom no desk saw (%(self_reported)s); where a partner's own count "
                "for the period is higher (%(partner)s), it is the high end instead, because partners count the same "
                "people we do."
            )
            % {
                "identified": _n(crossed["identified"]),
                "tallied": _n(crossed["tallied"]),
                "self_reported": _n(crossed["self_reported"]),
                "partner": _n(crossed["partner"]),
            },
            "assumptions": [
                _(
                    "A bus counted as a tally may include persons also checked in by name, so the high end may count some twice."
                ),
                _("A self-report cannot be checked until a desk sees the person."),
                _("Crossings at points without a desk appear only through self-reports and partners."),
            ],
        },
        {
            "key": "remaining",
            "title": _("How many are still inside"),
            "text": _(
                "Registered persons who have not crossed out, died or arrived home: %(not_departed)s. Plus an estimate "
                "of nationals who never registered, from two lists: the registry as it stood before each crossing "
                "(%(n1)s) and the persons identified at our desks (%(n2)s), %(m)s of them on both. Chapman's estimate "
                "of all nationals is %(chapman)s (95%% interval %(low)s–%(high)s), so about %(unseen)s are on neither "
                "list. The low end also takes off the nationals tallied crossing without names."
            )
            % {
                "not_departed": _n(remaining["registered_not_departed"]),
                "n1": _n(capture["n1"]),
                "n2": _n(capture["n2"]),
                "m": _n(capture["m"]),
                "chapman": _n(round(capture["chapman"])),
                "low": _n(round(capture["interval"][0])),
                "high": _n(round(capture["interval"][1])),
                "unseen": _n(remaining["unregistered"]),
            },
            "assumptions": [
                _("The population is closed: nobody arrived or left except through the crossings we watch."),
                _("The lists are independent: crossing at a staffed point is no more likely for those who registered."),
                _(
                    "Everyone on the border list is equally likely to have registered beforehand, and so is everyone inside."
                ),
            ]
            + (
                []
                if capture["reliable"]
                else [_("Fewer than 7 persons are on both lists: the estimate is not reliable.")]
            ),
        },
        {
            "key": "intent_stay",
            "title": _("How many want to stay"),
            "text": _(
                "Of the registered persons still inside, %(stay)s declared they will stay. The high end adds "
                "%(share)s%% of those undecided (%(undecided)s) or who never said (%(unknown)s)."
            )
            % {
                "stay": _n(intent["stay"]),
                "share": share_percent,
                "undecided": _n(intent["undecided"]),
                "unknown": _n(intent["unknown"]),
            },
            "assumptions": [
                _("Declared intent is as of the person's last update; it changes quickly in a war."),
                _("The share of the undecided who will stay is a stated assumption, not a measurement."),
            ],
        },
    ]


def _registry_href(reader_may_list: bool, **filters) -> str:
    if not reader_may_list:
        return ""
    return f"{reverse('registry:person_list')}?{urlencode(filters)}"


def _rows(counts: dict, label_of, href_of=lambda code: "") -> list[dict]:
    return [{"code": code, "label": label_of(code), "count": n, "href": href_of(code)} for code, n in counts.items()]


def report_build(
    figures: dict,
    *,
    links: bool = False,
    snapshot=None,
    previous: dict | None = None,
    previous_number: int | None = None,
) -> dict:
    """The labelled report (the shape render.py and the templates expect). `links`: the reader
    may follow figures to the registry list, and the figures are of now (a list is of now)."""
    statuses, intents = dict(StatusKind.choices), dict(Intent.choices)
    rules = dict(RiskRule.objects.values_list("code", "label"))
    point_names = dict(CrossingPoint.objects.values_list("code", "name"))
    post_kinds = dict(Post.Kind.choices)
    point_statuses = dict(CrossingPoint.Status.choices)
    audience = figures.get("audience", Audience.INTERNAL)
    crossed, remaining, intent = figures["crossed"], figures["remaining"], figures["intent"]
    methods = methods_of(figures)
    method_text = {method["key"]: method["text"] for method in methods}
    registry = figures["registry"]
    report = {
        "schema": figures["schema"],
        "as_of": figures["as_of"],
        "generated_at": figures.get("generated_at", figures["as_of"]),
        "audience": audience,
        "audience_label": str(dict(Audience.choices).get(audience, audience)),
        "language": (get_language() or "en").split("-")[0],
        "title": _("Situation report"),
        "snapshot": None,
        "changes": changes_since(figures, previous),
        "previous_number": previous_number,
        "headline": [
            {
                "key": "crossed",
                "label": _("Crossed out of the country"),
                "value": crossed["identified"],
                "range": crossed["range"],
                "method": method_text["crossed"],
                "href": _registry_href(links, status=StatusKind.CROSSED),
            },
            {
                "key": "remaining",
                "label": _("Still in the country"),
                "value": remaining["estimate"],
                "range": remaining["range"],
                "method": method_text["remaining"],
                "href": "",
            },
            {
                "key": "intent_stay",
                "label": _("Want to stay"),
                "value": intent["stay"],
                "range": intent["stay_range"],
                "method": method_text["intent_stay"],
                "href": _registry_href(links, intent=Intent.STAY),
            },
        ],
        "registry": {
            "registered": registry["registered"],
            "households": registry.get("households"),
            "vulnerable": registry.get("vulnerable"),
            "contact_stale": registry.get("contact_stale"),
            "contact_stale_hours": registry.get("contact_stale_hours", 48),
            "by_status": _rows(
                registry.get("by_status", {}),
                lambda c: str(statuses.get(c, c)),
                lambda c: _registry_href(links, status=c),
            ),
            "by_region": _rows(
                registry["by_region"],
                lambda c: region_name(c) if c else _("Region not known"),
                lambda c: _registry_href(links and bool(c), region=c),
            ),
            "by_intent": _rows(
                registry.get("by_intent", {}),
                lambda c: str(intents.get(c, c)),
                lambda c: _registry_href(links, intent=c),
            ),
            "by_citizenship": _rows(
                registry.get("by_citizenship", {}),
                lambda c: str(countries.name(c) or c),
                lambda c: _registry_href(links, citizenship=c),
            ),
            "dual": [
                {
                    "codes": codes,
                    "label": " + ".join(str(countries.name(c) or c) for c in codes.split("+")),
                    "count": n,
                }
                for codes, n in registry.get("dual", {}).items()
            ],
            "risk_groups": _rows(
                registry.get("risk_groups", {}), lambda c: rules.get(c, c), lambda c: _registry_href(links, risk_flag=c)
            ),
        },
        "crossed": {
            **{key: crossed[key] for key in ("identified", "tallied", "self_reported", "partner", "returned", "range")},
            "last_24h": crossed["last_24h"],
            "last_72h": crossed["last_72h"],
            "per_point_day": [
                {**row, "point_label": point_names.get(row["point"], row["point"])} for row in crossed["per_point_day"]
            ],
            "days": crossed["days"],
        },
        "remaining": remaining,
        "intent": intent,
        "intent_rows": [{"code": code, "label": str(intents[code]), "count": intent[code]} for code in Intent.values],
        "status_over_time": figures["status_over_time"],
        "posture": None,
        "sections": figures.get("sections", []),
        "methods": methods,
        "persons_of_concern": figures.get("persons_of_concern", []),
    }
    posture = figures.get("posture")
    if posture is not None:
        report["posture"] = {
            "posts": [
                {**post, "kind_label": str(post_kinds.get(post["kind"], post["kind"]))} for post in posture["posts"]
            ],
            "points": [
                {
                    **point,
                    "label": point["name"],
                    "status_label": str(point_statuses.get(point["status"], point["status"])),
                }
                for point in posture["points"]
            ],
            "open_conflicts": posture["open_conflicts"],
        }
    if snapshot is not None:
        report["snapshot"] = {
            "number": snapshot.number,
            "state": snapshot.state,
            "state_label": snapshot.get_state_display(),
            "cleared_by": snapshot.cleared_by.get_username() if snapshot.cleared_by else "",
            "previous_number": previous_number,
        }
    return report
