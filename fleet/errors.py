"""The CLI's one error boundary: typed errors raised anywhere, turned into lines on stderr and an exit code once.

Commands return their exit code (0 clean, 1 blocked) and raise for bad input; nothing but this module decides
how an error is shown or which code it exits with. Every line is written plainly (never wrapped to the terminal
width), one problem per line, so CI logs and grep read it, and without the credentials it may quote.
"""

from __future__ import annotations

import sys
from typing import Any

import typer
from typer.core import TyperGroup

from components.spec.problems import Problem, SpecError
from components.spec.redact import redact_text

EXIT_CLEAN, EXIT_BLOCKED, EXIT_BAD_INPUT = 0, 1, 2


class BadInput(Exception):
    """An option, a file or the machine is not as the command needs it; nothing was started. Exit 2."""

    def __init__(self, *lines: str, detail: str = "") -> None:
        super().__init__("\n".join(lines))
        self.lines = list(lines)
        self.detail = detail  # the full story (an Azure credential chain), shown only with `fleet --verbose`


def bad_option(option: str, value: object, accepted: str) -> BadInput:
    return BadInput(f"{option}: {value!r} is not accepted; accepted: {accepted}")


def _lines_for(error: BaseException, verbose: bool = False) -> list[str] | None:
    """The lines an expected error is reported with; None for a bug (let it surface as a traceback)."""
    from azure.core.exceptions import AzureError

    from policies.baseline.facts import FactError

    from .azure.errors import describe_azure_error
    from .policy.analyzer import PolicyPackError

    if isinstance(error, SpecError):
        return [str(p) for p in error.problems]
    if isinstance(error, BadInput):
        return error.lines + (error.detail.splitlines() if verbose and error.detail else [])
    if isinstance(error, PolicyPackError):
        return [f"{error}; run without the pack with --no-policy, or reinstall (README set-up)"]
    if isinstance(error, FactError):
        return [f"{error}; the fact tables ship with the toolkit: reinstall, or fix the file named"]
    if isinstance(error, AzureError):
        return [describe_azure_error("Azure", error), *(str(error).splitlines() if verbose else [])]
    if isinstance(error, OSError):
        # Unwritable output paths, full disks, a directory where a file was expected: the path and the reason.
        where = error.filename if error.filename is not None else "file"
        return [str(Problem(str(where), "", f"cannot be written or read: {error.strerror or error}"))]
    return None


class BoundaryGroup(TyperGroup):
    """The root command group: runs the command and maps what it returns or raises to an exit code."""

    def invoke(self, ctx: Any) -> Any:  # click's Context (typer vendors click; its module is private)
        try:
            result = super().invoke(ctx)
        except Exception as error:
            # click's own Exit/Abort/usage errors are none of these: they pass.
            lines = _lines_for(error, verbose=bool(ctx.params.get("verbose")))
            if lines is None:
                raise
            # The one place error lines are written, so the one place they are redacted: a line may quote an
            # option, a URL, git's or Azure's own message.
            sys.stderr.writelines(f"{redact_text(line)}\n" for line in lines)
            raise typer.Exit(EXIT_BAD_INPUT) from None
        if isinstance(result, int) and not isinstance(result, bool):
            raise typer.Exit(result)
        return result


def exit_code(ok: bool) -> int:
    return EXIT_CLEAN if ok else EXIT_BLOCKED
