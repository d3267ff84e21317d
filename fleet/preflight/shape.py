"""Reading a build's objects, which are untyped input: kustomize passes `data: 4` or `stringData: text` through, so
no check may assume a shape. Every check reads nested values through these."""

from __future__ import annotations

from typing import Any


def get(obj: Any, path: str) -> Any:
    for part in path.split("."):
        if not isinstance(obj, dict):
            return None
        obj = obj.get(part)
    return obj


def mapping(obj: Any, path: str) -> dict[Any, Any]:
    """The mapping at `path`, or {} when the manifest put something else there."""
    value = get(obj, path)
    return value if isinstance(value, dict) else {}


def listed(obj: Any, path: str) -> list[Any]:
    value = get(obj, path)
    return value if isinstance(value, list) else []
