"""Shared fixtures: the shipped stacks, and stack files derived from them for negative cases."""

from __future__ import annotations

import copy
import io
import shutil
import subprocess
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from components import program
from components.spec import load_stack
from fleet.plan.engine import run_program
from fleet.plan.model import Plan

PROJECT_DIR = Path(__file__).resolve().parent.parent
STACKS_DIR = PROJECT_DIR / "stacks"
SHIPPED_STACKS = ["dev", "staging", "prod-japaneast", "prod-japanwest"]


def stack_document(stack: str) -> dict[str, Any]:
    return YAML(typ="safe", pure=True).load((STACKS_DIR / f"Pulumi.{stack}.yaml").read_text())


def cluster_of(document: dict[str, Any]) -> dict[str, Any]:
    return document["config"]["aksfleet:cluster"]


def write_stack(stacks_dir: Path, name: str, document: dict[str, Any]) -> Path:
    stacks_dir.mkdir(parents=True, exist_ok=True)
    buffer = io.StringIO()
    YAML(typ="safe", pure=True).dump(document, buffer)
    path = stacks_dir / f"Pulumi.{name}.yaml"
    path.write_text(buffer.getvalue())
    return path


@cache
def _plan(stacks_dir: str, stack: str, preview: bool) -> Plan:
    loaded = load_stack(Path(stacks_dir), stack)
    return run_program(loaded, lambda: program.main(Path(stacks_dir)), preview=preview)


def plan_for(stacks_dir: Path, stack: str, *, preview: bool = True) -> Plan:
    """Plans are pure functions of the stack file, so they are cached across tests."""
    return _plan(str(stacks_dir), stack, preview)


@pytest.fixture
def derived_stack(tmp_path: Path) -> Callable[..., Path]:
    """derived_stack(base, mutate) writes a copy of a shipped stack changed by `mutate(cluster_dict)`."""

    def make(base: str, mutate: Callable[[dict[str, Any]], None], name: str = "test") -> Path:
        document = copy.deepcopy(stack_document(base))
        mutate(cluster_of(document))
        write_stack(tmp_path / "stacks", name, document)
        return tmp_path / "stacks"

    return make


@pytest.fixture(autouse=True)
def _arm_emulator_answers_as_the_swagger_says() -> Iterator[None]:
    """Every answer the ARM emulator gives in a test must be one the vendored REST specification allows for that
    operation (tests/conformance/azure/swagger.py): a test double never defines the truth."""
    from tests.conformance.azure.swagger import recorded_problems
    from tests.fakes import arm

    arm.RECORDED = []
    yield
    recorded, arm.RECORDED = arm.RECORDED, None
    problems = recorded_problems(recorded)
    if problems:
        pytest.fail("the ARM emulator answered outside its swagger:\n" + "\n".join(problems[:20]), pytrace=False)


GIT = ["git", "-c", "user.email=test@example.com", "-c", "user.name=test"]


def git_copy_of_project(target: Path) -> Path:
    """A fresh git repository holding this project's files (tracked and untracked, not ignored), one commit."""
    files = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard"], cwd=PROJECT_DIR, capture_output=True, text=True, check=True
    ).stdout.split()
    for name in files:
        if (PROJECT_DIR / name).is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(PROJECT_DIR / name, target / name)
    subprocess.run(["git", "init", "-q"], cwd=target, check=True)
    commit(target, "base")
    return target


def commit(repo: Path, message: str) -> None:
    subprocess.run([*GIT, "add", "-A"], cwd=repo, check=True)
    subprocess.run([*GIT, "commit", "-qm", message], cwd=repo, check=True)
