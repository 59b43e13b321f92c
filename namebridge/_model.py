"""The learned romanisation, both ways: letter-in-context → chunk probabilities, and its use.

``namebridge/data/romanisation_model.json`` holds, for Hebrew and for Cyrillic, the probability
that a letter (in the context of its neighbours) is written as a Latin chunk of 0–4 letters,
vowels included: ד before י → "d", "de", "da"; ש at the end → "sh", "sch", "s"; and, in the
tables named by ``from_latin``, the probability that a Latin letter is written as a Hebrew or
Cyrillic chunk (the g of Huang → nothing, as in Хуан). It is learned by
``python -m namebridge.train`` from the dev word pairs of namebench (EM over monotone
alignments; see ``namebridge/train.py``), and loaded lazily, once, on first use.

A letter that follows a **silent** one (a letter the model wrote as nothing) has options of its
own, under its key with ``~`` after it: in муар, у may write nothing and а then writes "ua", or
у writes "ua" and а nothing, but not both nothing. Without that state, each letter learns from
the other's alignments that it is often silent, and the likeliest spelling of муар was "mr".

``learned_romanisations`` turns a Hebrew or Cyrillic token into its most likely Latin spellings,
which the scorer compares with Latin spellings as they are, vowels and all. Hebrew gains most:
the model learns which vowels Hebrew leaves out, and where.

``romanisation_fit`` goes the other way: how likely the model finds one given Latin spelling of a
native token (summed over every alignment), relative to the model's likeliest spelling, per
letter. It tells "Collins" written коллинз from колинс, which string similarity cannot: both are
one letter away, but English final s is з far more often than a doubled l is dropped.
``native_spelling_fit`` is the same measure by the other table, P(native | Latin).
"""

from __future__ import annotations

import heapq
import json
import math
import os
from collections.abc import Mapping, Sequence
from functools import cache, lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

__all__ = [
    "AFTER_SILENT",
    "MODEL_ENV",
    "context",
    "from_latin",
    "learned_romanisations",
    "load_model",
    "native_spelling_fit",
    "options_at",
    "romanisation_fit",
    "wide_context",
]

MODEL_ENV = "NAMEBRIDGE_ROMANISATION_MODEL"  # a path that replaces the shipped model (hold-out runs)
END = "$"
AFTER_SILENT = "~"  # suffix of a key whose options apply after a letter that wrote nothing
_OPTIONS_PER_LETTER = 6
_BEAM = 8
_Table = dict[str, tuple[tuple[str, float], ...]]  # context or letter → (chunk, probability), best first


def from_latin(script: str) -> str:
    """The name of the table that writes Latin letters in ``script`` ("latin>cyrillic")."""
    return f"latin>{script}"


def context(letters: str, index: int) -> str:
    """The context of the letter at ``index``: ``^`` at the start of the word, the letter, and
    the next letter (``$`` at the end)."""
    following = letters[index + 1] if index + 1 < len(letters) else END
    return ("^" if index == 0 else "") + letters[index] + following


def wide_context(letters: str, index: int) -> str:
    """The letter at ``index`` between the letters on either side (``^`` and ``$`` at the ends),
    as ``previous>letter next``: ש in משה is ``מ>שה``."""
    previous = letters[index - 1] if index > 0 else "^"
    following = letters[index + 1] if index + 1 < len(letters) else END
    return f"{previous}>{letters[index]}{following}"


def options_at(table: dict[str, Any], letters: str, index: int, *, after_silent: bool = False) -> Any:
    """A letter's entry in ``table``: in its wide context, else its context, else alone; after a
    silent letter, the same three keys with ``AFTER_SILENT`` first."""
    keys = (wide_context(letters, index), context(letters, index), letters[index])
    if after_silent:
        for key in keys:
            found = table.get(key + AFTER_SILENT)
            if found:
                return found
    for key in keys:
        found = table.get(key)
        if found:
            return found
    return None


@cache
def _model_tables() -> dict[str, _Table]:
    """The model file's tables as stored, (chunk, probability) best first. Read on first use
    (never at import); ``$NAMEBRIDGE_ROMANISATION_MODEL`` may point to another model file, which
    is how hold-out runs measure a model trained on part of the data.

    Tuples rather than the file's lists: the garbage collector stops watching a tuple of strings
    and numbers, while the 200,000 lists of the tables were walked by every full collection of a
    process that serves searches."""
    override = os.environ.get(MODEL_ENV)
    if override:
        text = Path(override).read_text(encoding="utf-8")
    else:
        text = resources.files("namebridge").joinpath("data/romanisation_model.json").read_text(encoding="utf-8")
    stored: dict[str, dict[str, list[list[Any]]]] = json.loads(text)["tables"]
    return {
        script: {key: tuple((chunk, probability) for chunk, probability in options) for key, options in table.items()}
        for script, table in stored.items()
    }


@cache
def load_model() -> dict[str, _Table]:
    """{table ("hebrew", "cyrillic", "latin>hebrew", "latin>cyrillic"): {context or letter:
    ((chunk, log probability), ...) best first}}."""
    return {
        script: {
            key: tuple((chunk, math.log(probability)) for chunk, probability in options[:_OPTIONS_PER_LETTER])
            for key, options in table.items()
        }
        for script, table in _model_tables().items()
    }


@lru_cache(maxsize=200_000)
def learned_romanisations(token: str, script: str, *, limit: int = 4) -> tuple[str, ...]:
    """The ``limit`` most likely Latin spellings of a Hebrew or Cyrillic ``token`` (beam search);
    with ``from_latin(script)`` for ``script``, the likeliest Hebrew or Cyrillic spellings of a
    Latin token."""
    table = load_model().get(script)
    if not table or not token:
        return ()
    return likeliest_spellings(table, token, limit=limit, beam=max(_BEAM, limit))


def likeliest_spellings(
    table: Mapping[str, Sequence[tuple[str, float]]], token: str, *, limit: int, beam: int = _BEAM
) -> tuple[str, ...]:
    """Beam search over ``table`` ({key: [(chunk, log probability)]}) keeping ``beam``
    hypotheses: the ``limit`` likeliest distinct spellings of ``token``. A hypothesis remembers
    whether its last letter was silent."""
    hypotheses: list[tuple[float, str, bool]] = [(0.0, "", False)]
    for index, letter in enumerate(token):
        by_state: dict[bool, list[tuple[str, float]]] = {}
        extended = []
        for score, text, silent in hypotheses:
            options = by_state.get(silent)
            if options is None:
                options = by_state[silent] = (options_at(table, token, index, after_silent=silent) or [(letter, 0.0)])[
                    :_OPTIONS_PER_LETTER
                ]
            extended.extend((score - log_p, text + chunk, not chunk) for chunk, log_p in options)
        hypotheses = heapq.nsmallest(beam, extended)
    results: list[str] = []
    for _score, text, _silent in sorted(hypotheses):
        if text not in results:
            results.append(text)
            if len(results) >= limit:
                break
    return tuple(results)


# A chunk the model never saw for a letter keeps a small probability (zero or one Latin letters
# only), so that an unusual spelling lowers the fit instead of ruling the pair out.
_UNSEEN_CHUNK = 1e-4


_Chunks = dict[str, float]
_Options = tuple[_Chunks, int]  # a letter's chunk probabilities, and its longest chunk (at least 1)
_NO_OPTIONS: _Options = ({}, 1)


@cache
def _chunk_probabilities(table: str) -> dict[str, _Options]:
    return {
        key: ({chunk: probability for chunk, probability in options}, max(1, *(len(chunk) for chunk, _p in options)))
        for key, options in _model_tables()[table].items()
    }


@lru_cache(maxsize=100_000)
def _letter_options(source: str, table: str) -> tuple[tuple[_Options, _Options], ...]:
    """Per letter of ``source``: its chunk probabilities in ``table`` (in its widest known
    context) and the length of its longest chunk, after a letter that wrote something and after
    a silent one."""
    chunks = _chunk_probabilities(table)
    return tuple(
        (
            options_at(chunks, source, index) or _NO_OPTIONS,
            options_at(chunks, source, index, after_silent=True) or _NO_OPTIONS,
        )
        for index in range(len(source))
    )


@lru_cache(maxsize=500_000)
def romanisation_fit(native: str, latin: str, script: str) -> float:
    """How well ``latin`` (folded Latin letters) fits as a romanisation of the Hebrew or Cyrillic
    token ``native``, 0–1: P(latin | native) summed over every monotone alignment, divided by the
    probability of the model's likeliest alignment, as a geometric mean per native letter (so that
    long names are not punished for their length). 1 is "as likely as the best guess"."""
    return _spelling_fit(native, latin, script)


@lru_cache(maxsize=500_000)
def native_spelling_fit(latin: str, native: str, script: str) -> float:
    """The other way: how well ``native`` fits as the Hebrew or Cyrillic spelling of ``latin``,
    P(native | latin) by the table that writes Latin letters in ``script`` (0 without one). Wikidata's
    Russian and Hebrew labels are written from the original spelling, so this is the direction
    the names were made in: Huang is Хуан, though Хуан is far more often Juan."""
    return _spelling_fit(latin, native, from_latin(script))


def _spelling_fit(source: str, target: str, table: str) -> float:
    """P(target | source) by ``table``, relative to the likeliest alignment of any string, per
    letter of ``source``: the measure of ``romanisation_fit``."""
    if table not in _model_tables() or not source:
        return 0.0
    letters = _letter_options(source, table)
    best = _likeliest_alignment(source, table)
    length = len(target)
    # spoken[j], silent[j]: the probability of having written target[:j], the last letter spoken
    # or silent. Positions from which the rest of the letters cannot reach the end are skipped.
    spoken = [0.0] * (length + 1)
    spoken[0] = 1.0
    silent = [0.0] * (length + 1)
    reach = _reach(source, table)
    for index, (after_spoken, after_silent) in enumerate(letters):
        lowest = length - reach[index + 1]  # the first position the next letters can finish from
        next_spoken = [0.0] * (length + 1)
        next_silent = [0.0] * (length + 1)
        for forward, (chunks, longest) in ((spoken, after_spoken), (silent, after_silent)):
            for start in range(max(0, lowest - longest), length + 1):
                mass = forward[start]
                if not mass:
                    continue
                for size in range(max(0, lowest - start), min(longest, length - start) + 1):
                    probability = chunks.get(target[start : start + size])
                    if probability is None:
                        if size > 1:
                            continue
                        probability = _UNSEEN_CHUNK
                    (next_silent if size == 0 else next_spoken)[start + size] += mass * probability
        spoken, silent = next_spoken, next_silent
    total = spoken[length] + silent[length]
    if not total or not best:
        return 0.0
    return min(1.0, math.exp((math.log(total) - math.log(best)) / len(source)))


@lru_cache(maxsize=100_000)
def _reach(source: str, table: str) -> tuple[int, ...]:
    """[i]: how many target letters the letters of ``source`` from ``i`` on can write at most."""
    longest = [max(spoken[1], silent[1]) for spoken, silent in _letter_options(source, table)]
    reach = [0] * (len(longest) + 1)
    for index in range(len(longest) - 1, -1, -1):
        reach[index] = reach[index + 1] + longest[index]
    return tuple(reach)


@lru_cache(maxsize=100_000)
def _likeliest_alignment(source: str, table: str) -> float:
    """The probability of the likeliest alignment of ``source`` with any string (Viterbi over
    the spoken and silent states): the denominator of the fit."""
    best_spoken, best_silent = 1.0, 0.0
    for after_spoken, after_silent in _letter_options(source, table):
        best_spoken, best_silent = _best_after(best_spoken, after_spoken[0], best_silent, after_silent[0])
    return max(best_spoken, best_silent)


def _best_after(
    best_spoken: float, after_spoken: _Chunks, best_silent: float, after_silent: _Chunks
) -> tuple[float, float]:
    """One Viterbi step: the likeliest alignment ending in a spoken and in a silent letter."""
    spoken = silent = 0.0
    for best, chunks in ((best_spoken, after_spoken), (best_silent, after_silent)):
        if not best:
            continue
        empty = chunks.get("", 0.0)
        written = max((probability for chunk, probability in chunks.items() if chunk), default=0.0)
        if not chunks:
            written = 1.0  # a letter the model does not know is written as itself
        spoken = max(spoken, best * written)
        silent = max(silent, best * empty)
    return spoken, silent
