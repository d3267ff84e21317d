"""How findings and their suppressions read in a terminal: shared by `fleet plan` and `fleet preflight`."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from fleet.findings import PolicyFinding
from fleet.output import print_table


def finding_text(f: PolicyFinding) -> str:
    """The message, and when a suppression no longer holds (expired, or refused in prod), that it does not."""
    text = escape(f.message)
    if f.suppression is not None:
        text += f"\n[magenta]{escape(f.suppression.describe())}[/]"
    return text


def render_suppressed(findings: list[PolicyFinding], console: Console) -> None:
    """Suppressed findings in their own table: accepted, not blocking, and never out of sight."""
    suppressed = sorted(
        ((f, f.suppression) for f in findings if f.suppressed and f.suppression is not None),
        key=lambda pair: (pair[0].rule, pair[0].resource),
    )
    if not suppressed:
        return
    table = Table(title=f"suppressed ({len(suppressed)})", title_justify="left")
    for column in ("rule", "enforcement", "resource", "finding", "reason", "until"):
        table.add_column(column, overflow="fold")
    for f, s in suppressed:
        table.add_row(f.rule, f.enforcement, escape(f.resource), escape(f.message), escape(s.reason), s.expires)
    print_table(console, table)
