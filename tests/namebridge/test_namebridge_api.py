"""The public surface of namebridge, and its promise never to import Django."""

import subprocess
import sys
from pathlib import Path

import namebridge

PACKAGE = Path(namebridge.__file__).parent
REPO = PACKAGE.parent


def test_public_api_is_pinned():
    """The exported names are exactly these; changing them is an API change, made here on purpose."""
    assert sorted(namebridge.__all__) == [
        "Convention",
        "Match",
        "NameIndex",
        "Script",
        "clean_name",
        "detect_script",
        "explain",
        "fold",
        "hebrew_to_latin",
        "latin_to_hebrew",
        "normalize_name",
        "offline_name_similarity",
        "offline_tables",
        "score",
        "strip_invisible",
        "transliterate",
    ]
    for name in namebridge.__all__:
        assert hasattr(namebridge, name)


def test_importing_namebridge_imports_no_django():
    """A fresh interpreter can import namebridge without loading any Django module."""
    code = "import sys, namebridge; assert not any(m == 'django' or m.startswith('django.') for m in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=False)  # noqa: S603
    assert result.returncode == 0, result.stderr


def test_source_never_mentions_django_imports():
    """No module of the package imports Django, even lazily inside a function."""
    offenders = [
        str(path.relative_to(REPO))
        for path in PACKAGE.rglob("*.py")
        if "import django" in path.read_text(encoding="utf-8") or "from django" in path.read_text(encoding="utf-8")
    ]
    assert offenders == []


def test_package_is_typed():
    """namebridge ships a py.typed marker (PEP 561), so type checkers read its annotations."""
    assert (PACKAGE / "py.typed").is_file()


def test_script_and_convention_values_are_stable_strings():
    """Enum values may be stored in a database, so they are plain lower-case strings."""
    assert namebridge.Script.HEBREW == "hebrew"
    assert namebridge.Convention("uk_national_2010") is namebridge.Convention.UK_NATIONAL_2010
    assert all(value.value == value.value.lower() for value in namebridge.Convention)


def test_import_reads_no_data_file():
    """Tables are loaded on first use, not at import time (no I/O at import)."""
    code = (
        "import namebridge._transliterate as t; "
        "assert t._letter_columns.cache_info().currsize == 0; "
        "namebridge = __import__('namebridge'); namebridge.transliterate('Юрій', namebridge.Convention.RU_ICAO_9303); "
        "assert t._letter_columns.cache_info().currsize == 1"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=False)  # noqa: S603
    assert result.returncode == 0, result.stderr


def test_import_reads_no_model_or_table():
    """The learned model and the given-name table are read on first use, not at import time."""
    code = (
        "import namebridge, namebridge._model as m, namebridge._score as s; "
        "assert m.load_model.cache_info().currsize == 0; "
        "assert s._given_groups.cache_info().currsize == 0; "
        "namebridge.score('Yosef Weinberg', 'יוסף ויינברג'); "
        "assert m.load_model.cache_info().currsize == 1; "
        "assert s._given_groups.cache_info().currsize == 1"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=False)  # noqa: S603
    assert result.returncode == 0, result.stderr
