"""Every command's `--help` as a user reads it: an example at the end that parses, and flags shown as flags."""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator
from typing import Any

import typer.main
from typer.testing import CliRunner

from components.spec import available_stacks
from fleet import cli
from tests.conftest import STACKS_DIR

RUN = CliRunner()


def _commands(command: Any, path: list[str]) -> Iterator[tuple[list[str], Any]]:
    """The root, every group and every command registered under it (typer's click tree)."""
    yield path, command
    for name, sub in sorted(getattr(command, "commands", {}).items()):
        yield from _commands(sub, [*path, name])


def _parse_example(root: Any, line: str) -> list[str]:
    """Parse `fleet ...` as the shell and the CLI would, without running it; returns the command path."""
    args = shlex.split(line)[1:]
    command, path = root, []
    while args and args[0] in getattr(command, "commands", {}):
        path.append(args[0])
        command = command.commands[args.pop(0)]
    command.make_context(" ".join(["fleet", *path]), args)  # raises on an unknown option or a missing one
    return path


def test_every_help_ends_with_an_example_that_parses_and_shows_flags_without_a_type() -> None:
    root = typer.main.get_command(cli.app)
    walked = list(_commands(root, []))
    assert ["dr", "plan"] in [path for path, _ in walked] and ["policy", "export-azure"] in [p for p, _ in walked]
    stacks = set(available_stacks(STACKS_DIR))
    for path, command in walked:
        shown = RUN.invoke(cli.app, [*path, "--help"], env={"COLUMNS": "80"})
        assert shown.exit_code == 0, (path, shown.output)
        assert "<bool>" not in shown.stdout, path
        # At the end: after the options panel, whose last row is --help.
        assert shown.stdout.rfind("Example:") > shown.stdout.rfind("--help"), path
        for param in command.params:
            assert param.hidden or param.help, (path, param.opts)
        examples = re.findall(r"`(fleet [^`]*)`", command.epilog or "")
        assert examples, path
        # The first is this command's (a group's: one of its commands); the others may be the steps around it.
        assert _parse_example(root, examples[0])[: len(path)] == path, (path, examples[0])
        for example in examples:
            _parse_example(root, example)
            args = shlex.split(example)
            named = [args[i + 1] for i, arg in enumerate(args[:-1]) if arg in ("-s", "--stack")]
            assert set(named) <= stacks, (path, example)  # the project's real stacks
