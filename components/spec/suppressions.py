"""Suppressions in a stack file: a reviewed, inline acceptance of one baseline finding on one resource.

Modelled on checkov's inline skip comment (`checkov:skip=<check_id>:<suppression_comment>`, bridgecrewio/checkov
docs/2.Basics/Suppressing and Skipping Policies.md), with two things checkov leaves optional made mandatory here:
a reason, and an expiry date, so an accepted risk is looked at again. The entry sits in the cluster spec, next to
what it accepts, so it is reviewed in the same pull request:

    suppressions:
      - rule: AKS-023
        resource: aks-dev-jpe-aks
        reason: dev runs on the Free tier to save cost; no SLA needed
        expires: 2027-03-01

Choices (documented in the README):
- `expires` is an ISO date (YYYY-MM-DD), the last day (UTC) the suppression holds, at most MAX_DAYS ahead. A past
  date loads: the suppression then stops suppressing and every output says it expired.
- Only findings a stack may waive: a rule that is mandatory in the stack's environment cannot be suppressed here,
  in prod or elsewhere. `pulumi up` runs the same rules as a CrossGuard policy pack (policies/__main__.py) with
  policies/config/<environment>.json, and the pack reads no stack file: a suppression would turn `fleet plan` green
  while the deployment still fails. Enforcement is the rule owners' decision, made in that config file.
- Only baseline rule ids (`fleet policy list`): an SDK-model error is Azure refusing the request, and preflight
  findings belong to objects in the Git source (fleet/preflight/suppress.py: an annotation on the object).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, StringConstraints
from pydantic_core import PydanticCustomError

from policies.baseline import BY_ID

from .base import SpecModel

# At most a year: long enough for a planned fix, short enough that nobody forgets the risk was accepted.
MAX_DAYS = 365
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def today() -> date:
    """Today in UTC: the same day on every runner, whatever its time zone."""
    return datetime.now(UTC).date()


def _rule_id(value: str) -> str:
    if value not in BY_ID:
        raise PydanticCustomError(
            "suppression_rule",
            "unknown rule id; accepted: a rule id of `fleet policy list` (e.g. AKS-023)",
        )
    return value


def _iso_date(value: Any) -> date:
    # YAML reads an unquoted 2027-03-01 as a date and a quoted one as a string; both mean the same day. A datetime
    # or a number (pydantic would read a Unix time) is not what a reviewer can check at a glance.
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str) and _ISO_DATE.match(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise PydanticCustomError("suppression_date", "expected an ISO date YYYY-MM-DD (the last day it holds)")


def _not_too_far(value: date) -> date:
    latest = today() + timedelta(days=MAX_DAYS)
    if value > latest:
        raise PydanticCustomError(
            "suppression_expiry",
            "more than {days} days ahead; accepted: a date up to {latest}",
            {"days": MAX_DAYS, "latest": latest.isoformat()},
        )
    return value


def _reason(value: str) -> str:
    if not value.strip():
        raise PydanticCustomError("suppression_reason", "empty; accepted: why the finding is accepted, in words")
    return value.strip()


Reason = Annotated[str, AfterValidator(_reason)]
Expiry = Annotated[date, BeforeValidator(_iso_date), AfterValidator(_not_too_far)]


class SuppressionSpec(SpecModel):
    """Accepts the finding of `rule` on the resource named `resource` (the plan's resource column) until `expires`."""

    rule: Annotated[str, AfterValidator(_rule_id)]
    resource: Annotated[str, StringConstraints(min_length=1)]
    reason: Reason
    expires: Expiry

    def expired(self, on: date) -> bool:
        return self.expires < on


def check_suppressions(environment: str, suppressions: list[SuppressionSpec]) -> list[tuple[str, str]]:
    """(key path relative to the cluster object, message) for what needs more than one field."""
    problems: list[tuple[str, str]] = []
    seen: set[tuple[str, str]] = set()
    for index, entry in enumerate(suppressions):
        where = f"suppressions[{index}]"
        if BY_ID[entry.rule].enforcement_for(environment) == "mandatory":
            problems.append(
                (
                    f"{where}.rule",
                    f"{entry.rule} is mandatory in {environment}: `pulumi up` enforces it through the policy pack,"
                    " which reads no stack file; accepted: fix the finding, or a rule advisory in"
                    f" {environment} (its owners set enforcementLevel in policies/config/{environment}.json)",
                )
            )
        if (entry.rule, entry.resource) in seen:
            problems.append((where, f"{entry.rule} on {entry.resource!r} is already suppressed above; keep one entry"))
        seen.add((entry.rule, entry.resource))
    return problems
