"""Where the project is, found the way `pulumi` finds it: the nearest folder at or above the current one holding
Pulumi.yaml ("the nearest parent folder containing a Pulumi.yaml file determines the current project",
pulumi.com/docs/iac/concepts/projects). Its `stackConfigDir` names the stacks folder, so `fleet` and `pulumi` read
the same stack files from any sub-folder; an option such as --stacks-dir still overrides.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from components.spec.confine import Outside, confine
from components.spec.files import read_yaml
from components.spec.problems import Problem, SpecError

from .errors import BadInput

# Pulumi accepts either extension for the project file (pulumi.com/docs/iac/concepts/projects/project-file).
PROJECT_FILES = ("Pulumi.yaml", "Pulumi.yml")
DEFAULT_HELP = "(default: found from the current folder upwards, as `pulumi` finds Pulumi.yaml)"

StacksDirOption = Annotated[
    Path | None,
    typer.Option(
        "--stacks-dir",
        file_okay=False,
        show_default=False,
        help=f"Folder of Pulumi.<stack>.yaml files {DEFAULT_HELP}: the project's stackConfigDir.",
    ),
]


def find_project_file(start: Path | None = None) -> Path | None:
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        for name in PROJECT_FILES:
            if (folder / name).is_file():
                return folder / name
    return None


def project_file(start: Path | None = None) -> Path:
    found = find_project_file(start)
    if found is not None:
        return found
    here = (start or Path.cwd()).resolve()
    raise BadInput(
        f"no Pulumi.yaml in {here} or any folder above it: run fleet inside the project, or pass --stacks-dir"
    )


def project_dir(start: Path | None = None) -> Path:
    return project_file(start).parent


def stacks_dir(given: Path | None = None) -> Path:
    """`given` when an option named it; else the project's stackConfigDir (Pulumi's default: the project folder)."""
    if given is not None:
        return given
    path = project_file()
    document = read_yaml(path)
    folder = document.get("stackConfigDir", ".") if isinstance(document, dict) else "."
    if not isinstance(folder, str) or not folder:
        raise SpecError([Problem(str(path), "stackConfigDir", "expected a folder name")])
    try:
        return confine(path.parent, path.parent / folder)
    except Outside as err:
        raise SpecError([Problem(str(path), "stackConfigDir", f"{folder!r} {err.reason}")]) from None


def in_project(relative: str, given: Path | None = None) -> Path:
    """A path of the project (gitops/, .fleet/...), unless an option named another one."""
    return given if given is not None else project_dir() / relative
