"""Read `stacks/Pulumi.<stack>.yaml` into a validated ClusterSpec, or every problem as one clear line.

This is the only way any consumer (the Pulumi program, the offline plan, renderers, fleet commands)
obtains a spec, so a stack file means the same thing everywhere.
"""

from __future__ import annotations

import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from .azure_names import stack_findings
from .checks import check_cluster
from .cluster import ClusterSpec
from .files import read_yaml
from .names import confined, name_problem
from .names import shown as shown_value
from .problems import Problem, SpecError
from .redact import credential_kinds, plaintext_credentials
from .secrets import SecretRef

NAMESPACE = "aksfleet"
CLUSTER_KEY = f"{NAMESPACE}:cluster"
PROTECT_KEY = f"{NAMESPACE}:protect"
# Keys Pulumi itself writes into a stack file besides `config`.
_STACK_FILE_KEYS = {"config", "secretsprovider", "encryptedkey", "encryptionsalt", "environment"}
# Error types whose offending input must never be echoed (it may be a credential).
_NO_ECHO = {"plaintext_secret", "secret_type", "extra_forbidden"}
# Errors that already say "a secret in plain text" at a path; the credential scan does not repeat them.
_SECRET_ERRORS = {"plaintext_secret", "secret_type"}


@dataclass(frozen=True)
class StackConfig:
    """A loaded stack: its validated spec plus the raw config, as the Pulumi CLI would hand it over."""

    stack: str
    path: Path
    spec: ClusterSpec
    protect: bool
    raw_config: dict[str, Any] = field(repr=False)


def stack_path(stacks_dir: Path, stack: str) -> Path:
    """stacks/Pulumi.<stack>.yaml: only for a valid stack name, and only inside the stacks folder."""
    problem = name_problem(stack)
    if problem:
        raise SpecError([Problem(str(stacks_dir), "", f"stack name {problem}")])
    return confined(stacks_dir, f"Pulumi.{stack}.yaml")


def available_stacks(stacks_dir: Path) -> list[str]:
    """The stacks of the folder, by file name; a file whose name is no valid stack name is refused, not skipped."""
    names: list[str] = []
    problems: list[Problem] = []
    for path in sorted(stacks_dir.glob("Pulumi.*.yaml")):
        stack = path.name[len("Pulumi.") : -len(".yaml")]
        problem = name_problem(stack)
        if problem:
            where = f"file {shown_value(path.name)}"
            problems.append(Problem(str(stacks_dir), "", f"{where}: stack name {problem}; rename it"))
        else:
            names.append(stack)
    if problems:
        raise SpecError(problems)
    return names


def load_stack(stacks_dir: Path, stack: str) -> StackConfig:
    path = stack_path(stacks_dir, stack)
    shown = _display(path)
    if not path.is_file():
        known = ", ".join(available_stacks(stacks_dir)) or "none"
        raise SpecError([Problem(shown, "", f"no such stack file; stacks found: {known}")])
    return parse_stack_document(read_yaml(path, shown), stack=stack, path=path)


def parse_stack_document(document: Any, *, stack: str, path: Path) -> StackConfig:
    shown = _display(path)
    if not isinstance(document, dict):
        raise SpecError([Problem(shown, "", "expected a mapping with a `config:` key at the top")])
    problems = [
        Problem(shown, _format_path((key,)), f"unknown top-level key; accepted: {', '.join(sorted(_STACK_FILE_KEYS))}")
        for key in document
        if key not in _STACK_FILE_KEYS
    ]
    # Credentials typed anywhere else in the file (provider config, stray keys); the cluster is scanned below.
    config = document.get("config")
    rest = (
        {**document, "config": {k: v for k, v in config.items() if k != CLUSTER_KEY}}
        if isinstance(config, dict)
        else document
    )
    problems += [
        Problem(shown, _format_path(where[1:] if where[:1] == ("config",) else where), f"{why}; {_LEAK_ACCEPTED}")
        for where, why in plaintext_credentials(rest)
    ]
    if not isinstance(config, dict):
        raise SpecError([*problems, Problem(shown, "config", "expected a mapping of configuration keys")])
    protect = config.get(PROTECT_KEY, True)
    if not isinstance(protect, bool):
        got = repr(protect) if _echoable("bool_type", protect, (PROTECT_KEY,)) else f"a {type(protect).__name__}"
        problems.append(Problem(shown, PROTECT_KEY, f"expected true or false; got {got}"))
    raw = config.get(CLUSTER_KEY)
    if raw is None:
        raise SpecError([*problems, Problem(shown, CLUSTER_KEY, "missing; every stack describes one cluster here")])
    spec, spec_problems = parse_cluster(raw, source=shown)
    problems += spec_problems
    if spec is not None:
        problems += [Problem(shown, "", message) for message in stack_findings(stack, spec)]
    if problems or spec is None:
        raise SpecError(sorted(set(problems), key=problems.index))
    return StackConfig(stack=stack, path=path, spec=spec, protect=bool(protect), raw_config=config)


def parse_cluster(raw: Any, *, source: str) -> tuple[ClusterSpec | None, list[Problem]]:
    """Validate a raw cluster object; returns the spec or the problems (never raises on bad input).

    A credential in plain text is a problem wherever it was typed (a URL's userinfo or SAS signature, a token, a
    value under a key such as `password`), so nothing the outputs would have to hide ever passes the spec.
    """
    leaks = [
        Problem(source, _format_path((CLUSTER_KEY, *path)), f"{why}; {_LEAK_ACCEPTED}")
        for path, why in plaintext_credentials(raw)
    ]
    try:
        spec = ClusterSpec.model_validate(raw)
    except ValidationError as err:
        errors = err.errors()
        said = {
            _format_path((CLUSTER_KEY, *_strip_union_tags(tuple(e["loc"]))))
            for e in errors
            if e["type"] in _SECRET_ERRORS
        }
        return None, [p for p in leaks if p.path not in said] + [_problem_from_error(source, e) for e in errors]
    return spec, leaks + [Problem(source, f"{CLUSTER_KEY}.{path}", msg) for path, msg in check_cluster(spec)]


_LEAK_ACCEPTED = (
    "a committed file must not hold credentials; accepted: the value without them, the credential as a Pulumi "
    "secret under `auth` (`pulumi config set --secret --path ...`) or as a Secret in the cluster (localAuthRef, "
    "substituteFrom)"
)


def _problem_from_error(source: str, error: Any) -> Problem:
    loc = _strip_union_tags(tuple(error["loc"]))
    path = _format_path((CLUSTER_KEY, *loc))
    kind = error["type"]
    if kind == "extra_forbidden":
        accepted = _accepted_keys(loc[:-1])
        message = "unknown key" + (f"; accepted: {', '.join(accepted)}" if accepted else "")
    elif kind == "missing":
        message = "missing required key"
    elif kind == "union_tag_invalid":
        ctx = error.get("ctx", {})
        discriminator = ctx.get("discriminator", "").strip(chr(39))
        given = error.get("input", {}).get(discriminator) if isinstance(error.get("input"), dict) else None
        # The tag pydantic reports is the text of whatever was typed, a whole mapping included: quote only a scalar.
        shown = repr(given) if _echoable(kind, given, (*loc, discriminator)) else f"a {type(given).__name__}"
        message = f"{shown} is not accepted; accepted: {ctx.get('expected_tags')}"
        path = f"{path}.{discriminator}"
    else:
        message = error["msg"][0].lower() + error["msg"][1:]
        value = error.get("input")
        if _echoable(kind, value, loc):
            message += f"; got {value!r}"
    return Problem(source, path, message)


_DISCRIMINATORS = ("kind", "policy")


def _strip_union_tags(loc: tuple[Any, ...]) -> tuple[Any, ...]:
    """Pydantic puts the chosen union member's tag into the location; the user never wrote that step."""
    kept: list[Any] = []
    candidates: list[Any] = [ClusterSpec]
    for step in loc:
        is_tag = isinstance(step, str) and any(
            isinstance(m, type)
            and issubclass(m, BaseModel)
            and step not in m.model_fields
            and any(
                step in typing.get_args(m.model_fields[d].annotation) for d in _DISCRIMINATORS if d in m.model_fields
            )
            for c in candidates
            for m in _members(c)
        )
        if not is_tag:
            kept.append(step)
        candidates = [n for c in candidates for n in _step_into(c, step)]
    return tuple(kept)


def _format_path(loc: tuple[Any, ...]) -> str:
    out = ""
    for step in loc:
        if isinstance(step, int):
            out += f"[{step}]"
        else:
            out += ("." if out else "") + str(step)
    return out


def _echoable(kind: str, value: Any, loc: tuple[Any, ...]) -> bool:
    """The offending value is quoted back only when it cannot be a credential."""
    return (
        kind not in _NO_ECHO
        and isinstance(value, str | int | float | bool)
        and not _looks_secret(loc)
        and not credential_kinds(str(value))
    )


def _looks_secret(loc: tuple[Any, ...]) -> bool:
    return any(isinstance(s, str) and any(w in s.lower() for w in ("key", "secret", "password", "token")) for s in loc)


def _accepted_keys(loc: tuple[Any, ...]) -> list[str]:
    """The keys the model at `loc` accepts, by walking the spec's type annotations."""
    candidates: list[Any] = [ClusterSpec]
    for step in loc:
        nxt: list[Any] = []
        for model in candidates:
            nxt += _step_into(model, step)
        candidates = nxt
    keys: list[str] = []
    for model in candidates:
        if isinstance(model, type) and issubclass(model, BaseModel):
            keys += [f.alias or name for name, f in model.model_fields.items()]
    return sorted(set(keys))


def _step_into(annotation: Any, step: Any) -> list[Any]:
    models = _members(annotation)
    out: list[Any] = []
    for model in models:
        if isinstance(model, type) and issubclass(model, BaseModel) and isinstance(step, str):
            for name, f in model.model_fields.items():
                if step in (name, f.alias):
                    out += _members(f.annotation)
            # A discriminated-union tag appears in the location as its own step.
            if any(
                d in model.model_fields and step in typing.get_args(model.model_fields[d].annotation)
                for d in _DISCRIMINATORS
            ):
                out.append(model)
        elif step is not None:
            origin = typing.get_origin(model)
            if origin in (list, dict):
                out += _members(typing.get_args(model)[-1])
    return out


def _members(annotation: Any) -> list[Any]:
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _members(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        return [m for a in typing.get_args(annotation) for m in _members(a)]
    if annotation is type(None) or annotation is SecretRef:
        return []
    return [annotation]


def display_path(path: Path) -> str:
    """The stack file as problems name it (relative to the current folder when inside it)."""
    return _display(path)


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)
