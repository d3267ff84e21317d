"""The executor interface."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass
class Preview:
    """What a stack's change would do, and why it must not happen (if it must not)."""

    changes: dict[str, int] = field(default_factory=dict)  # op -> count
    policy_violations: list[str] = field(default_factory=list)  # mandatory findings
    guard_violations: list[str] = field(default_factory=list)  # protected replace/delete
    errors: list[str] = field(default_factory=list)  # the preview itself failed
    advisories: list[str] = field(default_factory=list)


@dataclass
class UpResult:
    ok: bool
    summary: dict[str, int] = field(default_factory=dict)
    outputs: dict[str, Any] = field(default_factory=dict)
    detail: str = ""


class Executor(Protocol):
    name: str

    def preview(self, stack: str) -> Preview: ...

    def up(self, stack: str) -> UpResult: ...
