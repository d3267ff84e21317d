"""`fleet plan` as a function: load and validate a stack, run the program offline, validate the result."""

from __future__ import annotations

from pathlib import Path

from components import program
from components.spec import load_stack

from .engine import run_program
from .model import Plan
from .sdk_validation import validate_resources


def plan_stack(stacks_dir: Path, stack: str) -> Plan:
    """Raises components.spec.SpecError on bad input, before anything runs."""
    loaded = load_stack(stacks_dir, stack)
    plan = run_program(loaded, lambda: program.main(stacks_dir))
    plan.errors.extend(validate_resources(plan.resources))
    return plan
