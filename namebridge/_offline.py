"""Name similarity from the letter keys alone: the definition that the offline field app runs.

The field app (``crisisdesk/static/crisisdesk/desk/namekeys.js``) searches a downloaded pack of
names with no server and no learned model, so it can compare only what the letter rules give:
the **reduced forms** of ``_keys`` (sound classes with I and U), the initials rule and the
given-name equivalence table of ``_score``. This module is that comparison in Python, built from
the same functions and constants as the server's, so that the JavaScript port has one definition
to agree with (the golden files ``tests/namebridge/golden/offline_*.csv`` hold both to it).

It differs from ``_score.token_match`` by leaving the romanised forms out: those come from the
learned model (``_model``) and the transliteration engine, which the field app does not carry.
So a Latin–Cyrillic pair is judged by its reduced forms only, as a Hebrew pair already mostly is.

``offline_tables`` is every table the port needs that is data rather than rules (the letter
readings, the fold tables, the given-name groups, and a few facts of Python's Unicode database
that JavaScript has no API for), so that the server can ship them with the field pack and the
two sides cannot drift apart by someone editing a copy.
"""

from __future__ import annotations

import sys
import unicodedata
from collections.abc import Callable, Sequence
from functools import lru_cache

from namebridge import _keys, _normalize, _score, _tokens
from namebridge._keys import MAX_VARIANTS, TokenKeys
from namebridge._normalize import Script, detect_script

__all__ = ["indel_similarity", "letter_keys", "offline_name_similarity", "offline_tables", "offline_token_similarity"]

_BORROWED_AS_HEBREW = str.maketrans({marker: "ג" for marker in _tokens.BORROWED})


@lru_cache(maxsize=100_000)
def letter_keys(token: str) -> TokenKeys:
    """``_keys.token_keys(token)`` without its romanised forms (left empty), which need the
    learned model: the reduced forms and skeletons are the same, in the same order."""
    script = detect_script(token.translate(_BORROWED_AS_HEBREW))
    if script is Script.HEBREW:
        readings = _keys._hebrew_readings(token)
    elif script is Script.CYRILLIC:
        readings = _keys._cyrillic_readings(token)
    elif script is Script.LATIN:
        readings = _keys._latin_readings(token)
    else:
        return TokenKeys(token=token, script=script, reduced=(token,), skeletons=(token,), romanised=())
    reduced = _keys._expand(readings, MAX_VARIANTS) or ("",)
    skeletons = tuple(dict.fromkeys(_keys.skeleton(variant) for variant in reduced))
    return TokenKeys(token=token, script=script, reduced=reduced, skeletons=skeletons, romanised=())


def indel_similarity(a: str, b: str) -> float:
    """RapidFuzz's ``Indel.normalized_similarity``, spelt out so that the port can do the same
    arithmetic: 1 - (insertions + deletions) / (len(a) + len(b)), via the longest common
    subsequence; 1.0 for two empty strings."""
    total = len(a) + len(b)
    if not total:
        return 1.0
    # One row of the LCS table at a time: the keys are short, and this is what the JS does.
    previous = [0] * (len(b) + 1)
    for char_a in a:
        current = [0]
        for j, char_b in enumerate(b):
            current.append(previous[j] + 1 if char_a == char_b else max(previous[j + 1], current[j]))
        previous = current
    distance = total - 2 * previous[-1]
    return 1.0 - distance / total


def _best_reduced(left: Sequence[str], right: Sequence[str]) -> float:
    """``_score._best`` over the reduced forms: the best pair, less the penalty per step of each
    form away from its token's likeliest reading."""
    best = 0.0
    for i, x in enumerate(left):
        for j, y in enumerate(right):
            best = max(best, indel_similarity(x, y) - _score._VARIANT_PENALTY * (i + j))
    return best


def offline_token_similarity(a: str, b: str) -> float:
    """Similarity 0–1 of two folded tokens (of ``split_tokens``) from their letter keys, by the
    rules of ``_score.token_match``. Symmetric."""
    if a == b:
        return 1.0
    ka, kb = letter_keys(a), letter_keys(b)
    if _score._is_initial(ka) or _score._is_initial(kb):
        if _score._is_initial(ka) and _score._is_initial(kb):
            classes_a, classes_b = _score._initial_classes(ka), _score._initial_classes(kb)
            if (classes_a & classes_b) or not (classes_a or classes_b):
                return _score.INITIALS_MATCH
            return 0.0
        return _score.INITIAL_MATCH if _score._first_class(ka) & _score._first_class(kb) else 0.0
    value = _best_reduced(ka.reduced, kb.reduced)
    if value < _score.EQUIVALENT_GIVEN and _score._shared_group(a, b) is not None:
        return _score.EQUIVALENT_GIVEN
    return max(0.0, min(1.0, value))


def offline_name_similarity(left_tokens: Sequence[str], right_tokens: Sequence[str]) -> float:
    """Similarity 0–100 of two names given as folded tokens: the tokens matched as a bag by
    ``_score.assign``, scored as ``_score._pairs_score`` scores them. Symmetric."""
    # The sides are put in a fixed order first, as ``score`` does: when two assignments tie, the
    # one found first could be crossed on one side and not on the other.
    left, right = sorted((list(left_tokens), list(right_tokens)))
    if not left or not right:
        return 0.0
    matrix = [[offline_token_similarity(a, b) for b in right] for a in left]
    pairs = _score.assign(matrix)
    total = sum(matrix[r][c] for r, c in pairs)
    small, large = sorted((len(left), len(right)))
    denominator = small + _score.UNMATCHED_WEIGHT * (large - small)
    if _score._crossed(pairs):
        total *= _score.CROSSED_ORDER
    return 100.0 * total / denominator


def _code_point_ranges(member: Callable[[str], bool]) -> list[list[int]]:
    """The code points for which ``member(char)`` is true, as [first, last] runs."""
    ranges: list[list[int]] = []
    for code in range(sys.maxunicode + 1):
        if member(chr(code)):
            if ranges and ranges[-1][1] == code - 1:
                ranges[-1][1] = code
            else:
                ranges.append([code, code])
    return ranges


def _letter_script_ranges() -> list[list[int | str]]:
    """[first, last, script] runs of the letters that ``_normalize`` gives a script of ours.

    ``_normalize`` reads a letter's script from its Unicode name; JavaScript cannot, and its
    Script property disagrees for a few letters. Only letters are ever asked about, so a run may
    step over the non-letters between two letters of one script: that keeps the list short.
    """
    runs: list[list[int | str]] = []
    for code in range(sys.maxunicode + 1):
        char = chr(code)
        if not char.isalpha():
            continue
        script = _normalize._letter_script(char).value
        if runs and runs[-1][2] == script:
            runs[-1][1] = code
        else:
            runs.append([code, code, script])
    return [run for run in runs if run[2] != Script.OTHER.value]


def _casefold_exceptions() -> dict[str, str]:
    """The characters whose ``casefold`` differs from their ``lower`` (ß → ss, ς → σ, Cherokee):
    JavaScript has no casefold, only toLowerCase."""
    exceptions: dict[str, str] = {}
    for code in range(sys.maxunicode + 1):
        char = chr(code)
        if char.casefold() != char.lower():
            exceptions[char] = char.casefold()
    return exceptions


@lru_cache(maxsize=1)
def _unicode_tables() -> dict[str, object]:
    return {
        "unicode_version": unicodedata.unidata_version,
        "letter_scripts": _letter_script_ranges(),
        # str.isdigit: the decimal digits and the other digits (Ethiopic, circled ones NFKC keeps)
        "digits": _code_point_ranges(str.isdigit),
        "casefold": _casefold_exceptions(),
        # str.split and str.strip: JavaScript's \s differs (U+FEFF, U+001C-U+001F, U+0085)
        "whitespace": "".join(chr(code) for code in range(sys.maxunicode + 1) if chr(code).isspace()),
    }


def _readings_table(table: dict[str, tuple[str, ...]]) -> dict[str, list[str]]:
    return {spelling: list(readings) for spelling, readings in table.items()}


def offline_tables() -> dict[str, object]:
    """Everything ``NameKeys.init`` takes: the data behind the letter keys, as JSON-ready values.

    Rules (a c before e, a final ה) are code on both sides; what they look up is here. Takes
    about a second the first time (it walks the Unicode database), then is cached.
    """
    return {
        **_unicode_tables(),
        # fold and split_tokens
        "ignorable_ranges": [list(pair) for pair in _normalize._IGNORABLE_RANGES],
        "separating_controls": "".join(sorted(_normalize._SEPARATING_CONTROLS)),
        "apostrophes": "".join(sorted(_normalize._APOSTROPHES)),
        "fold_letters": {**_normalize._LATIN_SPECIAL, **_normalize._HEBREW_SPECIAL},
        "cyrillic_letter_marks": "".join(sorted(_normalize._CYRILLIC_LETTER_MARKS)),
        "borrowed": dict(_tokens.BORROWED),
        # A pattern both Python's re and JavaScript's RegExp read the same way (one group: the letter).
        "geresh_pattern": _tokens._GERESH.pattern,
        "final_forms": dict(_tokens._FINAL_FORMS),
        # token keys
        "max_variants": MAX_VARIANTS,
        "vowel_classes": "".join(sorted(_keys._VOWEL_CLASSES)),
        "merged_classes": {chr(source): target for source, target in _keys._MERGED.items()},
        "latin_vowels": "".join(sorted(_keys._LATIN_VOWELS)),
        "initial_vowels": "".join(sorted(_score._LATIN_VOWELS)),
        "not_a_consonant_after_a": "".join(sorted(_keys._NOT_A_CONSONANT_AFTER_A)),
        "latin_sequences": _readings_table(_keys._LATIN_SEQUENCES),
        "latin_letters": _readings_table(_keys._LATIN_LETTERS),
        "hebrew_sequences": _readings_table(_keys._HEBREW_SEQUENCES),
        "hebrew_letters": _readings_table(_keys._HEBREW_LETTERS),
        "cyrillic_letters": _readings_table(_keys._CYRILLIC_LETTERS),
        # similarity
        "variant_penalty": _score._VARIANT_PENALTY,
        "equivalent_given": _score.EQUIVALENT_GIVEN,
        "initial_match": _score.INITIAL_MATCH,
        "initials_match": _score.INITIALS_MATCH,
        "unmatched_weight": _score.UNMATCHED_WEIGHT,
        "crossed_order": _score.CROSSED_ORDER,
        "given_name_groups": {group: sorted(names) for group, names in sorted(_score._group_members().items())},
    }
