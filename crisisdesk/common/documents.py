"""Uploaded files (a request's documents, a shipment's clearance papers and receipts):
checked by their content, kept encrypted outside the web root.

An upload is accepted only when its bytes are a PDF, JPEG or PNG that parses, whatever its
name says: a script renamed `passport.pdf` is refused. The stored file is named by a random
key under `CRISISDESK_DOCUMENT_ROOT`, so nothing the uploader typed reaches the file system,
and its content is encrypted with the field keys (identity documents are the most sensitive
thing the system holds). Files are read back only through `document_read`, which services
call after checking and auditing the reader.
"""

import hashlib
import io
import re
import secrets
import unicodedata
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from crisisdesk.common.encryption import field_cipher
from crisisdesk.common.errors import CodedValidationError

PDF, JPEG, PNG = "application/pdf", "image/jpeg", "image/png"
EXTENSIONS = {PDF: "pdf", JPEG: "jpg", PNG: "png"}
DISPLAY_NAME_LENGTH = 120


class FileError(StrEnum):
    FILE_EMPTY = "file_empty"
    FILE_TOO_LARGE = "file_too_large"
    FILE_TYPE = "file_type"
    FILE_DAMAGED = "file_damaged"


FILE_MESSAGES = {
    FileError.FILE_EMPTY: _("The file is empty."),
    FileError.FILE_TOO_LARGE: _("The file is too large."),
    FileError.FILE_TYPE: _("Send a PDF, JPEG or PNG file."),
    FileError.FILE_DAMAGED: _("The file could not be read. It may be damaged."),
}


class FileRejected(CodedValidationError):
    """An upload refused by its content; each app turns the code into its own error."""

    messages = FILE_MESSAGES


@dataclass(frozen=True, slots=True)
class CheckedFile:
    content: bytes
    content_type: str
    display_name: str
    sha256: str


def _sniffed_type(content: bytes) -> str | None:
    if content.startswith(b"%PDF-"):
        return PDF
    if content.startswith(b"\xff\xd8\xff"):
        return JPEG
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    return None


def _parses(content: bytes, content_type: str) -> bool:
    """The magic bytes are a claim; parsing the file is the check."""
    try:
        if content_type == PDF:
            from pypdf import PdfReader

            reader = PdfReader(io.BytesIO(content), strict=False)
            return len(reader.pages) > 0
        from PIL import Image

        with Image.open(io.BytesIO(content)) as image:
            expected = {JPEG: "JPEG", PNG: "PNG"}[content_type]
            if image.format != expected:
                return False
            image.verify()
        return True
    except Exception:  # any parser failure means the file is not what it claims
        return False


def safe_file_name(name: str, extension: str, *, fallback: str = "document", length: int = DISPLAY_NAME_LENGTH) -> str:
    """A name safe to show and to offer on download: no directories (`../../etc/passwd`
    becomes `passwd`), no control or bidi characters, and `extension`, that of what the
    file really is."""
    base = re.split(r"[\\/]", name or "")[-1]
    base = "".join(
        ch for ch in unicodedata.normalize("NFC", base) if unicodedata.category(ch)[0] not in "CZ" or ch == " "
    )
    stem = base.rsplit(".", 1)[0] if "." in base else base
    stem = re.sub(r"\s+", " ", stem).strip(" .")[: length - len(extension) - 1] or fallback
    return f"{stem}.{extension}"


def display_name_of(name: str, content_type: str) -> str:
    return safe_file_name(name, EXTENSIONS[content_type])


def file_check(*, name: str, content: bytes, allowed: frozenset[str] = frozenset(EXTENSIONS)) -> CheckedFile:
    if not content:
        raise FileRejected(FileError.FILE_EMPTY, "file")
    if len(content) > settings.CRISISDESK_DOCUMENT_MAX_BYTES:
        raise FileRejected(FileError.FILE_TOO_LARGE, "file")
    content_type = _sniffed_type(content)
    if content_type is None or content_type not in allowed:
        raise FileRejected(FileError.FILE_TYPE, "file")
    if not _parses(content, content_type):
        raise FileRejected(FileError.FILE_DAMAGED, "file")
    return CheckedFile(
        content=content,
        content_type=content_type,
        display_name=display_name_of(name, content_type),
        sha256=hashlib.sha256(content).hexdigest(),
    )


def _path_of(storage_key: str) -> Path:
    if not re.fullmatch(r"[0-9a-f]{64}", storage_key):
        raise ValueError("not a storage key")
    return Path(settings.CRISISDESK_DOCUMENT_ROOT) / storage_key[:2] / storage_key


def document_store(content: bytes) -> str:
    """Write the encrypted content under a new random key; return the key."""
    storage_key = secrets.token_hex(32)
    path = _path_of(storage_key)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    partial = path.with_suffix(".partial")
    partial.write_bytes(field_cipher().encrypt(content))
    partial.replace(path)  # a reader never meets half a file
    return storage_key


def document_read(storage_key: str) -> bytes:
    return field_cipher().decrypt(_path_of(storage_key).read_bytes())


def document_discard(storage_key: str) -> None:
    """For a file written by a transaction that then rolled back."""
    _path_of(storage_key).unlink(missing_ok=True)
