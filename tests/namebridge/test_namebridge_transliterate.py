"""Transliteration tables and engine, checked against naive references written from the standards."""

import csv
import io
import unicodedata
from importlib import resources

import pytest
from hypothesis import given
from hypothesis import strategies as st

from namebridge import Convention, transliterate
from namebridge._transliterate import ALPHABET, _table

# Resolution No. 55 of the Cabinet of Ministers of Ukraine (27 January 2010), typed in again
# from its table, independently of the module's table.
_KMU_2010 = dict(
    zip(
        "абвгґдеєжзиіїйклмнопрстуфхцчшщьюя",
        "a b v h g d e ie zh z y i i i k l m n o p r s t u f kh ts ch sh shch _ iu ia".split(),
        strict=True,
    )
)
_KMU_2010_INITIAL = {"є": "ye", "ї": "yi", "й": "y", "ю": "yu", "я": "ya"}

# ICAO Doc 9303 Part 3, the Russian letters.
_ICAO = dict(
    zip(
        "абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
        "a b v g d e e zh z i i k l m n o p r s t u f kh ts ch sh shch ie y _ e iu ia".split(),
        strict=True,
    )
)

UKRAINIAN = "абвгґдеєжзиіїйклмнопрстуфхцчшщьюя"
RUSSIAN = "абвгдеёжзийклмнопрстуфхцчшщъыьэюя"


def _kmu_2010_reference(word: str) -> str:
    """A slow, obvious reading of the 2010 passport rules for one lower-case Ukrainian word."""
    out = []
    index = 0
    while index < len(word):
        if word[index] == "'":  # the apostrophe is not rendered
            index += 1
        elif word[index : index + 2] == "зг":  # zgh, to keep it apart from ж = zh
            out.append("zgh")
            index += 2
        elif index == 0 and word[index] in _KMU_2010_INITIAL:
            out.append(_KMU_2010_INITIAL[word[index]])
            index += 1
        else:
            out.append(_KMU_2010[word[index]].replace("_", ""))
            index += 1
    return "".join(out)


ukrainian_words = st.text(alphabet=UKRAINIAN + "'", min_size=1, max_size=12).filter(
    lambda word: word[0] != "'" and word[-1] != "'" and "''" not in word
)
russian_words = st.text(alphabet=RUSSIAN, min_size=1, max_size=12)


@given(ukrainian_words)
def test_uk_national_2010_agrees_with_the_naive_reference(word):
    """The engine gives what a letter-by-letter reading of the 2010 resolution gives."""
    assert transliterate(word, Convention.UK_NATIONAL_2010) == _kmu_2010_reference(word)


@given(russian_words)
def test_icao_agrees_with_the_naive_reference(word):
    """ICAO 9303 has no context rules, so it is a plain letter-by-letter map."""
    expected = "".join(_ICAO[char] for char in word).replace("_", "")
    assert transliterate(word, Convention.RU_ICAO_9303) == expected


@pytest.mark.parametrize("convention", list(Convention))
def test_every_table_maps_the_whole_russian_and_ukrainian_alphabet(convention):
    """Each convention has an entry for all 37 letters, so no input letter is left to a fallback."""
    assert set(ALPHABET) <= set(_table(convention).letters)


@pytest.mark.parametrize("convention", list(Convention))
def test_table_outputs_are_latin_or_punctuation(convention):
    """Every output character is a Latin letter or a mark of the convention (’ ” ` ´ ʹ ʺ)."""
    table = _table(convention)
    outputs = [*table.letters.values(), *table.sequences.values(), *table.word_initial.values()]
    outputs += [*table.after_vowel.values(), *table.between_vowels.values(), *table.before_front.values()]
    for output in outputs:
        for char in output:
            assert "LATIN" in unicodedata.name(char) or char in "’”`´ʹʺ", (output, char)


@pytest.mark.parametrize("convention", list(Convention))
def test_non_cyrillic_text_passes_through(convention):
    """Latin, Hebrew, digits and punctuation, including O'Brien's apostrophe, are not touched."""
    text = "O'Brien, כהן 1990 (Łódź) — Müller"
    assert transliterate(text, convention) == text


def test_a_decomposed_short_i_is_still_short_i():
    """й typed as и plus a combining breve is romanised as й."""
    assert transliterate("Андрі\u0438\u0306", Convention.UK_NATIONAL_2010) == "Andrii"


def test_stress_accents_are_dropped():
    """A stress mark on a Cyrillic vowel is not part of the spelling."""
    assert transliterate("Зеле\u0301нский", Convention.RU_ICAO_9303) == "Zelenskii"


def test_mixed_text_keeps_its_latin_half():
    """Only the Cyrillic letters change."""
    assert transliterate("Шевченко (Shevchenko)", Convention.UK_NATIONAL_2010) == "Shevchenko (Shevchenko)"


def test_other_slavic_letters_are_romanised():
    """Serbian and Macedonian letters, outside every convention here, still leave no Cyrillic."""
    assert transliterate("Ђорђе Јовановић Љубица Њушка Џеврад", Convention.UK_NATIONAL_2010) == (
        "Đorđe Jovanovyć Ljubytsa Njushka Dževrad"
    )


def test_string_values_are_accepted_as_conventions():
    """A stored convention value works as well as the enum member."""
    assert transliterate("Юрій", "uk_national_2010") == "Yurii"  # type: ignore[arg-type]


def test_letters_csv_has_one_row_per_letter_and_one_column_per_convention():
    """The data file covers exactly the 37 letters and exactly the declared conventions."""
    text = resources.files("namebridge").joinpath("data/letters.csv").read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert sorted(row["letter"] for row in rows) == sorted(ALPHABET)
    assert list(rows[0]) == ["letter", *(convention.value for convention in Convention)]
