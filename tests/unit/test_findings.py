"""Issue 14: every finding id the tool emits is described once (fleet/findings.py), and every output carries the
remediation: the terminal, --json, SARIF, the audit report and `fleet policy list`."""

from __future__ import annotations

import json
import re

from typer.testing import CliRunner

from fleet import cli
from fleet.audit.evaluate import AuditReport
from fleet.audit.report import to_json as audit_json
from fleet.findings import OTHERS, PolicyFinding, describe
from fleet.plan.sarif import _rule
from policies.baseline import CATALOGUE
from tests.conftest import PROJECT_DIR

RUN = CliRunner()
_EMITTED = re.compile(r"\"((?:PREFLIGHT|AKS|FLUX|GITOPS)-[0-9]{3})\"")


def test_every_id_in_the_code_is_described() -> None:
    emitted = {m for path in (PROJECT_DIR / "fleet").rglob("*.py") for m in _EMITTED.findall(path.read_text())}
    assert {i for i in emitted if i.startswith("PREFLIGHT-")}, "the scan finds the preflight ids"
    for rule_id in sorted(emitted | set(OTHERS) | {r.id for r in CATALOGUE}):
        described = describe(rule_id)
        assert described.title and described.remediation.strip(), rule_id


def test_json_and_sarif_carry_the_remediation() -> None:
    finding = PolicyFinding("PREFLIGHT-011", "preflight-011", "mandatory", "high", "platform/(source)", "", "x")
    assert finding.to_json()["remediation"] == describe("PREFLIGHT-011").remediation
    sarif = _rule("PREFLIGHT-011")
    assert sarif["shortDescription"]["text"] == "No symlinks in the source"  # not "rejected by the SDK model"
    assert sarif["help"]["text"] == describe("PREFLIGHT-011").remediation


def test_preflight_json_and_terminal_say_what_to_do() -> None:
    shown = RUN.invoke(cli.app, ["preflight", "-s", "prod-japaneast", "--json", "-"])
    findings = json.loads(shown.stdout)["findings"]
    assert findings and all(f["remediation"] == describe(f["rule"]).remediation for f in findings)
    text = RUN.invoke(cli.app, ["preflight", "-s", "prod-japaneast"], env={"COLUMNS": "300"})
    assert f"to fix {findings[0]['rule']}: {describe(findings[0]['rule']).remediation}" in text.stdout


def test_the_audit_report_and_policy_list_carry_remediations() -> None:
    data = audit_json(AuditReport(rules=list(CATALOGUE), clusters=[]))
    assert {r["id"]: r["remediation"] for r in data["rules"]}["FLUX-V1"] == describe("FLUX-V1").remediation
    assert all(r["remediation"] for r in data["rules"])
    listed = RUN.invoke(cli.app, ["policy", "list"], env={"COLUMNS": "400"})
    assert CATALOGUE[0].remediation in listed.stdout
