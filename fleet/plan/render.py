"""Human-readable plan: a rich tree of resources under their parents, with the properties that matter."""

from __future__ import annotations

import json
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.tree import Tree

from components.azure_types import SECRET, UNKNOWN
from components.spec.graph import dependency_order
from fleet.finding_tables import finding_text, render_suppressed
from fleet.findings import SDK_MODEL, how_to_fix
from fleet.output import print_table

from .changes import PropertyChange
from .model import Plan, PlannedResource
from .preview import MARK, STYLE, summary_line, tree_order


def _short_type(token: str) -> str:
    return token.split(":")[-1]


def _summary(r: PlannedResource) -> str:
    i = r.inputs
    t = r.type
    if not t.startswith("azure-native:"):
        return ""
    if t.endswith(":ManagedCluster"):
        api = i.get("apiServerAccessProfile", {})
        exposure = (
            "private API"
            if api.get("enablePrivateCluster")
            else f"public API {', '.join(api.get('authorizedIPRanges', []))}"
        )
        upgrade = i.get("autoUpgradeProfile", {})
        net = i.get("networkProfile", {})
        return (
            f"k8s {i.get('kubernetesVersion')} (channel {upgrade.get('upgradeChannel')}, node OS "
            f"{upgrade.get('nodeOSUpgradeChannel')}), {i.get('sku', {}).get('tier')} tier, {exposure}, "
            f"{net.get('networkPlugin')}/{net.get('networkPluginMode')} policy {net.get('networkPolicy')}, "
            f"system pool {_pool(i.get('agentPoolProfiles', [{}])[0])}"
        )
    if t.endswith(":AgentPool"):
        return f"{i.get('mode')} pool {_pool(i)}"
    if t.endswith(":Extension"):
        version = i.get("version") or ("latest minor" if i.get("autoUpgradeMinorVersion") else "unpinned")
        return f"{i.get('extensionType')} {version} on {i.get('releaseTrain')}"
    if t.endswith(":FluxConfiguration"):
        src = i.get("gitRepository") or i.get("bucket") or i.get("azureBlob") or {}
        ref = src.get("repositoryRef", {})
        kust: dict[str, Any] = i.get("kustomizations", {})
        order = dependency_order({n: k.get("dependsOn", []) for n, k in kust.items()})
        chain = " → ".join(f"{n}({kust[n].get('path') or '.'})" for n in order)
        ref_text = ", ".join(f"{k} {v}" for k, v in ref.items())
        return f"{i.get('scope')} scope in {i.get('namespace')}: {src.get('url')} [{ref_text}] {chain}"
    if t.endswith(":ResourceGroup"):
        return f"{i.get('resourceGroupName')} in {i.get('location')}"
    return ""


def _pool(p: dict[str, Any]) -> str:
    return (
        f"{p.get('vmSize')} x{p.get('minCount')}-{p.get('maxCount')} zones {','.join(p.get('availabilityZones', []))}"
        f" {p.get('osSKU')} {p.get('osDiskType')}"
    )


def _badges(r: PlannedResource) -> str:
    out = []
    if r.options.protect:
        out.append("[yellow]protected[/]")
    if r.options.ignore_changes:
        out.append(f"[dim]ignores {', '.join(r.options.ignore_changes)}[/]")
    return " ".join(out)


def render_plan(plan: Plan, console: Console) -> None:
    ops = plan.operations()
    against = f", compared with {escape(plan.base)}" if plan.base is not None else ""
    count = len([r for r in plan.resources if r.custom])
    tree = Tree(f"[bold]stack {plan.stack}[/] — {count} Azure resources{against}")
    nodes: dict[str | None, Tree] = {None: tree}
    changes = {c.urn: c for c in plan.changes}
    for r in tree_order(plan.resources):
        parent = nodes.get(r.parent, tree)
        op = ops.get(r.urn)
        label = f"[cyan]{_short_type(r.type)}[/] [bold]{escape(r.name)}[/] {_badges(r)}".rstrip()
        summary = escape(_summary(r))
        text = f"{label}\n[dim]{summary}[/]" if summary else label
        if op is not None:
            text = f"[{STYLE[op]}]{MARK[op] or ' '}[/] {text}" if op != "same" else f"[dim]  {text}[/]"
        node = nodes[r.urn] = parent.add(text)
        change = changes.get(r.urn)
        if change is not None:
            for p in change.properties:
                node.add(_property_line(p))
    for change in plan.changes:
        if change.op == "delete":
            tree.add(f"[red]-[/] [cyan]{_short_type(change.type)}[/] [bold]{escape(change.name)}[/]")
    console.print(tree)
    console.print("Resources:")
    console.print(f"    {summary_line(plan.summary())}", soft_wrap=True)
    active = [f for f in plan.findings if not f.suppressed]
    if active:
        # Baseline findings and, where the Git source is reachable, preflight's: not only policy.
        table = Table(title=f"findings ({plan.environment})", title_justify="left")
        for column in ("rule", "enforcement", "severity", "resource", "finding"):
            table.add_column(column, overflow="fold")
        ordered = sorted(active, key=lambda f: (f.enforcement != "mandatory", f.rule, f.resource))
        for f in ordered:
            style = "red" if f.enforcement == "mandatory" else "yellow"
            table.add_row(f.rule, f"[{style}]{f.enforcement}[/]", f.severity, escape(f.resource), finding_text(f))
        print_table(console, table)
        _how_to_fix(console, [f.rule for f in ordered])
    render_suppressed(plan.findings, console)
    for violation in plan.guard_violations:
        console.print(f"[red]✗ guard:[/] {escape(str(violation))}")
    mandatory = sum(f.enforcement == "mandatory" for f in active)
    suppressed = len(plan.findings) - len(active)
    judged = (
        "policy skipped (--no-policy)"
        if "policy" in plan.skipped
        else f"{len(active)} finding(s), {mandatory} mandatory, {suppressed} suppressed"
    )
    console.print(
        f"{judged}; "
        f"{len(plan.errors)} plan error(s); "
        f"{len(plan.guard_violations)} guarded change(s) — "
        + ("[red]blocked[/]" if plan.blocked else "[green]clean[/]")
    )
    if plan.errors:
        console.print(f"[red]{len(plan.errors)} plan error(s):[/]")
        for e in plan.errors:
            console.print(f"  [red]✗[/] {escape(str(e))}")
        _how_to_fix(console, [SDK_MODEL])


def _property_line(p: PropertyChange) -> str:
    forced = " [magenta](forces replace)[/]" if p.forces_replace else ""
    return f"[yellow]{escape(p.path)}[/]: {escape(_value(p.old))} → {escape(_value(p.new))}{forced}"


def _value(value: Any) -> str:
    """Short, one line; the placeholders (`[secret]`, `[unknown]`) stay bare, as the plan carries them."""
    if value in (SECRET, UNKNOWN):
        return str(value)
    if value is None:
        return "(absent)"
    text = json.dumps(value, sort_keys=True, ensure_ascii=False)
    return text if len(text) <= 80 else text[:77] + "..."


def _how_to_fix(console: Console, rule_ids: list[str]) -> None:
    for line in how_to_fix(rule_ids):
        console.print(f"[dim]to fix[/] {escape(line)}")
