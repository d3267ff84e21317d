"""Preflight: prove a stack's Git source will reconcile before Flux ever sees it.

The names below load lazily (PEP 562): the `fleet` command registers `preflight` at start-up, and the schema
validator behind it costs a noticeable part of a second to import.
"""

from __future__ import annotations

from typing import Any

__all__ = ["PreflightReport", "local_sources", "preflight_stack"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from . import stack

        return getattr(stack, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
