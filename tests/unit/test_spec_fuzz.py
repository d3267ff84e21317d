"""Property-based: random and mutated stack files never produce a traceback, only SpecError lines, and a
plaintext secret is never echoed back."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from components.spec import SpecError, load_stack
from components.spec.loader import parse_stack_document
from tests.conftest import SHIPPED_STACKS, stack_document

PATH = Path("stacks/Pulumi.fuzz.yaml")
DOCUMENTS = [stack_document(s) for s in SHIPPED_STACKS]
_scalars = st.none() | st.booleans() | st.integers(-(10**6), 10**6) | st.floats(allow_nan=False) | st.text(max_size=20)
_json = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=25,
)
FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _check(document: Any) -> list[str]:
    try:
        parse_stack_document(document, stack="fuzz", path=PATH)
    except SpecError as error:
        lines = [str(p) for p in error.problems]
        assert lines, "a SpecError always carries at least one problem"
        for line in lines:
            assert line.startswith("stacks/Pulumi.fuzz.yaml"), line
            assert line.split(": ")[-1].strip(), line
        return lines
    return []


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix] if prefix else []
    if isinstance(node, dict):
        for k, v in node.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += _paths(v, (*prefix, i))
    return out


def _parent(document: Any, path: tuple[Any, ...]) -> Any:
    for step in path[:-1]:
        document = document[step]
    return document


@FUZZ
@given(document=_json)
def test_arbitrary_documents_only_raise_spec_errors(document: Any) -> None:
    _check(document)


@FUZZ
@given(
    base=st.sampled_from(range(len(DOCUMENTS))),
    choice=st.integers(0, 10**6),
    action=st.sampled_from(["delete", "replace", "rename", "insert"]),
    value=_json,
    key=st.text(min_size=1, max_size=12),
)
def test_mutated_stack_files_only_raise_spec_errors(base: int, choice: int, action: str, value: Any, key: str) -> None:
    document = copy.deepcopy(DOCUMENTS[base])
    paths = _paths(document)
    path = paths[choice % len(paths)]
    parent = _parent(document, path)
    last = path[-1]
    if action == "delete":
        del parent[last]
    elif action == "replace":
        parent[last] = value
    elif action == "rename" and isinstance(parent, dict):
        parent[f"{last}{key}"] = parent.pop(last)
    elif action == "insert" and isinstance(parent, dict):
        parent[key] = value
    _check(document)


@FUZZ
@given(content=st.binary(max_size=400) | st.text(max_size=400))
def test_random_file_contents_only_raise_spec_errors(tmp_path_factory: Any, content: bytes | str) -> None:
    folder = tmp_path_factory.mktemp("fuzz")
    path = folder / "Pulumi.fuzz.yaml"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    try:
        load_stack(folder, "fuzz")
    except SpecError as error:
        assert error.problems


@FUZZ
@given(secret=st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789", min_size=6, max_size=24), other=_json)
def test_a_plaintext_secret_is_never_echoed(secret: str, other: Any) -> None:
    document = copy.deepcopy(DOCUMENTS[SHIPPED_STACKS.index("prod-japaneast")])
    marker = f"S3CR3T-{secret}"
    git = document["config"]["aksfleet:cluster"]["flux"]["platform"]["source"]["git"]
    git["auth"]["privateKey"] = marker
    git["auth"]["unexpected"] = other
    lines = _check(document)
    assert lines and not any(marker in line for line in lines)
