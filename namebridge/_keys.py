"""Phonetic keys shared by Hebrew, Cyrillic and Latin: the sound classes a name token is made of.

Hebrew writes few vowels, Latin and Cyrillic write all of them, and each script leaves different
consonants ambiguous. So both sides are mapped to one alphabet of **sound classes**, merged where
some script cannot tell two sounds apart:

====  ==========================================  ==========================
class Latin                                       Hebrew / Cyrillic
====  ==========================================  ==========================
B     b v w                                       ב ו(consonant) וו / б в
P     p f ph                                      פ / п ф
G     g gh                                        ג / г ґ
J     j dj dzh g(before e i y)                    ג' / дж
D     d dh                                        ד / д
Z     z zh zs s(between vowels)                   ז ז' / з ж
T     t th                                        ט ת ת' / т
K     k q c(hard) ck kh h ch                      ק כ ח ה / к х г
C     ts tz c(soft) ch tsch tch cz cs č           צ צ' טש / ц ч
S     s sh sch sz ß c(soft)                       ס ש / с ш щ
L M N R                                           ל מ נ ר / л м н р
I     i y e(in ei ie ey) j(as y)                  י / и і ї й ы є я
U     o u ou oo w(as vowel)                       ו(vowel) / о у ю ё
====  ==========================================  ==========================

a and e, א and ע, a final ה, ь and ъ are dropped: Hebrew spells foreign names "plene", writing
i/y with י and o/u with ו but usually leaving a and e unwritten.

Every token gets a few **variants** (ambiguous letters give more than one reading: ו as U or B,
כ and Latin ch as K or C, g before e as G or J, z as Z or C), capped at ``MAX_VARIANTS``:

* the **reduced form** keeps I and U (``ZLNSKI`` for Zelensky and for זלנסקי): the fine
  comparison of Hebrew with anything;
* the **skeleton** is the reduced form without I and U (``ZLNSK``): the blocking key of the
  inverted index, with its deletion neighbourhood for near misses;
* the **romanised forms** (Cyrillic through every transliteration convention, Latin as folded,
  Hebrew through ``romanize_hebrew``) are the fine comparison of Latin with Cyrillic, which keeps
  vowels.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from functools import lru_cache

from namebridge._hebrew import romanize_hebrew
from namebridge._model import learned_romanisations
from namebridge._normalize import Script, detect_script, fold
from namebridge._tokens import BORROWED
from namebridge._transliterate import Convention, transliterate

__all__ = ["MAX_VARIANTS", "TokenKeys", "conventional_romanisations", "deletions", "token_keys"]

MAX_VARIANTS = 6
_VOWEL_CLASSES = frozenset("IU")
# z and s are told apart in the tables (for explanations), but merged in the keys: Latin s is z
# between vowels (Rosen, רוזן), German z is ts, and transcribers confuse them all the time.
_MERGED = str.maketrans({"Z": "S"})

# --- Latin ------------------------------------------------------------------------------------

_LATIN_VOWELS = frozenset("aeiouy")
# Longest first. Each entry: spelling → readings, most likely first.
_LATIN_SEQUENCES: dict[str, tuple[str, ...]] = {
    "tsch": ("C",),
    "dzh": ("J",),
    "shch": ("S",),
    "sch": ("S",),
    "tch": ("C",),
    "tsh": ("C", "TS"),
    "zh": ("Z",),
    "kh": ("K",),
    "sh": ("S",),
    "sz": ("S",),
    "cz": ("C",),
    "cs": ("C", "KS"),  # Hungarian Csaba, Kovács; English Ericson, Isaacson
    "ch": ("K", "C", "S"),
    "ck": ("K",),
    "ph": ("P",),
    "th": ("T",),
    "dh": ("D",),
    "gh": ("G", ""),
    "ts": ("C", "TS"),
    "tz": ("C",),
    "wh": ("B", "U"),
    "dj": ("J",),
    "dz": ("J", "DZ"),
    "zs": ("Z",),
    "qu": ("KB", "K"),
    "ou": ("U",),
    "oo": ("U",),
    "ee": ("I",),
    "ea": ("I", ""),
    "ei": ("I",),
    "ey": ("I",),
    "ie": ("I",),
    "ai": ("I",),
    "ay": ("I",),
    "ew": ("U", "IU", "B"),  # Andrew אנדרו, Ewing יואינג, Newman ניומן, Matthew מת'יו
    "oi": ("UI",),
    "oy": ("UI",),
    "aa": ("",),
}
_LATIN_LETTERS: dict[str, tuple[str, ...]] = {
    "a": ("",),
    "e": ("",),
    "i": ("I",),
    "y": ("I",),
    "o": ("U",),
    "u": ("U",),
    "b": ("B",),
    "v": ("B",),
    "w": ("B", "U"),
    "p": ("P",),
    "f": ("P",),
    "g": ("G",),
    "j": ("I", "J", "Z", "K"),  # Jan, John; French Jean ז'אן; Spanish Javier חבייר
    "d": ("D",),
    "z": ("Z", "C"),
    "t": ("T",),
    "k": ("K",),
    "q": ("K",),
    "h": ("K",),
    "c": ("K", "C"),
    "s": ("S",),
    "x": ("KS",),
    "l": ("L",),
    "m": ("M",),
    "n": ("N",),
    "r": ("R",),
}
_LATIN_LONGEST = max(len(key) for key in _LATIN_SEQUENCES)


def _long_a(word: str, index: int) -> bool:
    """English long a before one consonant and a final e, y, ey or ie (Dale, James, Daley), which
    Hebrew writes with יי."""
    rest = word[index + 1 :]
    return (
        len(rest) >= 2 and rest[0] not in _NOT_A_CONSONANT_AFTER_A and rest[1:] in ("e", "es", "y", "ey", "ie", "ies")
    )


_NOT_A_CONSONANT_AFTER_A = _LATIN_VOWELS | {"w", "h", "r"}


def _latin_readings(word: str) -> list[tuple[str, ...]]:
    """Per position of ``word`` (folded Latin), its possible readings as class strings."""
    readings: list[tuple[str, ...]] = []
    index, length = 0, len(word)
    while index < length:
        for size in range(min(_LATIN_LONGEST, length - index), 1, -1):
            chunk = word[index : index + size]
            options = _LATIN_SEQUENCES.get(chunk)
            if options is not None:
                readings.append(options)
                index += size
                break
        else:
            char = word[index]
            after = word[index + 1] if index + 1 < length else ""
            before = word[index - 1] if index else ""
            if char == "c":
                options = ("S", "C") if after in ("e", "i", "y") else ("K",) if after in _LATIN_VOWELS else ("K", "C")
            elif char == "g":
                options = ("G", "J") if after in ("e", "i", "y") else ("G",)
            elif char == "s":
                options = ("S", "Z") if before in _LATIN_VOWELS and after in _LATIN_VOWELS else ("S",)
            elif char == "h":
                # silent after a vowel at the end (Sarah, Noah), or a breath Hebrew may write with ה
                options = ("", "K") if not after and before in _LATIN_VOWELS else ("K", "")
            elif char == "a" and _long_a(word, index):
                options = ("I", "") if word.endswith("e") else ("", "I")  # Dale דייל, Daley דיילי
            elif char == "y" and after in _LATIN_VOWELS:
                options = ("I",)
            elif char.isdigit():
                options = (char,)
            else:
                options = _LATIN_LETTERS.get(char, ("",) if char.isalpha() else (char,))
            readings.append(options)
            index += 1
    return readings


# --- Hebrew -----------------------------------------------------------------------------------

_HEBREW_LETTERS: dict[str, tuple[str, ...]] = {
    "א": ("",),
    "ב": ("B",),
    "ג": ("G",),
    "ד": ("D",),
    "ה": ("K", ""),
    "ו": ("U", "B"),
    "ז": ("Z",),
    "ח": ("K",),
    "ט": ("T",),
    "י": ("I",),
    "כ": ("K", "C"),
    "ל": ("L",),
    "מ": ("M",),
    "נ": ("N",),
    "ס": ("S",),
    "ע": ("",),
    "פ": ("P",),
    "צ": ("C",),
    "ק": ("K",),
    "ר": ("R",),
    "ש": ("S",),
    "ת": ("T",),
    "\ue001": ("J",),  # ג'
    "\ue002": ("Z",),  # ז'
    "\ue003": ("C",),  # צ'
    "\ue004": ("T",),  # ת'
    "\ue005": ("D",),  # ד'
}
_HEBREW_SEQUENCES: dict[str, tuple[str, ...]] = {
    "וו": ("B", "U"),
    "טש": ("C", "TS"),  # Yiddish tsh
    "טס": ("TS", "C"),
    "דזש": ("J",),  # Yiddish dzh
    "זש": ("Z",),  # Yiddish zh
    "יי": ("I",),
    "וי": ("UI", "BI"),
}


def _hebrew_readings(word: str) -> list[tuple[str, ...]]:
    readings: list[tuple[str, ...]] = []
    index, length = 0, len(word)
    while index < length:
        for size in (3, 2):
            chunk = word[index : index + size]
            if len(chunk) == size and chunk in _HEBREW_SEQUENCES:
                readings.append(_HEBREW_SEQUENCES[chunk])
                index += size
                break
        else:
            char = word[index]
            if char == "ה" and index == 0:
                options: tuple[str, ...] = ("K",)  # also alone: the initial ה. is H.
            elif char == "ה" and index == length - 1:
                options = ("",)  # final ה is a vowel (Sarah, Moshe)
            elif char == "ו" and index == 0:
                options = ("B", "U")
            elif char == "כ" and index == 0:
                options = ("K",)
            else:
                options = _HEBREW_LETTERS.get(char, (char,) if char.isdigit() else ("",))
            readings.append(options)
            index += 1
    return readings


# --- Cyrillic ---------------------------------------------------------------------------------

_CYRILLIC_LETTERS: dict[str, tuple[str, ...]] = {
    "а": ("",),
    "б": ("B",),
    "в": ("B",),
    "г": ("G", "K"),
    "ґ": ("G",),
    "д": ("D",),
    "е": ("",),
    "є": ("I",),
    "ж": ("Z",),
    "з": ("Z",),
    "и": ("I",),
    "і": ("I",),
    "ї": ("I",),
    "й": ("I",),
    "к": ("K",),
    "л": ("L",),
    "м": ("M",),
    "н": ("N",),
    "о": ("U",),
    "п": ("P",),
    "р": ("R",),
    "с": ("S",),
    "т": ("T",),
    "у": ("U",),
    "ф": ("P",),
    "х": ("K",),
    "ц": ("C",),
    "ч": ("C",),
    "ш": ("S",),
    "щ": ("S",),
    "ь": ("",),
    "ъ": ("",),
    "ы": ("I",),
    "э": ("",),
    "ю": ("IU",),
    "я": ("I",),
    "ё": ("IU",),
}


def _cyrillic_readings(word: str) -> list[tuple[str, ...]]:
    readings: list[tuple[str, ...]] = []
    index, length = 0, len(word)
    while index < length:
        if word.startswith("дж", index):
            readings.append(("J",))
            index += 2
            continue
        if word.startswith("тс", index) or word.startswith("тш", index):
            readings.append(("TS", "C"))
            index += 2
            continue
        if word.startswith("дз", index):
            readings.append(("DZ", "J"))
            index += 2
            continue
        if word.startswith("кс", index):
            readings.append(("KS",))
            index += 2
            continue
        char = word[index]
        base = char[0]
        readings.append(_CYRILLIC_LETTERS.get(base, (base,) if base.isdigit() else ("",)))
        index += 1
    return readings


# --- variants ---------------------------------------------------------------------------------


def _collapse(classes: str) -> str:
    """Drop repeats: a doubled letter is one sound (Hebrew never doubles, Latin often does)."""
    out: list[str] = []
    for char in classes:
        if not out or out[-1] != char:
            out.append(char)
    return "".join(out)


def _expand(readings: list[tuple[str, ...]], limit: int) -> tuple[str, ...]:
    """Every reading of the positions, most likely first, at most ``limit`` distinct ones.

    Ambiguous positions are expanded in order of the number of readings they have, so that the
    first ``limit`` variants vary the first choices at every position before combining them.
    """
    variants: list[str] = []
    seen: set[str] = set()
    # Breadth first over "how many positions take a non-first reading": all-first readings, then
    # each single deviation, then pairs; this favours the likely readings within the cap.
    ambiguous = [position for position, options in enumerate(readings) if len(options) > 1]
    for depth in range(len(ambiguous) + 1):
        for positions in itertools.combinations(ambiguous, depth):
            choices = [
                options[1:] if position in positions else options[:1] for position, options in enumerate(readings)
            ]
            for combination in itertools.product(*choices):
                variant = _collapse("".join(combination).translate(_MERGED))
                if variant not in seen:
                    seen.add(variant)
                    variants.append(variant)
                    if len(variants) >= limit:
                        return tuple(variants)
            if depth >= 3:
                return tuple(variants)
    return tuple(variants)


def skeleton(reduced: str) -> str:
    """A reduced form without its vowel classes: the blocking key."""
    return _collapse("".join(char for char in reduced if char not in _VOWEL_CLASSES))


def deletions(key: str) -> tuple[str, ...]:
    """The keys one class shorter (SymSpell's deletion neighbourhood of distance one)."""
    if len(key) < 3:
        return ()
    return tuple(dict.fromkeys(key[:index] + key[index + 1 :] for index in range(len(key))))


_ROMANISING = (Convention.RU_BGN_PCGN, Convention.UK_NATIONAL_2010, Convention.UK_GERMAN)


@lru_cache(maxsize=100_000)
def conventional_romanisations(token: str) -> frozenset[str]:
    """A Cyrillic token as the transliteration conventions write it in plain letters (passports:
    Volodymyr, Zelenskyi). A convention that writes diacritics (GOST's č, scholarly š) is left out:
    without them its spelling would be another name's (č and c both become c)."""
    spellings = (transliterate(token, convention).casefold() for convention in Convention)
    return frozenset(spelling for spelling in spellings if spelling.isascii() and spelling.isalpha())


# How many of the model's likeliest spellings a Hebrew or Cyrillic token is compared by. Eight
# rather than four raised recall@10 by 0.5–0.7 points on the Russian words and 0.1–0.4 on the
# Hebrew ones (2,000 queries each): a rarer spelling is often a lower guess of the model.
LEARNED_FORMS = 8


@dataclass(frozen=True, slots=True)
class TokenKeys:
    """The keys of one token. ``script`` is its script; the tuples are deduplicated and ordered by
    likelihood."""

    token: str
    script: Script
    reduced: tuple[str, ...]
    skeletons: tuple[str, ...]
    romanised: tuple[str, ...]


def _plain_latin(text: str) -> str:
    """A transliteration as folded Latin letters (the conventions' ’ and diacritics dropped)."""
    return "".join(char for char in fold(text) if char.isalnum())


# Large enough for the distinct tokens of a national index (about 300,000 at a million names):
# the scorer looks keys up by token, and an evicted token costs a beam search to key again.
@lru_cache(maxsize=1_000_000)
def token_keys(token: str) -> TokenKeys:
    """The keys of one folded token (a token of ``split_tokens``)."""
    script = detect_script(token.translate(_BORROWED_AS_HEBREW))
    if script is Script.HEBREW:
        readings = _hebrew_readings(token)
        romanised = learned_romanisations(token, "hebrew", limit=LEARNED_FORMS) or tuple(
            romanize_hebrew(token, limit=2)
        )
    elif script is Script.CYRILLIC:
        readings = _cyrillic_readings(token)
        learned = learned_romanisations(token, "cyrillic", limit=LEARNED_FORMS)
        conventional = (_plain_latin(transliterate(token, convention)) for convention in _ROMANISING)
        romanised = tuple(dict.fromkeys((*learned, *conventional)))
    elif script is Script.LATIN:
        readings = _latin_readings(token)
        romanised = (token,)
    else:
        # Digits and scripts we do not know: the token is its own key.
        return TokenKeys(token=token, script=script, reduced=(token,), skeletons=(token,), romanised=(token,))
    reduced = _expand(readings, MAX_VARIANTS) or ("",)
    skeletons = tuple(dict.fromkeys(skeleton(variant) for variant in reduced))
    return TokenKeys(token=token, script=script, reduced=reduced, skeletons=skeletons, romanised=romanised)


_BORROWED_AS_HEBREW = str.maketrans({marker: "ג" for marker in BORROWED})
