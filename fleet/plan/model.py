"""The plan: what `pulumi up` would register, with inputs and resource options, ready for checks."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fleet.findings import PolicyFinding

from .changes import COUNTED, GuardViolation, Op, ResourceChange


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
    # Checks the user turned off for this run ("policy", "preflight"): said in every output, never read as clean.
    skipped: list[str] = field(default_factory=list)

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

    def operations(self) -> dict[str, Op]:
        """URN -> operation for every custom resource and every resource the diff deletes. Without a base every
        resource is a create, as `pulumi preview` of a new stack shows; with one, what the diff says, else same."""
        custom = [r.urn for r in self.resources if r.custom]
        if self.base is None:
            return dict.fromkeys(custom, "create")
        ops: dict[str, Op] = dict.fromkeys(custom, "same")
        for change in self.changes:
            ops[change.urn] = change.op
        return ops

    def summary(self) -> dict[str, int]:
        ops = list(self.operations().values())
        return {op: ops.count(op) for op in (*COUNTED, "same")}

    def to_json(self) -> dict[str, Any]:
        ops = self.operations()
        return {
            "stack": self.stack,
            # "op" (create, update, replace, same) on custom resources; component resources carry none.
            "resources": [{**r.to_json(), **({"op": ops[r.urn]} if r.urn in ops else {})} for r in self.resources],
            "summary": self.summary(),
            "outputs": self.outputs,
            "errors": [{"resource": e.resource, "property": e.property, "message": e.message} for e in self.errors],
            "findings": [f.to_json() for f in self.findings],
            "skipped": self.skipped,
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
