"""From a name as written to the tokens that search compares: the visible normalisation step.

``normalize_name`` is what the index stores and compares, and it is public so that a caller can
see (and show) exactly what was compared:

* invisible characters, case, diacritics, Hebrew points and final forms are folded (``fold``);
* catalogue order "Surname, Given" becomes "Given Surname" (Hebrew catalogue labels often carry a
  trailing comma as well: "לנסקי, אהרן," → "אהרן לנסקי");
* hyphens, dots, quotes and other punctuation separate tokens ("Abd al-Ilah" → "abd al ilah",
  "A. D. Gordon" → "a d gordon": an initial is a one-letter token);
* a Hebrew geresh that marks a borrowed sound is kept with its letter (ג'ורג' stays "ג'ורג'",
  not "גורג"), because it decides the sound: ג' is j, צ' is ch, ז' is zh, ת' is th.
"""

from __future__ import annotations

import re

from namebridge._normalize import fold, strip_invisible

__all__ = ["BORROWED", "normalize_name", "split_tokens"]

# Hebrew letters with a geresh, stood in for by private-use characters while fold runs (fold
# removes the geresh itself). Rendered back as letter + ASCII apostrophe.
BORROWED = {"\ue001": "ג'", "\ue002": "ז'", "\ue003": "צ'", "\ue004": "ת'", "\ue005": "ד'"}
_MARKER_OF = {pair[0]: marker for marker, pair in BORROWED.items()}
_GERESH = re.compile("([גזצתד])\\s?['\u05f3\u2019`\u00b4]")


def _mark_borrowed(text: str) -> str:
    return _GERESH.sub(lambda match: _MARKER_OF[match.group(1)], text)


def _reorder_catalogue(text: str) -> str:
    """ "Surname, Given" → "Given Surname"; other commas just separate."""
    parts = [part.strip() for part in text.split(",")]
    parts = [part for part in parts if part]
    if len(parts) == 2:
        return f"{parts[1]} {parts[0]}"
    return " ".join(parts)


def split_tokens(text: str) -> list[str]:
    """The folded tokens of a name, in reading order (catalogue order undone).

    Hebrew letters with a geresh come back as one private-use character each (see ``BORROWED``),
    which the key builders read as one sound.
    """
    text = _reorder_catalogue(_mark_borrowed(strip_invisible(text)))
    folded = fold(text)
    tokens: list[str] = []
    current: list[str] = []
    for char in folded:
        if char.isalnum() or char in BORROWED:
            current.append(char)
        elif current:
            tokens.append("".join(current))
            current = []
    if current:
        tokens.append("".join(current))
    return tokens


def normalize_name(text: str) -> str:
    """The normalised form of a name that search compares: folded tokens joined by one space.

    Idempotent: ``normalize_name(normalize_name(x)) == normalize_name(x)``.
    """
    return " ".join(render_token(token) for token in split_tokens(text))


_FINAL_FORMS = {"כ": "ך", "מ": "ם", "נ": "ן", "פ": "ף", "צ": "ץ"}


def render_token(token: str) -> str:
    """A token as text: a borrowed-sound marker written back as letter + apostrophe, and a
    Hebrew word's last letter in its final form (fold made it ordinary)."""
    if token and token[-1] in _FINAL_FORMS and len(token) > 1:
        token = token[:-1] + _FINAL_FORMS[token[-1]]
    if not any(char in BORROWED for char in token):
        return token
    return "".join(BORROWED.get(char, char) for char in token)
