"""Azure's naming rules and tag limits (azure_naming.toml), and the one function that judges a name by them."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache

from . import FactError, field, table

TABLE = "azure_naming"
SEE = "fleet facts azure_naming"


@dataclass(frozen=True)
class NameRule:
    name: str
    entity: str
    min_length: int
    max_length: int
    pattern: re.Pattern[str] | None
    forbidden: str
    control: bool
    case_insensitive: bool
    accepted: str


@cache
def rules() -> dict[str, NameRule]:
    out: dict[str, NameRule] = {}
    for row in table(TABLE).rows:
        name = field(row, TABLE, "name", str)
        if "max_count" in row:
            continue  # the tag count row; see max_tags()
        pattern = row.get("pattern")
        try:
            compiled = re.compile(pattern) if isinstance(pattern, str) else None
        except re.error as err:
            where = f"facts/{TABLE}.toml: rows[{name}].pattern"
            raise FactError(f"{where}: not a valid regular expression: {err}") from None
        out[name] = NameRule(
            name=name,
            entity=field(row, TABLE, "entity", str),
            min_length=field(row, TABLE, "min_length", int),
            max_length=field(row, TABLE, "max_length", int),
            pattern=compiled,
            forbidden=str(row.get("forbidden", "")),
            control=bool(row.get("control_characters", True)),
            case_insensitive=bool(row.get("case_insensitive", False)),
            accepted=field(row, TABLE, "accepted", str),
        )
    return out


@cache
def max_tags() -> int:
    row = next((r for r in table(TABLE).rows if r.get("name") == "tags"), None)
    if row is None:
        raise FactError(f"facts/{TABLE}.toml: rows[tags]: missing; the tag count limit is required")
    return int(field(row, TABLE, "max_count", int))


def judge(rule_name: str, value: str) -> str | None:
    """None when Azure accepts `value` under the rule; otherwise what is wrong and what is accepted, one line."""
    rule = rules()[rule_name]
    wrong = _what_is_wrong(rule, value)
    return None if wrong is None else f"{wrong}; accepted by {rule.entity}: {rule.accepted} ({SEE})"


def _what_is_wrong(rule: NameRule, value: str) -> str | None:
    if not rule.min_length <= len(value) <= rule.max_length:
        return f"is {len(value)} characters"
    if not rule.control and any(ord(c) < 32 or 127 <= ord(c) < 160 for c in value):
        return "contains a control character"
    bad = sorted({c for c in value if c in rule.forbidden})
    if bad:
        return f"contains {' '.join(bad)}"
    if rule.pattern is not None and not rule.pattern.fullmatch(value):
        return "is not of the accepted form"
    return None


def judge_tags(tags: Mapping[str, str]) -> Iterator[tuple[str | None, str]]:
    """(tag name or None for the whole set, problem) for every limit the tags break."""
    if len(tags) > max_tags():
        yield None, f"{len(tags)} tags; accepted: {rules_text('tags')} ({SEE})"
    seen: dict[str, str] = {}
    for key, value in tags.items():
        problem = judge("tagName", key)
        if problem:
            yield key, f"tag name {problem}"
        elif rules()["tagName"].case_insensitive and key.lower() in seen:
            yield key, f"tag name repeats {seen[key.lower()]!r} in other letter case; Azure ignores case here ({SEE})"
        seen.setdefault(key.lower(), key)
        problem = judge("tagValue", value)
        if problem:
            yield key, f"tag value {problem}"


def rules_text(name: str) -> str:
    row = next(r for r in table(TABLE).rows if r.get("name") == name)
    return str(field(row, TABLE, "accepted", str))
