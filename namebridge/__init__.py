"""namebridge: find one person's name across Hebrew, Cyrillic and Latin spellings.

The framework-free core of Crisis Desk. It imports nothing outside the standard library (and never
Django), does no I/O at import time, and keeps its public API flat and small: everything a caller
needs is importable from ``namebridge`` itself; the underscored modules are private.

* ``clean_name`` is the stored form of a name as written; ``strip_invisible`` is the part of it
  that defends against invisible and bidi characters.
* ``fold`` is the search key; ``detect_script`` tells which writing system a name is in.
* ``transliterate`` romanises Cyrillic by a named ``Convention``.
"""

from namebridge._normalize import Script, clean_name, detect_script, fold, strip_invisible
from namebridge._transliterate import Convention, transliterate

__all__ = [
    "Convention",
    "Script",
    "clean_name",
    "detect_script",
    "fold",
    "strip_invisible",
    "transliterate",
]
