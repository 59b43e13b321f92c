"""Cross-script person search over the registry.

Each process holds one `namebridge.NameIndex` of every spelling of every person's name
(the name as written, passport, native-script, former and other spellings), built on first
use and kept in step with the database through an outbox: every service that changes
names writes a `SearchChange` row in the same transaction, and each search first applies
the rows this process has not seen. The trade-offs of this choice against a keys table in
the database are in docs/subsystems/name-matching.md.

`person_name_search` is the one entry point, for the registry list, the API, the
"possibly already registered" checks, and later the border desk and duplicate detection.
It knows nothing about permissions: callers are selectors and services that do.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Q
from django.utils import timezone

from crisisdesk.common.inserts import rows_insert
from crisisdesk.registry.models import Person, PersonName, SearchChange
from namebridge import NameIndex

# Changes may commit out of id order on PostgreSQL (sequence values are taken at insert,
# rows become visible at commit): an id skipped over is a gap, looked for again until it
# appears or is this old (its transaction rolled back).
LATE_COMMIT_WINDOW = timedelta(seconds=60)
# More pending changes than this, and a rebuild is cheaper than applying them one by one.
REBUILD_THRESHOLD = 20_000
# From this many spellings on, a rebuilt index is moved out of the garbage collector's sight,
# and so, every REFREEZE_EVERY searches, is what the searches left to keep: namebridge's caches
# of token comparisons fill as queries run, and a full collection that walked them took 30–50 ms
# of a search request (at a million persons). The collection before each freeze then costs one
# request in REFREEZE_EVERY about as much, once.
FREEZE_AT = 100_000
REFREEZE_EVERY = 2_000


def _freeze_long_lived() -> None:
    """Take what lives now (the index above all) out of every later garbage collection.

    A full collection walks every container the process holds, and a million-name index made each
    one take 0.3–1.5 s: a search that happened to trigger it waited that long. An index holds no
    reference cycles (a namebridge test holds it to that), so a replaced one is still freed by
    reference counting; the collection before the freeze frees the garbage that would otherwise
    be frozen with it."""
    gc.collect()
    gc.freeze()


@dataclass(frozen=True, slots=True)
class PersonMatch:
    person_id: int
    score: float
    explanation: str
    matched_name: str


def search_changes_record(person_ids: Iterable[int | None]) -> None:
    """Note that these persons' names changed (`None`: rebuild everything). Call inside the
    transaction that changes them."""
    rows_insert(SearchChange, [{"person_id": person_id} for person_id in person_ids])


def _spellings(person_ids: Iterable[int] | None = None):
    """(key, name, birth_year, sex) for every spelling of the given persons (or everyone).
    Keys are (person id, 0) for the name as written and (person id, name id) for others."""
    persons = Person.objects.all()
    names = PersonName.objects.all()
    if person_ids is not None:
        ids = list(person_ids)
        persons = persons.filter(id__in=ids)
        names = names.filter(person_id__in=ids)
    facts: dict[int, tuple[int | None, str]] = {}
    for person_id, given, family, birth_year, sex in persons.values_list(
        "id", "given_name", "family_name", "birth_year", "sex"
    ).iterator(chunk_size=5000):
        facts[person_id] = (birth_year, sex)
        yield (person_id, 0), f"{given} {family}".strip(), birth_year, sex
    for name_id, person_id, given, family in names.values_list("id", "person_id", "given_name", "family_name").iterator(
        chunk_size=5000
    ):
        birth_year, sex = facts.get(person_id, (None, ""))
        yield (person_id, name_id), f"{given} {family}".strip(), birth_year, sex


class RegistryNameIndex:
    """The process's name index and the outbox position it reflects: every change up to
    `_last_id` is applied, except the ids in `_gaps`, which were not visible yet."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._index: NameIndex | None = None
        # Tuples, not lists: a tuple of ints is dropped from the garbage collector's view, and a
        # million lists made each full collection walk them (0.7 s with a million persons).
        self._keys_of: dict[int, tuple[tuple[int, int], ...]] = {}
        self._last_id = 0
        self._gaps: dict[int, object] = {}  # change id -> when it was first missed
        self._searches_since_freeze = 0

    def reset(self) -> None:
        """Forget everything; the next search rebuilds (tests call this between cases)."""
        with self._lock:
            self._index = None

    def _add(self, index: NameIndex, rows) -> None:
        for key, name, birth_year, sex in rows:
            if not name:
                continue
            index.add(key, name, birth_year=birth_year, sex=sex or None)
            self._keys_of[key[0]] = (*self._keys_of.get(key[0], ()), key)

    def _rebuild(self) -> None:
        # Changes visible now are part of what the rebuild reads; ids missing among the
        # recent ones may belong to transactions not committed yet.
        now = timezone.now()
        visible = set(
            SearchChange.objects.filter(created_at__gte=now - LATE_COMMIT_WINDOW).values_list("id", flat=True)
        )
        latest = SearchChange.objects.order_by("-id").values_list("id", flat=True).first() or 0
        index = NameIndex()
        self._keys_of = {}
        self._add(index, _spellings())
        self._index = index
        self._last_id = latest
        self._gaps = dict.fromkeys(set(range(min(visible, default=latest + 1), latest + 1)) - visible, now)
        self._searches_since_freeze = 0
        if len(index) >= FREEZE_AT:
            _freeze_long_lived()

    def _pending(self) -> list[tuple[int, int | None]]:
        """Changes not applied yet: after the last one applied, and the gaps before it."""
        condition = Q(id__gt=self._last_id)
        if self._gaps:
            condition |= Q(id__in=list(self._gaps))
        rows = SearchChange.objects.filter(condition).order_by("id").values_list("id", "person_id")
        return list(rows[: REBUILD_THRESHOLD + 1])

    def _advance(self, pending: list[tuple[int, int | None]]) -> None:
        now = timezone.now()
        seen = {change_id for change_id, _person_id in pending}
        newest = max(seen, default=self._last_id)
        for change_id in range(self._last_id + 1, newest + 1):
            if change_id not in seen:
                self._gaps[change_id] = now
        for change_id in seen:
            self._gaps.pop(change_id, None)
        self._last_id = max(self._last_id, newest)
        cutoff = now - LATE_COMMIT_WINDOW
        self._gaps = {change_id: at for change_id, at in self._gaps.items() if at >= cutoff}

    def sync(self) -> None:
        with self._lock:
            if self._index is None:
                self._rebuild()
                return
            pending = self._pending()
            if not pending:
                return
            if len(pending) > REBUILD_THRESHOLD or any(person_id is None for _id, person_id in pending):
                self._rebuild()
                return
            person_ids = {person_id for _id, person_id in pending}
            for person_id in person_ids:
                for key in self._keys_of.pop(person_id, ()):
                    self._index.remove(key)
            self._add(self._index, _spellings(person_ids))
            self._advance(pending)

    def search(self, query: str, *, limit: int, birth_year: int | None, sex: str | None) -> list[PersonMatch]:
        self.sync()
        with self._lock:
            assert self._index is not None  # noqa: S101 - sync() always leaves an index
            # Several spellings of one person may match; ask for more and keep each person once.
            matches = self._index.search(query, limit=limit * 3, birth_year=birth_year, sex=sex)
            self._searches_since_freeze += 1
            refreeze = self._searches_since_freeze >= REFREEZE_EVERY and len(self._index) >= FREEZE_AT
            if refreeze:
                self._searches_since_freeze = 0
        if refreeze:
            _freeze_long_lived()
        best: dict[int, PersonMatch] = {}
        for match in matches:
            person_id = match.key[0]
            if person_id not in best:
                best[person_id] = PersonMatch(person_id, match.score, match.explanation, match.name)
        return list(best.values())[:limit]


_registry_index = RegistryNameIndex()


def person_name_search(
    *, query: str, limit: int = 50, birth_year: int | None = None, sex: str | None = None
) -> list[PersonMatch]:
    """Persons whose name, in any spelling and script, matches `query`, best first."""
    if not query.strip():
        return []
    return _registry_index.search(query, limit=limit, birth_year=birth_year, sex=sex)


def search_index_reset() -> None:
    _registry_index.reset()
