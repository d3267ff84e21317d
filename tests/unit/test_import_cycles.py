"""The plan drives the policy pack and preflight; neither imports the plan back, and the plan's modules form no cycle.

Every import counts: top-level, inside a function, or under TYPE_CHECKING (a guarded import is a cycle deferred).
"""

from __future__ import annotations

import ast
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _module(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """Absolute names of every module `path` imports, anywhere in the file."""
    package = _module(path).split(".") if path.name == "__init__.py" else _module(path).split(".")[:-1]
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            target = ".".join([*base, *([node.module] if node.module else [])])
            out |= {target, *(f"{target}.{a.name}" for a in node.names)}
    return out


def _modules(folder: str) -> dict[str, Path]:
    return {_module(p): p for p in sorted((ROOT / folder).rglob("*.py"))}


def test_policy_and_preflight_do_not_import_the_plan() -> None:
    offending = [
        f"{name} imports {target}"
        for folder in ("fleet/policy", "fleet/preflight")
        for name, path in _modules(folder).items()
        for target in sorted(_imports(path))
        if target == "fleet.plan" or target.startswith("fleet.plan.")
    ]
    assert offending == []


def test_the_plan_package_has_no_import_cycle() -> None:
    modules = _modules("fleet/plan")
    graph = {name: {t for t in _imports(path) if t in modules and t != name} for name, path in modules.items()}
    assert graph["fleet.plan.model"], "the scan sees the plan model's imports"
    try:
        TopologicalSorter(graph).prepare()
    except CycleError as cycle:
        raise AssertionError(f"import cycle: {cycle.args[1]}") from None
