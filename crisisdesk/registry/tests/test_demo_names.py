"""The demo name lists are well-formed: right columns, right scripts, no duplicates."""

import csv
from pathlib import Path

import pytest

from namebridge import Script, clean_name, detect_script

NAMES = Path(__file__).resolve().parent.parent / "demo" / "names"


def _rows(name: str) -> list[dict[str, str]]:
    with (NAMES / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.mark.parametrize(
    ("name", "columns"),
    [("hebrew_given_names.csv", ["hebrew", "latin", "sex"]), ("hebrew_surnames.csv", ["hebrew", "latin"])],
)
def test_name_list_is_well_formed(name, columns):
    """At least 120 rows, Hebrew in Hebrew script, each Latin variant in Latin, all in clean form."""
    rows = _rows(name)
    assert list(rows[0]) == columns
    assert len(rows) >= 120
    hebrew = [row["hebrew"] for row in rows]
    assert len(hebrew) == len(set(hebrew)), "duplicate Hebrew spelling"
    for row in rows:
        assert detect_script(row["hebrew"]) is Script.HEBREW, row
        assert clean_name(row["hebrew"]) == row["hebrew"], row
        variants = row["latin"].split("|")
        assert len(variants) == len(set(variants)), row
        for variant in variants:
            assert detect_script(variant) is Script.LATIN, row
            assert clean_name(variant) == variant, row


def test_given_names_have_a_sex():
    """Every given name is marked F or M, and both are well represented."""
    sexes = [row["sex"] for row in _rows("hebrew_given_names.csv")]
    assert set(sexes) == {"F", "M"}
    assert min(sexes.count("F"), sexes.count("M")) >= 60
