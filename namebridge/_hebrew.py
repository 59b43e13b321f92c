"""Hebrew ↔ Latin: several candidate spellings, because Hebrew letters are ambiguous.

Hebrew writes consonants and only some vowels, with the same letters it uses for consonants:
ו is v, o or u; י is y, i or e; א and ע are silent carriers of a, e or o (in Yiddish ע is e);
a final ה is a vowel. ב, כ, פ are b/v, k/kh, p/f; ש is sh or s; a geresh marks a borrowed sound
(ג' j, ז' zh, צ' ch, ת' th). Yiddish and Ashkenazi spelling add digraphs: וו v, יי ei/ey, וי oi/oy,
טש tsh, זש zh, דזש dzh, and the Ashkenazi ת is s (Shabsai).

Because no single romanisation is right, both directions return a short list of candidates, most
likely first. Sources: the Academy of the Hebrew Language's 2006 simple romanisation rules for the
letter values; YIVO romanisation of Yiddish for the digraphs.
"""

from __future__ import annotations

import itertools

from namebridge._tokens import BORROWED

__all__ = ["hebraize", "romanize_hebrew"]

# Each Hebrew letter's Latin readings, most likely first ("" = silent).
_TO_LATIN: dict[str, tuple[str, ...]] = {
    "א": ("a", "", "e", "o"),
    "ב": ("b", "v"),
    "ג": ("g",),
    "ד": ("d",),
    "ה": ("h", "a"),
    "ו": ("o", "v", "u"),
    "ז": ("z",),
    "ח": ("ch", "kh", "h"),
    "ט": ("t",),
    "י": ("i", "y", "e"),
    "כ": ("k", "ch", "kh"),
    "ל": ("l",),
    "מ": ("m",),
    "נ": ("n",),
    "ס": ("s",),
    "ע": ("a", "e", ""),
    "פ": ("p", "f"),
    "צ": ("tz", "ts", "z"),
    "ק": ("k",),
    "ר": ("r",),
    "ש": ("sh", "s"),
    "ת": ("t", "s"),
    "\ue001": ("j", "g"),
    "\ue002": ("zh", "j"),
    "\ue003": ("ch", "tsh"),
    "\ue004": ("th", "t"),
    "\ue005": ("dh", "d"),
}
_DIGRAPHS: dict[str, tuple[str, ...]] = {
    "דזש": ("dzh", "j"),
    "וו": ("v", "w"),
    "יי": ("ei", "ey", "ai", "y"),
    "וי": ("oi", "oy", "vi"),
    "טש": ("tsh", "ch"),
    "זש": ("zh",),
}
_FINAL: dict[str, tuple[str, ...]] = {
    "ה": ("a", "e", "h", ""),
    "י": ("i", "y"),
    "ו": ("o", "u", "v"),
    "כ": ("ch", "kh", "k"),
    "פ": ("f", "p"),  # ף
    "ב": ("v", "b"),  # Yaakov יעקב
}
_INITIAL: dict[str, tuple[str, ...]] = {"ו": ("v", "w", "o"), "י": ("y", "i", "j"), "כ": ("k",), "ב": ("b",)}


def _readings(word: str) -> list[tuple[str, ...]]:
    readings: list[tuple[str, ...]] = []
    index, length = 0, len(word)
    while index < length:
        if index == 0 and word[0] == "ו" and word[1:2] != "ו":
            readings.append(_INITIAL["ו"])  # a word-initial ו is v (Weinberg ויינברג)
            index = 1
            continue
        for size in (3, 2):
            chunk = word[index : index + size]
            if len(chunk) == size and chunk in _DIGRAPHS:
                readings.append(_DIGRAPHS[chunk])
                index += size
                break
        else:
            char = word[index]
            if index == 0 and char in "אע" and length > 1 and word[1] in "וי":
                readings.append(("",))  # the carrier of a word-initial o, u or i
            elif index == length - 1 and char in _FINAL and length > 1:
                readings.append(_FINAL[char])
            elif index == 0 and char in _INITIAL:
                readings.append(_INITIAL[char])
            else:
                readings.append(_TO_LATIN.get(char, (char,)))
            index += 1
    return readings


def _likely_combinations(readings: list[tuple[str, ...]]):
    """Combinations of per-letter readings, most likely first: every letter's first reading,
    then one ambiguous letter read otherwise, then two. Deeper mixes are too unlikely to be
    worth their number."""
    ambiguous = [position for position, options in enumerate(readings) if len(options) > 1]
    for depth in range(min(len(ambiguous), 2) + 1):
        for positions in itertools.combinations(ambiguous, depth):
            choices = [
                options[1:] if position in positions else options[:1] for position, options in enumerate(readings)
            ]
            yield from itertools.product(*choices)


def romanize_hebrew(word: str, *, limit: int = 8) -> list[str]:
    """Latin candidate spellings of one folded Hebrew token, most likely first.

    Consonant letters only give what is written: vowels that Hebrew leaves out stay out
    ("זלנסקי" → "zlnski", ...). ``limit`` caps the list.
    """
    candidates: list[str] = []
    for combination in _likely_combinations(_readings(word)):
        candidate = "".join(combination)
        if candidate not in candidates:
            candidates.append(candidate)
            if len(candidates) >= limit:
                break
    return candidates


# Latin spellings → Hebrew letters, longest first, for writing a Latin name in Hebrew the way
# Israeli registries and newspapers do: consonants written, i/y as י, o/u as ו, a and e mostly not.
_FROM_LATIN: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("tsch", ("טש", "צ'")),
    ("sch", ("ש",)),
    ("tch", ("צ'",)),
    ("dzh", ("ג'",)),
    ("ch", ("ח", "כ", "צ'")),
    ("sh", ("ש",)),
    ("zh", ("ז'",)),
    ("kh", ("ח", "כ")),
    ("ts", ("צ",)),
    ("tz", ("צ",)),
    ("th", ("ת'", "ת", "ט")),
    ("ph", ("פ",)),
    ("ck", ("ק",)),
    ("ei", ("יי", "י")),
    ("ey", ("יי", "י")),
    ("ai", ("יי", "אי")),
    ("ay", ("יי", "אי")),
    ("oi", ("וי",)),
    ("oy", ("וי",)),
    ("ou", ("ו",)),
    ("oo", ("ו",)),
    ("ee", ("י",)),
    ("a", ("", "א")),
    ("b", ("ב",)),
    ("c", ("ק", "ס", "צ")),
    ("d", ("ד",)),
    ("e", ("", "י")),
    ("f", ("פ",)),
    ("g", ("ג", "ג'")),
    ("h", ("ה", "ח")),
    ("i", ("י",)),
    ("j", ("ג'", "י")),
    ("k", ("ק", "כ")),
    ("l", ("ל",)),
    ("m", ("מ",)),
    ("n", ("נ",)),
    ("o", ("ו",)),
    ("p", ("פ",)),
    ("q", ("ק",)),
    ("r", ("ר",)),
    ("s", ("ס", "ש", "ז")),
    ("t", ("ט", "ת")),
    ("u", ("ו",)),
    ("v", ("ו", "וו", "ב")),
    ("w", ("ו", "וו")),
    ("x", ("קס",)),
    ("y", ("י",)),
    ("z", ("ז", "צ")),
)
_SOFIT = {"כ": "ך", "מ": "ם", "נ": "ן", "פ": "ף", "צ": "ץ"}
_WORD_INITIAL_VOWEL = {"a": "א", "e": "א", "i": "אי", "o": "או", "u": "או"}


def hebraize(word: str, *, limit: int = 8) -> list[str]:
    """Hebrew candidate spellings of one folded Latin token, most likely first ("zelensky" →
    "זלנסקי", ...). Final letters take their final forms; a word-initial vowel gets its א."""
    readings: list[tuple[str, ...]] = []
    index = 0
    if word and word[0] in _WORD_INITIAL_VOWEL:
        readings.append((_WORD_INITIAL_VOWEL[word[0]],))
        index = 1
    while index < len(word):
        for spelling, options in _FROM_LATIN:
            if word.startswith(spelling, index):
                readings.append(options)
                index += len(spelling)
                break
        else:
            readings.append(("",))
            index += 1
    # A doubled consonant is written once.
    candidates: list[str] = []
    for combination in _likely_combinations(readings):
        letters: list[str] = []
        for part in combination:
            if part and letters and letters[-1] == part and part not in ("ו", "י"):
                continue
            letters.append(part)
        candidate = "".join(letters)
        if candidate and candidate[-1] in _SOFIT:
            candidate = candidate[:-1] + _SOFIT[candidate[-1]]
        if candidate and candidate not in candidates:
            candidates.append(candidate)
            if len(candidates) >= limit:
                break
    return candidates


def is_borrowed_marker(char: str) -> bool:
    """True for the private-use stand-ins of a Hebrew letter with geresh (see ``_tokens``)."""
    return char in BORROWED
