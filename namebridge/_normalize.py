"""Clean, fold and classify names, with nothing but the standard library.

Three forms of a name live in Crisis Desk, and this module makes two of them:

* the name **as written** (``clean_name``): what the person or the officer typed, in its own
  script and case, minus invisible characters and stray whitespace. This is what we store.
* the **search key** (``fold``): case, diacritics, Hebrew points, final letter forms, apostrophes
  and hyphens folded away, so that spellings which a human reads as the same name compare equal.
  Keys are compared, never shown.
* the transliterated forms (see ``_transliterate``).
"""

from __future__ import annotations

import enum
import re
import unicodedata
from functools import lru_cache

__all__ = ["Script", "clean_name", "detect_script", "fold", "strip_invisible"]

# Characters that render as nothing but that Unicode does not put in category Cf, taken from the
# Default_Ignorable_Code_Point property (Unicode DerivedCoreProperties.txt). Category Cf and the
# control characters are removed by category below; these are the rest. Trojan Source (Boucher and
# Anderson, CVE-2021-42574) uses the bidi controls; the others hide text in the same way.
_IGNORABLE_RANGES: tuple[tuple[int, int], ...] = (
    (0x034F, 0x034F),  # COMBINING GRAPHEME JOINER
    (0x115F, 0x1160),  # HANGUL CHOSEONG/JUNGSEONG FILLER
    (0x17B4, 0x17B5),  # KHMER VOWEL INHERENT AQ/AA
    (0x180B, 0x180F),  # MONGOLIAN FREE VARIATION SELECTORS
    (0x3164, 0x3164),  # HANGUL FILLER
    (0xFE00, 0xFE0F),  # VARIATION SELECTORS 1-16
    (0xFFA0, 0xFFA0),  # HALFWIDTH HANGUL FILLER
    (0x1D173, 0x1D17A),  # MUSICAL SYMBOL BEGIN/END BEAM etc.
    (0xE0100, 0xE01EF),  # VARIATION SELECTORS 17-256
)

# Control characters that separate words: they become a space instead of vanishing, so that
# "Anna\tCohen" does not turn into "AnnaCohen".
_SEPARATING_CONTROLS = frozenset("\t\n\r\x0b\x0c\x1c\x1d\x1e\x1f\x85")

# Marks of apostrophe and quotation that fold removes: ASCII ' " `, typographic quotes, the
# Ukrainian apostrophe U+02BC, the scholarly soft and hard signs U+02B9/U+02BA, the acute accent
# used as a Polish soft sign, and the Hebrew geresh and gershayim (U+05F3, U+05F4) that mark
# borrowed sounds (ג׳) and abbreviations.
_APOSTROPHES = frozenset(
    "'\"`\u00b4\u2018\u2019\u201a\u201b\u201c\u201d\u201e\u201f\u2032\u2033\u02b9\u02ba\u02bc\u05f3\u05f4"
)

# Latin letters that carry a "diacritic" Unicode does not decompose, so NFD alone cannot remove it.
_LATIN_SPECIAL = {
    "ł": "l",
    "ø": "o",
    "đ": "d",
    "ð": "d",
    "þ": "th",
    "æ": "ae",
    "œ": "oe",
    "ħ": "h",
    "ı": "i",
    "ŧ": "t",
}

# Hebrew final letter forms (sofit) and the Yiddish ligatures, which NFKC leaves alone.
_HEBREW_SPECIAL = {
    "ך": "כ",
    "ם": "מ",
    "ן": "נ",
    "ף": "פ",
    "ץ": "צ",
    "װ": "וו",
    "ױ": "וי",
    "ײ": "יי",
}

_FOLD_TABLE = str.maketrans({**_LATIN_SPECIAL, **_HEBREW_SPECIAL})

# Cyrillic letters that are spelt with a combining mark: й (и + breve), ё ї (е і + diaeresis),
# ў (у + breve). These marks make a different letter, so fold keeps them. Other marks on Cyrillic
# letters are stress accents, which are not part of the spelling.
_CYRILLIC_LETTER_MARKS = frozenset("\u0306\u0308")


class Script(enum.StrEnum):
    """The writing system of a name, as far as name matching cares."""

    LATIN = "latin"
    CYRILLIC = "cyrillic"
    HEBREW = "hebrew"
    MIXED = "mixed"  # letters from more than one script, e.g. a Cyrillic "а" inside a Latin name
    OTHER = "other"  # letters, but from none of the three scripts above
    EMPTY = "empty"  # no letters at all


_SCRIPT_WORDS = {"LATIN": Script.LATIN, "CYRILLIC": Script.CYRILLIC, "HEBREW": Script.HEBREW}


@lru_cache(maxsize=4096)
def _letter_script(char: str) -> Script:
    """The script of one letter, from its Unicode name (the stdlib has no Script property)."""
    for word in unicodedata.name(char, "").split():
        script = _SCRIPT_WORDS.get(word)
        if script is not None:
            return script
    return Script.OTHER


def _is_ignorable(code: int) -> bool:
    return any(low <= code <= high for low, high in _IGNORABLE_RANGES)


_IGNORABLE_CHARACTER = re.compile("[" + "".join(f"{chr(low)}-{chr(high)}" for low, high in _IGNORABLE_RANGES) + "]")


def strip_invisible(text: str) -> str:
    """Remove characters that are invisible when printed, and turn line breaks and tabs into spaces.

    Removes every format character (category Cf: the bidi controls U+202A-U+202E, U+2066-U+2069,
    U+200E, U+200F, U+061C, the zero-width characters U+200B-U+200D, U+2060, U+FEFF, the soft
    hyphen and the rest), every control character, lone surrogates, and the other default-ignorable
    code points (variation selectors, fillers). Tab, newline, carriage return and the other
    separating controls become a space. Nothing else changes: case, script and marks stay.

    Why: a name that contains a right-to-left override displays differently from how it compares
    ("Trojan Source"), so an officer could be shown one name while the system matches another.
    """
    # Nearly every name has nothing to remove. A printable string holds no control, format or
    # surrogate character (str.isprintable is false for all of them), so only the ignorable
    # ranges remain to look for; both checks run in C, the loop below in Python.
    if text.isprintable() and not _IGNORABLE_CHARACTER.search(text):
        return text
    return _strip_invisible_each(text)


def _strip_invisible_each(text: str) -> str:
    """`strip_invisible` one character at a time: the definition, and the reference its
    shortcut is tested against."""
    kept: list[str] = []
    for char in text:
        category = unicodedata.category(char)
        if category == "Cc":
            if char in _SEPARATING_CONTROLS:
                kept.append(" ")
            continue
        if category in {"Cf", "Cs"} or _is_ignorable(ord(char)):
            continue
        kept.append(char)
    return "".join(kept)


def _collapse_whitespace(text: str) -> str:
    # str.split() with no argument splits on every Unicode whitespace character.
    return " ".join(text.split())


def clean_name(text: str) -> str:
    """The canonical stored form of a name as written.

    Invisible characters removed (``strip_invisible``), Unicode NFC, every run of whitespace made one
    space, no leading or trailing space. Case, script, diacritics and punctuation stay as written:
    we store what people wrote and fold only for search.
    """
    # NFC after stripping: removing an invisible character can bring a letter and a combining
    # mark together, and they must then compose, or a second call would change the result.
    return _collapse_whitespace(unicodedata.normalize("NFC", strip_invisible(text)))


def fold(text: str) -> str:
    """The search key of a name: two spellings a reader takes for the same name get the same key.

    * invisible characters removed, NFKC (so ligatures and full-width letters become plain ones),
      case folded (ß becomes ss);
    * Latin: diacritics removed, and the letters Unicode does not decompose folded too
      (ł l, ø o, đ d, æ ae, ...);
    * Cyrillic: only case is folded; й ё ї ў stay distinct letters, but stress accents go;
    * Hebrew: niqqud and cantillation marks removed, final forms made ordinary (ך ם ן ף ץ → כ מ נ פ צ);
    * apostrophes, quotes, geresh and gershayim removed; hyphens, dashes and maqaf become spaces;
      whitespace collapsed.

    Other punctuation is kept: it is for a later step (tokenising) to decide what it means.
    """
    text = strip_invisible(text)
    # Apostrophes go before NFKC as well as after: NFKC turns the spacing acute ´ into a space
    # and a combining acute, which would leave a stray space inside the word.
    text = _remove_apostrophes(text)
    text = unicodedata.normalize("NFKC", text).casefold()
    text = unicodedata.normalize("NFKC", text)  # casefold can undo NFKC (e.g. ΐ), so again
    text = text.translate(_FOLD_TABLE)
    text = _strip_marks(unicodedata.normalize("NFD", text))
    # Again, for a letter the table folds that carried a mark (ǽ is æ with an acute).
    text = unicodedata.normalize("NFC", text).translate(_FOLD_TABLE)
    text = _remove_apostrophes(text)
    text = "".join(" " if unicodedata.category(char) == "Pd" else char for char in text)
    return _collapse_whitespace(text)


def _remove_apostrophes(text: str) -> str:
    return "".join(char for char in text if char not in _APOSTROPHES)


def _strip_marks(decomposed: str) -> str:
    """Drop nonspacing marks on Latin and Hebrew letters and stress marks on Cyrillic letters.

    Marks on letters of other scripts are kept: there they can be part of the letter (Indic vowel
    signs), and this module does not claim to know those scripts. A mark with no letter before it
    (after a space, at the start) is dropped.
    """
    kept: list[str] = []
    base_script: Script | None = None
    for char in decomposed:
        if unicodedata.category(char) != "Mn":
            kept.append(char)
            base_script = _letter_script(char) if char.isalpha() else None
            continue
        if base_script is Script.OTHER or (base_script is Script.CYRILLIC and char in _CYRILLIC_LETTER_MARKS):
            kept.append(char)
    return "".join(kept)


def detect_script(text: str) -> Script:
    """Which script the letters of ``text`` are in.

    Digits, punctuation, spaces, combining marks and modifier letters (ʼ ʹ ʺ) are ignored.
    ``EMPTY`` if there is no letter, ``MIXED`` if the letters come from more than one script
    (including one of ours and any other), ``OTHER`` if they all come from a script other than
    Latin, Cyrillic and Hebrew.

    A MIXED result on a single word is a warning sign: "Cоhen" with a Cyrillic С and о looks like
    "Cohen" but will not match it.
    """
    scripts = {
        _letter_script(char)
        for char in text
        if unicodedata.category(char).startswith("L") and unicodedata.category(char) != "Lm"
    }
    if not scripts:
        return Script.EMPTY
    if len(scripts) > 1:
        return Script.MIXED
    return scripts.pop()
