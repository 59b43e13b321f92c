"""The shape every app's validation error takes: a code from the app's error enum, the field
it concerns, and the code's translatable message (the app's ``MESSAGES``)."""

from collections.abc import Mapping
from enum import StrEnum


class CodedValidationError(Exception):
    messages: Mapping[StrEnum, str] = {}

    def __init__(self, code: StrEnum, field: str | None = None):
        super().__init__(code.value)
        self.code = code
        self.field = field

    @property
    def message(self) -> str:
        return str(self.messages[self.code])
