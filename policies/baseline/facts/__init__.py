"""Outside facts the toolkit depends on, as data: one TOML file per table, beside this module.

Every table names where it was read (`source`) and when (`retrieved`), so a reviewer can check it and
`fleet facts` can say when it is getting old. Code reads these tables; no module repeats a value from them.
They live inside the policy pack because the pack is published on its own (`pulumi policy publish`) and
its rules judge against them; `tomllib` keeps the pack standard-library only.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

FACTS_DIR = Path(__file__).resolve().parent
# A table older than this is reported as stale (advisory): versions, releases and regions move monthly.
STALE_AFTER_DAYS = 90


class FactError(Exception):
    """A fact table that cannot be read: the message names the file and the key."""


@dataclass(frozen=True)
class FactTable:
    name: str
    title: str
    sources: tuple[str, ...]
    retrieved: date
    notes: str
    rows: tuple[Mapping[str, Any], ...]

    def age_days(self, today: date) -> int:
        return (today - self.retrieved).days

    def is_stale(self, today: date) -> bool:
        return self.age_days(today) > STALE_AFTER_DAYS


def table_names() -> list[str]:
    return sorted(p.stem for p in FACTS_DIR.glob("*.toml"))


@cache
def table(name: str) -> FactTable:
    path = FACTS_DIR / f"{name}.toml"
    where = f"{path.parent.name}/{path.name}"
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as err:
        raise FactError(f"{where}: cannot be read: {err}") from None
    sources = data.get("source")
    if isinstance(sources, str):
        sources = [sources]
    if not sources or not all(isinstance(s, str) and s for s in sources):
        raise FactError(f"{where}: source: missing; a URL or repository path (+ tag or commit) is required")
    retrieved = data.get("retrieved")
    if not isinstance(retrieved, date):
        raise FactError(f"{where}: retrieved: missing or not a date (YYYY-MM-DD)")
    rows = data.get("rows")
    if not isinstance(rows, list) or not rows or not all(isinstance(r, dict) for r in rows):
        raise FactError(f"{where}: rows: missing; a non-empty array of tables ([[rows]]) is required")
    return FactTable(
        name=name,
        title=str(data.get("title", name)),
        sources=tuple(sources),
        retrieved=retrieved,
        notes=str(data.get("notes", "")).strip(),
        rows=tuple(rows),
    )


def field(row: Mapping[str, Any], table_name: str, key: str, kind: type | tuple[type, ...]) -> Any:
    """A required field of a row, of the expected type, or a FactError naming the table, row and key."""
    value = row.get(key)
    if not isinstance(value, kind):
        label = row.get("name") or row.get("version") or row.get("minor") or row.get("host") or "?"
        raise FactError(f"facts/{table_name}.toml: rows[{label}].{key}: missing or of the wrong type")
    return value
