"""The audit report as JSON, a terminal table and a self-contained HTML page (Jinja2, autoescaped)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from fleet.findings import describe

from .evaluate import FLUX_V1, AuditReport

_SYMBOLS = {"pass": "✓", "fail": "✗", "warn": "!", "n/a": "·"}


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
    ordered = sorted(report.clusters, key=lambda c: (-len(c.failed), -len(c.warned), c.cluster.name))
    for c in ordered[:limit]:
        table.add_row(
            escape(c.cluster.name),
            c.environment,
            "[red]" + ", ".join(c.failed) + "[/]" if c.failed else "[green]none[/]",
            ", ".join(c.warned),
        )
    console.print(table)
    if len(ordered) > limit:
        console.print(f"… and {len(ordered) - limit} more clusters (see --json or --html)")
    failing = sum(1 for c in report.clusters if c.failed)
    console.print(f"{failing} of {len(report.clusters)} clusters fail a mandatory rule")


def to_html(report: AuditReport) -> str:
    env = Environment(loader=PackageLoader("fleet.audit", "templates"), autoescape=select_autoescape(["html", "j2"]))
    template = env.get_template("report.html.j2")
    return template.render(
        report=report,
        rule_ids=rule_ids(report),
        titles={rule_id: describe(rule_id).title for rule_id in rule_ids(report)},
        symbols=_SYMBOLS,
        generated=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        failing=sum(1 for c in report.clusters if c.failed),
    )
