"""`stacks/fleet.yaml`: the rollout rings, the DR pairs and the Git sources that live in this repository."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError

from components.spec.base import SpecModel
from components.spec.confine import ACCEPTED_FOLDER, LEAVES, Outside, confine, relative_folder_problem
from components.spec.files import read_yaml
from components.spec.loader import available_stacks
from components.spec.names import Name
from components.spec.problems import Problem, SpecError
from components.spec.redact import plaintext_credentials
from fleet.gitrepo import repo_root

FLEET_FILE = "fleet.yaml"


# Ring and stack names become GitHub Actions job ids, matrix values and file names: one grammar for all of them
# (components/spec/names.py), checked here as the file is read.
class Ring(SpecModel):
    name: Name
    stacks: list[Name] = Field(min_length=1)
    # Stacks of one ring run side by side, each in its own process.
    max_parallel: int = Field(default=4, ge=1, le=64)
    # How many failed stacks the ring tolerates before the rollout halts (0: any failure halts).
    failure_threshold: int = Field(default=0, ge=0)


class DrPair(SpecModel):
    primary: Name
    secondary: Name


class FleetFile(SpecModel):
    rings: list[Ring] = Field(min_length=1)
    dr_pairs: list[DrPair] = []
    local_sources: dict[str, str] = {}

    def ring_of(self, stack: str) -> Ring | None:
        return next((r for r in self.rings if stack in r.stacks), None)

    @property
    def stacks(self) -> list[str]:
        return [s for ring in self.rings for s in ring.stacks]


def load_fleet(stacks_dir: Path) -> FleetFile:
    path = stacks_dir / FLEET_FILE
    shown = str(path)
    if not path.exists():
        raise SpecError([Problem(shown, "", "no fleet file; it names the rollout rings")])
    raw: Any = read_yaml(path, shown)
    # localSources keys are source URLs: one with credentials in it would be a committed credential.
    leaks = [
        Problem(shown, ".".join(str(step) for step in where), f"{why}; accepted: the URL without them")
        for where, why in plaintext_credentials(raw)
    ]
    if leaks:
        raise SpecError(leaks)
    try:
        fleet = FleetFile.model_validate(raw)
    except ValidationError as err:
        raise SpecError(
            [
                Problem(shown, ".".join(str(p) for p in e["loc"]), e["msg"][0].lower() + e["msg"][1:])
                for e in err.errors()
            ]
        ) from None
    problems = _cross_check(fleet, available_stacks(stacks_dir), shown)
    problems += _check_local_sources(fleet, stacks_dir, shown)
    if problems:
        raise SpecError(problems)
    return fleet


def _cross_check(fleet: FleetFile, known: list[str], shown: str) -> list[Problem]:
    problems: list[Problem] = []
    seen: dict[str, str] = {}
    for i, ring in enumerate(fleet.rings):
        for j, stack in enumerate(ring.stacks):
            where = f"rings[{i}].stacks[{j}]"
            if stack not in known:
                problems.append(Problem(shown, where, f"unknown stack {stack!r}; stacks found: {', '.join(known)}"))
            if stack in seen:
                problems.append(Problem(shown, where, f"{stack!r} is already in ring {seen[stack]!r}"))
            seen.setdefault(stack, ring.name)
    for i, pair in enumerate(fleet.dr_pairs):
        for side in ("primary", "secondary"):
            stack = getattr(pair, side)
            if stack not in known:
                problems.append(Problem(shown, f"drPairs[{i}].{side}", f"unknown stack {stack!r}"))
    return problems


def _check_local_sources(fleet: FleetFile, stacks_dir: Path, shown: str) -> list[Problem]:
    """Every `localSources` folder is a folder of this repository: preflight extracts it with `git archive` and
    reads its working tree, so a value outside the repository (or read as an option) would read anything."""
    if not fleet.local_sources:
        return []
    root = repo_root(stacks_dir)
    problems: list[Problem] = []
    for url, folder in fleet.local_sources.items():
        where = f"localSources.{url}"
        problem = relative_folder_problem(folder)
        if problem is None:
            try:
                confine(root, root / folder)
            except Outside as err:
                why = "leaves the repository through a symlink" if err.reason == LEAVES else err.reason
                problem = f"{folder!r} {why}; accepted: {ACCEPTED_FOLDER}"
        if problem is not None:
            problems.append(Problem(shown, where, problem))
    return problems
