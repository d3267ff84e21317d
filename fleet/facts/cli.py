"""`fleet facts [TABLE]`: each outside-fact table with its source and age; one table's rows in full."""

from __future__ import annotations

import json
import sys
from datetime import date
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from fleet.errors import bad_option
from fleet.output import print_table
from policies.baseline.facts import STALE_AFTER_DAYS, FactTable, table, table_names


def facts_command(
    name: Annotated[str | None, typer.Argument(help="A table to print in full (see the list).")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """List the outside-fact tables (source, retrieved, age) or print one; stale tables are flagged.

    A table older than 90 days is reported as stale (advisory, exit 0): refresh it from its source.
    """
    today = date.today()
    names = table_names()
    if name is not None and name not in names:
        raise bad_option("TABLE", name, ", ".join(names))
    tables = [table(n) for n in ([name] if name else names)]
    if json_out:
        payload: Any = [_summary(t, today) | ({"rows": list(t.rows)} if name else {}) for t in tables]
        sys.stdout.write(json.dumps(payload if not name else payload[0], indent=2, default=str) + "\n")
        return
    console = Console()
    if name:
        _print_rows(console, tables[0], today)
        return
    overview = Table(title=f"Outside facts (stale after {STALE_AFTER_DAYS} days)")
    for column in ("table", "what", "rows", "retrieved", "age", "source"):
        overview.add_column(column, overflow="fold")
    for t in tables:
        age = f"{t.age_days(today)} d" + (" [yellow]stale[/yellow]" if t.is_stale(today) else "")
        sources = "\n".join(escape(s) for s in t.sources)
        overview.add_row(t.name, escape(t.title), str(len(t.rows)), t.retrieved.isoformat(), age, sources)
    print_table(console, overview)
    for t in tables:
        if t.is_stale(today):
            console.print(f"advisory: {t.name} was read {t.age_days(today)} days ago; refresh it from its source")


def _summary(t: FactTable, today: date) -> dict[str, Any]:
    return {
        "table": t.name,
        "title": t.title,
        "sources": list(t.sources),
        "retrieved": t.retrieved.isoformat(),
        "ageDays": t.age_days(today),
        "stale": t.is_stale(today),
        "rowCount": len(t.rows),
    }


def _print_rows(console: Console, t: FactTable, today: date) -> None:
    columns: list[str] = []
    for row in t.rows:
        columns += [k for k in row if k not in columns]
    rows = Table(title=f"{t.name}: {t.title}")
    for column in columns:
        rows.add_column(column, overflow="fold")
    for row in t.rows:
        rows.add_row(*(_cell(row.get(c)) for c in columns))
    print_table(console, rows)
    age = t.age_days(today)
    console.print(f"retrieved {t.retrieved.isoformat()} ({age} day{'' if age == 1 else 's'} ago) from:")
    for source in t.sources:
        # A source stays one line (a URL or a path@commit is copied and grepped whole), markup-escaped.
        console.print(f"  {escape(source)}", soft_wrap=True)
    if t.notes:
        console.print(escape(t.notes))  # prose: wrapped at word boundaries to the terminal's width
    if t.is_stale(today):
        console.print(f"advisory: older than {STALE_AFTER_DAYS} days; refresh it from its source")


def _cell(value: Any) -> str:
    # Escaped: values are data (name patterns like `[a-z0-9]` would otherwise be read as rich markup and vanish).
    if value is None:
        return ""
    if isinstance(value, list):
        return "\n".join(escape(str(v)) for v in value)
    return escape(str(value))
