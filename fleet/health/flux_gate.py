"""The health gate: a flux configuration is Compliant at the expected commit, read through ARM.

provisioningState says whether ARM accepted the configuration; complianceState says whether Flux
applied it. Only the second means the cluster runs what Git says. Per-object `statuses` name the
Kustomization or HelmRelease that fails, and the gate reports them when it gives up.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol


class FluxConfigurationReader(Protocol):
    def get(
        self,
        resource_group_name: str,
        cluster_rp: str,
        cluster_resource_name: str,
        cluster_name: str,
        flux_configuration_name: str,
    ) -> Any: ...


@dataclass(frozen=True)
class ObjectStatus:
    kind: str
    name: str
    namespace: str
    compliance: str
    reason: str
    message: str

    def __str__(self) -> str:
        detail = f": {self.reason} {self.message}".rstrip() if (self.reason or self.message) else ""
        return f"{self.kind} {self.namespace}/{self.name} {self.compliance}{detail}"


@dataclass(frozen=True)
class GateTarget:
    resource_group: str
    cluster: str
    configuration: str
    # The commit Flux must have synced; None accepts any commit (semver ranges resolve in the cluster).
    expected_commit: str | None = None
    kustomizations: tuple[str, ...] = ()


@dataclass
class GateResult:
    passed: bool
    compliance: str
    provisioning: str
    synced_commit: str | None
    elapsed: float
    polls: int
    failing: list[ObjectStatus] = field(default_factory=list)
    reason: str = ""


def commit_of(synced: str | None) -> str | None:
    """`main@sha1:3f2a...` (Flux revision format) or a bare sha -> the sha."""
    if not synced:
        return None
    return synced.rsplit(":", 1)[-1].rsplit("@", 1)[-1]


def _statuses(configuration: Any) -> list[ObjectStatus]:
    out = []
    for status in getattr(configuration, "statuses", None) or []:
        conditions = getattr(status, "status_conditions", None) or []
        failing = next((c for c in conditions if str(getattr(c, "status", "")).lower() == "false"), None)
        reason = getattr(failing, "reason", "") or "" if failing else ""
        message = getattr(failing, "message", "") or "" if failing else ""
        out.append(
            ObjectStatus(
                kind=str(getattr(status, "kind", "") or ""),
                name=str(getattr(status, "name", "") or ""),
                namespace=str(getattr(status, "namespace", "") or ""),
                compliance=str(getattr(status, "compliance_state", "") or "Unknown"),
                reason=str(reason),
                message=str(message),
            )
        )
    return out


def wait_for_compliance(
    reader: FluxConfigurationReader,
    target: GateTarget,
    *,
    timeout: float = 1800.0,
    initial_interval: float = 5.0,
    max_interval: float = 60.0,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> GateResult:
    """Poll with exponential backoff until Compliant at the expected commit, or give up at `timeout`."""
    start = clock()
    interval = initial_interval
    polls = 0
    while True:
        configuration = reader.get(
            target.resource_group, "Microsoft.ContainerService", "managedClusters", target.cluster, target.configuration
        )
        polls += 1
        compliance = str(getattr(configuration, "compliance_state", "") or "Unknown")
        provisioning = str(getattr(configuration, "provisioning_state", "") or "Unknown")
        synced = getattr(configuration, "source_synced_commit_id", None)
        statuses = _statuses(configuration)
        kustomizations_ok = _kustomizations_compliant(statuses, target)
        commit_ok = target.expected_commit is None or commit_of(synced) == target.expected_commit
        elapsed = clock() - start
        if compliance == "Compliant" and commit_ok and kustomizations_ok and provisioning == "Succeeded":
            return GateResult(True, compliance, provisioning, synced, elapsed, polls)
        if provisioning in ("Failed", "Canceled") or elapsed + interval > timeout:
            failing = [s for s in statuses if s.compliance != "Compliant"]
            if provisioning in ("Failed", "Canceled"):
                reason = f"provisioning {provisioning}: {getattr(configuration, 'error_message', '') or 'no message'}"
            elif not commit_ok:
                reason = f"synced {commit_of(synced) or 'nothing'}, expected {target.expected_commit}"
            else:
                reason = f"still {compliance} after {elapsed:.0f}s"
            return GateResult(False, compliance, provisioning, synced, elapsed, polls, failing, reason)
        sleep(interval)
        interval = min(interval * 2, max_interval)


def _kustomizations_compliant(statuses: list[ObjectStatus], target: GateTarget) -> bool:
    """Each kustomization object (named `<configuration>-<kustomization>`) must report Compliant."""
    if not target.kustomizations:
        return True
    by_name = {s.name: s for s in statuses if s.kind == "Kustomization"}
    wanted = [f"{target.configuration}-{k}" for k in target.kustomizations]
    return all(name in by_name and by_name[name].compliance == "Compliant" for name in wanted)
