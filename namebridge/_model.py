"""The learned romanisation: letter-in-context → Latin chunk probabilities, and its use.

``namebridge/data/romanisation_model.json`` holds, for Hebrew and for Cyrillic, the probability
that a letter (in the context of its neighbours) is written as a Latin chunk of 0–4 letters,
vowels included: ד before י → "d", "de", "da"; ש at the end → "sh", "sch", "s". It is
learned by ``python -m namebridge.train`` from the dev word pairs of namebench (EM over monotone
alignments; see ``namebridge/train.py``), and loaded lazily, once, on first use.

``learned_romanisations`` turns a Hebrew or Cyrillic token into its most likely Latin spellings,
which the scorer compares with Latin spellings as they are, vowels and all. Hebrew gains most:
the model learns which vowels Hebrew leaves out, and where.

``romanisation_fit`` goes the other way: how likely the model finds one given Latin spelling of a
native token (summed over every alignment), relative to the model's likeliest spelling, per
letter. It tells "Collins" written коллинз from колинс, which string similarity cannot: both are
one letter away, but English final s is з far more often than a doubled l is dropped.
"""

from __future__ import annotations

import heapq
import json
import math
import os
from functools import cache, lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

__all__ = [
    "MODEL_ENV",
    "context",
    "learned_romanisations",
    "load_model",
    "options_at",
    "romanisation_fit",
    "wide_context",
]

MODEL_ENV = "NAMEBRIDGE_ROMANISATION_MODEL"  # a path that replaces the shipped model (hold-out runs)
END = "$"
_OPTIONS_PER_LETTER = 6
_BEAM = 8


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


def options_at(table: dict[str, Any], letters: str, index: int) -> Any:
    """A letter's entry in ``table``: in its wide context, else its context, else alone."""
    return table.get(wide_context(letters, index)) or table.get(context(letters, index)) or table.get(letters[index])


@cache
def _model_tables() -> dict[str, dict[str, list[list[Any]]]]:
    """The model file's tables as stored. Read on first use (never at import);
    ``$NAMEBRIDGE_ROMANISATION_MODEL`` may point to another model file, which is how hold-out runs
    measure a model trained on part of the data."""
    override = os.environ.get(MODEL_ENV)
    if override:
        text = Path(override).read_text(encoding="utf-8")
    else:
        text = resources.files("namebridge").joinpath("data/romanisation_model.json").read_text(encoding="utf-8")
    tables: dict[str, dict[str, list[list[Any]]]] = json.loads(text)["tables"]
    return tables


@cache
def load_model() -> dict[str, dict[str, list[tuple[str, float]]]]:
    """{"hebrew" | "cyrillic": {context or letter: [(chunk, log probability), ...] best first}}."""
    model: dict[str, dict[str, list[tuple[str, float]]]] = {}
    for script, table in _model_tables().items():
        model[script] = {
            key: [(chunk, math.log(probability)) for chunk, probability in options][:_OPTIONS_PER_LETTER]
            for key, options in table.items()
        }
    return model


@lru_cache(maxsize=200_000)
def learned_romanisations(token: str, script: str, *, limit: int = 4) -> tuple[str, ...]:
    """The ``limit`` most likely Latin spellings of a Hebrew or Cyrillic ``token`` (beam search)."""
    table = load_model().get(script)
    if not table or not token:
        return ()
    beam: list[tuple[float, str]] = [(0.0, "")]
    for index, letter in enumerate(token):
        options = options_at(table, token, index)
        if not options:
            options = [(letter, 0.0)]
        extended = [(score - log_p, text + chunk) for score, text in beam for chunk, log_p in options]
        beam = heapq.nsmallest(_BEAM, extended)
    results: list[str] = []
    for _score, text in sorted(beam):
        if text not in results:
            results.append(text)
            if len(results) >= limit:
                break
    return tuple(results)


# A chunk the model never saw for a letter keeps a small probability (zero or one Latin letters
# only), so that an unusual spelling lowers the fit instead of ruling the pair out.
_UNSEEN_CHUNK = 1e-4
_MAX_CHUNK = 4


@cache
def _chunk_probabilities(script: str) -> dict[str, dict[str, float]]:
    return {
        key: {chunk: probability for chunk, probability in options} for key, options in _model_tables()[script].items()
    }


@lru_cache(maxsize=100_000)
def _letter_options(native: str, script: str) -> tuple[tuple[dict[str, float], float], ...]:
    """Per letter of ``native``: its chunk probabilities (in context, else alone) and the best one."""
    table = _chunk_probabilities(script)
    options: list[tuple[dict[str, float], float]] = []
    for index in range(len(native)):
        chunks = options_at(table, native, index) or {}
        options.append((chunks, max(chunks.values(), default=1.0)))
    return tuple(options)


@lru_cache(maxsize=500_000)
def romanisation_fit(native: str, latin: str, script: str) -> float:
    """How well ``latin`` (folded Latin letters) fits as a romanisation of the Hebrew or Cyrillic
    token ``native``, 0–1: P(latin | native) summed over every monotone alignment, divided by the
    probability of the model's likeliest spelling, as a geometric mean per native letter (so that
    long names are not punished for their length). 1 is "as likely as the best guess"."""
    if script not in _model_tables() or not native:
        return 0.0
    length = len(latin)
    forward = [0.0] * (length + 1)
    forward[0] = 1.0
    best = 1.0
    for chunks, top in _letter_options(native, script):
        best *= top
        following = [0.0] * (length + 1)
        for start, mass in enumerate(forward):
            if not mass:
                continue
            for size in range(min(_MAX_CHUNK, length - start) + 1):
                probability = chunks.get(latin[start : start + size])
                if probability is None:
                    if size > 1:
                        continue
                    probability = _UNSEEN_CHUNK
                following[start + size] += mass * probability
        forward = following
    if not forward[length]:
        return 0.0
    return min(1.0, math.exp((math.log(forward[length]) - math.log(best)) / len(native)))
