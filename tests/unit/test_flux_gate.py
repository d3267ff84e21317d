"""The health gate against Flux's real status shapes: the API example, upstream's revision formats, the emulator.

Statuses are built from the vendored fluxConfigurations GET example (tests/conformance/azure/fluxconfigurations)
and deserialized by the SDK model, so the gate reads exactly what a GET hands it.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from azure.mgmt.kubernetesconfiguration.v2023_05_01 import models

from fleet.health.flux_gate import GateTarget, evaluate, wait_for_compliance
from fleet.health.revision import applied_commit, chart_commit_prefix, commit_of
from tests.fakes.arm import ArmEmulator, ComplianceScript, secure_flux_properties

CONFORMANCE = Path(__file__).resolve().parents[1] / "conformance"
EXAMPLE = json.loads((CONFORMANCE / "azure/fluxconfigurations/GetFluxConfiguration.json").read_text())
EXAMPLE_BODY: dict[str, Any] = EXAMPLE["responses"]["200"]["body"]
REVISION_CASES = json.loads((CONFORMANCE / "flux/revision-format/cases.json").read_text())

EXAMPLE_COMMIT = "0ba6f0d30760d567de0bac86c8c4eec13ce1a590"  # what the example's objects report
NEW = "9c1e5d7a3b2f4e6d8c0a1b3d5f7e9a2c4b6d8f0e"
OLD = "1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b"
EXAMPLE_TARGET = GateTarget("rg1", "clusterName1", "srs-fluxconfig", EXAMPLE_COMMIT, ("srs-kustomization1",))


# --- one parser for every revision format -----------------------------------------------------------------


@pytest.mark.parametrize(
    "case",
    REVISION_CASES["ExtractHashFromRevision"] + REVISION_CASES["SplitRevision"],
    ids=lambda c: c["name"],
)
def test_commit_of_reads_every_revision_format_flux_reads(case: dict[str, Any]) -> None:
    assert commit_of(case["rev"]) == case.get("want", case.get("wantHash"))


@pytest.mark.parametrize(
    ("message", "commit"),
    [
        # The API example wraps the message in single quotes.
        (EXAMPLE_BODY["properties"]["statuses"][1]["statusConditions"][0]["message"], EXAMPLE_COMMIT),
        (f"Applied revision: main@sha1:{NEW}", NEW),
        (f"Applied revision: v1.4.2/{NEW}", NEW),
        (f"Applied revision: release candidate@sha1:{NEW}", NEW),  # a named pointer may hold anything
        ("Reconciliation in progress", None),
        ("", None),
    ],
)
def test_applied_commit_reads_the_kustomization_ready_message(message: str, commit: str | None) -> None:
    assert applied_commit(message) == commit


@pytest.mark.parametrize(
    ("message", "prefix"),
    [
        (f"Helm upgrade succeeded for release apps/podinfo.v3 with chart podinfo@6.0.3+{NEW[:12]}", NEW[:12]),
        (f"Helm install succeeded for release apps/podinfo.v1 with chart podinfo@6.0.3+{NEW[:12]}.2", NEW[:12]),
        ("Helm install succeeded for release apps/podinfo.v1 with chart podinfo@6.0.3+1", None),  # HelmRepository
        ("Helm install succeeded for release apps/podinfo.v1 with chart podinfo@6.0.3", None),
    ],
)
def test_chart_commit_prefix_reads_a_chart_built_from_git(message: str, prefix: str | None) -> None:
    assert chart_commit_prefix(message) == prefix


# --- the gate, one GET at a time -----------------------------------------------------------------------------


def _configuration(mutate: Callable[[dict[str, Any]], None] | None = None) -> models.FluxConfiguration:
    body = copy.deepcopy(EXAMPLE_BODY)
    if mutate:
        mutate(body["properties"])
    return models.FluxConfiguration.deserialize(body)


def _at(commit: str, form: str = "slash") -> Callable[[dict[str, Any]], None]:
    """Source and Kustomizations at `commit`, spelled as `form`."""

    def spell(props: dict[str, Any]) -> None:
        revision = {"slash": f"master/{commit}", "at": f"master@sha1:{commit}", "bare": commit}[form]
        props["sourceSyncedCommitId"] = revision
        for status in props["statuses"]:
            if status["kind"] == "Kustomization":
                status["statusConditions"][0]["message"] = f"'Applied revision: {revision}'"

    return spell


def _then(*steps: Callable[[dict[str, Any]], None]) -> Callable[[dict[str, Any]], None]:
    def run(props: dict[str, Any]) -> None:
        for step in steps:
            step(props)

    return run


def _kustomization2_at(commit: str) -> Callable[[dict[str, Any]], None]:
    def lag(props: dict[str, Any]) -> None:
        props["statuses"][2]["statusConditions"][0]["message"] = f"'Applied revision: master@sha1:{commit}'"

    return lag


def _in_progress(props: dict[str, Any]) -> None:
    props["statuses"][2]["statusConditions"][0].update(
        status="Unknown", reason="Progressing", message="Reconciliation in progress"
    )


def _helm_release(chart: str, state: str = "Compliant", **counts: int) -> Callable[[dict[str, Any]], None]:
    def add(props: dict[str, Any]) -> None:
        release = copy.deepcopy(props["statuses"][1])
        release.update(name="podinfo", kind="HelmRelease", complianceState=state)
        release["helmReleaseProperties"].update(counts)
        release["statusConditions"][0]["message"] = (
            f"Helm upgrade succeeded for release podinfo/podinfo.v2 with chart {chart}"
            if state == "Compliant"
            else "Helm upgrade failed for release podinfo/podinfo with chart podinfo@6.0.3: timed out"
        )
        release["statusConditions"][0]["status"] = "True" if state == "Compliant" else "False"
        release["statusConditions"][0]["reason"] = "UpgradeSucceeded" if state == "Compliant" else "UpgradeFailed"
        props["statuses"].append(release)

    return add


TWO = GateTarget("rg1", "clusterName1", "srs-fluxconfig", NEW, ("srs-kustomization1", "srs-kustomization2"))
ANY_COMMIT = GateTarget("rg1", "clusterName1", "srs-fluxconfig", None, ("srs-kustomization1", "srs-kustomization2"))

# (id, target, mutation of the example, passed, final, words the reason must contain)
GATE_TABLE: list[tuple[str, GateTarget, Callable[[dict[str, Any]], None], bool, bool, list[str]]] = [
    ("commit as branch/sha", TWO, _at(NEW, "slash"), True, False, []),
    ("commit as branch@sha1:sha", TWO, _at(NEW, "at"), True, False, []),
    ("commit as a bare sha", TWO, _at(NEW, "bare"), True, False, []),
    (
        "source at the new commit, a kustomization still at the old",
        TWO,
        _then(_at(NEW, "at"), _kustomization2_at(OLD)),
        False,
        False,
        ["Kustomization /srs-fluxconfig-srs-kustomization2 applied", OLD, f"expected {NEW}"],
    ),
    (
        "a kustomization still applying",
        TWO,
        _then(_at(NEW, "at"), _in_progress),
        False,
        False,
        ["srs-fluxconfig-srs-kustomization2 has applied no revision"],
    ),
    ("the source not yet at the commit", TWO, _at(OLD, "at"), False, False, [f"synced {OLD}, expected {NEW}"]),
    (
        "a HelmRelease with failures",
        TWO,
        _then(_at(NEW, "at"), _helm_release("podinfo@6.0.3", "Non-Compliant", installFailureCount=2, failureCount=2)),
        False,
        False,
        ["Non-Compliant"],
    ),
    (
        "a HelmRelease whose chart was built from the old commit",
        TWO,
        _then(_at(NEW, "at"), _helm_release(f"podinfo@6.0.3+{OLD[:12]}")),
        False,
        False,
        [f"HelmRelease /podinfo runs a chart built from {OLD[:12]}, expected {NEW[:12]}"],
    ),
    (
        "a HelmRelease at the commit",
        TWO,
        _then(_at(NEW, "at"), _helm_release(f"podinfo@6.0.3+{NEW[:12]}")),
        True,
        False,
        [],
    ),
    (
        "a HelmRelease from a Helm repository",
        TWO,
        _then(_at(NEW, "at"), _helm_release("podinfo@6.0.3")),
        True,
        False,
        [],
    ),
    (
        "suspended",
        TWO,
        _then(_at(NEW, "at"), lambda p: p.update(suspend=True)),
        False,
        True,
        ["configuration srs-fluxconfig is suspended"],
    ),
    (
        "an object suspended",
        TWO,
        _then(_at(NEW, "at"), lambda p: p["statuses"][2].update(complianceState="Suspended")),
        False,
        True,
        ["Kustomization /srs-fluxconfig-srs-kustomization2 is suspended"],
    ),
    ("no expected commit: objects at the synced one", ANY_COMMIT, _at(OLD, "at"), True, False, []),
    (
        "no expected commit: a kustomization behind the source",
        ANY_COMMIT,
        _then(_at(NEW, "at"), _kustomization2_at(OLD)),
        False,
        False,
        [f"applied {OLD}, expected {NEW}"],
    ),
]


@pytest.mark.parametrize(
    ("target", "mutate", "passed", "final", "words"), [c[1:] for c in GATE_TABLE], ids=[c[0] for c in GATE_TABLE]
)
def test_gate_verdict_on_real_status_shapes(
    target: GateTarget, mutate: Callable[[dict[str, Any]], None], passed: bool, final: bool, words: list[str]
) -> None:
    verdict = evaluate(_configuration(mutate), target)
    assert (verdict.passed, verdict.final) == (passed, final), verdict.reason
    for word in words:
        assert word in verdict.reason + " " + "; ".join(str(s) for s in verdict.failing)


def test_the_api_example_passes_at_its_own_commit_and_names_the_lag_at_another() -> None:
    assert evaluate(_configuration(), EXAMPLE_TARGET).passed
    behind = evaluate(_configuration(lambda p: p.update(sourceSyncedCommitId=f"master/{NEW}")), EXAMPLE_TARGET)
    assert not behind.passed and behind.reason == f"synced {NEW}, expected {EXAMPLE_COMMIT}"


def test_helm_release_failure_counts_are_named_when_the_gate_gives_up() -> None:
    reader = _Reader(
        _configuration(
            _then(
                _at(NEW, "at"), _helm_release("podinfo@6.0.3", "Non-Compliant", installFailureCount=3, failureCount=3)
            )
        )
    )
    result = wait_for_compliance(reader, TWO, timeout=0, sleep=_no_sleep)
    assert not result.passed
    assert [str(s) for s in result.failing] == [
        "HelmRelease /podinfo Non-Compliant: UpgradeFailed Helm upgrade failed for release podinfo/podinfo with chart "
        "podinfo@6.0.3: timed out (failureCount 3, installFailureCount 3)"
    ]


def test_a_suspended_configuration_fails_at_the_first_read() -> None:
    reader = _Reader(_configuration(lambda p: p.update(suspend=True)))
    result = wait_for_compliance(reader, TWO, timeout=3600, sleep=_no_sleep)
    assert not result.passed and result.polls == 1
    assert result.reason.startswith("configuration srs-fluxconfig is suspended")


def test_gate_waits_for_a_lagging_kustomization_then_passes() -> None:
    lagging = _configuration(_then(_at(NEW, "at"), _kustomization2_at(OLD)))
    reader = _Reader(lagging, lagging, _configuration(_at(NEW)))
    result = wait_for_compliance(reader, TWO, timeout=3600, initial_interval=1, sleep=_no_sleep)
    assert result.passed and result.polls == 3


class _Reader:
    def __init__(self, *reads: models.FluxConfiguration) -> None:
        self.reads = list(reads)

    def get(self, *args: str) -> models.FluxConfiguration:
        return self.reads.pop(0) if len(self.reads) > 1 else self.reads[0]


def _no_sleep(seconds: float) -> None:
    return None


# --- the emulator's status model has the example's shape ----------------------------------------------------

SUBSCRIPTION = "00000000-0000-0000-0000-000000000000"
STATUS_KEYS = {"statuses", "sourceSyncedCommitId", "sourceUpdatedAt", "statusUpdatedAt", "complianceState",
               "provisioningState", "errorMessage"}  # fmt: skip


def _json_type(value: Any) -> str:
    return {dict: "object", list: "array", str: "string", bool: "boolean", int: "integer", float: "number"}.get(
        type(value), "null"
    )


def _same_shape(example: Any, actual: Any, path: str, extra: dict[str, set[str]]) -> list[str]:
    """Differences in keys and JSON types; null on either side is allowed (x-nullable)."""
    if example is None or actual is None:
        return []
    if _json_type(example) != _json_type(actual):
        return [f"{path}: {_json_type(actual)}, example has {_json_type(example)}"]
    if isinstance(example, dict):
        missing, unknown = set(example) - set(actual), set(actual) - set(example) - extra.get(path, set())
        out = [f"{path}: missing {sorted(missing)}"] * bool(missing) + [f"{path}: extra {sorted(unknown)}"] * bool(
            unknown
        )
        return out + [
            e for k in set(example) & set(actual) for e in _same_shape(example[k], actual[k], f"{path}.{k}", extra)
        ]
    if isinstance(example, list) and example and actual:
        return [e for item in actual for e in _same_shape(example[0], item, f"{path}[]", extra)]
    return []


def _emulated(script: ComplianceScript, **props: Any) -> tuple[dict[str, Any], models.FluxConfiguration]:
    with ArmEmulator() as arm:
        cid = arm.add_cluster(SUBSCRIPTION, "rg1", "aks")
        arm.add_extension(cid)
        arm.add_flux_configuration(cid, "platform", {**secure_flux_properties(), **props})
        arm.set_compliance("platform", script)
        client = arm.azure_context().kubernetes_configuration(SUBSCRIPTION).flux_configurations
        get = ("rg1", "Microsoft.ContainerService", "managedClusters", "aks", "platform")
        raw = client.get(*get, cls=lambda response, model, headers: json.loads(response.http_response.text()))
        return raw, client.get(*get)


PLATFORM = GateTarget("rg1", "aks", "platform", None, ("infra", "apps"))
RELEASE = {"name": "podinfo", "namespace": "podinfo", "chart": "podinfo@6.0.3", "from_git": True}


@pytest.mark.parametrize("form", ["slash", "at", "bare"])
def test_emulator_statuses_have_the_api_example_shape(form: str) -> None:
    raw, _ = _emulated(ComplianceScript([(0.0, "Compliant")], revision_format=form, helm_releases=[RELEASE]))
    props, example = raw["properties"], EXAMPLE_BODY["properties"]
    assert set(props) >= STATUS_KEYS, STATUS_KEYS - set(props)
    assert all(_json_type(props[k]) in (_json_type(example[k]), "null") for k in STATUS_KEYS)
    # The example's objects carry no `namespace`; ObjectStatusDefinition defines it (the SDK model was generated
    # from that definition), and the gate names objects by it.
    assert "namespace" in {a["key"] for a in models.ObjectStatusDefinition._attribute_map.values()}
    by_kind = {s["kind"]: s for s in example["statuses"]}
    kinds = {s["kind"] for s in props["statuses"]}
    assert kinds == {"GitRepository", "Kustomization", "HelmRelease"}
    for status in props["statuses"]:
        like = copy.deepcopy(by_kind.get(status["kind"], by_kind["Kustomization"]))
        if status["kind"] == "HelmRelease":
            assert status["helmReleaseProperties"] is not None and status["appliedBy"] is not None
        assert _same_shape(like, status, "status", {"status": {"namespace"}}) == []


def test_emulator_reports_each_commit_format_and_the_gate_passes_on_each() -> None:
    seen = set()
    for form in ("slash", "at", "bare"):
        raw, configuration = _emulated(ComplianceScript([(0.0, "Compliant")], revision_format=form))
        seen.add(raw["properties"]["sourceSyncedCommitId"].replace(ArmEmulator().commit, "<sha>"))
        assert evaluate(
            configuration, GateTarget("rg1", "aks", "platform", ArmEmulator().commit, ("infra", "apps"))
        ).passed
    assert seen == {"v1.4.2/<sha>", "v1.4.2@sha1:<sha>", "<sha>"}


def test_emulator_kustomizations_lag_behind_the_source_while_compliant() -> None:
    raw, configuration = _emulated(ComplianceScript([(0.0, "Compliant")], applied_after=3600, previous_commit=OLD))
    props = raw["properties"]
    assert props["complianceState"] == "Compliant" and commit_of(props["sourceSyncedCommitId"]) != OLD
    applied = {
        s["name"]: s["statusConditions"][0]["message"] for s in props["statuses"] if s["kind"] == "Kustomization"
    }
    assert applied == {name: f"Applied revision: v1.4.2@sha1:{OLD}" for name in ("platform-infra", "platform-apps")}
    verdict = evaluate(configuration, PLATFORM)
    assert not verdict.passed and f"Kustomization flux-system/platform-apps applied {OLD}" in verdict.reason


def test_emulator_helm_release_failures_reach_the_gate_message() -> None:
    failing = {**RELEASE, "state": "Non-Compliant", "reason": "InstallFailed", "message": "timed out",
               "failureCount": 4, "installFailureCount": 4}  # fmt: skip
    raw, configuration = _emulated(ComplianceScript([(0.0, "Compliant")], helm_releases=[failing]))
    assert raw["properties"]["complianceState"] == "Non-Compliant"
    verdict = evaluate(configuration, PLATFORM)
    assert not verdict.passed
    assert (
        "HelmRelease podinfo/podinfo Non-Compliant: InstallFailed timed out (failureCount 4, installFailureCount 4)"
        in [str(s) for s in verdict.failing]
    )


def test_emulator_suspended_configuration_fails_the_gate_at_once() -> None:
    raw, configuration = _emulated(ComplianceScript([(0.0, "Compliant")]), suspend=True)
    assert raw["properties"]["complianceState"] == "Suspended"
    verdict = evaluate(configuration, PLATFORM)
    assert verdict.final and "suspended" in verdict.reason


# --- a commit ref Flux cannot check out is a spec problem ----------------------------------------------------


def test_an_abbreviated_commit_ref_is_refused_at_load_time_with_exit_2(derived_stack: Callable[..., Path]) -> None:
    from typer.testing import CliRunner

    from fleet import cli

    def pin(cluster: dict[str, Any]) -> None:
        cluster["flux"]["platform"]["source"]["git"]["ref"] = {"branch": "main", "commit": NEW[:7]}

    stacks = derived_stack("dev", pin)
    result = CliRunner().invoke(cli.app, ["plan", "-s", "test", "--stacks-dir", str(stacks)])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert result.stderr.strip() == (
        f"{stacks / 'Pulumi.test.yaml'}: aksfleet:cluster.flux.platform.source.git.ref.commit: a commit must be the "
        f"full 40-character lowercase hex SHA; Flux cannot check out an abbreviated one; got '{NEW[:7]}'"
    )
