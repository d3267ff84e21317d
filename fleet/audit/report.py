"""The audit report as JSON, a terminal table and a self-contained HTML page (Jinja2, autoescaped)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from fleet.findings import describe
from fleet.output import print_table
from policies.baseline import ENVIRONMENTS

from .evaluate import FLUX_V1, AuditReport, ClusterResult


def rule_ids(report: AuditReport) -> list[str]:
    return [r.id for r in report.rules] + [FLUX_V1]


def to_json(report: AuditReport) -> dict[str, Any]:
    return {
        "generatedAt": datetime.now(UTC).isoformat(),
        "rules": [
            {"id": d.id, "title": d.title, "severity": d.severity, "remediation": d.remediation}
            for d in (describe(rule_id) for rule_id in rule_ids(report))
        ],
        "clusters": [
            {
                "id": c.cluster.id,
                "name": c.cluster.name,
                "subscription": c.cluster.subscription,
                "resourceGroup": c.cluster.resource_group,
                "environment": c.environment,
                "failed": c.failed,
                "warned": c.warned,
                "cells": {rule: {"status": cell.status, "findings": cell.findings} for rule, cell in c.cells.items()},
            }
            for c in report.clusters
        ],
        "summary": {
            "clusters": len(report.clusters),
            "failing": sum(1 for c in report.clusters if c.failed),
            "warned": sum(1 for c in report.clusters if c.warned),
        },
    }


def render_table(report: AuditReport, console: Console, *, limit: int = 50) -> None:
    table = Table(title=f"fleet audit: {len(report.clusters)} clusters", title_justify="left")
    for column in ("cluster", "env", "mandatory failures", "advisory"):
        table.add_column(column, overflow="fold")
    # The HTML report's order: most at risk first (mandatory failures in prod, an unknown environment judged as
    # prod), so the first screen of a 500-cluster fleet is the one to act on.
    ordered = risk_order(report)
    for view in ordered[:limit]:
        c = view.result
        table.add_row(
            escape(c.cluster.name),
            f"{UNKNOWN} (judged as prod)" if view.unknown_environment else c.environment,
            "[red]" + ", ".join(c.failed) + "[/]" if c.failed else "[green]none[/]",
            ", ".join(c.warned),
        )
    print_table(console, table)
    if len(ordered) > limit:
        console.print(f"… and {len(ordered) - limit} more clusters (see --json or --html)")
    failing = sum(1 for c in report.clusters if c.failed)
    console.print(f"{failing} of {len(report.clusters)} clusters fail a mandatory rule")


# Worst first; the catalogue's severities (policies/baseline/model.py `Severity`).
SEVERITIES = ("critical", "high", "medium", "low")
# Risk tiers, most urgent first: what the HTML report orders clusters by and the legend explains.
TIERS = (
    "mandatory failure in prod",
    "mandatory failure outside prod",
    "advisory findings only",
    "no findings",
)
UNKNOWN = "unknown"


@dataclass(frozen=True)
class FindingView:
    rule: str
    title: str
    severity: str
    level: str  # "mandatory" (fails the audit) or "advisory"
    messages: list[str]
    remediation: str


@dataclass(frozen=True)
class ClusterView:
    rank: int
    result: ClusterResult
    tier: int
    tag: str | None  # the environment tag as found, None when the cluster has none
    findings: list[FindingView]

    @property
    def name(self) -> str:
        return self.result.cluster.name

    @property
    def unknown_environment(self) -> bool:
        return self.tag not in ENVIRONMENTS

    @property
    def environment(self) -> str:
        """The filter's value: the tag when it is one we know, else "unknown" (which the audit judged as prod)."""
        return UNKNOWN if self.unknown_environment else self.result.environment

    @property
    def worst(self) -> str | None:
        return min((f.severity for f in self.findings), key=SEVERITIES.index, default=None)


def environment_tag(result: ClusterResult) -> str | None:
    """The cluster's `environment` tag, or None: the audit judges a missing tag as prod (evaluate.py), and the
    report must tell a missing or unknown tag apart from a real prod one, so it reads the tag itself."""
    resources = result.cluster.resources  # the ManagedCluster comes first (normalize.group_fleet)
    tags = resources[0].props.get("tags") if resources else None
    return str(tags["environment"]) if isinstance(tags, dict) and "environment" in tags else None


def _findings(result: ClusterResult) -> list[FindingView]:
    views = []
    for rule_id, cell in result.cells.items():
        if cell.status not in ("fail", "warn"):
            continue
        d = describe(rule_id)
        level = "mandatory" if cell.status == "fail" else "advisory"
        views.append(FindingView(rule_id, d.title, d.severity, level, list(cell.findings), d.remediation))
    return sorted(views, key=lambda f: (f.level != "mandatory", SEVERITIES.index(f.severity), f.rule))


def _risk_key(result: ClusterResult, findings: list[FindingView]) -> tuple[Any, ...]:
    """Mandatory failures in prod (an unknown environment is judged as prod) first, then mandatory failures elsewhere,
    then advisory-only; inside a tier, by the count of failures per severity, worst severity first."""
    mandatory = [f for f in findings if f.level == "mandatory"]
    tier = (0 if result.environment == "prod" else 1) if mandatory else (2 if findings else 3)
    by_severity = [-sum(1 for f in mandatory if f.severity == s) for s in SEVERITIES]
    advisory = [-sum(1 for f in findings if f.level == "advisory" and f.severity == s) for s in SEVERITIES]
    environment = ENVIRONMENTS[::-1].index(result.environment) if result.environment in ENVIRONMENTS else 0
    return (tier, *by_severity, *advisory, environment, result.cluster.name.lower(), result.cluster.id.lower())


def risk_order(report: AuditReport) -> list[ClusterView]:
    """The clusters as the HTML report lists them: most at risk first."""
    keyed = []
    for result in report.clusters:
        findings = _findings(result)
        keyed.append((_risk_key(result, findings), result, findings))
    keyed.sort(key=lambda item: item[0])
    return [
        ClusterView(rank, result, key[0], environment_tag(result), findings)
        for rank, (key, result, findings) in enumerate(keyed, start=1)
    ]


def _rule_totals(report: AuditReport, clusters: list[ClusterView]) -> list[dict[str, Any]]:
    """One row per rule: how many clusters fail it (mandatory) or are warned (advisory); failing rules first."""
    rows = []
    for rule_id in rule_ids(report):
        d = describe(rule_id)
        statuses = [c.result.cells[rule_id].status for c in clusters if rule_id in c.result.cells]
        rows.append(
            {
                "id": rule_id,
                "title": d.title,
                "severity": d.severity,
                "remediation": d.remediation,
                "failed": statuses.count("fail"),
                "warned": statuses.count("warn"),
                "passed": statuses.count("pass"),
            }
        )
    return sorted(rows, key=lambda r: (-r["failed"], -r["warned"], SEVERITIES.index(r["severity"]), r["id"]))


def _script_data(clusters: list[ClusterView]) -> dict[str, Any]:
    """What the page's filter reads (rendered through jinja2's `tojson`, which escapes <, >, & and ' so no value can
    close the script element: jinja2.utils.htmlsafe_json_dumps)."""
    return {
        "clusters": [
            {
                "row": f"c{c.rank}",
                "environment": c.environment,
                "judged": c.result.environment,
                "rules": [f.rule for f in c.findings],
                "severities": sorted({f.severity for f in c.findings}, key=SEVERITIES.index),
                "text": " ".join(
                    [
                        c.name,
                        c.result.cluster.subscription,
                        c.result.cluster.resource_group,
                        c.tag or "",
                        *(f"{f.rule} {f.title} {' '.join(f.messages)}" for f in c.findings),
                    ]
                ).lower(),
            }
            for c in clusters
        ]
    }


def to_html(report: AuditReport) -> str:
    """One self-contained page (inline CSS and script, nothing fetched): autoescaped, so cluster names and messages
    from the fleet cannot inject markup."""
    env = Environment(loader=PackageLoader("fleet.audit", "templates"), autoescape=select_autoescape(["html", "j2"]))
    template = env.get_template("report.html.j2")
    clusters = risk_order(report)
    tiers = [sum(1 for c in clusters if c.tier == i) for i in range(len(TIERS))]
    totals = _rule_totals(report, clusters)
    return template.render(
        clusters=clusters,
        totals=totals,
        failing_rules=[t for t in totals if t["failed"] or t["warned"]],
        tiers=list(zip(TIERS, tiers, strict=True)),
        severities=SEVERITIES,
        environments=[*ENVIRONMENTS[::-1], UNKNOWN],
        data=_script_data(clusters),
        generated=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        failing=sum(1 for c in clusters if c.tier <= 1),
        unknown=sum(1 for c in clusters if c.unknown_environment),
    )
