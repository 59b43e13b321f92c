"""The learned romanisation: letter-in-context → Latin chunk probabilities, and its use.

``namebridge/data/romanisation_model.json`` holds, for Hebrew and for Cyrillic, the probability
that a letter (in the context of the letter after it) is written as a Latin chunk of 0–4
letters, vowels included: ד before י → "d", "de", "da"; ש at the end → "sh", "sch", "s". It is
learned by ``python -m namebridge.train`` from the dev word pairs of namebench (EM over monotone
alignments; see ``namebridge/train.py``), and loaded lazily, once, on first use.

``learned_romanisations`` turns a Hebrew or Cyrillic token into its most likely Latin spellings,
which the scorer compares with Latin spellings as they are, vowels and all. Hebrew gains most:
the model learns which vowels Hebrew leaves out, and where.
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

__all__ = ["MODEL_ENV", "context", "learned_romanisations", "load_model"]

MODEL_ENV = "NAMEBRIDGE_ROMANISATION_MODEL"  # a path that replaces the shipped model (hold-out runs)
END = "$"
_OPTIONS_PER_LETTER = 6
_BEAM = 8


def context(letters: str, index: int) -> str:
    """The context of the letter at ``index``: ``^`` at the start of the word, the letter, and
    the next letter (``$`` at the end)."""
    following = letters[index + 1] if index + 1 < len(letters) else END
    return ("^" if index == 0 else "") + letters[index] + following


@cache
def load_model() -> dict[str, dict[str, list[tuple[str, float]]]]:
    """{"hebrew" | "cyrillic": {context or letter: [(chunk, log probability), ...] best first}}.

    Read on first use (never at import); ``$NAMEBRIDGE_ROMANISATION_MODEL`` may point to another
    model file, which is how hold-out runs measure a model trained on part of the data.
    """
    override = os.environ.get(MODEL_ENV)
    if override:
        text = Path(override).read_text(encoding="utf-8")
    else:
        text = resources.files("namebridge").joinpath("data/romanisation_model.json").read_text(encoding="utf-8")
    raw: dict[str, Any] = json.loads(text)
    model: dict[str, dict[str, list[tuple[str, float]]]] = {}
    for script, table in raw["tables"].items():
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
        options = table.get(context(token, index)) or table.get(letter)
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
