"""Rebuild the learned romanisation model: ``python -m namebridge.train``.

Reads only the namebench **dev** word pairs (``en-he.words.dev.tsv``, ``en-ru.words.dev.tsv``;
``--data`` says where they are, default ``/work/shared/namebench``) and writes
``namebridge/data/romanisation_model.json``. Deterministic: the same files give the same model
(about 15 minutes on one core).

The model has four tables. In ``hebrew`` and ``cyrillic``, each native letter, in the context of
the letter after it (Cyrillic: of the letters on either side; ``CONTEXTS``), is written as a
Latin chunk of 0–``MAX_CHUNK`` letters; ``latin>hebrew`` and ``latin>cyrillic``
(``_model.from_latin``) write each Latin letter, between its neighbours, as a native chunk. A
letter after a silent letter (one written as nothing) has options of its own
(``Contexts.silence``). Expectation–maximisation over every monotone alignment of the letters
with the other string (forward–backward on the letters × characters × silent-or-not lattice)
learns the chunk probabilities, starting from uniform ones. Wide contexts are smoothed towards
the narrower one they back off to (wide context → context → letter). A context seen fewer than
``MIN_CONTEXT`` times is left out of the file; its narrower one stands in, so every letter
still has options.

``--holdout P`` trains on the pairs whose hash bucket is ≥ P (of 100) and measures on the others:
how often the right spelling is the best guess (top-1) or among the four best (top-4), and
the best similarity to it, per table. ``--out`` writes the model elsewhere (then point
``NAMEBRIDGE_ROMANISATION_MODEL`` at it to run the benchmark with it).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from namebridge._keys import (
    _CYRILLIC_LETTERS,
    _HEBREW_LETTERS,
    _MERGED,
    _cyrillic_readings,
    _expand,
    _hebrew_readings,
    _latin_readings,
)
from namebridge._model import AFTER_SILENT, context, from_latin, likeliest_spellings, options_at, wide_context
from namebridge._normalize import Script, detect_script
from namebridge._tokens import split_tokens
from namebridge.bench.pairs import read_pairs

MAX_CHUNK = 4
ITERATIONS = 5
MIN_PROBABILITY = 0.002
KEEP_OPTIONS = 8
MIN_CONTEXT = 3
DEFAULT_DATA = Path("/work/shared/namebench")
OUTPUT = Path(__file__).parent / "data" / "romanisation_model.json"
FILES = {"hebrew": "en-he.words.dev.tsv", "cyrillic": "en-ru.words.dev.tsv"}


@dataclass(frozen=True)
class Contexts:
    """How a script's letters are learned: ``wide``, between both neighbours, else before the
    next letter only; ``smoothing``, how many observations a context's parent counts for as a
    prior (0: none); ``silence``, whether a letter after a silent letter is learned apart."""

    wide: bool
    smoothing: float
    silence: bool = False  # a letter after a silent one has its own options (``AFTER_SILENT``)


# Cyrillic letters are learned between both neighbours (ч before е is the Italian c after р, the
# English ch at the start of a word), each context smoothed towards its parent. Hebrew keeps the
# next letter only, unsmoothed: on held-out pairs either change lowered its recall@1 (by up to 1.5
# points; the model must also guess the vowels, from 24,000 pairs). Both learn a letter after a
# silent one apart: held-out top-1 rose from 0.410 to 0.429 (Cyrillic), 0.104 to 0.111 (Hebrew).
CONTEXTS = {
    "hebrew": Contexts(wide=False, smoothing=0.0, silence=True),
    "cyrillic": Contexts(wide=True, smoothing=5.0, silence=True),
}
# The other way, a Latin letter written in Hebrew or Cyrillic: Latin spellings are the richer
# side, so both learn between both neighbours.
FROM_LATIN_CONTEXTS = Contexts(wide=True, smoothing=5.0, silence=True)

Table = dict[str, dict[str, float]]


def bucket(latin: str, native: str) -> int:
    """A stable 0–99 bucket of a pair, for the hold-out split."""
    return int(hashlib.sha256(f"{latin}\t{native}".encode()).hexdigest()[:8], 16) % 100


def training_pairs(path: Path, script: Script) -> list[tuple[str, str, int]]:
    """(native token, latin token, bucket) for each single-token pair of the right script."""
    pairs: list[tuple[str, str, int]] = []
    for pair in read_pairs(path):
        native_tokens, latin_tokens = split_tokens(pair.native), split_tokens(pair.latin)
        if len(native_tokens) != 1 or len(latin_tokens) != 1:
            continue
        native, latin = native_tokens[0], latin_tokens[0]
        if detect_script(latin) is not Script.LATIN or not latin.isascii():
            continue
        if len(latin) > 3 * len(native) + 4 or len(native) > 2 * len(latin) + 2:
            continue  # a translation, not a transliteration
        pairs.append((native, latin, bucket(pair.latin, pair.native)))
    return pairs


PRIOR_MISMATCH = 0.02


@cache
def prior(key: str, chunk: str) -> float:
    """How plausible a chunk is for a letter in its context before any learning: 1 or
    ``PRIOR_MISMATCH``. It keeps expectation–maximisation from drifting to alignments where a
    consonant writes nothing and its neighbour writes two, or where one letter writes the vowel
    that the next letter spells (which makes the best guess of each letter disagree).

    * The chunk's sound classes (``_keys``, vowels ignored) must be one of the letter's readings.
    * Cyrillic writes every vowel: a consonant's chunk has no vowel, a vowel's no consonant
      (y, j, i, h, w excepted: я ya, ю ju).
    * Hebrew: a letter before ו or י does not take the o/u or i/e that letter spells, and ו and
      י are seldom silent.
    """
    letter, following = _letter_and_next(key)
    if "a" <= letter <= "z":
        return _prior_from_latin(letter, chunk)
    letter_options = _LETTER_READINGS.get(letter)
    if letter_options is None:
        return 1.0
    chunk_classes = {_strip_vowels(option) for option in _expand(_latin_readings(chunk), 4)} if chunk else {""}
    if not chunk_classes & {_strip_vowels(option) for option in letter_options}:
        return PRIOR_MISMATCH
    if letter in _CYRILLIC_LETTERS:
        is_vowel = letter in _CYRILLIC_VOWELS
        if not is_vowel and any(char in "aeiou" for char in chunk):
            return PRIOR_MISMATCH
        if is_vowel and any(char not in "aeiouyjihw" for char in chunk):
            return PRIOR_MISMATCH
        return 1.0
    if following == "ו" and chunk[-1:] in ("o", "u"):
        return PRIOR_MISMATCH
    if following == "י" and chunk[-1:] in ("i", "e", "y"):
        return PRIOR_MISMATCH
    if letter in "וי" and not chunk:
        return 0.2
    return 1.0


_CYRILLIC_VOWELS = frozenset("аеёєиіїоуыэюяйьъ")
_LATIN_WRITING_VOWELS = frozenset("aeiouyjwh")  # Latin letters whose native chunk may be a vowel (w у, j я)


def _prior_from_latin(letter: str, chunk: str) -> float:
    """``prior`` for a Latin letter written as a Hebrew or Cyrillic chunk (the ``from_latin``
    tables). Any Latin letter may be silent (French final x, the g of Chinese -ng: Huang Хуан);
    a chunk it writes must share its sound class, and Cyrillic writes a Latin consonant's
    sound with no vowel and a Latin vowel's with no consonant."""
    if not chunk:
        return 1.0
    cyrillic = chunk[0] in _CYRILLIC_LETTERS
    readings = _cyrillic_readings(chunk) if cyrillic else _hebrew_readings(chunk)
    chunk_classes = {_strip_vowels(option) for option in _expand(readings, 4)}
    if not chunk_classes & {_strip_vowels(option) for option in _expand(_latin_readings(letter), 4)}:
        return PRIOR_MISMATCH
    if cyrillic:
        has_vowel = any(char in _CYRILLIC_VOWELS for char in chunk)
        has_consonant = any(char not in _CYRILLIC_VOWELS for char in chunk)
        if (letter in "aeiou" and has_consonant) or (letter not in _LATIN_WRITING_VOWELS and has_vowel):
            return PRIOR_MISMATCH
    return 1.0


def _letter_and_next(key: str) -> tuple[str, str]:
    key = key.rpartition(">")[2].removeprefix("^")
    return key[0], key[1:2]


def _strip_vowels(classes: str) -> str:
    return "".join(char for char in classes.translate(_MERGED) if char not in "IU")


_LETTER_READINGS: dict[str, tuple[str, ...]] = {**_HEBREW_LETTERS, **_CYRILLIC_LETTERS}


def _emissions(
    table: Table, native: str, index: int, key: str, latin: str, *, uniform: bool, after_silent: bool
) -> list[list[float]]:
    """[j][size]: the probability that the letter at ``index`` (context ``key``) writes
    ``latin[j:j + size]``: the options that a search would use (its widest known context, after a
    silent letter or not; all alike in the first step) times the prior."""
    options = None if uniform else (options_at(table, native, index, after_silent=after_silent) or {})
    rows: list[list[float]] = []
    for j in range(len(latin) + 1):
        row: list[float] = []
        for size in range(MAX_CHUNK + 1):
            chunk = latin[j : j + size]
            learned = 1.0 if options is None else options.get(chunk, 0.0)
            row.append(learned * prior(key, chunk) if learned else 0.0)
        rows.append(row)
    return rows


def _chunks_from(emissions: list[list[float]], length: int) -> Iterator[tuple[int, int, float]]:
    """(position, size, probability) of every chunk one letter may write, by its emissions."""
    for j in range(length + 1):
        for size in range(min(MAX_CHUNK, length - j) + 1):
            p = emissions[j][size]
            if p:
                yield j, size, p


def em_iteration(
    pairs: Sequence[tuple[str, str]], table: Table, *, uniform: bool, contexts: Contexts
) -> tuple[Table, float]:
    """One expectation–maximisation step; returns the new table and the log-likelihood.

    The lattice is letters × Latin characters × whether the last letter was silent (when
    ``contexts.silence``): a letter after a silent one is counted under its key with
    ``AFTER_SILENT``."""
    import math

    counts: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    log_likelihood = 0.0
    states = (0, 1) if contexts.silence else (0,)
    for native, latin in pairs:
        n, m = len(native), len(latin)
        base = [(wide_context if contexts.wide else context)(native, i) for i in range(n)]
        keys = [[key, key + AFTER_SILENT] for key in base]
        emit = [
            [_emissions(table, native, i, base[i], latin, uniform=uniform, after_silent=bool(state)) for i in range(n)]
            for state in states
        ]

        def after(state: int, size: int) -> int:
            return 1 if contexts.silence and size == 0 else 0

        forward = [[[0.0] * (m + 1) for _ in states] for _ in range(n + 1)]
        forward[0][0][0] = 1.0
        for i in range(n):
            for state in states:
                row = forward[i][state]
                for j, size, p in _chunks_from(emit[state][i], m):
                    if row[j]:
                        forward[i + 1][after(state, size)][j + size] += row[j] * p
        total = sum(forward[n][state][m] for state in states)
        if total <= 0.0:
            continue
        log_likelihood += math.log(total)
        backward = [[[0.0] * (m + 1) for _ in states] for _ in range(n + 1)]
        for state in states:
            backward[n][state][m] = 1.0
        for i in range(n - 1, -1, -1):
            for state in states:
                row = backward[i][state]
                for j, size, p in _chunks_from(emit[state][i], m):
                    following = backward[i + 1][after(state, size)][j + size]
                    if following:
                        row[j] += p * following
        for i in range(n):
            for state in states:
                key_counts = counts[keys[i][state]]
                row = forward[i][state]
                for j, size, p in _chunks_from(emit[state][i], m):
                    following = backward[i + 1][after(state, size)][j + size]
                    if row[j] and following:
                        key_counts[latin[j : j + size]] += row[j] * p * following / total
    return smoothed(counts, contexts.smoothing), log_likelihood


def _parent(key: str) -> str:
    """The key a context backs off to: a wide context to its context (``מ>שה`` → ``שה``), a
    context to its letter."""
    if ">" in key:
        previous, _, rest = key.partition(">")
        return ("^" if previous == "^" else "") + rest
    return key.removeprefix("^")[0]


def _normalised(chunks: dict[str, float]) -> dict[str, float]:
    norm = sum(chunks.values())
    kept = {chunk: count / norm for chunk, count in chunks.items() if count / norm >= MIN_PROBABILITY}
    renorm = sum(kept.values())
    return {chunk: value / renorm for chunk, value in kept.items()}


SILENT_PRIOR = 5.0  # observations a letter's options count for as the prior of its options after a silent letter


def smoothed(counts: dict[str, dict[str, float]], smoothing: float) -> Table:
    """Chunk probabilities per letter, per context and (when the counts are per wide context) per
    wide context, from the expected counts. Each level is its own counts with its parent's
    probabilities as a prior of ``smoothing`` observations, so that a context seen a few times
    leans on its letter.

    Keys after a silent letter (``AFTER_SILENT``) form a hierarchy of their own, whose letters lean
    on the same letters after a spoken one; those seen less than ``MIN_CONTEXT`` times are left
    out, so that the ordinary options stand in for them."""
    seen = {key: chunks for key, chunks in counts.items() if chunks}
    spoken = {key: chunks for key, chunks in seen.items() if not key.endswith(AFTER_SILENT)}
    silent = {key.removesuffix(AFTER_SILENT): chunks for key, chunks in seen.items() if key.endswith(AFTER_SILENT)}
    table, _totals = _levels(spoken, smoothing, {})
    if silent:
        after_silent, totals = _levels(silent, smoothing, table)
        table.update({key + AFTER_SILENT: chunks for key, chunks in after_silent.items() if totals[key] >= MIN_CONTEXT})
    return table


def _levels(
    counts: dict[str, dict[str, float]], smoothing: float, letter_prior: Table
) -> tuple[Table, dict[str, float]]:
    """``smoothed`` for one state: the table and the expected count of each of its keys. Letters
    lean on ``letter_prior`` (by ``SILENT_PRIOR`` observations) where it has them."""
    wide = {key: chunks for key, chunks in counts.items() if ">" in key}
    contexts: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for key, chunks in counts.items():
        for chunk, count in chunks.items():
            contexts[_parent(key) if ">" in key else key][chunk] += count
    letters: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for key, chunks in contexts.items():
        for chunk, count in chunks.items():
            letters[_parent(key)][chunk] += count
    totals = {key: sum(chunks.values()) for level in (letters, contexts, wide) for key, chunks in level.items()}
    table: Table = {
        letter: _mixed(chunks, letter_prior.get(letter, {}), SILENT_PRIOR if letter in letter_prior else 0.0)
        for letter, chunks in letters.items()
    }
    for level in (contexts, wide):
        for key, chunks in level.items():
            table[key] = _mixed(chunks, table[_parent(key)], smoothing)
    return table, totals


def _mixed(chunks: dict[str, float], parent: dict[str, float], weight: float) -> dict[str, float]:
    """Probabilities from ``chunks`` (expected counts) with ``parent``'s as a prior of ``weight``."""
    total = sum(chunks.values())
    mixed = {chunk: chunks.get(chunk, 0.0) + weight * parent.get(chunk, 0.0) for chunk in {*chunks, *parent}}
    return _normalised({chunk: value / (total + weight) for chunk, value in mixed.items() if value})


def stored_table(table: Table, pairs: Sequence[tuple[str, str]]) -> dict[str, list[tuple[str, float]]]:
    """The table as the model file keeps it: every letter, and the contexts and wide contexts seen
    at least ``MIN_CONTEXT`` times (rarer ones fall back to their parent), each sorted best first
    and cut to ``KEEP_OPTIONS``. (``smoothed`` has already left out the rare keys after a
    silent letter.)"""
    frequency: dict[str, int] = defaultdict(int)
    for native, _latin in pairs:
        for i in range(len(native)):
            frequency[context(native, i)] += 1
            frequency[wide_context(native, i)] += 1
    return {
        key: _top(chunks)
        for key, chunks in sorted(table.items())
        if len(key) == 1 or key.endswith(AFTER_SILENT) or frequency[key] >= MIN_CONTEXT
    }


def _top(chunks: dict[str, float]) -> list[tuple[str, float]]:
    ranked = sorted(chunks.items(), key=lambda item: (-item[1], item[0]))[:KEEP_OPTIONS]
    return [(chunk, round(probability, 5)) for chunk, probability in ranked]


def train(
    pairs: Sequence[tuple[str, str]], *, contexts: Contexts, iterations: int = ITERATIONS, log: bool = True
) -> Table:
    table: Table = {}
    for iteration in range(iterations):
        table, log_likelihood = em_iteration(pairs, table, uniform=iteration == 0, contexts=contexts)
        if log:
            print(f"  iteration {iteration + 1}: log-likelihood {log_likelihood:.0f}", file=sys.stderr)
    return table


def evaluate(table: dict[str, list[tuple[str, float]]], script: str, pairs: Sequence[tuple[str, str]]) -> dict:
    """Top-1 / top-4 exact accuracy and mean best similarity of the learned spellings."""
    import math

    from rapidfuzz.distance import Indel

    model = {key: [(chunk, math.log(p)) for chunk, p in options] for key, options in table.items()}
    top1 = top4 = 0
    similarity = 0.0
    for native, latin in pairs:
        guesses = likeliest_spellings(model, native, limit=4)
        top1 += bool(guesses) and guesses[0] == latin
        top4 += latin in guesses
        similarity += max((Indel.normalized_similarity(guess, latin) for guess in guesses), default=0.0)
    total = max(1, len(pairs))
    return {
        "script": script,
        "pairs": len(pairs),
        "top1": round(top1 / total, 4),
        "top4": round(top4 / total, 4),
        "mean_best_similarity": round(similarity / total, 4),
    }


def _swapped(pairs: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    return [(latin, native) for native, latin in pairs]


def _write_holdout(source: Path, target: Path, holdout: int) -> None:
    """The rows of ``source`` in the held-out buckets, in the same format (for the benchmark)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(source, encoding="utf-8") as handle, open(target, "w", encoding="utf-8") as out:
        out.write(handle.readline())
        for line in handle:
            fields = line.rstrip("\r\n").split("\t")
            if len(fields) >= 2 and bucket(fields[0].strip(), fields[1].strip()) < holdout:
                out.write(line)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m namebridge.train", description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="folder with the namebench dev files")
    parser.add_argument("--out", type=Path, default=OUTPUT, help="where to write the model")
    parser.add_argument("--holdout", type=int, default=0, metavar="P", help="hold out P%% of the pairs and report")
    parser.add_argument("--iterations", type=int, default=ITERATIONS)
    parser.add_argument(
        "--write-holdout", type=Path, default=None, metavar="DIR", help="also write the held-out rows as pair files"
    )
    args = parser.parse_args(argv)

    tables: dict[str, dict[str, list[tuple[str, float]]]] = {}
    reports = []
    for script, filename in FILES.items():
        rows = training_pairs(args.data / filename, Script(script))
        train_rows = [(native, latin) for native, latin, b in rows if b >= args.holdout]
        held_rows = [(native, latin) for native, latin, b in rows if b < args.holdout]
        print(f"{script}: training on {len(train_rows)} pairs, holding out {len(held_rows)}", file=sys.stderr)
        for name, contexts, pairs, held in (
            (script, CONTEXTS[script], train_rows, held_rows),
            (from_latin(script), FROM_LATIN_CONTEXTS, _swapped(train_rows), _swapped(held_rows)),
        ):
            print(f"  {name}", file=sys.stderr)
            table = stored_table(train(pairs, contexts=contexts, iterations=args.iterations), pairs)
            tables[name] = table
            if held:
                reports.append(evaluate(table, name, held))
        if args.write_holdout is not None and args.holdout:
            _write_holdout(args.data / filename, args.write_holdout / f"holdout.{filename}", args.holdout)
    document = {
        "about": "namebridge learned romanisation; rebuild with `python -m namebridge.train`",
        "source": "namebench dev split: " + ", ".join(FILES.values()),
        "holdout_percent": args.holdout,
        "max_chunk": MAX_CHUNK,
        "iterations": args.iterations,
        "tables": tables,
    }
    args.out.write_text(json.dumps(document, ensure_ascii=False, separators=(",", ":"), sort_keys=True) + "\n")
    print(f"wrote {args.out}", file=sys.stderr)
    for report in reports:
        print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
