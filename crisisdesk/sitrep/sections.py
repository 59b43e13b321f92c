"""Sections that other modules contribute to the sitrep, by registering them here.

A module (immigration requests, aid shipments, diplomacy…) calls `section_register` from its
AppConfig.ready() with a `SitrepSection`; the sitrep app never imports it. Each section says
which audiences may see it and, per reader, whether they may (a diplomacy section asks whether
the reader is read into its compartment). Its rows are aggregates only — a label and a number
— so a section can never carry a person into a sitrep.

This module imports no models, so any app can import it at ready() time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True, slots=True)
class SectionContext:
    as_of: datetime
    # The start of the window the sitrep covers ("in total" is the mission's start).
    window_start: datetime | None


@dataclass(frozen=True, slots=True)
class SectionRow:
    label: str
    value: int | float | None
    # A registry or module list behind the figure, for readers allowed to follow it.
    href: str = ""


def _anyone(actor) -> bool:
    return True


@dataclass(frozen=True, slots=True)
class SitrepSection:
    key: str
    title: Callable[[], str] | str
    rows: Callable[[SectionContext], list[SectionRow]]
    audiences: frozenset[str] = frozenset({"internal", "inter_ministry"})
    # Asked for every reader of every sitrep, snapshots included, when it is shown.
    visible_to: Callable[[object], bool] = field(default=_anyone)
    order: int = 100

    def title_text(self) -> str:
        return str(self.title() if callable(self.title) else self.title)


_SECTIONS: dict[str, SitrepSection] = {}


def section_register(section: SitrepSection) -> SitrepSection:
    """Register (or, with the same key, replace) a section. Idempotent, so ready() may run twice."""
    _SECTIONS[section.key] = section
    return section


def section_unregister(key: str) -> None:
    _SECTIONS.pop(key, None)


def sections_registered() -> list[SitrepSection]:
    return sorted(_SECTIONS.values(), key=lambda section: (section.order, section.key))


def section_by_key(key: str) -> SitrepSection | None:
    return _SECTIONS.get(key)
