"""Issue 14: a baseline finding accepted for one resource in the stack file, with a reason and an expiry, is reported
as suppressed in every output of `fleet plan` (never dropped) and stops suppressing once its day has passed."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import jsonschema
from ruamel.yaml import YAML
from typer.testing import CliRunner

from fleet import cli
from fleet.policy.config import default_config
from policies.baseline import BY_ID
from tests.conftest import PROJECT_DIR

RUN = CliRunner()
SARIF_SCHEMA = PROJECT_DIR / "tests" / "conformance" / "sarif" / "sarif-schema-2.1.0.json"
# The dev stack runs on the Free tier (AKS-023) with an unpinned Flux extension (FLUX-002): both advisory in dev.
FREE_TIER, UNPINNED = "AKS-023", "FLUX-002"
CLUSTER, FLUX = "aks-dev-jpe-aks", "aks-dev-jpe-flux"
REASON = "dev runs on the Free tier: no SLA needed, and it halves the cost"


def _in(days: int) -> str:
    """A day relative to today in UTC, the day the tool judges expiry by."""
    return (datetime.now(UTC).date() + timedelta(days=days)).isoformat()


def _with(*entries: dict[str, Any]) -> Callable[[dict[str, Any]], None]:
    def mutate(cluster: dict[str, Any]) -> None:
        cluster["suppressions"] = list(entries)

    return mutate


def _plan(stacks: Path, *options: str) -> Any:
    return RUN.invoke(
        cli.app,
        ["plan", "-s", "test", "--stacks-dir", str(stacks), "--no-preflight", *options],
        env={"COLUMNS": "250"},
    )


def _findings(stacks: Path, *options: str) -> dict[str, dict[str, Any]]:
    result = _plan(stacks, "--json", "-", *options)
    assert result.exit_code in (0, 1), result.output
    return {f["rule"]: f for f in json.loads(result.stdout)["findings"]}


def test_a_suppressed_finding_is_reported_as_suppressed_in_the_terminal_and_json(
    derived_stack: Callable[..., Path],
) -> None:
    until = _in(30)
    stacks = derived_stack("dev", _with({"rule": FREE_TIER, "resource": CLUSTER, "reason": REASON, "expires": until}))
    shown = _plan(stacks)
    assert shown.exit_code == 0, shown.output
    assert "suppressed (1)" in shown.output
    row = next(line for line in shown.output.splitlines() if line.startswith(f"│ {FREE_TIER}"))
    assert CLUSTER in row and REASON in row and until in row
    assert "1 suppressed" in shown.output
    findings = _findings(stacks)
    assert findings[FREE_TIER]["suppressed"] is True
    assert findings[FREE_TIER]["suppression"]["reason"] == REASON
    assert findings[FREE_TIER]["suppression"]["expires"] == until
    assert findings[FREE_TIER]["suppression"]["status"] == "accepted"
    assert findings[FREE_TIER]["suppression"]["source"].endswith("aksfleet:cluster.suppressions[0]")
    assert findings[UNPINNED]["suppressed"] is False and findings[UNPINNED]["suppression"] is None, "one finding only"


def test_an_expired_suppression_stops_suppressing_and_says_it_expired(derived_stack: Callable[..., Path]) -> None:
    past = _in(-1)
    stacks = derived_stack("dev", _with({"rule": FREE_TIER, "resource": CLUSTER, "reason": REASON, "expires": past}))
    shown = _plan(stacks)
    assert "suppressed (" not in shown.output
    assert f"suppression expired after {past}" in shown.output
    assert "0 suppressed" in shown.output
    finding = _findings(stacks)[FREE_TIER]
    assert finding["suppressed"] is False
    assert finding["suppression"]["status"] == "expired"


def test_a_rule_raised_to_mandatory_is_not_suppressed_and_blocks(
    derived_stack: Callable[..., Path], tmp_path: Path
) -> None:
    config = default_config("dev")
    config[BY_ID[FREE_TIER].policy_name]["enforcementLevel"] = "mandatory"
    path = tmp_path / "strict.json"
    path.write_text(json.dumps(config))
    stacks = derived_stack("dev", _with({"rule": FREE_TIER, "resource": CLUSTER, "reason": REASON, "expires": _in(9)}))
    shown = _plan(stacks, "--policy-config", str(path))
    assert shown.exit_code == 1, shown.output
    assert "suppression refused" in shown.output
    assert _findings(stacks, "--policy-config", str(path))[FREE_TIER]["suppression"]["status"] == "refused"


def test_sarif_marks_the_result_suppressed_in_source_with_its_justification(
    derived_stack: Callable[..., Path], tmp_path: Path
) -> None:
    until = _in(100)
    stacks = derived_stack(
        "dev",
        _with(
            {"rule": UNPINNED, "resource": FLUX, "reason": "dev tries new Flux minors first", "expires": until},
            {"rule": FREE_TIER, "resource": CLUSTER, "reason": REASON, "expires": until},
        ),
    )
    out = tmp_path / "plan.sarif"
    result = _plan(stacks, "--format", "sarif", "-o", str(out))
    assert result.exit_code == 0, result.output
    sarif = json.loads(out.read_text())
    jsonschema.Draft4Validator(json.loads(SARIF_SCHEMA.read_text())).validate(sarif)
    results = {r["ruleId"]: r for r in sarif["runs"][0]["results"]}
    assert all("suppressions" in r for r in results.values()), "all non-null in a run (SARIF 2.1.0 §3.27.23)"
    suppression = results[FREE_TIER]["suppressions"]
    assert [(s["kind"], s["status"], s["justification"], s["properties"]["expires"]) for s in suppression] == [
        ("inSource", "accepted", REASON, until)
    ]
    # The location is the entry in the stack file: the line of `suppressions[1]`.
    document = YAML().load((stacks / "Pulumi.test.yaml").read_text())
    entry_line = document["config"]["aksfleet:cluster"]["suppressions"].lc.item(1)[0] + 1
    assert suppression[0]["location"]["physicalLocation"]["region"]["startLine"] == entry_line
    assert [r["suppressions"] for r in results.values() if r["ruleId"] not in (FREE_TIER, UNPINNED)] == [
        [] for r in results.values() if r["ruleId"] not in (FREE_TIER, UNPINNED)
    ]


def test_every_problem_of_a_suppression_is_one_line_naming_file_and_key(derived_stack: Callable[..., Path]) -> None:
    from components.spec.suppressions import MAX_DAYS

    too_far = _in(MAX_DAYS + 1)
    stacks = derived_stack(
        "dev",
        _with(
            {"rule": "AKS-999", "resource": CLUSTER, "reason": REASON, "expires": _in(9)},
            {"rule": FREE_TIER, "resource": CLUSTER, "expires": _in(9)},
            {"rule": UNPINNED, "resource": FLUX, "reason": " ", "expires": "2027/03/01"},
            {"rule": UNPINNED, "resource": CLUSTER, "reason": REASON, "expires": too_far},
            {"rule": "AKS-001", "resource": CLUSTER, "reason": REASON, "expires": _in(9)},
        ),
    )
    result = _plan(stacks)
    assert result.exit_code == 2
    prefix = "Pulumi.test.yaml: aksfleet:cluster.suppressions"
    lines = [line.split("stacks/", 1)[-1] for line in result.stderr.strip().splitlines()]
    latest = _in(MAX_DAYS)
    assert lines == [
        f"{prefix}[0].rule: unknown rule id; accepted: a rule id of `fleet policy list` (e.g. AKS-023); got 'AKS-999'",
        f"{prefix}[1].reason: missing required key",
        f"{prefix}[2].reason: empty; accepted: why the finding is accepted, in words; got ' '",
        f"{prefix}[2].expires: expected an ISO date YYYY-MM-DD (the last day it holds); got '2027/03/01'",
        f"{prefix}[3].expires: more than {MAX_DAYS} days ahead; accepted: a date up to {latest}; got '{too_far}'",
    ]
    # Cross-field problems come once the entries themselves are valid (as for every other key of the spec).
    stacks = derived_stack(
        "dev", _with({"rule": "AKS-001", "resource": CLUSTER, "reason": REASON, "expires": _in(9)}), name="test"
    )
    result = _plan(stacks)
    assert result.exit_code == 2
    assert result.stderr.strip().split("stacks/", 1)[-1] == (
        f"{prefix}[0].rule: AKS-001 is mandatory in dev: `pulumi up` enforces it through the policy pack, which reads"
        " no stack file; accepted: fix the finding, or a rule advisory in dev (its owners set enforcementLevel in"
        " policies/config/dev.json)"
    )


def test_mandatory_rules_in_prod_cannot_be_suppressed(derived_stack: Callable[..., Path]) -> None:
    mandatory = [r.id for r in BY_ID.values() if r.enforcement_for("prod") == "mandatory"]
    entry = {"rule": mandatory[0], "resource": "aks-prod-jpe-aks", "reason": REASON, "expires": _in(9)}
    result = RUN.invoke(
        cli.app,
        ["plan", "-s", "test", "--stacks-dir", str(derived_stack("prod-japaneast", _with(entry))), "--no-preflight"],
    )
    assert result.exit_code == 2
    assert f"{mandatory[0]} is mandatory in prod" in result.stderr


def test_a_suppression_naming_no_resource_of_the_stack_is_bad_input(derived_stack: Callable[..., Path]) -> None:
    stacks = derived_stack(
        "dev", _with({"rule": FREE_TIER, "resource": "aks-dev", "reason": REASON, "expires": _in(9)})
    )
    result = _plan(stacks)
    assert result.exit_code == 2
    line = result.stderr.strip()
    assert "Pulumi.test.yaml: aksfleet:cluster.suppressions[0].resource: no resource of this stack is named" in line
    assert "'aks-dev'; accepted: " in line and CLUSTER in line and "\n" not in line


def test_a_suppression_holds_through_its_expiry_day() -> None:
    from components.spec.suppressions import SuppressionSpec

    spec = SuppressionSpec.model_validate({"rule": FREE_TIER, "resource": CLUSTER, "reason": REASON, "expires": _in(0)})
    day = date.fromisoformat(_in(0))
    assert not spec.expired(day) and spec.expired(day + timedelta(days=1))


def test_a_scaffolded_cluster_starts_without_the_sources_suppressions(derived_stack: Callable[..., Path]) -> None:
    stacks = derived_stack("dev", _with({"rule": FREE_TIER, "resource": CLUSTER, "reason": REASON, "expires": _in(9)}))
    args = ["scaffold", "cluster", "--new-stack", "fresh", "-s", "test", "--stacks-dir", str(stacks)]
    result = RUN.invoke(cli.app, args)
    assert result.exit_code == 0, result.output
    cluster = YAML(typ="safe").load((stacks / "Pulumi.fresh.yaml").read_text())["config"]["aksfleet:cluster"]
    assert "suppressions" not in cluster
    assert _plan(stacks).exit_code == 0, "the source keeps its own"


def test_a_dr_copy_keeps_what_was_accepted_on_its_renamed_resources() -> None:
    from fleet.dr.derive import derive

    advisory = next(r.id for r in BY_ID.values() if r.enforcement_for("prod") == "advisory")
    document = YAML().load((PROJECT_DIR / "stacks" / "Pulumi.prod-japaneast.yaml").read_text())
    entry = {"rule": advisory, "resource": "aks-prod-jpe-aks", "reason": REASON, "expires": _in(9)}
    document["config"]["aksfleet:cluster"]["suppressions"] = [entry]
    buffer = io.StringIO()
    YAML().dump(document, buffer)
    d = derive(buffer.getvalue(), source_stack="prod-japaneast", ref="v1", region="japanwest", existing_stacks={})
    cluster = YAML(typ="safe").load(d.text())["config"]["aksfleet:cluster"]
    assert cluster["suppressions"] == [{**entry, "resource": f"{d.cluster_name}-aks"}]
    assert f"suppressions: {advisory} on aks-prod-jpe-aks -> {d.cluster_name}-aks" in d.changes
