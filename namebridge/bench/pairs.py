"""Reading pair files in the namebench format.

Tab-separated, UTF-8, one header line whose first two columns are `latin` and `native`;
no quoting (fields may contain quotes). An optional `flags` column marks rows that are
translations rather than transliterations (`comma`, `of`, `roman`, `1tok`), or `-`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

# Flags that mark translated titles rather than transliterated names (namebench README).
TRANSLATION_FLAGS = frozenset({"comma", "of", "roman"})


@dataclass(frozen=True, slots=True)
class Pair:
    latin: str
    native: str
    flags: frozenset[str]


class PairFileError(ValueError):
    """The file is not in the expected format."""


def read_pairs(path: str | Path, *, skip_flagged: bool = False) -> list[Pair]:
    """All pairs of a file, in file order. With `skip_flagged`, rows flagged as
    translations are left out."""
    pairs: list[Pair] = []
    with open(path, encoding="utf-8", newline="") as handle:
        header = handle.readline().rstrip("\r\n").split("\t")
        if len(header) < 2 or header[0] != "latin" or header[1] != "native":
            raise PairFileError(f"{path}: the header must start with 'latin<TAB>native', got {header[:2]!r}")
        flags_column = header.index("flags") if "flags" in header else None
        for number, line in enumerate(handle, start=2):
            fields = line.rstrip("\r\n").split("\t")
            if len(fields) < 2:
                if not line.strip():
                    continue
                raise PairFileError(f"{path}:{number}: expected at least two tab-separated fields")
            latin, native = fields[0].strip(), fields[1].strip()
            if not latin or not native:
                continue
            flags: frozenset[str] = frozenset()
            if flags_column is not None and flags_column < len(fields) and fields[flags_column] not in ("", "-"):
                flags = frozenset(fields[flags_column].split(","))
            if skip_flagged and flags & TRANSLATION_FLAGS:
                continue
            pairs.append(Pair(latin=latin, native=native, flags=flags))
    return pairs
