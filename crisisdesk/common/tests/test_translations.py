"""The Hebrew, Ukrainian and Russian catalogs: complete, not fuzzy, compiled, and served.

The .po files are read with a small parser written here, so that the test needs nothing
beyond the standard library and Django.
"""

import ast
import gettext
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation
from django.utils.html import escape
from django_countries import countries

TRANSLATED = ("he", "uk", "ru")
LOCALE_DIR = Path(settings.LOCALE_PATHS[0])
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")


@dataclass
class Entry:
    msgctxt: str | None = None
    msgid: str = ""
    msgid_plural: str | None = None
    msgstr: str = ""
    msgstr_plural: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    line: int = 0


def _unquote(text: str) -> str:
    return ast.literal_eval(text.strip())


def parse_po(path: Path) -> list[Entry]:
    """Entries of a .po file, the header first; obsolete (#~) entries are skipped."""
    entries: list[Entry] = []
    entry: Entry | None = None
    target: tuple[str, int | None] | None = None

    def finish():
        nonlocal entry, target
        if entry is not None:
            entries.append(entry)
        entry, target = None, None

    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#~"):
            if not line:
                finish()
            continue
        if entry is None:
            entry = Entry(line=number)
        if line.startswith("#,"):
            entry.flags.update(flag.strip() for flag in line[2:].split(","))
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            assert target is not None, f"{path}:{number}: string continuation outside an entry"
            name, index = target
            if name == "msgstr_plural":
                entry.msgstr_plural[index] += _unquote(line)
            else:
                setattr(entry, name, (getattr(entry, name) or "") + _unquote(line))
        else:
            keyword, _, rest = line.partition(" ")
            plural = re.fullmatch(r"msgstr\[(\d+)\]", keyword)
            if plural:
                index = int(plural.group(1))
                entry.msgstr_plural[index] = _unquote(rest)
                target = ("msgstr_plural", index)
            elif keyword in {"msgctxt", "msgid", "msgid_plural", "msgstr"}:
                setattr(entry, keyword, _unquote(rest))
                target = (keyword, None)
            else:
                raise AssertionError(f"{path}:{number}: unexpected line {raw!r}")
    finish()
    return entries


def po_path(language: str) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / "django.po"


def nplurals(header: Entry) -> int:
    return int(re.search(r"nplurals=(\d+)", header.msgstr).group(1))


@pytest.mark.parametrize("language", TRANSLATED)
def test_po_file_is_complete_and_not_fuzzy(language):
    header, *entries = parse_po(po_path(language))
    assert header.msgid == ""
    assert f"Language: {language}\n" in header.msgstr
    assert "fuzzy" not in header.flags
    assert len(entries) > 100
    forms = nplurals(header)
    untranslated, fuzzy, broken = [], [], []
    for entry in entries:
        if "fuzzy" in entry.flags:
            fuzzy.append(entry.msgid)
        if entry.msgid_plural is None:
            if not entry.msgstr:
                untranslated.append(entry.msgid)
            elif sorted(PLACEHOLDER.findall(entry.msgstr)) != sorted(PLACEHOLDER.findall(entry.msgid)):
                broken.append(entry.msgid)
        else:
            if sorted(entry.msgstr_plural) != list(range(forms)) or not all(entry.msgstr_plural.values()):
                untranslated.append(entry.msgid)
            allowed = set(PLACEHOLDER.findall(entry.msgid_plural))
            if any(not set(PLACEHOLDER.findall(text)) <= allowed for text in entry.msgstr_plural.values()):
                broken.append(entry.msgid)
    assert untranslated == [], f"untranslated in {language}: {untranslated}"
    assert fuzzy == [], f"fuzzy in {language}: {fuzzy}"
    assert broken == [], f"placeholders changed in {language}: {broken}"


@pytest.mark.parametrize("language", TRANSLATED)
def test_compiled_catalog_matches_the_po_file(language):
    """The committed .mo holds every translation of the .po: nobody forgot compilemessages."""
    path = po_path(language)
    with path.with_suffix(".mo").open("rb") as handle:
        catalog = gettext.GNUTranslations(handle)
    stale = []
    for entry in parse_po(path)[1:]:
        if entry.msgid_plural is None:
            got = catalog.pgettext(entry.msgctxt, entry.msgid) if entry.msgctxt else catalog.gettext(entry.msgid)
            if got != entry.msgstr:
                stale.append(entry.msgid)
        else:
            for n in (1, 2, 5, 21):
                if entry.msgctxt:
                    got = catalog.npgettext(entry.msgctxt, entry.msgid, entry.msgid_plural, n)
                else:
                    got = catalog.ngettext(entry.msgid, entry.msgid_plural, n)
                if got not in entry.msgstr_plural.values():
                    stale.append(entry.msgid)
    assert stale == [], f"{language} .mo is out of date; run compilemessages: {stale}"


@pytest.mark.django_db
@pytest.mark.parametrize("language", TRANSLATED)
def test_register_page_is_served_in_the_browser_language(client, language):
    with translation.override(language):
        title = translation.gettext("Register with the embassy")
        intro = translation.gettext(
            "Register yourself and everyone with you in one form. "
            "Write names as you usually write them, in any alphabet."
        )
        brand = translation.gettext("Crisis Desk")
    assert title != "Register with the embassy"
    assert brand != "Crisis Desk"

    response = client.get("/register/", HTTP_ACCEPT_LANGUAGE=language)

    assert response.status_code == 200
    assert response.headers["Content-Language"] == language
    html = response.content.decode()
    assert f'<html lang="{language}" dir="{"rtl" if language == "he" else "ltr"}">' in html
    assert f"<title>{escape(title)}</title>" in html
    assert re.search(rf"<h1[^>]*>\s*{re.escape(str(escape(title)))}\s*</h1>", html)
    assert escape(intro) in html
    assert escape(brand) in html
    assert "Register with the embassy" not in html


@pytest.mark.parametrize(("language", "ukraine"), [("he", "אוקראינה"), ("uk", "Україна"), ("ru", "Украина")])
def test_country_names_are_translated(language, ukraine):
    """Citizenship and issuing-country choices come from django_countries' own catalogs."""
    with translation.override(language):
        assert countries.name("UA") == ukraine


@pytest.mark.django_db
def test_register_page_falls_back_to_english(client):
    response = client.get("/register/", HTTP_ACCEPT_LANGUAGE="fr")

    html = response.content.decode()
    assert '<html lang="en" dir="ltr">' in html
    assert "<title>Register with the embassy</title>" in html


def test_every_translatable_string_in_the_code_is_in_the_catalogs(tmp_path, settings):
    """A string marked for translation but never extracted would show in English on a
    Hebrew page. Re-extract into a copy of the catalogs: nothing new may appear."""
    import shutil

    from django.core.management import call_command

    if shutil.which("msgmerge") is None:
        pytest.fail("gettext is needed (scripts/ensure-system-packages installs it)")
    copy = tmp_path / "locale"
    shutil.copytree(LOCALE_DIR, copy)
    settings.LOCALE_PATHS = [copy]
    call_command(
        "makemessages",
        locale=["he"],
        ignore_patterns=[".venv/*", "var/*", "tests/*", "bench/*", "*/tests/*", "namebridge/*", "*/locale"],
        verbosity=0,
    )
    fresh = {entry.msgid for entry in parse_po(copy / "he" / "LC_MESSAGES" / "django.po") if entry.msgid}
    known = {entry.msgid for entry in parse_po(LOCALE_DIR / "he" / "LC_MESSAGES" / "django.po") if entry.msgid}
    assert fresh - known == set(), "run makemessages and translate the new strings"
