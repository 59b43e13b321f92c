"""The letter-only similarity of the offline field app (``namebridge._offline``) and its golden files.

``golden/offline_keys.csv`` and ``golden/offline_similarity.csv`` are written by
``scripts/make-offline-golden`` from the Python; these tests hold the Python to them (so that a
change of matching shows up as a diff of committed data), and
``crisisdesk/border/tests/test_namekeys_js.py`` holds the JavaScript port to the same rows.
"""

import csv
import json
import re
import unicodedata
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from rapidfuzz.distance import Indel

from namebridge import _normalize, _score
from namebridge._keys import deletions, token_keys
from namebridge._normalize import Script, detect_script, fold
from namebridge._offline import (
    indel_similarity,
    letter_keys,
    offline_name_similarity,
    offline_tables,
    offline_token_similarity,
)
from namebridge._tokens import BORROWED, normalize_name, split_tokens

GOLDEN = Path(__file__).parent / "golden"

_ESCAPE = re.compile(r"\\(u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|x[0-9a-fA-F]{2}|[trn\\])")
_SIMPLE = {"t": "\t", "r": "\r", "n": "\n", "\\": "\\"}


def _unescape(cell: str) -> str:
    """The golden files' escapes (as in test_namebridge_golden.py), so invisible characters show."""

    def replace(match: re.Match[str]) -> str:
        code = match.group(1)
        return _SIMPLE[code] if code in _SIMPLE else chr(int(code[1:], 16))

    return _ESCAPE.sub(replace, cell)


def _rows(name: str) -> list[dict[str, str]]:
    with (GOLDEN / name).open(encoding="utf-8", newline="") as handle:
        return [{key: _unescape(value) for key, value in row.items()} for row in csv.DictReader(handle)]


KEY_ROWS = _rows("offline_keys.csv")
SIMILARITY_ROWS = _rows("offline_similarity.csv")


def _per_token(cell: str, count: int) -> list[list[str]]:
    """A golden cell of per-token lists: ``;`` between tokens, ``|`` between a token's keys."""
    if not count:
        assert cell == ""
        return []
    return [group.split("|") if group else [] for group in cell.split(";")]


def _key_cases() -> list:
    return [pytest.param(row, id=f"{index + 2}") for index, row in enumerate(KEY_ROWS)]


def _similarity_cases(kind: str) -> list:
    return [pytest.param(row, id=f"{index + 2}") for index, row in enumerate(SIMILARITY_ROWS) if row["kind"] == kind]


@pytest.mark.parametrize("row", _key_cases())
def test_keys_golden(row):
    """Normalisation and every token's reduced forms, skeletons and near-miss keys are the golden ones,
    both from the server's ``token_keys`` and from the letter-only ``letter_keys``."""
    text = row["input"]
    assert detect_script(text).value == row["script"]
    assert fold(text) == row["folded"]
    assert normalize_name(text) == row["normalized"]
    tokens = split_tokens(text)
    # An empty reduced form is [""] (a token of a and e only), never no form at all.
    reduced = [group or [""] for group in _per_token(row["reduced"], len(tokens))]
    skeletons = [group or [""] for group in _per_token(row["skeletons"], len(tokens))]
    near = _per_token(row["deletions"], len(tokens))
    assert len(reduced) == len(skeletons) == len(near) == len(tokens)
    for token, token_reduced, token_skeletons, token_near in zip(tokens, reduced, skeletons, near, strict=True):
        server, offline = token_keys(token), letter_keys(token)
        assert list(server.reduced) == list(offline.reduced) == token_reduced, token
        assert list(server.skeletons) == list(offline.skeletons) == token_skeletons, token
        near_keys = list(dict.fromkeys(key for skeleton in token_skeletons for key in deletions(skeleton)))
        assert near_keys == token_near, token


@pytest.mark.parametrize("row", _similarity_cases("token"))
def test_token_similarity_golden(row):
    """The offline similarity of two tokens is the golden one."""
    (left,), (right,) = split_tokens(row["left"]), split_tokens(row["right"])
    assert offline_token_similarity(left, right) == pytest.approx(float(row["similarity"]), abs=1e-12)


@pytest.mark.parametrize("row", _similarity_cases("name"))
def test_name_similarity_golden(row):
    """The offline similarity of two names is the golden one."""
    value = offline_name_similarity(split_tokens(row["left"]), split_tokens(row["right"]))
    assert value == pytest.approx(float(row["similarity"]), abs=1e-9)


def test_golden_files_cover_what_the_port_must_get_right():
    """Enough rows, and at least one of each kind of case the JavaScript port could get wrong."""
    inputs = [row["input"] for row in KEY_ROWS]
    assert len(KEY_ROWS) >= 150
    assert sum(row["kind"] == "name" for row in SIMILARITY_ROWS) >= 80
    assert {row["script"] for row in KEY_ROWS} >= {script.value for script in Script}
    must_occur = {
        "niqqud": "\u05b0-\u05c7",
        "final form": "ךםןףץ",
        "geresh": "'\u05f3\u2019`",
        "Ukrainian and Russian letters": "їєґйёщ",
        "apostrophe": "'\u2019\u02bc",
        "Latin diacritic": "\u00e0-\u00ff\u0141\u0142\u0159",
        "hyphen or dash": "\\-\u2013\u2014\u2011\u05be",
        "comma": ",",
        "bidi control": "\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c",
        "zero-width": "\u200b-\u200d\ufeff",
    }
    for what, characters in must_occur.items():
        assert any(re.search(f"[{characters}]", text, re.IGNORECASE) for text in inputs), what
    tokens = [token for text in inputs for token in split_tokens(text)]
    assert any(len(token) == 1 for token in tokens), "an initial"
    assert any(len(split_tokens(row["left"])) > 6 for row in SIMILARITY_ROWS), "the greedy assignment"


# --- properties -----------------------------------------------------------------------------

CYRILLIC = "абвгґдеєжзиіїйклмнопрстуфхцчшщьъыэюяё"
HEBREW = "אבגדהוזחטיכלמנסעפצקרשתךםןףץ"
LATIN = "abcdefghijklmnopqrstuvwxyzäöüéłø"
TOKEN_ALPHABET = CYRILLIC + HEBREW + LATIN
NAME_ALPHABET = TOKEN_ALPHABET + " ,.-'׳\u202e\u200b\u05b4\u05bc"

token_texts = st.text(alphabet=st.sampled_from(LATIN), min_size=1, max_size=10) | st.text(
    alphabet=st.sampled_from(TOKEN_ALPHABET), min_size=1, max_size=10
)
name_texts = st.text(alphabet=st.sampled_from(NAME_ALPHABET), max_size=40)
given_names = st.sampled_from(sorted(_score._given_groups()))


def _folded(token: str) -> str:
    return "".join(split_tokens(token)) or "a"


@given(token_texts | given_names, token_texts | given_names)
@example("volodymyr", "ולדימיר")
@example("v", "volodymyr")
@example("\ue001", "g")
def test_token_similarity_is_symmetric_and_bounded(a, b):
    """Either order gives the same similarity, between 0 and 1, and 1 for a token and itself."""
    a, b = _folded(a), _folded(b)
    value = offline_token_similarity(a, b)
    assert value == offline_token_similarity(b, a)
    assert 0.0 <= value <= 1.0
    assert offline_token_similarity(a, a) == 1.0


@given(name_texts, name_texts)
@example("Zelensky Volodymyr", "Volodymyr Zelensky")
@example("a a b", "b a a")
def test_name_similarity_is_symmetric_and_bounded(a, b):
    """Either order gives the same score, between 0 and 100."""
    left, right = split_tokens(a), split_tokens(b)
    value = offline_name_similarity(left, right)
    assert value == offline_name_similarity(right, left)
    assert 0.0 <= value <= 100.0


@given(st.lists(token_texts | given_names, min_size=1, max_size=5), name_texts)
def test_a_name_matches_itself_best(name_tokens, other):
    """A name scores 100 against itself, and nothing scores higher against it."""
    name = split_tokens(" ".join(name_tokens))
    if not name:
        return
    assert offline_name_similarity(name, name) == pytest.approx(100.0)
    assert offline_name_similarity(name, split_tokens(other)) <= offline_name_similarity(name, name) + 1e-9


@given(st.text(max_size=30), st.text(max_size=30))
@example("\udc80", "\u202e")
def test_no_input_raises(a, b):
    """Any text at all, lone surrogates and control characters included, gets a score."""
    assert 0.0 <= offline_name_similarity(split_tokens(a), split_tokens(b)) <= 100.0
    for token in split_tokens(a):
        assert letter_keys(token).reduced


@given(st.text(alphabet=st.sampled_from(NAME_ALPHABET + "ג'צ'"), max_size=20))
def test_letter_keys_are_the_servers_keys(text):
    """The keys without the model are the server's reduced forms and skeletons, in order."""
    for token in split_tokens(text):
        assert letter_keys(token).reduced == token_keys(token).reduced
        assert letter_keys(token).skeletons == token_keys(token).skeletons


@given(st.text(max_size=12), st.text(max_size=12))
@example("", "")
@example("SLNSKI", "ZLNSKI")
@example("\U0001f600a", "a\U0001f600")
def test_indel_similarity_is_rapidfuzz(a, b):
    """The spelt-out Indel similarity (which the JavaScript copies) is RapidFuzz's."""
    assert indel_similarity(a, b) == pytest.approx(Indel.normalized_similarity(a, b), abs=1e-12)


# --- the tables the JavaScript is given ----------------------------------------------------


def test_tables_survive_json():
    """What the field pack embeds is plain JSON, and reading it back gives the same tables."""
    tables = offline_tables()
    assert json.loads(json.dumps(tables, ensure_ascii=False)) == tables


def test_tables_hold_the_unicode_facts_of_this_python():
    """The script runs, digits, case folds and whitespace are the ones ``_normalize`` uses."""
    tables = offline_tables()
    runs = tables["letter_scripts"]
    for char in "AzéŁʻЖїӥאײﬠ\U0001df00ªαא":
        if not char.isalpha():
            continue
        found = next((run[2] for run in runs if run[0] <= ord(char) <= run[1]), Script.OTHER.value)
        assert found == _normalize._letter_script(char).value, char
    digits = tables["digits"]
    for char in "05٣௧\u1369⓵½x":
        assert any(low <= ord(char) <= high for low, high in digits) == char.isdigit(), char
    folds = tables["casefold"]
    for char in "ßẞςᏸꭰﬀAΣ":
        assert folds.get(char, char.lower()) == char.casefold(), char
    assert set(tables["whitespace"]) == {chr(code) for code in range(0x3001) if chr(code).isspace()}


def test_given_name_groups_are_the_scorers():
    """Every folded given name of the equivalence table is in the groups the port is given."""
    groups = offline_tables()["given_name_groups"]
    members = {name for names in groups.values() for name in names}
    assert members == set(_score._given_groups())
    assert any(marker in name for name in members for marker in BORROWED), "a name with a geresh"
    assert all(unicodedata.is_normalized("NFC", name) for name in members)
