"""Apply a stack file's suppressions (components/spec/suppressions.py) to the findings of its plan.

A suppressed finding is never dropped: it keeps its place in every output, marked with the reason and the expiry,
and only stops counting towards "blocked". A suppression whose day has passed stops suppressing and the finding says
so. A stack file never suppresses a mandatory finding (the spec refuses such an entry; a rule raised to mandatory by
a --policy-config is caught here): `pulumi up`'s policy pack would block it anyway, so it says "refused".
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Literal

from components.spec.problems import Problem, SpecError
from components.spec.suppressions import SuppressionSpec
from fleet.findings import PolicyFinding

Status = Literal["accepted", "expired", "refused"]


@dataclass(frozen=True)
class Suppression:
    """What a stack file says of one finding, as every output reports it."""

    reason: str
    expires: str  # ISO date: the last day (UTC) it holds
    status: Status
    # Where it is written: file and key path, so a reader can find the entry to renew or remove.
    source: str
    # Its index in the cluster's `suppressions` list (SARIF points at its line); None for an annotation in the source.
    entry: int | None
    note: str = ""  # why it was refused

    @property
    def holds(self) -> bool:
        return self.status == "accepted"

    def describe(self) -> str:
        if self.status == "expired":
            return f"suppression expired after {self.expires} ({self.source}): {self.reason}"
        if self.status == "refused":
            return f"suppression refused ({self.source}): {self.note}"
        return f"suppressed until {self.expires}: {self.reason}"

    def to_json(self) -> dict[str, str]:
        return {"reason": self.reason, "expires": self.expires, "status": self.status, "source": self.source}


def apply_suppressions(
    findings: Sequence[PolicyFinding],
    suppressions: Sequence[SuppressionSpec],
    *,
    resources: Iterable[str],
    file: str,
    today: date,
) -> list[PolicyFinding]:
    """The findings, each matched by rule and resource name against the suppressions.

    Raises SpecError for a suppression naming a resource the stack does not have (a typo would otherwise accept
    nothing, silently).
    """
    names = sorted(set(resources))
    problems = [
        Problem(
            file,
            f"aksfleet:cluster.suppressions[{index}].resource",
            f"no resource of this stack is named {entry.resource!r}; accepted: {', '.join(names)}",
        )
        for index, entry in enumerate(suppressions)
        if entry.resource not in names
    ]
    if problems:
        raise SpecError(problems)
    by_key = {(entry.rule, entry.resource): index for index, entry in enumerate(suppressions)}
    out: list[PolicyFinding] = []
    for finding in findings:
        index = by_key.get((finding.rule, finding.resource))
        if index is None:
            out.append(finding)
            continue
        entry = suppressions[index]
        status: Status = "accepted"
        if entry.expired(today):
            status = "expired"
        elif finding.enforcement == "mandatory":
            status = "refused"
        suppression = Suppression(
            reason=entry.reason,
            expires=entry.expires.isoformat(),
            status=status,
            source=f"{file}: aksfleet:cluster.suppressions[{index}]",
            entry=index,
            note="the finding is mandatory here, and `pulumi up`'s policy pack would block it anyway",
        )
        out.append(dataclasses.replace(finding, suppression=suppression))
    return out
