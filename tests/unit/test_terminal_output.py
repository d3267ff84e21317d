"""What a person at a terminal sees: progress only on a terminal's stderr, and tables readable at 80 columns."""

from __future__ import annotations

import io
import json
import re
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pytest
from rich.cells import cell_len
from rich.console import Console
from typer.testing import CliRunner

from fleet import cli, progress
from fleet.drift import compare as drift_compare
from fleet.rollout import cli as rollout_cli
from fleet.rollout.pipeline import StackOutcome
from policies.baseline import CATALOGUE
from policies.baseline.facts import table, table_names
from tests.conftest import STACKS_DIR, git_copy_of_project, plan_for
from tests.protocol.test_policy_pack import _weaken
from tests.unit.test_audit import CONFIGS, arm_rows

RUN = CliRunner()
WIDTH = 80
NARROW = {"COLUMNS": str(WIDTH)}
# A word wider than what is left of a line beside the widest column header cannot be whole at 80 columns (an SSH
# public key, a 77-character resource type): it folds rather than losing characters, and is not checked.
LONGEST_CHECKED_WORD = 56


def assert_readable(output: str, data: Iterable[object]) -> None:
    """No line wider than 80 columns; every word of the data whole on one line (none broken across two)."""
    lines = output.splitlines()
    wide = [line for line in lines if cell_len(line) > WIDTH]
    assert not wide, f"{len(wide)} line(s) wider than {WIDTH}: {wide[:3]}"
    words = {word for value in data for word in str(value).split() if len(word) <= LONGEST_CHECKED_WORD}
    assert words, "the data has words to look for"
    broken = sorted(word for word in words if not any(word in line for line in lines))
    assert not broken, f"broken across lines: {broken[:10]}\n{output}"


# --- progress ------------------------------------------------------------------------------------------------


def test_progress_writes_nothing_when_stderr_is_not_a_terminal(tmp_path: Path) -> None:
    """The runner's stderr is a pipe, as in CI: the plan's spinner and the written-file line are all there is."""
    out = tmp_path / "plan.json"
    result = RUN.invoke(cli.app, ["plan", "-s", "dev", "--no-preflight", "--json", str(out)])
    assert result.exit_code == 0, result.output
    assert result.stderr == f"wrote {out} ({out.stat().st_size} bytes)\n"
    assert "planning dev" not in result.output


def test_json_to_stdout_stays_pure_while_progress_is_drawn_on_the_terminal() -> None:
    screen = io.StringIO()
    with progress.use_console(Console(file=screen, force_terminal=True, width=WIDTH)):
        result = RUN.invoke(cli.app, ["plan", "-s", "dev", "--no-preflight", "--json", "-"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["stack"] == "dev"
    assert "planning dev: program, policy pack" in screen.getvalue()
    assert "planning dev" not in result.output


def test_a_step_inside_a_step_names_both_and_the_spinner_is_gone_after() -> None:
    screen = io.StringIO()
    with progress.use_console(Console(file=screen, force_terminal=True, width=WIDTH)):
        with progress.step("preflight of dev"):
            with progress.step("building apps"):
                pass
            with progress.step("building infra"):
                pass
        assert progress._active is None
    drawn = screen.getvalue()
    assert "preflight of dev > building apps" in drawn and "preflight of dev > building infra" in drawn
    assert "\x1b[2K" in drawn, "transient: the line is erased when the step ends"


def test_a_step_on_another_thread_draws_nothing() -> None:
    """plan_stack runs the preflight on a thread: one display, owned by the main thread."""

    def worker() -> None:
        with progress.step("building apps"):
            pass

    screen = io.StringIO()
    with progress.use_console(Console(file=screen, force_terminal=True, width=WIDTH)), progress.step("plan dev"):
        thread = threading.Thread(target=worker)
        thread.start()
        thread.join()
    assert "plan dev" in screen.getvalue() and "building apps" not in screen.getvalue()


def test_no_console_no_progress() -> None:
    with progress.use_console(None), progress.step("anything"):
        assert progress._active is None, "stderr of the test run is not a terminal"


def test_rollout_bars_name_the_rings_on_the_terminal_and_lines_go_to_stdout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def runner(*_: Any) -> Callable[[str], StackOutcome]:
        return lambda name: StackOutcome(name, ok=True, phase="done", detail="would create 7")

    monkeypatch.setattr(rollout_cli, "_runner", runner)
    screen = io.StringIO()
    args = ["rollout", "--dry-run", "-s", "dev", "--journal", str(tmp_path / "j.jsonl")]
    with progress.use_console(Console(file=screen, force_terminal=True, width=WIDTH)):
        result = RUN.invoke(cli.app, args, env=NARROW)
    assert result.exit_code == 0, result.output
    drawn = screen.getvalue()
    rings = [ring for ring in ("ring canary", "ring production") if ring in drawn]
    assert rings == ["ring canary"], "one bar for the ring of the selected stack; none idle for the others"
    assert "dev: ✓ would create 7" in result.stdout and "ring canary" not in result.output


# --- tables at 80 columns ------------------------------------------------------------------------------------


def test_policy_list_at_80_columns() -> None:
    result = RUN.invoke(cli.app, ["policy", "list"], env=NARROW)
    assert result.exit_code == 0
    assert_readable(result.stdout, [f for r in CATALOGUE for f in (r.id, r.title, r.severity, r.remediation)])


def test_facts_at_80_columns() -> None:
    result = RUN.invoke(cli.app, ["facts"], env=NARROW)
    assert result.exit_code == 0
    tables = [table(name) for name in table_names()]
    assert_readable(result.stdout, [f for t in tables for f in (t.name, t.title, *t.sources)])


@pytest.mark.parametrize("name", table_names())
def test_each_fact_table_at_80_columns(name: str) -> None:
    result = RUN.invoke(cli.app, ["facts", name], env=NARROW)
    assert result.exit_code == 0
    rows = result.stdout.split("\nretrieved ")[0]  # the sources below are whole lines, for grep (soft-wrapped)
    values = [v for row in table(name).rows for v in row.values()]
    assert_readable(rows, [item for v in values for item in (v if isinstance(v, list) else [v])])


def test_plan_findings_at_80_columns(derived_stack: Callable[..., Path], tmp_path: Path) -> None:
    stacks = derived_stack("prod-japaneast", _weaken, name="weak")
    out = tmp_path / "plan.json"
    result = RUN.invoke(cli.app, ["plan", "-s", "weak", "--stacks-dir", str(stacks), "--json", str(out)], env=NARROW)
    assert result.exit_code == 1, result.output
    findings = json.loads(out.read_text())["findings"]
    assert len(findings) > 10
    table_part = result.stdout[result.stdout.index("findings (prod)") :]
    assert_readable(table_part, [f[k] for f in findings for k in ("rule", "enforcement", "severity", "resource")])
    assert_readable(table_part, [f["message"] for f in findings])


def test_preflight_findings_at_80_columns() -> None:
    result = RUN.invoke(cli.app, ["preflight", "-s", "prod-japaneast", "--json", "-"])
    findings = json.loads(result.stdout)["findings"]
    assert findings, "the shipped prod stack pins a tag this repository does not have"
    shown = RUN.invoke(cli.app, ["preflight", "-s", "prod-japaneast"], env=NARROW)
    assert_readable(shown.stdout, [f[k] for f in findings for k in ("rule", "enforcement", "resource", "message")])


def test_audit_table_at_80_columns(monkeypatch: pytest.MonkeyPatch) -> None:
    from fleet.audit import cli as audit_cli
    from fleet.audit import graph
    from fleet.audit.evaluate import audit
    from fleet.audit.normalize import group_fleet

    fleet: dict[str, list[dict[str, Any]]] = {}
    for index, name in enumerate(["aks-prod-japaneast-payments-01", "aks-prod-japaneast-open-02", "aks-dev"]):
        rows = arm_rows("prod-japaneast", cluster=name)
        if index < 2:  # weakened: many failures to list
            cluster = rows["clusters"][0]["properties"]
            cluster["disableLocalAccounts"] = False
            cluster["enableRBAC"] = False
            cluster["apiServerAccessProfile"] = {"enablePrivateCluster": False}
            rows["fluxConfigurations"][0]["properties"]["suspend"] = True
        for key, value in rows.items():
            fleet.setdefault(key, []).extend(value)
    monkeypatch.setattr(audit_cli, "_azure_context", lambda cloud: type("Azure", (), {"resource_graph": dict})())
    monkeypatch.setattr(graph, "read_fleet", lambda client, subscriptions: fleet)
    result = RUN.invoke(cli.app, ["audit", "--subscription", "00000000-0000-0000-0000-000000000000"], env=NARROW)
    report = audit(group_fleet(fleet), CONFIGS)
    assert result.exit_code == 1, result.output
    assert sum(len(c.failed) for c in report.clusters) > 6
    assert_readable(result.stdout, [x for c in report.clusters for x in (c.cluster.name, *c.failed, *c.warned)])


def test_drift_table_at_80_columns(monkeypatch: pytest.MonkeyPatch) -> None:
    plan = plan_for(STACKS_DIR, "prod-japaneast", preview=False)
    cluster = next(r for r in plan.resources if r.type.endswith(":ManagedCluster"))
    pool = cluster.inputs["agentPoolProfiles"][0]
    drifts = [
        drift_compare.Drift(cluster.name, "agentPoolProfiles[0].vmSize", pool["vmSize"], "Standard_D2s_v3"),
        drift_compare.Drift(cluster.name, "apiServerAccessProfile.authorizedIPRanges", ["10.0.0.0/8"], []),
        drift_compare.Drift(cluster.name, "disableLocalAccounts", True, False),
    ]
    monkeypatch.setattr(drift_compare, "read_live", lambda *_: {})
    monkeypatch.setattr(drift_compare, "compare", lambda *_: drifts)
    args = ["drift", "-s", "prod-japaneast", "--subscription", "00000000-0000-0000-0000-000000000000"]
    result = RUN.invoke(cli.app, args, env=NARROW)
    assert result.exit_code == 1, result.output
    assert_readable(result.stdout, [x for d in drifts for x in (d.resource, d.path, repr(d.planned), repr(d.live))])


def test_dr_plan_at_80_columns(tmp_path: Path) -> None:
    repo = git_copy_of_project(tmp_path / "repo")
    args = ["dr", "plan", "-s", "prod-japaneast", "--region", "japanwest", "--stacks-dir", str(repo / "stacks")]
    result = RUN.invoke(cli.app, args, env=NARROW)
    assert result.exit_code == 0, result.output
    derived = plan_for(repo / "stacks", "prod-japanwest-dr")
    names = [f"{r.type.rsplit(':', 1)[-1]} {r.name}" for r in derived.resources if r.custom]
    table_part = result.stdout[result.stdout.index("plan of prod-japanwest-dr") :]
    assert_readable(table_part, names)
    head = result.stdout[: result.stdout.index("plan of prod-japanwest-dr")].splitlines()
    items = [n for n, line in enumerate(head) if re.match(r"  [•!] ", line)]
    wrapped = [n + 1 for n in items if n + 1 < len(head) and n + 1 not in items and not head[n + 1].endswith(":")]
    assert wrapped, "some items are longer than a line"
    assert all(head[n].startswith("    ") for n in wrapped), "a wrapped item stays indented under its text"
    assert "…" not in "".join(head), "nothing is cut"


def test_rollout_summary_at_80_columns(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    why = "preview: the stack file changed since it was planned; run `fleet plan -s {}` and review the changes"

    def runner(*_: Any) -> Callable[[str], StackOutcome]:
        return lambda name: StackOutcome(name, ok=name != "staging", phase="preview", detail=why.format(name))

    monkeypatch.setattr(rollout_cli, "_runner", runner)
    args = ["rollout", "--dry-run", "--journal", str(tmp_path / "j.jsonl")]
    result = RUN.invoke(cli.app, args, env=NARROW)
    assert result.exit_code == 1, result.output
    stacks = ["dev", "staging", "prod-japaneast", "prod-japanwest"]
    table_part = result.stdout[result.stdout.index("rollout ") :]
    ran = ["dev", "staging"]  # staging fails: the ring halts the rollout, production is not started
    assert_readable(table_part.split("\ndry run:")[0], [*stacks, *(why.format(s) for s in ran)])
