"""The outside-fact tables and the rules that judge against them, on pinned days.

Each table must carry its source and retrieval date; the shipped stacks must satisfy every table today;
each fact-backed rule fails on the case the review found (the 1.33 stacks, the wrong github.com key, ...).
"""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
from datetime import date

import pytest
from typer.testing import CliRunner

from fleet import cli
from policies.baseline import BY_ID, Context, Resource, evaluate, evaluate_stack
from policies.baseline.facts import FactTable, host_keys, kubernetes, table, table_names
from policies.baseline.facts.flux_extension import upgrade_problem
from tests.conftest import SHIPPED_STACKS, STACKS_DIR, plan_for

CLUSTER = "azure-native:containerservice:ManagedCluster"
POOL = "azure-native:containerservice:AgentPool"
EXTENSION = "azure-native:kubernetesconfiguration:Extension"
FACT_RULES = ("AKS-031", "AKS-032", "AKS-033", "AKS-034", "AKS-036", "FLUX-005", "GITOPS-014")


def _resources(stack: str) -> list[Resource]:
    plan = plan_for(STACKS_DIR, stack)
    return [Resource(r.type, r.name, r.inputs, r.urn) for r in plan.resources if r.custom]


def _one(stack: str, type_token: str) -> Resource:
    r = next(r for r in _resources(stack) if r.type == type_token)
    return Resource(r.type, r.name, copy.deepcopy(dict(r.props)), r.urn)


@pytest.mark.parametrize("name", table_names())
def test_every_table_names_its_source_and_date(name: str) -> None:
    t = table(name)
    assert t.sources and all(len(s) > 20 for s in t.sources)
    assert t.retrieved <= date.today() and t.rows


def test_expected_tables_exist() -> None:
    assert {"aks_versions", "flux_extension", "regions", "vm_sizes", "git_host_keys", "builtin_roles"} <= set(
        table_names()
    )


@pytest.mark.parametrize("stack", SHIPPED_STACKS)
def test_shipped_stacks_satisfy_the_facts_today(stack: str) -> None:
    resources = _resources(stack)
    ctx = Context(environment="prod")
    for rule_id in FACT_RULES:
        rule = BY_ID[rule_id]
        findings = (
            evaluate_stack(rule, resources, ctx)
            if rule.stack_level
            else [f for r in resources for f in evaluate(rule, r, ctx)]
        )
        assert findings == [], (stack, rule_id, findings)


def test_the_version_the_stacks_once_shipped_is_refused_with_the_supported_ones() -> None:
    cluster = _one("prod-japaneast", CLUSTER)
    props = {**cluster.props, "kubernetesVersion": "1.33.2"}
    (finding,) = evaluate(BY_ID["AKS-031"], Resource(CLUSTER, "c", props), Context(today=date(2026, 12, 1)))
    assert "1.33 reached end of support on AKS on 2026-07-31" in finding.message
    assert "supported: 1.35, 1.36, 1.37" in finding.message


@pytest.mark.parametrize(
    ("tier", "plan", "today", "expected"),
    [
        ("Premium", "AKSLongTermSupport", date(2027, 7, 1), None),  # inside LTS
        ("Premium", "AKSLongTermSupport", date(2027, 8, 1), "left Long Term Support on 2027-07-31"),
        ("Standard", "AKSLongTermSupport", date(2027, 1, 1), "needs the Premium tier"),
        ("Standard", "KubernetesOfficial", date(2025, 5, 1), "not GA on AKS until 2025-06-01"),
    ],
)
def test_long_term_support_needs_premium_and_ends(tier: str, plan: str, today: date, expected: str | None) -> None:
    verdict = kubernetes.judge("1.33.2", tier=tier, support_plan=plan, today=today)
    if expected is None:
        assert verdict.problems == ()
    else:
        assert any(expected in p for p in verdict.problems), verdict.problems


def test_unknown_minor_is_refused() -> None:
    verdict = kubernetes.judge("1.99.0", tier="Standard", support_plan=None, today=date(2026, 12, 1))
    assert "not in the AKS release calendar" in verdict.problems[0]


def test_end_of_support_within_60_days_is_advisory() -> None:
    cluster = _one("prod-japaneast", CLUSTER)
    props = {**cluster.props, "kubernetesVersion": "1.35.9", "agentPoolProfiles": []}
    rule = BY_ID["AKS-032"]
    assert rule.enforcement_for("prod") == "advisory"
    assert evaluate(rule, Resource(CLUSTER, "c", props), Context(today=date(2027, 1, 15))) == []
    (finding,) = evaluate(rule, Resource(CLUSTER, "c", props), Context(today=date(2027, 2, 15)))
    assert "reaches end of support on AKS on 2027-03-31 (44 days)" in finding.message


def test_a_pinned_patch_the_release_notes_never_named_is_advisory() -> None:
    verdict = kubernetes.judge("1.36.9", tier="Standard", support_plan=None, today=date(2026, 12, 1))
    assert verdict.problems == () and "not among the patches" in verdict.warnings[0]


def test_zones_in_a_region_without_them_are_refused() -> None:
    resources = _resources("prod-japaneast")
    moved = [
        Resource(r.type, r.name, {**r.props, "location": "westus"}, r.urn) if r.type == CLUSTER else r
        for r in resources
    ]
    findings = evaluate_stack(BY_ID["AKS-033"], moved, Context())
    names = {f.resource for f in findings}
    assert any(r.type == POOL and r.name in names for r in resources), "separate pools are judged too"
    assert all("westus does not offer" in f.message for f in findings)
    assert evaluate_stack(BY_ID["AKS-033"], _resources("prod-japanwest"), Context()) == []


def test_container_insights_without_a_rule_association_is_refused() -> None:
    resources = [r for r in _resources("dev") if "DataCollectionRuleAssociation" not in r.type]
    (finding,) = evaluate_stack(BY_ID["AKS-036"], resources, Context())
    assert "collects nothing" in finding.message


def test_live_extension_that_would_skip_the_interim_release_is_refused() -> None:
    extension = _one("prod-japaneast", EXTENSION)
    live = Resource(EXTENSION, "flux", {**extension.props, "currentVersion": "1.20.4"})
    (finding,) = evaluate(BY_ID["FLUX-005"], live, Context())
    assert "interim release (1.21.0 - 1.22.2)" in finding.message
    assert upgrade_problem("1.21.0", "1.24.1") is None and upgrade_problem("1.22.2", "1.23.0") is None


def test_published_key_lines_match_their_published_fingerprints() -> None:
    rows = [r for r in table("git_host_keys").rows if "key" in r]
    assert {r["host"] for r in rows} == {"github.com", "gitlab.com"}
    for row in rows:
        entries, problems = host_keys.parse(f"{row['host']} {row['type']} {row['key']}")
        assert problems == [] and entries[0].fingerprint == row["fingerprint"]
        assert host_keys.mismatches(entries) == []


def test_hashed_and_bracketed_host_names_are_matched() -> None:
    key = next(r for r in table("git_host_keys").rows if r["host"] == "github.com" and r["type"] == "ssh-ed25519")
    salt = b"0123456789abcdef0123"
    digest = hmac.new(salt, b"github.com", hashlib.sha1).digest()
    hashed = f"|1|{base64.b64encode(salt).decode()}|{base64.b64encode(digest).decode()}"
    gitlab_key = next(r for r in table("git_host_keys").rows if r["host"] == "gitlab.com" and "key" in r)
    for hosts in (hashed, "[github.com]:22", "gh,github.com"):
        entries, _ = host_keys.parse(f"{hosts} {gitlab_key['type']} {gitlab_key['key']}")
        assert host_keys.mismatches(entries), hosts  # gitlab's key offered for github.com
        entries, _ = host_keys.parse(f"{hosts} ssh-ed25519 {key['key']}")
        assert host_keys.mismatches(entries) == [], hosts


def test_stale_tables_are_flagged() -> None:
    old = FactTable("t", "t", ("s",), date(2026, 1, 1), "", ({"a": 1},))
    assert old.is_stale(date(2026, 12, 1)) and not old.is_stale(date(2026, 3, 1))


def test_fleet_facts_lists_every_table_with_source_and_age() -> None:
    result = CliRunner().invoke(cli.app, ["facts", "--json"])
    assert result.exit_code == 0, result.output
    import json

    listed = json.loads(result.stdout)
    assert {t["table"] for t in listed} == set(table_names())
    assert all(t["sources"] and t["retrieved"] and isinstance(t["ageDays"], int) for t in listed)
    shown = CliRunner().invoke(cli.app, ["facts", "aks_versions"], env={"COLUMNS": "200"})
    assert shown.exit_code == 0 and "1.36" in shown.stdout and "supported-kubernetes-versions" in shown.stdout
    bad = CliRunner().invoke(cli.app, ["facts", "nope"])
    assert bad.exit_code == 2 and "TABLE: 'nope' is not accepted" in bad.output
