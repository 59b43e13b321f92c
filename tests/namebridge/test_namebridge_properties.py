"""Property tests: invariants that must hold for any input, not just the golden rows."""

import unicodedata

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from namebridge import Convention, Script, clean_name, detect_script, fold, strip_invisible, transliterate

# The Cyrillic letters transliterate promises to romanise: the basic block U+0400-U+045F (Russian,
# Ukrainian, Belarusian, Serbian, Macedonian, Bulgarian) and Ґ ґ.
CYRILLIC_LETTERS = "".join(chr(code) for code in range(0x0400, 0x0460) if chr(code).isalpha()) + "Ґґ"
CYRILLIC_LOWER = "".join(char for char in CYRILLIC_LETTERS if char.islower())
HEBREW_LETTERS = "".join(chr(code) for code in range(0x05D0, 0x05EB))
HEBREW_POINTS = "".join(chr(code) for code in range(0x0591, 0x05C8) if unicodedata.category(chr(code)) == "Mn")
LATIN_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZßäöüéèçñłøđŁØÆœ"
TRICKY = "\u202e\u202d\u2066\u2069\u200b\u200c\u200d\u200e\u200f\ufeff\u00ad\u061c\u2060\t\n\r\x00\x85 \u00a0\u3000-\u2011\u05be'ʼ’\"׳״\u0301\u0306\u0308"

name_like = st.text(alphabet=CYRILLIC_LETTERS + HEBREW_LETTERS + HEBREW_POINTS + LATIN_LETTERS + TRICKY, max_size=30)
any_text = st.text(max_size=30)
cyrillic_text = st.text(alphabet=CYRILLIC_LETTERS + " -'’.", max_size=30)


def _is_cyrillic_letter(char: str) -> bool:
    return char.isalpha() and "CYRILLIC" in unicodedata.name(char, "")


@given(st.one_of(any_text, name_like))
@example("Zelens\u202eky")
def test_strip_invisible_leaves_no_format_or_control_character(text):
    """Whatever goes in, no format (Cf), control (Cc) or surrogate (Cs) character comes out."""
    assert not any(unicodedata.category(char) in {"Cf", "Cc", "Cs"} for char in strip_invisible(text))


IGNORABLE = "\u034f\u115f\u17b4\u180b\u3164\ufe00\ufe0f\uffa0\U0001d173\U000e0100\U000e01ef"


@given(st.one_of(any_text, name_like, st.text(alphabet=LATIN_LETTERS + HEBREW_LETTERS + IGNORABLE, max_size=30)))
@example("Zelensky")
@example("Sara\ufe0f")
@example("\u3164")
@example("a\u00a0b")
def test_strip_invisible_agrees_with_its_character_by_character_definition(text):
    """The shortcut for text with nothing to remove gives what the per-character loop gives."""
    from namebridge._normalize import _strip_invisible_each

    assert strip_invisible(text) == _strip_invisible_each(text)


@given(st.one_of(any_text, name_like))
def test_strip_invisible_is_idempotent(text):
    """Stripping twice is stripping once."""
    assert strip_invisible(strip_invisible(text)) == strip_invisible(text)


@given(st.one_of(any_text, name_like))
@example("e\u200b\u0301")
def test_clean_name_is_idempotent(text):
    """The stored form of a stored form is itself."""
    assert clean_name(clean_name(text)) == clean_name(text)


@given(st.one_of(any_text, name_like))
def test_clean_name_is_nfc_and_tidy(text):
    """The stored form is NFC, has no invisible characters, and single spaces only between words."""
    cleaned = clean_name(text)
    assert unicodedata.is_normalized("NFC", cleaned)
    assert cleaned == cleaned.strip()
    assert "  " not in cleaned
    assert strip_invisible(cleaned) == cleaned


@given(st.one_of(any_text, name_like))
@example("İstanbul")
@example("ΐ")
def test_fold_is_idempotent(text):
    """A search key folds to itself, so keys can be stored and compared with fresh ones."""
    assert fold(fold(text)) == fold(text)


@given(st.one_of(any_text, name_like))
def test_fold_does_not_depend_on_the_stored_form(text):
    """Folding a name or its cleaned form gives the same key."""
    assert fold(clean_name(text)) == fold(text)


@given(name_like)
def test_fold_ignores_case_in_our_scripts(text):
    """Upper or lower case of a Latin, Cyrillic or Hebrew name gives the same key."""
    assert fold(text.upper()) == fold(text.lower())


@given(name_like)
def test_fold_output_has_no_hebrew_points_final_forms_or_apostrophes(text):
    """The key has no niqqud, no final letter forms, no apostrophes or geresh, no hyphens."""
    key = fold(text)
    assert not set(key) & set(HEBREW_POINTS + "ךםןףץ'’ʼ\"׳״-\u05be\u2011")


@pytest.mark.parametrize("convention", list(Convention))
@given(text=cyrillic_text)
def test_transliterate_leaves_no_cyrillic_letter(convention, text):
    """For every convention, Cyrillic input comes out with no Cyrillic letter in it."""
    assert not any(_is_cyrillic_letter(char) for char in transliterate(text, convention))


@pytest.mark.parametrize("convention", list(Convention))
@given(words=st.lists(st.text(alphabet=CYRILLIC_LOWER, min_size=2, max_size=12), max_size=4))
def test_transliterate_keeps_all_caps(convention, words):
    """A word in capitals comes out as the upper case of the same word in lower case."""
    text = " ".join(words)
    assert transliterate(text.upper(), convention) == transliterate(text, convention).upper()


@pytest.mark.parametrize("convention", list(Convention))
@given(text=st.text(alphabet=LATIN_LETTERS + HEBREW_LETTERS + "0123456789 .,-()", max_size=30))
def test_transliterate_passes_non_cyrillic_text_through(convention, text):
    """Text without Cyrillic is returned as it came (in NFC)."""
    assert transliterate(text, convention) == unicodedata.normalize("NFC", text)


@given(st.text(alphabet=LATIN_LETTERS, min_size=1), st.text(alphabet=CYRILLIC_LETTERS, min_size=1))
def test_detect_script_single_and_mixed(latin, cyrillic):
    """One script gives that script; letters from two give MIXED."""
    assert detect_script(latin) is Script.LATIN
    assert detect_script(cyrillic) is Script.CYRILLIC
    assert detect_script(latin + cyrillic) is Script.MIXED


@given(st.one_of(any_text, name_like), st.text(alphabet="0123456789 .,-'()\u05be", max_size=10))
def test_detect_script_ignores_digits_and_punctuation(text, noise):
    """Adding digits, spaces and punctuation never changes the script."""
    assert detect_script(text + noise) is detect_script(text)
