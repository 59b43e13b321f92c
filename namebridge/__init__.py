"""namebridge: find one person's name across Hebrew, Cyrillic and Latin spellings.

The framework-free core of Crisis Desk. It imports the standard library, RapidFuzz and NumPy
(never Django), does no I/O at import time, and keeps its public API flat and small: everything a
caller needs is importable from ``namebridge`` itself; the underscored modules are private.

* ``clean_name`` is the stored form of a name as written; ``strip_invisible`` is the part of it
  that defends against invisible and bidi characters.
* ``fold`` is the search key of a string; ``normalize_name`` is the visible normalisation step of
  a whole name (folded tokens, "Surname, Given" undone); ``detect_script`` tells the script.
* ``transliterate`` romanises Cyrillic by a named ``Convention``; ``hebrew_to_latin`` and
  ``latin_to_hebrew`` give several candidate spellings, because Hebrew is ambiguous.
* ``score`` and ``explain`` compare two names; ``NameIndex`` searches many, returning ``Match``.
* ``offline_name_similarity`` is the letter-keys-only score that the border desk's offline app
  computes in JavaScript; ``offline_tables`` is the data that app's ``NameKeys.init`` takes.
"""

from namebridge._api import explain, hebrew_to_latin, latin_to_hebrew, score
from namebridge._index import Match, NameIndex
from namebridge._normalize import Script, clean_name, detect_script, fold, strip_invisible
from namebridge._offline import offline_name_similarity, offline_tables
from namebridge._tokens import normalize_name
from namebridge._transliterate import Convention, transliterate

__all__ = [
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
