"""Similarity of two tokens and of two names, with the reason for each match.

Token similarity (0–1) compares the keys of ``_keys``:

* any comparison that involves Hebrew uses the **reduced forms** (consonant classes plus I/U):
  Hebrew writes neither a nor e, so only those can be compared fairly;
* Latin with Latin or Cyrillic uses the **romanised forms** (every transliteration convention),
  which keep the vowels that both sides write, blended with the reduced forms;
* the two given names of one **equivalence group** (``data/given_names.csv``: Yosef, Joseph,
  Iosif, Йосип, יוסף) are similar even when they share no letters.

Between Latin and Hebrew or Cyrillic, the **refined** similarity (``refine=True``; what ``score``
and the final ranking of a search use) blends in the learned model's fit of the two spellings,
the mean of both directions (``_model.romanisation_fit``, the Latin given the native, and
``_model.native_spelling_fit``, the native given the Latin), which knows which spellings are
usual and which are merely close.

Name similarity is an **assignment** of the tokens of one name to those of the other (a bag, so
"Surname Given" matches "Given Surname"), scored 0–100: the matched similarities over the number
of tokens, where a token with no partner counts half (a middle name one side leaves out costs
less than a wrong surname).
"""

from __future__ import annotations

import csv
import io
import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources

from rapidfuzz.distance import Indel

from namebridge._keys import TokenKeys, conventional_romanisations, token_keys
from namebridge._model import native_spelling_fit, romanisation_fit
from namebridge._normalize import Script
from namebridge._tokens import BORROWED, render_token, split_tokens

__all__ = ["TokenMatch", "equivalent_given_names", "name_similarity", "reduced_weight", "token_similarity"]

EQUIVALENT_GIVEN = 0.92  # similarity of two names of one equivalence group
INITIAL_MATCH = 0.6  # similarity of an initial and a name that starts with its letter
INITIALS_MATCH = 0.9  # similarity of one initial written in two scripts
UNMATCHED_WEIGHT = 0.5
# Word order differs between the sides ("Surname Given" without the comma that normalisation
# undoes): still a match, but a slightly weaker one than the same tokens in the same order.
CROSSED_ORDER = 0.97  # a token with no partner counts this much in the denominator
_VARIANT_PENALTY = 0.015  # per step away from the likeliest reading
# How much the learned fit moves a refined Latin–native token similarity, up or down from the
# fit that is typical of a right pair (the median over the dev word pairs: a usual spelling keeps
# its similarity, so that scores stay on the scale that thresholds are set on). The fit is the
# mean of both directions (Latin from native, native from Latin). Hebrew's weight is lower: its
# spellings leave vowels out, so the fit is less certain than for Cyrillic.
FIT_WEIGHT = {Script.CYRILLIC: 0.75, Script.HEBREW: 0.45}
TYPICAL_FIT = {Script.CYRILLIC: 0.92, Script.HEBREW: 0.80}
_MODEL_SCRIPT = {Script.CYRILLIC: "cyrillic", Script.HEBREW: "hebrew"}


@cache
def _given_groups() -> dict[str, frozenset[str]]:
    """folded given name → the groups it belongs to. Read on first use, never at import."""
    text = resources.files("namebridge").joinpath("data/given_names.csv").read_text(encoding="utf-8")
    groups: dict[str, set[str]] = {}
    for row in csv.DictReader(io.StringIO(text)):
        tokens = split_tokens(row["name"])
        if len(tokens) == 1:
            groups.setdefault(tokens[0], set()).add(row["group"])
    return {name: frozenset(found) for name, found in groups.items()}


@cache
def _group_members() -> dict[str, tuple[str, ...]]:
    members: dict[str, list[str]] = {}
    for name, groups in _given_groups().items():
        for group in groups:
            members.setdefault(group, []).append(name)
    return {group: tuple(names) for group, names in members.items()}


def equivalent_given_names(token: str) -> tuple[str, ...]:
    """The folded given names that the equivalence table puts with ``token`` (itself excluded)."""
    groups = _given_groups().get(token)
    if not groups:
        return ()
    members = _group_members()
    return tuple(sorted({name for group in groups for name in members[group]} - {token}))


def _shared_group(a: str, b: str) -> str | None:
    table = _given_groups()
    common = table.get(a, frozenset()) & table.get(b, frozenset())
    return min(common) if common else None


def _best(left: Sequence[str], right: Sequence[str]) -> tuple[float, int, int]:
    best, best_i, best_j = 0.0, 0, 0
    for i, x in enumerate(left):
        for j, y in enumerate(right):
            value = Indel.normalized_similarity(x, y) - _VARIANT_PENALTY * (i + j)
            if value > best:
                best, best_i, best_j = value, i, j
    return best, best_i, best_j


@dataclass(frozen=True, slots=True)
class TokenMatch:
    """Why two tokens match: the similarity and the keys it was found on."""

    similarity: float
    via: str  # "identical", "equivalent", "skeleton", "romanised", "initial", or "" when none
    left_key: str
    right_key: str
    fit: float | None = None  # the learned model's fit, when the similarity is refined by it


def reduced_weight(a: Script, b: Script) -> float:
    """How much the reduced forms count against the romanised forms for tokens of scripts a, b.

    With Hebrew on either side the reduced forms decide (Hebrew leaves a and e out, so a romanised
    Hebrew word is only a hint); between Latin and Cyrillic the romanised forms, which keep the
    vowels, decide.
    """
    return 0.65 if Script.HEBREW in (a, b) else 0.15


def _is_initial(keys: TokenKeys) -> bool:
    return len(keys.token) == 1 and (keys.token.isalpha() or keys.token in BORROWED)


def _first_class(keys: TokenKeys) -> set[str]:
    return {variant[:1] for variant in keys.skeletons if variant} | {variant[:1] for variant in keys.reduced if variant}


_LATIN_VOWELS = frozenset("aeiouy")


def _initial_classes(keys: TokenKeys) -> set[str]:
    """The sound classes an initial may stand for. A Latin letter alone says nothing of what
    followed it (G. is George or Gordon, C. is Carl or Cecil), so it takes its readings
    before a front and a back vowel."""
    if keys.script is not Script.LATIN or keys.token in _LATIN_VOWELS:
        return _first_class(keys)
    return _first_class(token_keys(keys.token + "e")) | _first_class(token_keys(keys.token + "o"))


@lru_cache(maxsize=500_000)
def token_match(a: str, b: str) -> TokenMatch:
    """How two folded tokens match. Symmetric in ``a`` and ``b``."""
    if a > b:
        swapped = token_match(b, a)
        return TokenMatch(swapped.similarity, swapped.via, swapped.right_key, swapped.left_key)
    if a == b:
        return TokenMatch(1.0, "identical", a, b)
    ka, kb = token_keys(a), token_keys(b)
    if _is_initial(ka) or _is_initial(kb):
        if _is_initial(ka) and _is_initial(kb):
            # The same initial written in two scripts (L. and ל., W. and ו'): same sound class,
            # or both a vowel that the keys leave out (E. and א.).
            classes_a, classes_b = _initial_classes(ka), _initial_classes(kb)
            if (classes_a & classes_b) or not (classes_a or classes_b):
                return TokenMatch(INITIALS_MATCH, "initial", a, b)
            return TokenMatch(0.0, "", a, b)
        if _first_class(ka) & _first_class(kb):
            return TokenMatch(INITIAL_MATCH, "initial", a, b)
        return TokenMatch(0.0, "", a, b)
    reduced, ri, rj = _best(ka.reduced, kb.reduced)
    romanised, oi, oj = _best(ka.romanised, kb.romanised)
    weight = reduced_weight(ka.script, kb.script)
    value = weight * reduced + (1.0 - weight) * romanised
    if weight >= 0.5:
        via, left, right = "skeleton", ka.reduced[ri], kb.reduced[rj]
    else:
        via, left, right = "romanised", ka.romanised[oi], kb.romanised[oj]
    if value < EQUIVALENT_GIVEN and _shared_group(a, b) is not None:
        return TokenMatch(EQUIVALENT_GIVEN, "equivalent", a, b)
    return TokenMatch(max(0.0, min(1.0, value)), via, left, right)


def refined_token_match(a: str, b: str, match: TokenMatch) -> TokenMatch:
    """``match`` (of tokens ``a`` and ``b``) with the learned fit blended in, when one token is
    Latin and the other Hebrew or Cyrillic and they matched by their letters; else ``match``."""
    if match.via not in ("skeleton", "romanised"):
        return match
    ka, kb = token_keys(a), token_keys(b)
    if ka.script is Script.LATIN:
        latin, native = ka, kb
    elif kb.script is Script.LATIN:
        latin, native = kb, ka
    else:
        return match
    weight = FIT_WEIGHT.get(native.script)
    if weight is None:
        return match
    letters = "".join(char for char in latin.token if char.isalpha())
    if native.script is Script.CYRILLIC and letters in conventional_romanisations(native.token):
        fit = 1.0  # a published convention's spelling (Volodymyr) is as good as the model's best
    else:
        script = _MODEL_SCRIPT[native.script]
        fit = (romanisation_fit(native.token, letters, script) + native_spelling_fit(letters, native.token, script)) / 2
    moved = match.similarity + weight * (fit - TYPICAL_FIT[native.script])
    return TokenMatch(max(0.0, min(1.0, moved)), match.via, match.left_key, match.right_key, fit)


def token_similarity(a: str, b: str) -> float:
    """Similarity 0–1 of two folded tokens."""
    return token_match(a, b).similarity


def assign(matrix: Sequence[Sequence[float]]) -> list[tuple[int, int]]:
    """The pairs (row, column) of a maximum-weight assignment of a small similarity matrix.

    Exhaustive up to 6 × 6 (at most 720 permutations), greedy above that. Names rarely have more
    than four tokens.
    """
    rows = len(matrix)
    cols = len(matrix[0]) if rows else 0
    if not rows or not cols:
        return []
    if rows > cols:
        transposed = [[matrix[r][c] for r in range(rows)] for c in range(cols)]
        return [(r, c) for c, r in assign(transposed)]
    if cols <= 6:
        best_total, best_perm = -1.0, ()
        for perm in itertools.permutations(range(cols), rows):
            total = sum(matrix[r][c] for r, c in enumerate(perm))
            if total > best_total:
                best_total, best_perm = total, perm
        return [(r, c) for r, c in enumerate(best_perm) if matrix[r][c] > 0]
    cells = sorted(((matrix[r][c], r, c) for r in range(rows) for c in range(cols)), reverse=True)
    used_r: set[int] = set()
    used_c: set[int] = set()
    pairs: list[tuple[int, int]] = []
    for value, r, c in cells:
        if value <= 0 or r in used_r or c in used_c:
            continue
        used_r.add(r)
        used_c.add(c)
        pairs.append((r, c))
    return pairs


def name_similarity(
    left: Sequence[str], right: Sequence[str], *, refine: bool = False
) -> tuple[float, list[tuple[int, int, TokenMatch]]]:
    """Score 0–100 of two token lists, and the matched token pairs (index in left, in right, why).

    ``refine`` blends the learned fit into the matched Latin–native pairs (after the assignment,
    which the letters decide): finer, and slower, so a search uses it on its best few only."""
    if not left or not right:
        return 0.0, []
    matches = [[token_match(a, b) for b in right] for a in left]
    pairs = [(r, c, matches[r][c]) for r, c in assign([[match.similarity for match in row] for row in matches])]
    if refine:
        return refined_name_similarity(left, right, pairs)
    return _pairs_score(len(left), len(right), pairs), pairs


def refined_name_similarity(
    left: Sequence[str], right: Sequence[str], pairs: list[tuple[int, int, TokenMatch]]
) -> tuple[float, list[tuple[int, int, TokenMatch]]]:
    """``name_similarity(left, right, refine=True)`` from the pairs that ``name_similarity``
    without ``refine`` returned, so that a search does not assign the tokens twice."""
    refined = [(r, c, refined_token_match(left[r], right[c], match)) for r, c, match in pairs]
    return _pairs_score(len(left), len(right), refined), refined


def _pairs_score(left_count: int, right_count: int, pairs: list[tuple[int, int, TokenMatch]]) -> float:
    total = sum(match.similarity for _r, _c, match in pairs)
    small, large = sorted((left_count, right_count))
    denominator = small + UNMATCHED_WEIGHT * (large - small)
    if _crossed([(r, c) for r, c, _match in pairs]):
        total *= CROSSED_ORDER
    return 100.0 * total / denominator


def _crossed(pairs: list[tuple[int, int]]) -> bool:
    """Whether the matched tokens come in a different order on the two sides (Powell Jane)."""
    ordered = sorted(pairs)
    return any(later[1] < earlier[1] for earlier, later in itertools.pairwise(ordered))


def _role(index: int, count: int) -> str:
    if count == 1:
        return "name"
    if index == count - 1:
        return "surname"
    if index == 0:
        return "given name"
    return "middle name"


def _fit_note(match: TokenMatch) -> str:
    return "" if match.fit is None else f", learned spelling fit {match.fit:.0%}"


def describe(left: Sequence[str], right: Sequence[str], pairs: list[tuple[int, int, TokenMatch]]) -> str:
    """One sentence per matched token pair, e.g. "surname zelensky ≈ זלנסקי via consonant skeleton
    ZLNSK"."""
    if not pairs:
        return "no token matched"
    parts: list[str] = []
    for r, c, match in sorted(pairs):
        a, b = render_token(left[r]), render_token(right[c])
        role = _role(r, len(left))
        if match.via == "identical":
            parts.append(f"{role} {a} identical")
        elif match.via == "equivalent":
            parts.append(f"{role} {a} ≈ {b} (given-name equivalents)")
        elif match.via == "initial":
            parts.append(f"{role} {a} ≈ {b} (initial)")
        elif match.via == "skeleton":
            from namebridge._keys import skeleton

            parts.append(
                f"{role} {a} ≈ {b} via consonant skeleton {skeleton(match.left_key)}"
                f" ({match.left_key}/{match.right_key}, {match.similarity:.0%}{_fit_note(match)})"
            )
        else:
            parts.append(
                f"{role} {a} ≈ {b} via romanisation {match.left_key}/{match.right_key}"
                f" ({match.similarity:.0%}{_fit_note(match)})"
            )
    unmatched = len(left) - len(pairs)
    if unmatched > 0:
        parts.append(f"{unmatched} token(s) of {' '.join(map(render_token, left))!r} unmatched")
    return "; ".join(parts)
