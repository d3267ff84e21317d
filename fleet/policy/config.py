"""Per-environment policy-pack configuration: `policies/config/<environment>.json`.

The same file is passed to the Pulumi CLI (`--policy-pack-config`) and read by `fleet plan`, so the
enforcement a pull request sees is the enforcement `pulumi up` applies. Files are validated here with
one line per problem (unknown rule, unknown enforcement level, wrong property type).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from components.spec.files import read_text
from components.spec.problems import Problem, SpecError
from policies.baseline import BY_POLICY_NAME, CATALOGUE, ENFORCEMENTS, ENVIRONMENTS, Rule

CONFIG_DIR = Path(__file__).resolve().parents[2] / "policies" / "config"
_JSON_TYPES: dict[str, type | tuple[type, ...]] = {
    "string": str,
    "integer": int,
    "boolean": bool,
    "array": list,
    "number": (int, float),
}


def config_path(environment: str, config_dir: Path = CONFIG_DIR) -> Path:
    return config_dir / f"{environment}.json"


def default_config(environment: str) -> dict[str, dict[str, Any]]:
    """Every rule with its enforcement for `environment` and its configuration defaults."""
    return {
        rule.policy_name: {
            "enforcementLevel": rule.enforcement_for(environment),
            "environment": environment,
            **rule.defaults(),
        }
        for rule in CATALOGUE
    }


def load_config(path: Path) -> dict[str, dict[str, Any]]:
    """Read and validate a policy config file; raises SpecError listing every problem."""
    shown = str(path)
    text = read_text(path, shown)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise SpecError([Problem(shown, f"line {err.lineno}", f"not valid JSON: {err.msg}")]) from None
    except RecursionError:
        raise SpecError([Problem(shown, "", "nested too deeply to be a policy config")]) from None
    if not isinstance(data, dict):
        raise SpecError([Problem(shown, "", "expected an object keyed by policy name")])
    problems: list[Problem] = []
    config: dict[str, dict[str, Any]] = {}
    for name, value in data.items():
        rule = BY_POLICY_NAME.get(name)
        if rule is None:
            accepted = ", ".join(sorted(BY_POLICY_NAME))
            problems.append(Problem(shown, name, f"unknown rule; accepted: {accepted}"))
            continue
        if isinstance(value, str):
            value = {"enforcementLevel": value}
        if not isinstance(value, dict):
            problems.append(Problem(shown, name, "expected an enforcement level or an object"))
            continue
        problems += _check_entry(shown, name, rule, value)
        config[name] = value
    if problems:
        raise SpecError(problems)
    return config


def _check_entry(shown: str, name: str, rule: Rule, value: dict[str, Any]) -> list[Problem]:
    problems = []
    level = value.get("enforcementLevel", "mandatory")
    if level not in ENFORCEMENTS:
        problems.append(
            Problem(
                shown, f"{name}.enforcementLevel", f"{level!r} is not accepted; accepted: {', '.join(ENFORCEMENTS)}"
            )
        )
    environment = value.get("environment")
    if environment is not None and environment not in ENVIRONMENTS:
        problems.append(
            Problem(
                shown, f"{name}.environment", f"{environment!r} is not accepted; accepted: {', '.join(ENVIRONMENTS)}"
            )
        )
    for key, item in value.items():
        if key in ("enforcementLevel", "environment"):
            continue
        schema = rule.config_schema.get(key)
        if schema is None:
            accepted = ", ".join(["enforcementLevel", "environment", *rule.config_schema])
            problems.append(Problem(shown, f"{name}.{key}", f"unknown setting; accepted: {accepted}"))
            continue
        expected = _JSON_TYPES.get(str(schema.get("type")), object)
        if not isinstance(item, expected) or (isinstance(item, bool) and schema.get("type") != "boolean"):
            problems.append(Problem(shown, f"{name}.{key}", f"expected {schema.get('type')}; got {item!r}"))
        elif isinstance(item, int | float) and not schema.get("minimum", item) <= item <= schema.get("maximum", item):
            bounds = f"{schema.get('minimum', '-inf')}..{schema.get('maximum', 'inf')}"
            problems.append(Problem(shown, f"{name}.{key}", f"{item} is out of range; accepted: {bounds}"))
        elif schema.get("format") == "regex":
            try:
                re.compile(str(item))
            except re.error as err:
                problems.append(Problem(shown, f"{name}.{key}", f"not a valid regular expression: {err}"))
    return problems


def write_defaults(environment: str, path: Path) -> None:
    path.write_text(json.dumps(default_config(environment), indent=2) + "\n", encoding="utf-8")
