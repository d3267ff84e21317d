"""The one grammar for the names this toolkit reads and then uses as file names, shell words and CI values:
stacks, rings and environments. Every place a name comes in (CLI options, stacks/fleet.yaml, stack file names,
a stack's environment) checks it here, and every path built from a name goes through `confined`.

A name is 1-63 lower-case ASCII letters, digits and '-', starting with a letter and not ending with '-'. Why:
- a path component: no '/', '\\', '.' or NUL, so never '..', a hidden file or an absolute path; lower case only,
  so two names never meet in one file on a case-insensitive file system (macOS, Windows);
- a shell word: none of the characters a POSIX shell expands, splits, globs or quotes (no $ ` ; | & ( ) * ?
  quote, space or newline), and a leading letter means no command ever reads it as an option ('-x');
- a GitHub Actions job id (a ring is one): "must start with a letter or _ and contain only alphanumeric
  characters, -, or _" (docs.github.com/en/actions/reference/workflows-and-actions/workflow-syntax, jobs.<job_id>),
  and never `${{` in the emitted workflow;
- a Pulumi stack name: Pulumi takes "alphanumeric characters, hyphens, underscores, or periods"
  (pulumi.com/docs/iac/concepts/stacks) up to 100 characters (pulumi/pulumi pkg/backend/filestate/store.go,
  ParseReference); this is a strict subset;
- a Key Vault secret name once the stack's secrets are named `<stack>-platform-<key>`: alphanumerics and
  hyphens only (facts/azure_naming.toml, keyVaultSecret).
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Annotated

from pydantic import AfterValidator
from pydantic_core import PydanticCustomError

from .problems import Problem, SpecError

NAME_PATTERN = re.compile(r"[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?")
NAME_RULE = "1-63 lower-case letters, digits and '-', starting with a letter and not ending with '-'"
_SHOWN = 40


def shown(value: object) -> str:
    """A value as it may appear in one line of an error: quoted, escaped, and cut."""
    text = value if isinstance(value, str) else str(value)
    return repr(text[:_SHOWN]) + ("..." if len(text) > _SHOWN else "")


def is_name(value: object) -> bool:
    return isinstance(value, str) and NAME_PATTERN.fullmatch(value) is not None


def name_problem(value: object) -> str | None:
    """None for a valid name; otherwise the one-line reason, naming what is accepted."""
    return None if is_name(value) else f"{shown(value)} is not accepted; accepted: {NAME_RULE}"


def _validated(value: str) -> str:
    problem = name_problem(value)
    if problem:
        raise PydanticCustomError("fleet_name", problem)
    return value


# A stack, ring or environment name in a validated file (stacks/fleet.yaml).
Name = Annotated[str, AfterValidator(_validated)]


def confined(folder: Path, *parts: str) -> Path:
    """`folder/parts...`, refused unless it resolves (symlinks followed) to a path inside `folder`.

    Names are checked before they become paths; this is the second fence, for a path built from a name that
    slipped past or for a symlink inside the folder that points out of it (or loops). The resolving is the one
    confinement mechanism of the toolkit (components/spec/confine.py, stdlib only); a refusal is a spec problem here."""
    from components.spec.confine import LEAVES, Outside, confine

    path = folder.joinpath(*parts)
    try:
        real = confine(folder, path)
    except Outside as outside:
        reason = "leads outside this folder" if outside.reason == LEAVES else outside.reason
        raise SpecError([Problem(str(folder), "", f"{shown('/'.join(parts))} {reason}; refused")]) from None
    if real == Path(os.path.realpath(folder)):
        raise SpecError([Problem(str(folder), "", f"{shown('/'.join(parts))} is the folder itself; refused")])
    return path
