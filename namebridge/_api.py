"""The two-name functions of the public API: ``score``, ``explain`` and the Hebrew transliterators."""

from __future__ import annotations

import itertools

from namebridge._hebrew import hebraize, romanize_hebrew
from namebridge._normalize import Script, detect_script
from namebridge._score import describe, name_similarity
from namebridge._tokens import BORROWED, split_tokens

__all__ = ["explain", "hebrew_to_latin", "latin_to_hebrew", "score"]

_AS_HEBREW = str.maketrans({marker: "ג" for marker in BORROWED})


def _ordered(a: str, b: str) -> tuple[list[str], list[str]]:
    return split_tokens(a), split_tokens(b)


def score(a: str, b: str) -> float:
    """Similarity 0–100 of two names in any of Hebrew, Cyrillic and Latin script. Symmetric."""
    left, right = sorted((a, b))
    return name_similarity(split_tokens(left), split_tokens(right), refine=True)[0]


def explain(a: str, b: str) -> str:
    """Why ``a`` and ``b`` match, token by token, e.g. "surname zelensky ≈ זלנסקי via consonant
    skeleton ZLNSK (...); given name volodymyr ≈ ולדימיר (given-name equivalents)"."""
    left, right = split_tokens(a), split_tokens(b)
    return describe(left, right, name_similarity(left, right, refine=True)[1])


def _combine(per_token: list[list[str]], limit: int) -> list[str]:
    names: list[str] = []
    for combination in itertools.product(*per_token):
        names.append(" ".join(combination))
        if len(names) >= limit:
            break
    return names


def hebrew_to_latin(name: str, *, limit: int = 8) -> list[str]:
    """Latin candidate spellings of a Hebrew name, most likely first (``romanize_hebrew`` per
    token). Letters outside Hebrew pass through."""
    per_token = [
        romanize_hebrew(token, limit=limit) if detect_script(token.translate(_AS_HEBREW)) is Script.HEBREW else [token]
        for token in split_tokens(name)
    ]
    return _combine([options or [""] for options in per_token], limit)


def latin_to_hebrew(name: str, *, limit: int = 8) -> list[str]:
    """Hebrew candidate spellings of a Latin name, most likely first ("Zelensky" → "זלנסקי", ...)."""
    per_token = [
        hebraize(token, limit=limit) if detect_script(token) is Script.LATIN else [token]
        for token in split_tokens(name)
    ]
    return _combine([options or [""] for options in per_token], limit)
