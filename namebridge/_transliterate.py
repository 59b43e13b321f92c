"""Romanise Cyrillic names by a named convention.

One Ukrainian or Russian name reaches us in many Latin spellings: the Ukrainian passport's, the
Russian passport's, the spelling a German or Polish consulate used, the one in a scholarly
bibliography. Each convention below is one such system, written as data (its letter-by-letter
column in ``data/letters.csv`` plus a few context rules in a ``_Table``) and run by one small
engine (``transliterate``). Search code can then romanise a Cyrillic name in every
convention and compare the results with the Latin spelling it was given.

Only Cyrillic letters change. Latin, Hebrew, digits and punctuation pass through, so a mixed
string like "Шевченко (Shevchenko)" keeps its second half. The Ukrainian apostrophe inside a
Cyrillic word is dropped in every convention, as the passport system drops it; where a convention
reads it as a boundary (Polish п'яний → pjanyj), the rule still sees it.

Cyrillic letters outside the Russian and Ukrainian alphabets get a best-effort fallback (Serbian and
Macedonian letters, base letters of precomposed ones); rarer historic and minority letters pass
through unchanged.
"""

from __future__ import annotations

import csv
import enum
import io
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from types import MappingProxyType

__all__ = ["Convention", "transliterate"]


class Convention(enum.StrEnum):
    """A romanisation convention. The value is stable and may be stored."""

    UK_NATIONAL_2010 = "uk_national_2010"
    """Ukrainian: Cabinet of Ministers of Ukraine resolution No. 55 of 27 January 2010, the system
    of Ukrainian passports since 2010 (Zelenskyi, Kyiv, Yurii)."""

    UK_RUSSIAN_STYLE = "uk_russian_style"
    """Ukrainian names spelt with English-through-Russian habits, as in many older documents and
    foreign media: г g, и y, і i, й y, є ye, ю yu, я ya (Zelenskyy, Oleksiy, Yuriy). This is
    common practice, not a published standard."""

    UK_GERMAN = "uk_german"
    """Ukrainian in German: the Duden transcription (Selenskyj, Schewtschenko, Kyjiw)."""

    UK_POLISH = "uk_polish"
    """Ukrainian in Polish: the PWN rules, "Uwagi szczegółowe do transkrypcji wyrazów
    ukraińskich" (Szewczenko, Jaroszenko, Lwiw)."""

    UK_FRENCH = "uk_french"
    """Ukrainian in French: the usual French transcription (Chevtchenko, Kyïv, Jouk)."""

    RU_ICAO_9303 = "ru_icao_9303"
    """Russian: ICAO Doc 9303 Part 3 table, used in Russian passports since 2013 (Iurii,
    Podieiachev, Gorbachev)."""

    RU_BGN_PCGN = "ru_bgn_pcgn"
    """Russian: BGN/PCGN 1947 system (Yuriy, Yel’tsin, Gorbachëv)."""

    RU_GOST_7_79_B = "ru_gost_7_79_b"
    """Russian: GOST 7.79-2000 system B, ASCII only (Yurij, Shhukin, Czvetkov)."""

    RU_SCHOLARLY = "ru_scholarly"
    """Russian: the international scholarly (scientific) transliteration, with x for х
    (Jurij, Ščukin, Xruščëv)."""


def _frozen(mapping: Mapping[str, str] | None = None) -> Mapping[str, str]:
    return MappingProxyType(dict(mapping or {}))


@dataclass(frozen=True, slots=True)
class _Table:
    """One convention as data. Keys and values are lower case; the engine restores case.

    For each position the engine tries, in this order: ``sequences`` (longest first), then
    ``word_initial`` at the start of a word, then ``after_vowel`` after a letter in ``iotating``,
    then ``between_vowels``, then ``before_front`` before a letter in ``front``, and finally
    ``letters``, the plain letter-by-letter column of ``data/letters.csv``.
    """

    letters: Mapping[str, str]
    sequences: Mapping[str, str] = field(default_factory=_frozen)
    word_initial: Mapping[str, str] = field(default_factory=_frozen)
    after_vowel: Mapping[str, str] = field(default_factory=_frozen)
    iotating: frozenset[str] = frozenset()
    between_vowels: Mapping[str, str] = field(default_factory=_frozen)
    before_front: Mapping[str, str] = field(default_factory=_frozen)
    front: frozenset[str] = frozenset()


# The 37 letters of the Russian and Ukrainian alphabets together. data/letters.csv maps each of them
# in every convention, so a Russian spelling run through a Ukrainian convention (or the reverse)
# never keeps Cyrillic.
ALPHABET = "абвгґдеєжзиіїйклмнопрстуфхцчшщьюяёъыэ"

_VOWELS = frozenset("аеёєиіїоуыэюя")
_APOSTROPHES = frozenset("'`\u2018\u2019\u02bc")

# Letters outside the Russian and Ukrainian alphabets, which none of the conventions covers:
# Serbian and Macedonian letters by their official Latin alphabets, the pre-1918 letters by their
# modern replacements, and the commonest Turkic letters (Kazakh, Tatar, Bashkir) by the Kazakh
# Latin alphabet of 2021. Precomposed letters (ѐ ѝ ў ӑ ӣ ...) and letters "with descender" or
# "with stroke" (қ ң ғ ҳ ...) fall back to their base letter; anything else passes through.
# fmt: off
_OTHER_CYRILLIC = _frozen({
    "ђ": "đ", "ѓ": "gj", "ѕ": "dz", "ј": "j", "љ": "lj", "њ": "nj", "ћ": "ć", "ќ": "kj", "џ": "dž",
    "ѣ": "e", "ѳ": "f", "ѵ": "i", "ѡ": "o", "ѧ": "ia", "ѫ": "u",
    "ә": "ä", "ө": "ö", "ү": "ü", "ұ": "u", "һ": "h",
})
# fmt: on


@cache
def _letter_columns() -> dict[str, Mapping[str, str]]:
    """Read ``data/letters.csv``: one row per Cyrillic letter, one column per convention."""
    text = resources.files("namebridge").joinpath("data/letters.csv").read_text(encoding="utf-8")
    columns: dict[str, dict[str, str]] = {convention.value: {} for convention in Convention}
    for row in csv.DictReader(io.StringIO(text)):
        for convention, latin in row.items():
            if convention != "letter":
                columns[convention][row["letter"]] = latin
    return {convention: _frozen(column) for convention, column in columns.items()}


def _letters(convention: Convention) -> Mapping[str, str]:
    return _letter_columns()[convention.value]


def _uk_national_2010() -> _Table:
    # Resolution No. 55 of the Cabinet of Ministers of Ukraine, 27 January 2010, "Питання
    # транслітерації українського алфавіту латиницею", table and notes. Є Ї Й Ю Я have a
    # word-initial form; зг is zgh to keep it apart from ж (zh); ь and the apostrophe are not
    # rendered. ё ъ ы э are not Ukrainian letters and are not in the resolution: the CSV uses the
    # obvious analogues so that Russian spellings do not leak Cyrillic.
    return _Table(
        letters=_letters(Convention.UK_NATIONAL_2010),
        sequences=_frozen({"зг": "zgh"}),
        word_initial=_frozen({"є": "ye", "ї": "yi", "й": "y", "ю": "yu", "я": "ya", "ё": "yo"}),
    )


def _uk_russian_style() -> _Table:
    # No standard: the spelling of Ukrainian names through the habits of English-language
    # romanisation of Russian (BGN/PCGN-like), letter by letter: г g, и y, і i, й y, є ye.
    return _Table(letters=_letters(Convention.UK_RUSSIAN_STYLE))


def _uk_german() -> _Table:
    # Duden transcription of Ukrainian (the "German" column of the usual comparison tables):
    # в w, ж sh, з s, с s but ss between vowels, х ch, ц z, ч tsch, ш sch, щ schtsch,
    # є je, ї ji, й j, ю ju, я ja; ь not rendered, except ьо as jo (as German renders Russian ё).
    return _Table(
        letters=_letters(Convention.UK_GERMAN),
        sequences=_frozen({"ьо": "jo"}),
        between_vowels=_frozen({"с": "ss"}),
    )


# fmt: off
_POLISH_SEQUENCES = _frozen({
    "ля": "la", "лє": "le", "лю": "lu", "лі": "li", "лї": "lji", "лё": "lo",
    "ль": "l", "льо": "lo",
    "сь": "ś", "зь": "ź", "ць": "ć", "нь": "ń",
    "сьо": "sio", "зьо": "zio", "цьо": "cio", "ньо": "nio", "ьо": "io",
    # Russian ь before a iotated vowel only separates; the j carries it (Соловьёв, Sołowjow).
    "ья": "ja", "ье": "je", "ьё": "jo", "ью": "ju", "ьє": "je", "ьї": "ji",
})
# fmt: on


def _uk_polish() -> _Table:
    # Wielki słownik ortograficzny PWN, rule 78.B [319] "Uwagi szczegółowe do transkrypcji wyrazów
    # ukraińskich": л is l before я є ю і ї ь and ł elsewhere; я є ю are ja je ju at the start of a
    # word and after a vowel or apostrophe, a e u after л, ia ie iu after other consonants;
    # ї is ji; ь is ´ (PWN: князь kniaź, будьте bud´te), ль is l.
    # We also write сь зь ць нь as ś ź ć ń (Polish spelling of the same soft consonants) and ьо
    # as io; Russian ё ъ ы э follow the same pattern.
    iotated = {"є": "je", "ю": "ju", "я": "ja", "ё": "jo"}
    return _Table(
        letters=_letters(Convention.UK_POLISH),
        sequences=_POLISH_SEQUENCES,
        word_initial=_frozen(iotated),
        after_vowel=_frozen(iotated),
        iotating=_VOWELS | _APOSTROPHES | frozenset("ьъ"),
    )


def _uk_french() -> _Table:
    # The usual French transcription of Ukrainian (the "French" column of the comparison tables):
    # у ou, ж j, х kh, ц ts, ч tch, ш ch, щ chtch, є ie, ї ï, й y, ю iou, я ia; ь not rendered.
    # The ending -ий is simplified to -y, as French practice does (Zelensky, Khmelnytsky).
    return _Table(letters=_letters(Convention.UK_FRENCH), sequences=_frozen({"ий": "y"}))


def _ru_icao_9303() -> _Table:
    # ICAO Doc 9303 "Machine Readable Travel Documents", Part 3, transliteration of Cyrillic
    # characters; adopted for Russian passports in 2013. ё e, й i, ъ ie, ь not rendered,
    # ю iu, я ia. Ukrainian letters per the same table: ґ g, є ie, і i, ї i. No context rules.
    return _Table(letters=_letters(Convention.RU_ICAO_9303))


def _ru_bgn_pcgn() -> _Table:
    # BGN/PCGN 1947 romanization of Russian: е and ё are ye and yë at the start of a word and
    # after a vowel, й, ъ or ь; ь is ’ (U+2019) and ъ is ” (U+201D). The optional middle dot
    # (t·s, sh·ch) is not used. Ukrainian letters follow BGN/PCGN 1965 for Ukrainian: ґ g, є ye,
    # і i, ї yi.
    iotated = {"е": "ye", "ё": "yë"}
    return _Table(
        letters=_letters(Convention.RU_BGN_PCGN),
        word_initial=_frozen(iotated),
        after_vowel=_frozen(iotated),
        iotating=_VOWELS | frozenset("йъь"),
    )


def _ru_gost_7_79_b() -> _Table:
    # GOST 7.79-2000 (= ISO 9:1995), system B, table for Russian: ASCII only. ц is c before
    # i, e, y, j and cz elsewhere; щ shh; х x; ъ ``; ы y`; ь `; э e`. Ukrainian letters from the
    # same table: ґ g`, є ye, і i, ї yi.
    return _Table(
        letters=_letters(Convention.RU_GOST_7_79_B),
        before_front=_frozen({"ц": "c"}),
        front=frozenset("иеёыйэюяєії"),  # the letters whose romanisation begins with i, e, y or j
    )


def _ru_scholarly() -> _Table:
    # International scholarly (scientific) transliteration, with x for х as in linguistics:
    # ж ž, ц c, ч č, ш š, щ šč, ъ ʺ (U+02BA), ь ʹ (U+02B9), э è, ю ju, я ja, ё ë.
    # Ukrainian letters: ґ g, є je, і i, ї ji. No context rules.
    return _Table(letters=_letters(Convention.RU_SCHOLARLY))


_BUILDERS = {
    Convention.UK_NATIONAL_2010: _uk_national_2010,
    Convention.UK_RUSSIAN_STYLE: _uk_russian_style,
    Convention.UK_GERMAN: _uk_german,
    Convention.UK_POLISH: _uk_polish,
    Convention.UK_FRENCH: _uk_french,
    Convention.RU_ICAO_9303: _ru_icao_9303,
    Convention.RU_BGN_PCGN: _ru_bgn_pcgn,
    Convention.RU_GOST_7_79_B: _ru_gost_7_79_b,
    Convention.RU_SCHOLARLY: _ru_scholarly,
}


@cache
def _table(convention: Convention) -> _Table:
    """Build a convention's table on first use (no I/O at import time)."""
    return _BUILDERS[convention]()


@cache
def _longest_sequence(convention: Convention) -> int:
    return max((len(key) for key in _table(convention).sequences), default=1)


def _is_cyrillic(char: str) -> bool:
    return "CYRILLIC" in unicodedata.name(char, "")


def _is_word_char(char: str) -> bool:
    return char.isalpha() or unicodedata.category(char).startswith("M")


def transliterate(text: str, convention: Convention) -> str:
    """Romanise the Cyrillic letters of ``text`` by ``convention``; leave everything else.

    Case follows the source word: a capitalised word stays capitalised ("Шевченко" → "Shevchenko"),
    a word in capitals stays in capitals ("ЖУК" → "ZHUK"), and a capital letter that becomes
    several Latin letters is written with one capital ("Щ." → "Shch."). The input is put in NFC
    first, so a й typed as и plus a combining breve is still й; stress accents on Cyrillic letters
    are dropped.
    """
    convention = Convention(convention)
    text = unicodedata.normalize("NFC", text)
    out: list[str] = []
    index = 0
    while index < len(text):
        if not _is_word_char(text[index]):
            out.append(text[index])
            index += 1
            continue
        end = _word_end(text, index)
        out.append(_transliterate_word(text[index:end], convention))
        index = end
    return "".join(out)


def _word_end(text: str, start: int) -> int:
    """End of the word starting at ``start``: letters and marks, with apostrophes between letters."""
    end = start
    while end < len(text):
        char = text[end]
        if _is_word_char(char):
            end += 1
        elif char in _APOSTROPHES and end + 1 < len(text) and text[end + 1].isalpha():
            end += 1
        else:
            break
    return end


def _transliterate_word(word: str, convention: Convention) -> str:
    # Drop combining marks left on Cyrillic letters after NFC: they are stress accents
    # (Зелéнский), not part of the spelling.
    chars: list[str] = []
    for char in word:
        if unicodedata.category(char).startswith("M") and chars and _is_cyrillic(chars[-1]):
            continue
        chars.append(char)
    cased = [char for char in chars if char.isupper() or char.islower()]
    all_caps = len(cased) > 1 and all(char.isupper() for char in cased)
    lower = [char.lower() for char in chars]

    out: list[str] = []
    index = 0
    while index < len(chars):
        char = chars[index]
        if char in _APOSTROPHES:
            # The Ukrainian apostrophe (Знам'янка) is not rendered; O'Brien keeps its apostrophe.
            near_cyrillic = (index > 0 and _is_cyrillic(chars[index - 1])) or (
                index + 1 < len(chars) and _is_cyrillic(chars[index + 1])
            )
            if not near_cyrillic:
                out.append(char)
            index += 1
            continue
        if not _is_cyrillic(char):
            out.append(char)
            index += 1
            continue
        latin, consumed = _romanise_at(lower, index, convention)
        if all_caps:
            latin = latin.upper()
        elif char.isupper():
            latin = latin[:1].upper() + latin[1:]
        out.append(latin)
        index += consumed
    return "".join(out)


def _romanise_at(lower: list[str], index: int, convention: Convention) -> tuple[str, int]:
    """Romanise the Cyrillic letter or sequence at ``index``; return it and how many chars it used."""
    table = _table(convention)
    for length in range(min(_longest_sequence(convention), len(lower) - index), 1, -1):
        key = "".join(lower[index : index + length])
        if key in table.sequences:
            return table.sequences[key], length

    char = lower[index]
    previous = lower[index - 1] if index > 0 else None
    following = lower[index + 1] if index + 1 < len(lower) else None
    if previous is None and char in table.word_initial:
        return table.word_initial[char], 1
    if previous in table.iotating and char in table.after_vowel:
        return table.after_vowel[char], 1
    if char in table.between_vowels and previous in _VOWELS and following in _VOWELS:
        return table.between_vowels[char], 1
    if char in table.before_front and following in table.front:
        return table.before_front[char], 1
    if char in table.letters:
        return table.letters[char], 1
    return _romanise_other(char, convention), 1


@cache
def _romanise_other(char: str, convention: Convention) -> str:
    """A Cyrillic letter outside the Russian and Ukrainian alphabets (passed through if unknown)."""
    letters = _table(convention).letters
    known = char if char in letters or char in _OTHER_CYRILLIC else ""
    if not known:
        # A precomposed letter (ѐ ѝ ў ӓ ѷ ...) romanises as its base letter.
        known = unicodedata.normalize("NFD", char)[0]
    if known not in letters and known not in _OTHER_CYRILLIC:
        # A letter named "X WITH DESCENDER" or "X WITH STROKE" (қ ң ғ ҳ ...) romanises as X.
        name = unicodedata.name(char, "")
        try:
            known = unicodedata.lookup(name.split(" WITH ")[0]) if " WITH " in name else ""
        except KeyError:
            known = ""
    if known in letters:
        return letters[known]
    return _OTHER_CYRILLIC.get(known, char)
