"""Issue 13, classes 2 and 7 (scaffold): one grammar for stack, ring and environment names, wherever a name is read.

A name reaches file names (stacks/Pulumi.<stack>.yaml, gitops/apps/<env>/), command lines and the emitted GitHub
Actions workflow, which runs with `id-token: write`. Adversarial names go through every entry point that takes
one (CLI options and arguments, stacks/fleet.yaml, stack file names): each is one line naming where it came from,
exit 2, and nothing is written anywhere. Valid names reach the workflow's shell only through `env:`.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML
from typer.testing import CliRunner

from fleet import cli
from tests.conftest import STACKS_DIR

RUN = CliRunner()
ADVERSARIAL = [
    "../x",
    "a/b",
    "$(id)",
    "${{ github.token }}",
    '"; curl x | sh; "',
    "x\ny",
    "ステージ",
    "dév",
    "a" * 200,
    "-x",
    "",
    "Dev",
    "x.y",
    "x-",
    "1st",
]
# Adversarial values that can be a file name in stacks/ (no '/', not empty).
AS_FILE_NAMES = [v for v in ADVERSARIAL if v and "/" not in v]
CLUSTER_ID = "/subscriptions/0/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/c"


def _tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _workspace(tmp_path: Path) -> tuple[Path, Path]:
    """tmp/a/b/{stacks,gitops}: '../..' from either folder still lands inside tmp, where the test can see it."""
    base = tmp_path / "a" / "b"
    shutil.copytree(STACKS_DIR, base / "stacks")
    (base / "gitops" / "apps").mkdir(parents=True)
    return base / "stacks", base / "gitops"


# entry point -> (the label its error line starts with, argv for a value given the stacks and gitops folders)
ENTRY_POINTS: dict[str, tuple[str, Callable[[str, Path, Path], list[str]]]] = {
    "plan --stack": ("--stack", lambda v, s, g: ["plan", "--stacks-dir", str(s), "--stack", v]),
    "preflight --stack": ("--stack", lambda v, s, g: ["preflight", "--stacks-dir", str(s), "--stack", v]),
    "render bicep --stack": ("--stack", lambda v, s, g: ["render", "bicep", "--stacks-dir", str(s), "--stack", v]),
    "drift --stack": ("--stack", lambda v, s, g: ["drift", "--stacks-dir", str(s), "--stack", v]),
    "rollout --stack": ("--stack", lambda v, s, g: ["rollout", "--dry-run", "--stacks-dir", str(s), "--stack", v]),
    "dr plan --stack": (
        "--stack",
        lambda v, s, g: ["dr", "plan", "--region", "japanwest", "--stacks-dir", str(s), "--stack", v],
    ),
    "dr plan --new-stack": (
        "--new-stack",
        lambda v, s, g: [
            "dr",
            "plan",
            "-s",
            "prod-japaneast",
            "--region",
            "japanwest",
            "--stacks-dir",
            str(s),
            "--new-stack",
            v,
        ],
    ),
    "dr plan --name-suffix": (
        "--name-suffix",
        lambda v, s, g: [
            "dr",
            "plan",
            "-s",
            "prod-japaneast",
            "--region",
            "japanwest",
            "--stacks-dir",
            str(s),
            "--name-suffix",
            v,
        ],
    ),
    "dr recreate --stack": (
        "--stack",
        lambda v, s, g: ["dr", "recreate", "--region", "japanwest", "--stacks-dir", str(s), "--stack", v],
    ),
    "dr drill --stack": (
        "--stack",
        lambda v, s, g: ["dr", "drill", "--region", "japanwest", "--stacks-dir", str(s), "--stack", v],
    ),
    "dr export --new-stack": (
        "--new-stack",
        lambda v, s, g: ["dr", "export", CLUSTER_ID, "--stacks-dir", str(s), "--new-stack", v],
    ),
    "scaffold env NAME": ("NAME", lambda v, s, g: ["scaffold", "env", "--gitops-dir", str(g), "--", v]),
    "scaffold cluster --new-stack": (
        "--new-stack",
        lambda v, s, g: ["scaffold", "cluster", "--stack", "dev", "--stacks-dir", str(s), "--new-stack", v],
    ),
    "scaffold cluster --stack": (
        "--stack",
        lambda v, s, g: ["scaffold", "cluster", "--new-stack", "new", "--stacks-dir", str(s), "--stack", v],
    ),
    "scaffold cluster --overlay": (
        "--overlay",
        lambda v, s, g: [
            "scaffold",
            "cluster",
            "--new-stack",
            "new",
            "-s",
            "dev",
            "--stacks-dir",
            str(s),
            "--overlay",
            v,
        ],
    ),
}


@pytest.mark.parametrize("value", ADVERSARIAL, ids=repr)
@pytest.mark.parametrize("entry", sorted(ENTRY_POINTS))
def test_every_entry_point_refuses_a_bad_name_in_one_line_and_writes_nothing(
    tmp_path: Path, entry: str, value: str
) -> None:
    label, argv = ENTRY_POINTS[entry]
    stacks, gitops = _workspace(tmp_path)
    before = _tree(tmp_path)
    result = RUN.invoke(cli.app, argv(value, stacks, gitops))
    assert result.exit_code == 2, (entry, value, result.output, result.exception)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"{label}: "), (entry, lines)
    assert "accepted" in lines[0]
    assert _tree(tmp_path) == before, "nothing is written, inside the folders or out of them"


# An AKS cluster name is not a stack name: Azure's rule (facts/azure_naming.toml) takes 'Dev' and '1st'.
@pytest.mark.parametrize("value", [v for v in ADVERSARIAL if v not in ("Dev", "1st")], ids=repr)
def test_scaffold_refuses_a_cluster_name_azure_would_refuse(tmp_path: Path, value: str) -> None:
    stacks, _ = _workspace(tmp_path)
    before = _tree(tmp_path)
    result = RUN.invoke(
        cli.app,
        ["scaffold", "cluster", "--new-stack", "new", "-s", "dev", "--stacks-dir", str(stacks), "--name", value],
    )
    assert result.exit_code == 2, (value, result.output)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("--name: ") and "azure_naming" in lines[0], lines
    assert _tree(tmp_path) == before


def _fleet_file(stacks: Path, text: str) -> None:
    (stacks / "fleet.yaml").write_text(text, encoding="utf-8")


def _quoted(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


FLEET_PLACES: dict[str, tuple[str, Callable[[str], str]]] = {
    "ring name": ("rings.0.name", lambda v: f"rings:\n  - name: {_quoted(v)}\n    stacks: [dev]\n"),
    "ring stack": ("rings.0.stacks.1", lambda v: f"rings:\n  - name: canary\n    stacks: [dev, {_quoted(v)}]\n"),
    "DR pair": (
        "drPairs.0.secondary",
        lambda v: (
            f"rings:\n  - name: canary\n    stacks: [dev]\ndrPairs:\n  - primary: dev\n    secondary: {_quoted(v)}\n"
        ),
    ),
}


@pytest.mark.parametrize("value", ADVERSARIAL, ids=repr)
@pytest.mark.parametrize("place", sorted(FLEET_PLACES))
def test_fleet_file_names_are_held_to_the_grammar(tmp_path: Path, place: str, value: str) -> None:
    key, text = FLEET_PLACES[place]
    stacks, _ = _workspace(tmp_path)
    if value in AS_FILE_NAMES:  # the attack as committed: a stack file of that name exists too
        shutil.copy(stacks / "Pulumi.dev.yaml", stacks / f"Pulumi.{value}.yaml")
    _fleet_file(stacks, text(value))
    out = tmp_path / "workflow.yml"
    result = RUN.invoke(cli.app, ["rollout", "--emit", "github-actions", "-o", str(out), "--stacks-dir", str(stacks)])
    assert result.exit_code == 2, (place, value, result.output)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and f"fleet.yaml: {key}: " in lines[0] and "accepted" in lines[0], lines
    assert not out.exists()


@pytest.mark.parametrize("value", AS_FILE_NAMES, ids=repr)
def test_a_stack_file_whose_name_breaks_the_grammar_is_refused(tmp_path: Path, value: str) -> None:
    stacks, _ = _workspace(tmp_path)
    shutil.copy(stacks / "Pulumi.dev.yaml", stacks / f"Pulumi.{value}.yaml")
    out = tmp_path / "workflow.yml"
    result = RUN.invoke(cli.app, ["rollout", "--emit", "github-actions", "-o", str(out), "--stacks-dir", str(stacks)])
    assert result.exit_code == 2, (value, result.output)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "file " in lines[0] and "rename it" in lines[0], lines
    assert not out.exists()


def test_a_listed_stack_with_a_hostile_file_name_never_reaches_the_workflow(tmp_path: Path) -> None:
    """The attack as committed: a stack file named like shell and a ring that lists it."""
    stacks, _ = _workspace(tmp_path)
    hostile = '"; curl x | sh; "'
    shutil.copy(stacks / "Pulumi.dev.yaml", stacks / f"Pulumi.{hostile}.yaml")
    _fleet_file(stacks, f"rings:\n  - name: canary\n    stacks: [{_quoted(hostile)}]\n")
    result = RUN.invoke(cli.app, ["rollout", "--emit", "github-actions", "--stacks-dir", str(stacks)])
    assert result.exit_code == 2 and "curl" not in result.stdout


_NAMES = st.from_regex(r"[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?", fullmatch=True)


def _runs(document: dict[str, Any]) -> set[str]:
    return {step["run"] for job in document["jobs"].values() for step in job["steps"] if "run" in step}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rings=st.lists(
        st.tuples(_NAMES, st.lists(_NAMES, min_size=1, max_size=4, unique=True)),
        min_size=1,
        max_size=3,
        unique_by=lambda ring: ring[0],
    )
)
def test_workflow_passes_names_to_the_shell_only_through_env(rings: list[tuple[str, list[str]]]) -> None:
    from fleet.fleetfile import FleetFile, Ring
    from fleet.rollout.github_actions import workflow

    fleet = FleetFile(rings=[Ring(name=name, stacks=stacks) for name, stacks in rings])
    document = YAML(typ="safe").load(workflow(fleet))
    reference = YAML(typ="safe").load(workflow(FleetFile(rings=[Ring(name="r", stacks=["s"])])))
    # The scripts are the same whatever the names: no name, and no expression, is ever part of one.
    assert _runs(document) == _runs(reference) and not any("${{" in run for run in _runs(document))
    for ring in fleet.rings:
        job = document["jobs"][ring.name]  # a ring is a job id
        assert job["strategy"]["matrix"]["stack"] == ring.stacks
        (rollout,) = [step for step in job["steps"] if "fleet rollout" in step.get("run", "")]
        assert rollout["env"]["STACK"] == "${{ matrix.stack }}" and '"$STACK"' in rollout["run"]


def test_shipped_workflow_reads_every_value_from_env() -> None:
    from fleet.fleetfile import load_fleet
    from fleet.rollout.github_actions import workflow

    document = YAML(typ="safe").load(workflow(load_fleet(STACKS_DIR)))
    for job in document["jobs"].values():
        for step in job["steps"]:
            assert "${{" not in step.get("run", ""), step


def test_an_overlay_folder_that_points_outside_is_refused(tmp_path: Path) -> None:
    _, gitops = _workspace(tmp_path)
    outside = tmp_path / "outside"
    outside.mkdir()
    (gitops / "apps" / "qa").symlink_to(outside, target_is_directory=True)
    result = RUN.invoke(cli.app, ["scaffold", "env", "qa", "--gitops-dir", str(gitops)])
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "leads outside this folder" in lines[0], lines
    assert list(outside.iterdir()) == []


def test_a_stack_file_that_points_outside_is_never_written_through(tmp_path: Path) -> None:
    stacks, _ = _workspace(tmp_path)
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me\n")
    (stacks / "Pulumi.new.yaml").symlink_to(victim)
    result = RUN.invoke(
        cli.app, ["scaffold", "cluster", "--new-stack", "new", "-s", "dev", "--force", "--stacks-dir", str(stacks)]
    )
    assert result.exit_code == 2, result.output
    assert "leads outside this folder" in result.stderr
    assert victim.read_text() == "keep me\n"


def test_valid_names_still_scaffold(tmp_path: Path) -> None:
    stacks, gitops = _workspace(tmp_path)
    assert RUN.invoke(cli.app, ["scaffold", "env", "qa-2", "--gitops-dir", str(gitops)]).exit_code == 0
    assert (gitops / "apps" / "qa-2" / "kustomization.yaml").is_file()
    made = RUN.invoke(
        cli.app, ["scaffold", "cluster", "--new-stack", "new-one", "-s", "dev", "--stacks-dir", str(stacks)]
    )
    assert made.exit_code == 0, made.output
    assert (stacks / "Pulumi.new-one.yaml").is_file()


def test_a_symlink_loop_where_the_overlay_goes_is_one_line(tmp_path: Path) -> None:
    _, gitops = _workspace(tmp_path)
    (gitops / "apps" / "loop").symlink_to("loop")
    result = RUN.invoke(cli.app, ["scaffold", "env", "loop", "--gitops-dir", str(gitops)])
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "symlink loop" in lines[0], lines


def test_scaffold_env_then_a_cluster_on_that_overlay_works_as_the_help_says(tmp_path: Path) -> None:
    """Walkthrough: the help's `scaffold cluster ... -e qa` could never work (environments are dev, staging, prod)
    and named a file never written; the overlay is its own option now."""
    stacks, gitops = _workspace(tmp_path)
    assert RUN.invoke(cli.app, ["scaffold", "env", "qa", "--gitops-dir", str(gitops)]).exit_code == 0
    base = ["scaffold", "cluster", "--new-stack", "qa", "-s", "dev", "--stacks-dir", str(stacks)]
    wrong = RUN.invoke(cli.app, [*base, "-e", "qa"])
    assert wrong.exit_code == 2
    assert wrong.stderr == "--environment: 'qa' is not accepted; accepted: dev, staging, prod\n"
    made = RUN.invoke(cli.app, [*base, "-e", "staging", "--overlay", "qa"])
    assert made.exit_code == 0, made.output
    text = (stacks / "Pulumi.qa.yaml").read_text()
    assert "path: ./apps/qa" in text and "environment: staging" in text
    assert "./apps/dev" not in text
    assert "`fleet scaffold cluster --new-stack qa -s dev`" in text
