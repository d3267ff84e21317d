"""SARIF 2.1.0 for code-scanning annotations: findings point at the stack-file lines they come from."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from fleet.findings import SDK_MODEL as SDK_RULE
from fleet.findings import PolicyFinding, describe
from policies.baseline import BY_ID

from .model import Plan, PlannedResource

_SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0"}


def to_sarif(plan: Plan, stack_file: Path, *, display_path: str) -> dict[str, Any]:
    lines = _KeyLines(stack_file)
    by_urn = {r.urn: r for r in plan.resources}
    results = [
        {
            **_result(
                f.rule,
                "error" if f.enforcement == "mandatory" else "warning",
                _text(f),
                display_path,
                lines.for_resource(by_urn.get(f.urn)),
                f.urn,
            ),
            "suppressions": _suppressions(f, display_path, lines),
        }
        for f in plan.findings
    ]
    results += [
        {
            **_result(
                SDK_RULE, "error", f"{e.resource}: {e.property}: {e.message}", display_path, lines.cluster_line, ""
            ),
            "suppressions": [],
        }
        for e in plan.errors
    ]
    used = sorted({r["ruleId"] for r in results})
    return {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [
            {
                "tool": {"driver": {"name": "aksfleet", "rules": [_rule(rule_id) for rule_id in used]}},
                "automationDetails": {"id": f"aksfleet/plan/{plan.stack}/"},
                "results": results,
            }
        ],
    }


def _text(f: PolicyFinding) -> str:
    text = f"{f.resource}: {f.message}"
    if f.suppression is not None and not f.suppressed:  # expired or refused: the finding is live again, and says why
        text += f" ({f.suppression.describe()})"
    return text


def _suppressions(f: PolicyFinding, uri: str, lines: _KeyLines) -> list[dict[str, Any]]:
    """SARIF 2.1.0 result.suppressions (§3.27.23, §3.35): every result carries the array, since "the suppressions
    values for all result objects in theRun SHALL be either all null or all non-null"; empty means "not suppressed".
    The entry in the stack file is a suppression construct in the source: kind "inSource", status "accepted"
    (oasis-tcs/sarif-spec sarif-2.1/schema/sarif-schema-2.1.0.json, definitions.suppression). SARIF has no expiry
    field, so the date travels in the suppression's property bag."""
    if not f.suppressed or f.suppression is None:
        return []
    s = f.suppression
    suppression: dict[str, Any] = {
        "kind": "inSource",
        "status": "accepted",
        "justification": s.reason,
        "properties": {"expires": s.expires, "source": s.source},
    }
    if s.entry is not None:  # in the stack file; an annotation lives in the Git source, outside this artifact
        line = lines.line("suppressions", s.entry)
        suppression["location"] = {
            "physicalLocation": {"artifactLocation": {"uri": uri}, "region": {"startLine": line}}
        }
    return [suppression]


def _rule(rule_id: str) -> dict[str, Any]:
    rule = BY_ID.get(rule_id)
    if rule is None:  # the SDK-model check and preflight: described in fleet/findings.py
        described = describe(rule_id)
        return {
            "id": rule_id,
            "name": described.title.replace(" ", ""),
            "shortDescription": {"text": described.title},
            "help": {"text": described.remediation},
            "properties": {"security-severity": _SECURITY_SEVERITY[described.severity]},
        }
    return {
        "id": rule.id,
        "name": rule.title.replace(" ", ""),
        "shortDescription": {"text": rule.title},
        "fullDescription": {"text": rule.rationale},
        "help": {"text": f"{rule.remediation} (property: {rule.property_path})"},
        "properties": {"security-severity": _SECURITY_SEVERITY[rule.severity], "tags": ["security", *rule.references]},
    }


def _result(rule_id: str, level: str, text: str, uri: str, line: int, urn: str) -> dict[str, Any]:
    result: dict[str, Any] = {
        "ruleId": rule_id,
        "level": level,
        "message": {"text": text},
        "locations": [{"physicalLocation": {"artifactLocation": {"uri": uri}, "region": {"startLine": line}}}],
    }
    if urn:
        result["locations"][0]["logicalLocations"] = [{"fullyQualifiedName": urn, "kind": "resource"}]
    return result


class _KeyLines:
    """Line numbers of the spec keys a resource comes from, read with ruamel's position data."""

    def __init__(self, path: Path) -> None:
        try:
            self.doc = YAML().load(path.read_text(encoding="utf-8"))
            self.cluster = self.doc["config"]["aksfleet:cluster"]
            self.cluster_line = self.doc["config"].lc.key("aksfleet:cluster")[0] + 1
        except Exception:  # a stack that loaded for the plan always parses; this is belt and braces
            self.doc, self.cluster, self.cluster_line = None, None, 1

    def line(self, *path: Any) -> int:
        """The line of the key at `path` under the cluster object (the nearest one found)."""
        return self._line(*path)

    def _line(self, *path: Any) -> int:
        node, line = self.cluster, self.cluster_line
        for step in path:
            try:
                line = node.lc.key(step)[0] + 1 if isinstance(step, str) else node.lc.item(step)[0] + 1
                node = node[step]
            except (KeyError, IndexError, AttributeError, TypeError):
                break
        return line

    def for_resource(self, resource: PlannedResource | None) -> int:
        if resource is None or self.cluster is None:
            return self.cluster_line
        kind = resource.type.rsplit(":", 1)[-1]
        if kind == "AgentPool":
            names = [p.get("name") for p in self.cluster.get("userPools", [])]
            name = resource.inputs.get("agentPoolName")
            return self._line("userPools", names.index(name)) if name in names else self._line("userPools")
        if kind == "Extension":
            return self._line("flux", "extension")
        if kind == "FluxConfiguration":
            tenants = [t.get("name") for t in self.cluster.get("flux", {}).get("tenants", [])]
            name = resource.inputs.get("fluxConfigurationName")
            return (
                self._line("flux", "tenants", tenants.index(name))
                if name in tenants
                else self._line("flux", "platform")
            )
        return self.cluster_line
