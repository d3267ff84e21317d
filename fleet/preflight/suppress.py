"""Suppressing a preflight finding on one GitOps object: an annotation on that object, in the Git source.

Like checkov's Kubernetes suppressions (an annotation on the object, `checkov.io/skip1: CKV_K8S_20=<comment>`,
bridgecrewio/checkov docs/2.Basics/Suppressing and Skipping Policies.md), but the reason and the expiry are required:

    metadata:
      annotations:
        aksfleet.io/suppress: "PREFLIGHT-007: vendor publishes no tags yet; expires=2027-03-01"

Grammar: one entry per line, `RULE: reason; expires=YYYY-MM-DD` (the last day, UTC, it holds; at most MAX_DAYS
ahead). An annotation's key and value are strings and its key may carry a DNS-subdomain prefix
(kubernetes.io/docs/concepts/overview/working-with-objects/annotations), so this one travels through kustomize into
the build unchanged. It applies to the findings about that object only.

Choices (documented in the README):
- Only findings about an object: PREFLIGHT-003, 004, 005, 007, 008, 012-017. Never PREFLIGHT-006: a secret in Git
  is exposed once committed, so accepting it is not a decision this file can record.
- Preflight is the toolkit's own gate (nothing later enforces it), so a mandatory finding can be suppressed; in a
  prod stack only for PROD_MANDATORY_DAYS ahead at most: longer, and it is refused, and says so.
- An entry that does not parse is a finding of its own (PREFLIGHT-019, mandatory) and suppresses nothing.
"""

from __future__ import annotations

import dataclasses
import re
from datetime import date, timedelta
from typing import Any

from components.spec.suppressions import MAX_DAYS
from fleet.findings import PolicyFinding
from fleet.suppressions import Status, Suppression

from .shape import mapping

ANNOTATION = "aksfleet.io/suppress"
INVALID = "PREFLIGHT-019"
# The ids checks._check_object emits about one object (PREFLIGHT-006 excluded, see above).
SUPPRESSIBLE = tuple(f"PREFLIGHT-{n:03d}" for n in (3, 4, 5, 7, 8, 12, 13, 14, 15, 16, 17))
# A mandatory preflight finding in production is accepted for a quarter at most: time to fix, not to forget.
PROD_MANDATORY_DAYS = 90
_ENTRY = re.compile(r"^(?P<rule>[A-Z]+-[0-9A-Z]+)\s*:\s*(?P<reason>.*?)\s*;\s*expires=(?P<expires>\S+)$")
GRAMMAR = "`RULE: reason; expires=YYYY-MM-DD`, one per line"


@dataclasses.dataclass(frozen=True)
class Entry:
    line: int
    rule: str
    reason: str
    expires: date


def parse(value: Any, *, today: date) -> tuple[list[Entry], list[str]]:
    """The entries of an annotation value, and one problem per line that is not a valid entry."""
    if not isinstance(value, str):
        return [], [f"{ANNOTATION} must be a string; accepted: {GRAMMAR}"]
    entries: list[Entry] = []
    problems: list[str] = []
    for number, line in enumerate(value.splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        where = f"{ANNOTATION} line {number}"
        match = _ENTRY.match(line)
        if match is None:
            problems.append(f"{where} is not {GRAMMAR}")
            continue
        rule, reason, expires = match["rule"], match["reason"], match["expires"]
        if rule not in SUPPRESSIBLE:
            problems.append(f"{where}: {rule} cannot be suppressed on an object; accepted: {', '.join(SUPPRESSIBLE)}")
            continue
        if any(e.rule == rule for e in entries):
            # One decision per finding, as the stack file's suppressions: two would leave which one holds to order.
            problems.append(f"{where}: {rule} is suppressed on an earlier line already; accepted: one line per rule")
            continue
        if not reason:
            problems.append(f"{where}: the reason is empty; accepted: why the finding is accepted, in words")
            continue
        try:
            day = date.fromisoformat(expires) if re.fullmatch(r"\d{4}-\d{2}-\d{2}", expires) else None
        except ValueError:
            day = None
        if day is None:
            problems.append(f"{where}: expires={expires} is not an ISO date YYYY-MM-DD")
            continue
        latest = today + timedelta(days=MAX_DAYS)
        if day > latest:
            problems.append(f"{where}: expires={expires} is more than {MAX_DAYS} days ahead; accepted: up to {latest}")
            continue
        entries.append(Entry(number, rule, reason, day))
    return entries, problems


def annotation_of(obj: dict[str, Any]) -> Any:
    return mapping(obj, "metadata.annotations").get(ANNOTATION)


def apply(
    findings: list[PolicyFinding], entries: list[Entry], *, label: str, environment: str, today: date
) -> list[PolicyFinding]:
    """The findings about one object, each matched by rule against that object's entries."""
    by_rule = {e.rule: e for e in entries}
    out: list[PolicyFinding] = []
    for finding in findings:
        entry = by_rule.get(finding.rule)
        if entry is None:
            out.append(finding)
            continue
        status: Status = "accepted"
        if entry.expires < today:
            status = "expired"
        elif (
            environment == "prod"
            and finding.enforcement == "mandatory"
            and entry.expires > today + timedelta(days=PROD_MANDATORY_DAYS)
        ):
            status = "refused"
        suppression = Suppression(
            reason=entry.reason,
            expires=entry.expires.isoformat(),
            status=status,
            source=f"{label}: annotation {ANNOTATION} line {entry.line}",
            entry=None,
            note=f"in prod a mandatory finding is suppressed for {PROD_MANDATORY_DAYS} days ahead at most",
        )
        out.append(dataclasses.replace(finding, suppression=suppression))
    return out
