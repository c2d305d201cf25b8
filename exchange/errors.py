"""The one base class for domain errors.

Services raise it (or a subclass) when a request cannot be carried out; the HTML views, the admin
and the API turn it into a clear 400 or a message. The message is shown to people as it is, so
it says what is wrong and what to do about it.
"""

from typing import Any

from django.core.exceptions import ValidationError


class ApplicationError(Exception):
    def __init__(self, message: str, extra: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.extra = extra or {}

    def __str__(self) -> str:
        return self.message

    @classmethod
    def from_validation_error(cls, error: ValidationError, *, prefix: str) -> "ApplicationError":
        """`prefix` and every message of a failed `full_clean()`; `extra["fields"]` keeps them
        by field for forms and the API."""
        fields = error.message_dict if hasattr(error, "error_dict") else {}
        return cls(f"{prefix} {' '.join(error.messages)}", extra={"fields": fields})
