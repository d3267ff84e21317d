"""Reading committed files: bounded, decoded and parsed the same way everywhere, every failure a Problem.

Stack files, `fleet.yaml` and the GitOps repository are written by many people and run by CI with credentials
in reach, so a read must never hang, exhaust memory or raise a traceback. YAML gets three limits checked on the
event stream before anything is built (the parser is iterative, so checking is linear in the text):
- nesting depth (a composer recursing through 100,000 brackets dies with RecursionError);
- the number of values after aliases are expanded (a "billion laughs" file is a few hundred bytes);
- the file's size.
YAML 1.1 timestamps stay strings: Pulumi hands config values to the program as strings, and a date object
would otherwise reach code (JSON, pydantic) that does not expect it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.constructor import SafeConstructor
from ruamel.yaml.error import YAMLError
from ruamel.yaml.events import (
    AliasEvent,
    CollectionEndEvent,
    CollectionStartEvent,
    ScalarEvent,
)

from .problems import Problem, SpecError

MAX_BYTES = 4 * 1024 * 1024
MAX_DEPTH = 64
MAX_VALUES = 200_000


class _StringDates(SafeConstructor):
    """The safe constructor, except that a timestamp is kept as the string it was written as."""


_StringDates.add_constructor("tag:yaml.org,2002:timestamp", SafeConstructor.construct_yaml_str)


def read_text(path: Path, shown: str | None = None, *, max_bytes: int = MAX_BYTES) -> str:
    """The file's text, or a SpecError naming it: missing, a directory, too large, not UTF-8, unreadable."""
    shown = shown or str(path)
    try:
        if path.is_dir():
            raise SpecError([Problem(shown, "", "is a directory; expected a file")])
        with path.open("rb") as handle:
            data = handle.read(max_bytes + 1)
    except FileNotFoundError:
        raise SpecError([Problem(shown, "", "no such file")]) from None
    except OSError as err:
        raise SpecError([Problem(shown, "", f"cannot be read: {err.strerror or err}")]) from None
    if len(data) > max_bytes:
        raise SpecError([Problem(shown, "", f"larger than {max_bytes // 1024} KiB; refusing to read it")])
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise SpecError([Problem(shown, f"byte {err.start}", "not UTF-8 text")]) from None


def load_yaml(text: str, shown: str, *, editor: YAML | None = None) -> Any:
    """One YAML document (None when empty), within the limits; `editor` (a round-trip YAML) keeps comments."""
    documents = _load(text, shown, yaml=editor, many=False)
    return documents[0] if documents else None


def load_yaml_documents(text: str, shown: str) -> list[Any]:
    """Every document of a multi-document stream (Kubernetes manifests), within the limits."""
    return _load(text, shown, yaml=None, many=True)


def read_yaml(path: Path, shown: str | None = None) -> Any:
    shown = shown or str(path)
    return load_yaml(read_text(path, shown), shown)


def _load(text: str, shown: str, *, yaml: YAML | None, many: bool) -> list[Any]:
    if len(text) > MAX_BYTES:
        raise SpecError([Problem(shown, "", f"larger than {MAX_BYTES // 1024} KiB; refusing to read it")])
    if yaml is None:
        yaml = YAML(typ="safe", pure=True)
        yaml.Constructor = _StringDates
    try:
        _check_limits(YAML(typ="safe", pure=True).parse(text), shown)
        if many:
            return list(yaml.load_all(text))
        return [yaml.load(text)]
    except YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else ""
        problem = getattr(err, "problem", None) or str(err).splitlines()[0]
        raise SpecError([Problem(shown, where, f"not valid YAML: {problem}")]) from None


def check_yaml_limits(text: str, shown: str) -> None:
    """Raise SpecError when `text` breaks a limit (size, depth, alias expansion, self-reference); parse errors pass:
    for a file another tool reads (kustomize), its own error is the better message."""
    if len(text) > MAX_BYTES:
        raise SpecError([Problem(shown, "", f"larger than {MAX_BYTES // 1024} KiB; refusing to read it")])
    try:
        _check_limits(YAML(typ="safe", pure=True).parse(text), shown)
    except YAMLError:
        return


def _check_limits(events: Iterator[Any], shown: str) -> None:
    """Depth and expanded size from the events alone: an alias costs what its anchored value costs."""
    # Open collections, each: [anchor, values counted inside so far].
    open_collections: list[list[Any]] = []
    anchored: dict[str, int] = {}
    total = 0
    for event in events:
        cost = 0
        if isinstance(event, CollectionStartEvent):
            open_collections.append([event.anchor, 1])
            if len(open_collections) > MAX_DEPTH:
                line = event.start_mark.line + 1
                raise SpecError([Problem(shown, f"line {line}", f"nested deeper than {MAX_DEPTH} levels")])
            continue
        if isinstance(event, CollectionEndEvent):
            anchor, cost = open_collections.pop()
            if anchor is not None:
                anchored[anchor] = cost
            if open_collections:
                open_collections[-1][1] += cost
            continue
        if isinstance(event, ScalarEvent):
            cost = 1
            if event.anchor is not None:
                anchored[event.anchor] = 1
        elif isinstance(event, AliasEvent):
            if any(anchor == event.anchor for anchor, _ in open_collections):
                # A value containing itself: every reader that walks it (pydantic, JSON) recurses forever.
                line = event.start_mark.line + 1
                raise SpecError(
                    [Problem(shown, f"line {line}", f"alias *{event.anchor} refers to a value containing it")]
                )
            cost = anchored.get(event.anchor, 1)
        else:
            continue
        total += cost
        if open_collections:
            open_collections[-1][1] += cost
        if total > MAX_VALUES:
            line = event.start_mark.line + 1
            raise SpecError(
                [Problem(shown, f"line {line}", f"expands to more than {MAX_VALUES} values (aliases); refusing it")]
            )
