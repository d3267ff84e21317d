"""The plan: what `pulumi up` would register, with inputs and resource options, ready for checks."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fleet.suppressions import Suppression

    from .diff import GuardViolation, ResourceChange

SECRET = "[secret]"
UNKNOWN = "[unknown]"


@dataclass(frozen=True)
class ResourceOptions:
    protect: bool
    ignore_changes: list[str]
    depends_on: list[str]
    delete_before_replace: bool
    custom_timeouts: dict[str, str]

    def to_json(self) -> dict[str, Any]:
        return {
            "protect": self.protect,
            "ignoreChanges": self.ignore_changes,
            "dependsOn": self.depends_on,
            "deleteBeforeReplace": self.delete_before_replace,
            "customTimeouts": self.custom_timeouts,
        }


@dataclass(frozen=True)
class PlannedResource:
    urn: str
    type: str
    name: str
    parent: str | None
    custom: bool
    # Canonical shape: azure-native input names (camelCase, `properties` flattened); secret values are
    # replaced by SECRET and values unknown until apply by UNKNOWN. Plaintext secrets never get here.
    inputs: dict[str, Any]
    options: ResourceOptions

    def to_json(self) -> dict[str, Any]:
        return {
            "urn": self.urn,
            "type": self.type,
            "name": self.name,
            "parent": self.parent,
            "inputs": self.inputs,
            "options": self.options.to_json(),
        }


@dataclass(frozen=True)
class PlanError:
    resource: str
    property: str
    message: str

    def __str__(self) -> str:
        return f"{self.resource}: {self.property}: {self.message}"


@dataclass(frozen=True)
class PolicyFinding:
    rule: str
    policy: str
    enforcement: str
    severity: str
    resource: str
    urn: str
    message: str
    # Set by fleet/suppressions.py when a stack file accepts this finding (or accepted it until a day now past).
    suppression: Suppression | None = None

    @property
    def suppressed(self) -> bool:
        """Accepted by a suppression that holds: reported as suppressed, never blocking."""
        return self.suppression is not None and self.suppression.holds

    @property
    def remediation(self) -> str:
        from fleet.findings import describe

        return describe(self.rule).remediation

    def to_json(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "enforcement": self.enforcement,
            "severity": self.severity,
            "resource": self.resource,
            "message": self.message,
            "remediation": self.remediation,
            "suppressed": self.suppressed,
            "suppression": self.suppression.to_json() if self.suppression is not None else None,
        }


@dataclass
class Plan:
    stack: str
    resources: list[PlannedResource]
    outputs: dict[str, Any] = field(default_factory=dict)
    errors: list[PlanError] = field(default_factory=list)
    findings: list[PolicyFinding] = field(default_factory=list)
    environment: str = ""
    # Filled when the plan is compared with the plan at a base ref.
    base: str | None = None
    changes: list[ResourceChange] = field(default_factory=list)
    guard_violations: list[GuardViolation] = field(default_factory=list)

    @property
    def blocked(self) -> bool:
        """An SDK-model error, a mandatory policy finding or a guarded replace/delete stops the change."""
        mandatory = any(f.enforcement == "mandatory" and not f.suppressed for f in self.findings)
        return bool(self.errors) or mandatory or bool(self.guard_violations)

    def of_type(self, type_token: str) -> list[PlannedResource]:
        return [r for r in self.resources if r.type == type_token]

    def by_urn(self, urn: str) -> PlannedResource:
        return next(r for r in self.resources if r.urn == urn)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Plan:
        """Read back `to_json` output (the resources and outputs; findings are not needed to diff)."""
        resources = [
            PlannedResource(
                urn=r["urn"],
                type=r["type"],
                name=r["name"],
                parent=r.get("parent"),
                custom=r["type"].startswith("azure-native:"),
                inputs=r["inputs"],
                options=ResourceOptions(
                    protect=r["options"].get("protect", False),
                    ignore_changes=r["options"].get("ignoreChanges", []),
                    depends_on=r["options"].get("dependsOn", []),
                    delete_before_replace=r["options"].get("deleteBeforeReplace", False),
                    custom_timeouts=r["options"].get("customTimeouts", {}),
                ),
            )
            for r in data["resources"]
        ]
        return cls(stack=data["stack"], resources=resources, outputs=data.get("outputs", {}))

    def to_json(self) -> dict[str, Any]:
        from .preview import operations, summary

        ops = operations(self)
        return {
            "stack": self.stack,
            # "op" (create, update, replace, same) on custom resources; component resources carry none.
            "resources": [{**r.to_json(), **({"op": ops[r.urn]} if r.urn in ops else {})} for r in self.resources],
            "summary": summary(self),
            "outputs": self.outputs,
            "errors": [{"resource": e.resource, "property": e.property, "message": e.message} for e in self.errors],
            "findings": [f.to_json() for f in self.findings],
            "base": self.base,
            "changes": [
                {
                    "urn": c.urn,
                    "type": c.type,
                    "name": c.name,
                    "op": c.op,
                    "properties": [
                        {"path": p.path, "old": p.old, "new": p.new, "forcesReplace": p.forces_replace}
                        for p in c.properties
                    ],
                }
                for c in self.changes
            ],
            "guard": [{"resource": g.resource, "op": g.op, "reasons": g.reasons} for g in self.guard_violations],
        }
