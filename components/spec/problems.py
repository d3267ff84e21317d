"""A problem found in a stack file: where it is and what is wrong (with what is accepted)."""

from __future__ import annotations

from dataclasses import dataclass

from .redact import redact_text


@dataclass(frozen=True, order=True)
class Problem:
    file: str
    path: str
    message: str

    def __post_init__(self) -> None:
        # A problem quotes what was typed (a value, a key, an option); every one is redacted as it is made, so no
        # caller can forget to.
        for name in ("file", "path", "message"):
            object.__setattr__(self, name, redact_text(getattr(self, name)))

    def __str__(self) -> str:
        message = _shortened(self.message)
        return f"{self.file}: {self.path}: {message}" if self.path else f"{self.file}: {message}"


MAX_MESSAGE = 1500  # room for an "accepted:" list of every rule id; far below a pasted blob


def _shortened(message: str) -> str:
    """A problem quotes what it found; a value of megabytes must not turn one line into megabytes."""
    if len(message) <= MAX_MESSAGE:
        return message
    half = MAX_MESSAGE // 2
    return f"{message[:half]} … [{len(message) - MAX_MESSAGE} characters left out] … {message[-half:]}"


class SpecError(Exception):
    """Raised with every problem of a stack file at once, so a user fixes them in one pass."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems
