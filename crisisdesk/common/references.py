"""References people read out over the phone, and the digests of private-link tokens.

A reference uses an alphabet without look-alikes (no 0/O, 1/I/L, U/V), so that it survives
being read aloud at a noisy border crossing."""

import hashlib
import secrets

REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
REFERENCE_LENGTH = 8


def reference_new(length: int = REFERENCE_LENGTH) -> str:
    # Bytes below a multiple of the alphabet's size map onto it evenly; the rest are
    # dropped, so every letter is equally likely (as with secrets.choice, at less cost).
    usable = 256 - 256 % len(REFERENCE_ALPHABET)
    letters = ""
    while len(letters) < length:
        letters += "".join(
            REFERENCE_ALPHABET[byte % len(REFERENCE_ALPHABET)] for byte in secrets.token_bytes(16) if byte < usable
        )
    return letters[:length]


def token_digest(token: str) -> str:
    """What is stored of a private link's token: its SHA-256, never the token."""
    return hashlib.sha256(token.encode()).hexdigest()
