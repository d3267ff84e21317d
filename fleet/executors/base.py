"""The executor interface."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from components.azure_types import TYPES


@dataclass
class Preview:
    """What a stack's change would do, and why it must not happen (if it must not)."""

    changes: dict[str, int] = field(default_factory=dict)  # op -> count
    policy_violations: list[str] = field(default_factory=list)  # mandatory findings
    guard_violations: list[str] = field(default_factory=list)  # protected replace/delete
    errors: list[str] = field(default_factory=list)  # the preview itself failed
    advisories: list[str] = field(default_factory=list)


# Recovery phases an update is timed by (resource type -> phase).
PHASES = {t.token: t.phase for t in TYPES if t.phase}


@dataclass
class UpResult:
    ok: bool
    summary: dict[str, int] = field(default_factory=dict)
    outputs: dict[str, Any] = field(default_factory=dict)
    detail: str = ""
    # phase -> (start, end) in seconds since the update began, from the engine's resource events.
    phases: dict[str, tuple[float, float]] = field(default_factory=dict)


class Executor(Protocol):
    name: str

    def preview(self, stack: str) -> Preview: ...

    def up(self, stack: str) -> UpResult: ...

    def destroy(self, stack: str) -> UpResult: ...
