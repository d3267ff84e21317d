"""The baseline rule catalogue: one definition per rule, judged by CrossGuard, the offline plan and audits."""

from .cluster_rules import RULES as CLUSTER_RULES
from .gitops_rules import RULES as GITOPS_RULES
from .model import (
    ENFORCEMENTS,
    ENVIRONMENTS,
    Context,
    Finding,
    PropertyTypeError,
    Resource,
    Rule,
    evaluate,
    evaluate_stack,
    type_key,
)

CATALOGUE: tuple[Rule, ...] = (*CLUSTER_RULES, *GITOPS_RULES)
BY_ID: dict[str, Rule] = {rule.id: rule for rule in CATALOGUE}
BY_POLICY_NAME: dict[str, Rule] = {rule.policy_name: rule for rule in CATALOGUE}
assert len(BY_ID) == len(CATALOGUE), "rule ids must be unique"

__all__ = [
    "BY_ID",
    "BY_POLICY_NAME",
    "CATALOGUE",
    "ENFORCEMENTS",
    "ENVIRONMENTS",
    "Context",
    "Finding",
    "PropertyTypeError",
    "Resource",
    "Rule",
    "evaluate",
    "evaluate_stack",
    "type_key",
]
