"""Issue 14: a preflight finding accepted on the GitOps object itself (annotation aksfleet.io/suppress), with a reason
and an expiry, is reported as suppressed and does not block; expired, refused or malformed, it says so and blocks."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from fleet import cli
from fleet.preflight.suppress import parse
from tests.preflight.test_preflight import make_repo, make_stack

RUN = CliRunner()
REASON = "the vendor publishes no tags yet; digest pinning lands with their next release"


def _in(days: int) -> str:
    """A day relative to today in UTC, the day the tool judges expiry by."""
    return (datetime.now(UTC).date() + timedelta(days=days)).isoformat()


def _unpinned_with(annotation: str | None) -> Any:
    """The prod apps path gains a Deployment with an unpinned image (PREFLIGHT-007, mandatory in prod)."""

    def change(repo: Path) -> None:
        meta = "  name: debug\n  namespace: podinfo\n"
        if annotation is not None:
            meta += f"  annotations:\n    aksfleet.io/suppress: {json.dumps(annotation)}\n"
        (repo / "apps" / "prod" / "debug.yaml").write_text(
            f"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n{meta}spec:\n"
            "  selector:\n    matchLabels: {app: debug}\n  template:\n    metadata:\n      labels: {app: debug}\n"
            "    spec:\n      containers:\n        - name: debug\n          image: busybox:latest\n"
        )
        path = repo / "apps" / "prod" / "kustomization.yaml"
        path.write_text(path.read_text().replace("  - ../base/podinfo\n", "  - ../base/podinfo\n  - debug.yaml\n"))

    return change


def _preflight(tmp_path: Path, annotation: str | None, *options: str) -> Any:
    repo = make_repo(tmp_path, _unpinned_with(annotation))
    stacks = make_stack(tmp_path)
    return RUN.invoke(
        cli.app,
        ["preflight", "-s", "x", "--repo", str(repo), "--stacks-dir", str(stacks), *options],
        env={"COLUMNS": "250"},
    )


def test_an_annotated_object_has_its_finding_suppressed_not_dropped(tmp_path: Path) -> None:
    until = _in(30)
    shown = _preflight(tmp_path, f"PREFLIGHT-007: {REASON}; expires={until}")
    assert shown.exit_code == 0, shown.output
    assert "suppressed (1)" in shown.output
    row = next(line for line in shown.output.splitlines() if line.startswith("│ PREFLIGHT-007"))
    assert "busybox:latest" in row and REASON in row and until in row
    assert "0 finding(s), 0 mandatory, 1 suppressed" in shown.output


def test_json_reports_the_suppression(tmp_path: Path) -> None:
    until = _in(30)
    result = _preflight(tmp_path, f"PREFLIGHT-007: {REASON}; expires={until}", "--json", "-")
    assert result.exit_code == 0, result.output
    (finding,) = json.loads(result.stdout)["findings"]
    assert finding["rule"] == "PREFLIGHT-007" and finding["suppressed"] is True
    assert finding["suppression"]["reason"] == REASON and finding["suppression"]["expires"] == until
    assert finding["suppression"]["source"] == "Deployment podinfo/debug: annotation aksfleet.io/suppress line 1"


def test_an_expired_annotation_stops_suppressing(tmp_path: Path) -> None:
    past = _in(-1)
    shown = _preflight(tmp_path, f"PREFLIGHT-007: {REASON}; expires={past}")
    assert shown.exit_code == 1, shown.output
    assert f"suppression expired after {past}" in shown.output
    assert "1 finding(s), 1 mandatory, 0 suppressed" in shown.output


def test_a_mandatory_finding_in_prod_is_suppressed_for_a_quarter_at_most(tmp_path: Path) -> None:
    from fleet.preflight.suppress import PROD_MANDATORY_DAYS

    shown = _preflight(tmp_path, f"PREFLIGHT-007: {REASON}; expires={_in(PROD_MANDATORY_DAYS + 1)}")
    assert shown.exit_code == 1, shown.output
    assert "suppression refused" in shown.output
    assert f"in prod a mandatory finding is suppressed for {PROD_MANDATORY_DAYS} days ahead at most" in shown.output


def test_a_malformed_annotation_is_a_finding_and_suppresses_nothing(tmp_path: Path) -> None:
    annotation = (
        f"PREFLIGHT-007 {REASON} until {_in(9)}\nPREFLIGHT-006: fine; expires={_in(9)}\nPREFLIGHT-007: ; expires=soon"
    )
    result = _preflight(tmp_path, annotation, "--json", "-")
    assert result.exit_code == 1
    found = [(f["rule"], f["message"], f["suppressed"]) for f in json.loads(result.stdout)["findings"]]
    label = "Deployment podinfo/debug"
    assert found == [
        ("PREFLIGHT-007", f"{label}: image 'busybox:latest' is not pinned to a tag or digest", False),
        (
            "PREFLIGHT-019",
            f"{label}: aksfleet.io/suppress line 1 is not `RULE: reason; expires=YYYY-MM-DD`, one per line",
            False,
        ),
        (
            "PREFLIGHT-019",
            f"{label}: aksfleet.io/suppress line 2: PREFLIGHT-006 cannot be suppressed on an object; accepted:"
            " PREFLIGHT-003, PREFLIGHT-004, PREFLIGHT-005, PREFLIGHT-007, PREFLIGHT-008, PREFLIGHT-012, PREFLIGHT-013,"
            " PREFLIGHT-014, PREFLIGHT-015, PREFLIGHT-016, PREFLIGHT-017",
            False,
        ),
        (
            "PREFLIGHT-019",
            f"{label}: aksfleet.io/suppress line 3: the reason is empty; accepted: why the finding is accepted,"
            " in words",
            False,
        ),
    ]


def test_two_lines_for_one_rule_are_a_finding_not_a_silent_choice() -> None:
    """Review: the second line for a rule replaced the first without a word (the stack file refuses duplicates)."""
    today = datetime.now(UTC).date()
    entries, problems = parse(
        f"PREFLIGHT-007: {REASON}; expires={_in(9)}\nPREFLIGHT-007: another; expires={_in(30)}", today=today
    )
    assert [e.line for e in entries] == [1]
    assert problems == [
        "aksfleet.io/suppress line 2: PREFLIGHT-007 is suppressed on an earlier line already; accepted: one line"
        " per rule"
    ]
