"""What changes between two plans of one stack, and what the guard refuses: the results `diff.py` computes.

Kept apart from the comparison so the plan (model.py) can carry them without importing the code that makes them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Operation = Literal["create", "update", "replace", "delete"]
# What a resource of a plan undergoes, in `pulumi preview`'s terms; only the first four are counted as changes.
Op = Literal["create", "update", "replace", "delete", "same"]
COUNTED: tuple[Op, ...] = ("create", "update", "replace", "delete")


@dataclass(frozen=True)
class PropertyChange:
    path: str
    old: Any
    new: Any
    forces_replace: bool


@dataclass(frozen=True)
class ResourceChange:
    urn: str
    type: str
    name: str
    op: Operation
    properties: list[PropertyChange] = field(default_factory=list)
    # An AgentPool in System mode before or after the change: AKS needs one, so the guard protects it like the
    # cluster, whatever property forces the replace (or for a delete, where no property changes).
    system_pool: bool = False

    @property
    def replace_reasons(self) -> list[str]:
        return [p.path for p in self.properties if p.forces_replace]


@dataclass(frozen=True)
class GuardViolation:
    resource: str
    op: Operation
    reasons: list[str]

    def __str__(self) -> str:
        why = f" (forced by {', '.join(self.reasons)})" if self.reasons else ""
        return f"{self.resource}: {self.op} of a protected resource{why}; pass --allow-replace to accept"
