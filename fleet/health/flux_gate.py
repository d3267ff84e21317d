"""The health gate: a flux configuration runs the expected commit, read through ARM.

provisioningState says whether ARM accepted the configuration; complianceState says whether Flux applied
*something*. Neither says what: a Kustomization stays Compliant at the old revision until it applies the new
one (kustomize-controller v1.7.0 sets Ready "Applied revision: <revision>" only after applying; while it
works, Ready is Unknown "Reconciliation in progress"). So the gate passes only when, in `statuses[]`:

- the source synced the expected commit (`sourceSyncedCommitId`, in any of the formats `revision.py` reads);
- each of the configuration's Kustomizations (`<configuration>-<name>`) is Compliant and its Ready condition
  says "Applied revision: …" at that commit;
- each HelmRelease is Compliant with no install/upgrade failures against its latest desired state (the counts
  reset after a successful reconciliation, helm-controller v1.4.0 api/v2 helmrelease_types.go), and, when its
  chart was built from a GitRepository with reconcileStrategy Revision, the chart version's 12-character
  commit prefix is the expected commit's. See `HelmRelease` in `_lag` for why that is all ARM lets us check.

A suspended configuration (`properties.suspend`, or complianceState/an object "Suspended": the
FluxComplianceStateDefinition enum of fluxconfiguration.json 2023-05-01) never progresses: the gate fails at
once with that reason instead of waiting for its timeout.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from .revision import CHART_PREFIX_LENGTH, applied_commit, chart_commit_prefix, commit_of

__all__ = [
    "FluxConfigurationReader",
    "GateResult",
    "GateTarget",
    "ObjectStatus",
    "Verdict",
    "commit_of",
    "evaluate",
    "wait_for_compliance",
]


class FluxConfigurationReader(Protocol):
    def get(
        self,
        resource_group_name: str,
        cluster_rp: str,
        cluster_resource_name: str,
        cluster_name: str,
        flux_configuration_name: str,
    ) -> Any: ...


# helmReleaseProperties' counters (HelmReleasePropertiesDefinition, fluxconfiguration.json 2023-05-01), named as
# the API names them so an operator can find them in `az k8s-configuration flux show`.
_FAILURE_COUNTS = (
    ("failureCount", "failure_count"),
    ("installFailureCount", "install_failure_count"),
    ("upgradeFailureCount", "upgrade_failure_count"),
)


@dataclass(frozen=True)
class ObjectStatus:
    kind: str
    name: str
    namespace: str
    compliance: str
    reason: str
    message: str
    # Kustomization: the commit its Ready condition says it applied. HelmRelease: the 12-character commit
    # prefix of its chart version, when the chart was built from a Git source. None when the status says neither.
    revision: str | None = None
    # HelmRelease failure counters above zero, as (API name, count).
    failures: tuple[tuple[str, int], ...] = ()

    def __str__(self) -> str:
        detail = f": {self.reason} {self.message}".rstrip() if (self.reason or self.message) else ""
        counts = f" ({', '.join(f'{name} {count}' for name, count in self.failures)})" if self.failures else ""
        return f"{self.kind} {self.namespace}/{self.name} {self.compliance}{detail}{counts}"


@dataclass(frozen=True)
class GateTarget:
    resource_group: str
    cluster: str
    configuration: str
    # The commit Flux must have synced; None accepts the commit the source reports (semver ranges resolve in
    # the cluster), and the objects must still all be at that one.
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


@dataclass(frozen=True)
class Verdict:
    """One read of the configuration judged: passed, failed for good (`final`), or not yet (with why)."""

    passed: bool
    final: bool
    reason: str
    failing: list[ObjectStatus] = field(default_factory=list)


def _ready(conditions: list[Any]) -> Any:
    return next((c for c in conditions if str(getattr(c, "type", "") or "") == "Ready"), None)


def _statuses(configuration: Any) -> list[ObjectStatus]:
    out = []
    for status in getattr(configuration, "statuses", None) or []:
        conditions = getattr(status, "status_conditions", None) or []
        failing = next((c for c in conditions if str(getattr(c, "status", "")).lower() == "false"), None)
        reason = getattr(failing, "reason", "") or "" if failing else ""
        message = getattr(failing, "message", "") or "" if failing else ""
        kind = str(getattr(status, "kind", "") or "")
        ready_message = str(getattr(_ready(conditions), "message", "") or "")
        helm = getattr(status, "helm_release_properties", None)
        revision: str | None = None
        failures: tuple[tuple[str, int], ...] = ()
        if kind == "Kustomization":
            revision = applied_commit(ready_message)
        elif kind == "HelmRelease":
            revision = chart_commit_prefix(ready_message)
            counts = ((api, getattr(helm, attr, None) or 0) for api, attr in _FAILURE_COUNTS)
            failures = tuple((api, int(n)) for api, n in counts if int(n) > 0)
        out.append(
            ObjectStatus(
                kind=kind,
                name=str(getattr(status, "name", "") or ""),
                namespace=str(getattr(status, "namespace", "") or ""),
                compliance=str(getattr(status, "compliance_state", "") or "Unknown"),
                reason=str(reason),
                message=str(message),
                revision=revision,
                failures=failures,
            )
        )
    return out


def evaluate(configuration: Any, target: GateTarget) -> Verdict:
    """Judge one GET of the flux configuration against the target."""
    compliance = str(getattr(configuration, "compliance_state", "") or "Unknown")
    provisioning = str(getattr(configuration, "provisioning_state", "") or "Unknown")
    statuses = _statuses(configuration)
    not_compliant = [s for s in statuses if s.compliance != "Compliant" or s.failures]
    if provisioning in ("Failed", "Canceled"):
        message = getattr(configuration, "error_message", "") or "no message"
        return Verdict(False, True, f"provisioning {provisioning}: {message}", not_compliant)
    suspended = [s for s in statuses if s.compliance == "Suspended"]
    if getattr(configuration, "suspend", None) is True or compliance == "Suspended" or suspended:
        names = "".join(f"; {s.kind} {s.namespace}/{s.name} is suspended" for s in suspended)
        return Verdict(
            False,
            True,
            f"configuration {target.configuration} is suspended: Flux does not reconcile it{names}",
            suspended or not_compliant,
        )
    synced = commit_of(getattr(configuration, "source_synced_commit_id", None))
    if target.expected_commit is not None and synced != target.expected_commit:
        return Verdict(False, False, f"synced {synced or 'nothing'}, expected {target.expected_commit}", not_compliant)
    expected = target.expected_commit or synced
    lagging = _lag(statuses, target, expected)
    if lagging:
        return Verdict(False, False, "; ".join(lagging), not_compliant)
    if not_compliant or compliance != "Compliant" or provisioning != "Succeeded":
        return Verdict(False, False, f"{compliance}, provisioning {provisioning}", not_compliant)
    return Verdict(True, False, "")


def _lag(statuses: list[ObjectStatus], target: GateTarget, expected: str | None) -> list[str]:
    """Why an object is not (yet) at the expected commit; empty when all are."""
    if expected is None:
        return ["the source reports no synced commit yet"]
    out = []
    by_name = {s.name: s for s in statuses if s.kind == "Kustomization"}
    own = [f"{target.configuration}-{k}" for k in target.kustomizations] or [
        name for name in by_name if name.startswith(f"{target.configuration}-")
    ]
    for name in own:
        status = by_name.get(name)
        if status is None:
            out.append(f"Kustomization {name} not reported yet")
        elif status.revision != expected:
            at = f"applied {status.revision}" if status.revision else "has applied no revision"
            out.append(f"Kustomization {status.namespace}/{name} {at}, expected {expected}")
    # HelmRelease: helmReleaseProperties carry a Helm release number (lastRevisionApplied), the HelmChart's
    # name and failure counters, but no source revision. The only commit a HelmRelease status can show is the
    # chart version's build metadata, set when the chart comes from a GitRepository with reconcileStrategy
    # Revision; a chart from a HelmRepository is at "the commit" once the Kustomization that applied the
    # HelmRelease is (checked above) and the release is Compliant without failures (checked by the caller).
    for status in statuses:
        if status.kind == "HelmRelease" and status.revision and status.revision != expected[:CHART_PREFIX_LENGTH]:
            out.append(
                f"HelmRelease {status.namespace}/{status.name} runs a chart built from {status.revision}, "
                f"expected {expected[:CHART_PREFIX_LENGTH]}"
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
    """Poll with exponential backoff until the configuration runs the expected commit, or give up."""
    start = clock()
    interval = initial_interval
    polls = 0
    while True:
        configuration = reader.get(
            target.resource_group, "Microsoft.ContainerService", "managedClusters", target.cluster, target.configuration
        )
        polls += 1
        verdict = evaluate(configuration, target)
        compliance = str(getattr(configuration, "compliance_state", "") or "Unknown")
        provisioning = str(getattr(configuration, "provisioning_state", "") or "Unknown")
        synced = getattr(configuration, "source_synced_commit_id", None)
        elapsed = clock() - start
        if verdict.passed:
            return GateResult(True, compliance, provisioning, synced, elapsed, polls)
        if verdict.final or elapsed + interval > timeout:
            reason = verdict.reason if verdict.final else f"after {elapsed:.0f}s: {verdict.reason}"
            return GateResult(False, compliance, provisioning, synced, elapsed, polls, verdict.failing, reason)
        sleep(interval)
        interval = min(interval * 2, max_interval)
