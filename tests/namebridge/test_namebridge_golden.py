"""Golden vectors: each CSV row in ``golden/`` is one case. Adding a case is a data change.

Cells may use the escapes \\uXXXX, \\UXXXXXXXX, \\xXX, \\t, \\r, \\n and \\\\ so that invisible
characters are visible in the file itself (a golden file must not be able to hide a Trojan Source
character from its reviewer).
"""

import csv
import re
from pathlib import Path

import pytest

from namebridge import Convention, Script, clean_name, detect_script, fold, strip_invisible, transliterate

GOLDEN = Path(__file__).parent / "golden"

_ESCAPE = re.compile(r"\\(u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|x[0-9a-fA-F]{2}|[trn\\])")
_SIMPLE = {"t": "\t", "r": "\r", "n": "\n", "\\": "\\"}


def _unescape(cell: str) -> str:
    def replace(match: re.Match[str]) -> str:
        code = match.group(1)
        return _SIMPLE[code] if code in _SIMPLE else chr(int(code[1:], 16))

    return _ESCAPE.sub(replace, cell)


def _rows(name: str) -> list[dict[str, str]]:
    with (GOLDEN / name).open(encoding="utf-8", newline="") as handle:
        return [{key: _unescape(value) for key, value in row.items()} for row in csv.DictReader(handle)]


def _cases(name: str, *columns: str) -> list:
    return [
        pytest.param(*(row[column] for column in columns), id=f"{index + 2}") for index, row in enumerate(_rows(name))
    ]


def test_unescape_reads_the_escapes():
    """The escape reader turns the written escapes into the characters they name."""
    assert _unescape(r"a\u202eb\U0001F600\x00\t\\u") == "a\u202eb\U0001f600\x00\t\\u"


@pytest.mark.parametrize(
    ("convention", "text", "expected"), _cases("transliteration.csv", "convention", "input", "expected")
)
def test_transliterate_golden(convention, text, expected):
    """Each convention romanises the well-known names as its standard says."""
    assert transliterate(text, Convention(convention)) == expected


@pytest.mark.parametrize(("text", "expected"), _cases("strip_invisible.csv", "input", "expected"))
def test_strip_invisible_golden(text, expected):
    """Invisible and control characters go; tabs and line breaks become spaces; nothing else changes."""
    assert strip_invisible(text) == expected


@pytest.mark.parametrize(("text", "expected"), _cases("clean_name.csv", "input", "expected"))
def test_clean_name_golden(text, expected):
    """The stored form keeps what was written, minus invisible characters and stray whitespace."""
    assert clean_name(text) == expected


@pytest.mark.parametrize(("text", "expected"), _cases("fold.csv", "input", "expected"))
def test_fold_golden(text, expected):
    """Spellings a reader takes for the same name fold to the same key."""
    assert fold(text) == expected


@pytest.mark.parametrize(("text", "expected"), _cases("detect_script.csv", "input", "expected"))
def test_detect_script_golden(text, expected):
    """The script is decided by the letters alone."""
    assert detect_script(text) is Script(expected)


def test_golden_transliteration_covers_every_convention():
    """Every convention has at least three golden rows, so none ships untested."""
    counts = {convention: 0 for convention in Convention}
    for row in _rows("transliteration.csv"):
        counts[Convention(row["convention"])] += 1
    assert all(count >= 3 for count in counts.values()), counts
