"""The CrossGuard policy pack: every rule of the baseline catalogue as one Pulumi policy.

`pulumi preview --policy-pack policies --policy-pack-config policies/config/prod.json -s prod-japaneast`
runs it. Constructing PolicyPack starts the gRPC analyzer server the Pulumi CLI talks to; `fleet plan`
starts this same file and speaks the same protocol.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    PolicyPack,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)

# Published packs run from their own folder, where `baseline` is a top-level package.
sys.path.insert(0, str(Path(__file__).resolve().parent))

from baseline import CATALOGUE, ENVIRONMENTS, Context, Resource, Rule, evaluate, evaluate_stack

PACK_NAME = "aksfleet-baseline"
_LEVELS = {"advisory": EnforcementLevel.ADVISORY, "mandatory": EnforcementLevel.MANDATORY}


def _context(config: Mapping[str, Any], stack_tags: Any) -> Context:
    # policies/config/<env>.json sets `environment` for every policy; a stack tag works too. Anything
    # unknown is judged as production: the strictest reading is the safe default.
    environment = config.get("environment") or (stack_tags or {}).get("environment") or "prod"
    rule_config = {k: v for k, v in config.items() if k != "environment"}
    return Context(environment=str(environment), config=rule_config)


def _resource_policy(rule: Rule) -> ResourceValidationPolicy:
    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        resource = Resource(args.resource_type, args.name, args.props, args.urn)
        for finding in evaluate(rule, resource, _context(args.get_config(), args.stack_tags)):
            report_violation(finding.message, None)

    return ResourceValidationPolicy(**_common(rule), validate=validate)


def _stack_policy(rule: Rule) -> StackValidationPolicy:
    def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
        resources = [
            Resource(r.resource_type, r.name, r.props, r.urn, tuple(d.urn for d in r.dependencies))
            for r in args.resources
        ]
        by_name = {r.name: r.urn for r in args.resources}
        for finding in evaluate_stack(rule, resources, _context(args.get_config(), None)):
            report_violation(finding.message, by_name.get(finding.resource))

    return StackValidationPolicy(**_common(rule), validate=validate)


def _common(rule: Rule) -> dict[str, Any]:
    properties: dict[str, Any] = {"environment": {"type": "string", "enum": list(ENVIRONMENTS)}}
    properties.update({k: dict(v) for k, v in rule.config_schema.items()})
    return {
        "name": rule.policy_name,
        "display_name": f"{rule.id} {rule.title}",
        "description": f"{rule.title}: {rule.rationale}",
        "enforcement_level": _LEVELS[rule.enforcement_for("prod")],
        "severity": Severity(rule.severity),
        "config_schema": PolicyConfigSchema(properties=properties),
        "remediation_steps": rule.remediation,
        "tags": [rule.id.split("-")[0].lower()],
    }


def build_policies() -> list[ResourceValidationPolicy | StackValidationPolicy]:
    return [_stack_policy(rule) if rule.stack_level else _resource_policy(rule) for rule in CATALOGUE]


if __name__ == "__main__":
    PolicyPack(
        name=PACK_NAME,
        policies=build_policies(),  # type: ignore[arg-type]
        enforcement_level=EnforcementLevel.MANDATORY,
        description="AKS + Flux GitOps fleet baseline",
        provider="azure",
    )
