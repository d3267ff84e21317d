"""Issue 13, classes 6 and 9: bad input of every kind is one line naming the file, exit 2, never a traceback.

Every case runs the real CLI through typer's runner, so the one error boundary (fleet/errors.py) is what answers.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from components.spec.files import MAX_DEPTH, load_yaml
from components.spec.problems import SpecError
from fleet import cli
from tests.conftest import PROJECT_DIR, STACKS_DIR

RUN = CliRunner()

_ALIAS_BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 9)}]\n" for i in range(9)
)


def _stacks(tmp_path: Path) -> Path:
    stacks = tmp_path / "stacks"
    shutil.copytree(STACKS_DIR, stacks)
    return stacks


def _stack_text(stacks: Path, text: str | bytes) -> None:
    target = stacks / "Pulumi.dev.yaml"
    if isinstance(text, bytes):
        target.write_bytes(text)
    else:
        target.write_text(text, encoding="utf-8")


def _replace_stack_with_dir(stacks: Path) -> None:
    (stacks / "Pulumi.dev.yaml").unlink()
    (stacks / "Pulumi.dev.yaml").mkdir()


CASES: dict[str, tuple[Callable[[Path], None], list[str], str]] = {
    # case: (break the copied stacks folder, the command, text the one line must carry)
    "alias bomb in a stack file": (
        lambda s: _stack_text(s, _ALIAS_BOMB),
        ["plan", "-s", "dev", "--no-policy"],
        "Pulumi.dev.yaml: line",
    ),
    "deep nesting in a stack file": (
        lambda s: _stack_text(s, "config: " + "[" * 100_000 + "]" * 100_000 + "\n"),
        ["plan", "-s", "dev", "--no-policy"],
        f"nested deeper than {MAX_DEPTH} levels",
    ),
    "a stack file that is not UTF-8": (
        lambda s: _stack_text(s, b"config:\n  aksfleet:cluster: \xff\xfe\n"),
        ["plan", "-s", "dev", "--no-policy"],
        "Pulumi.dev.yaml: byte 28: not UTF-8 text",
    ),
    "a directory named like a stack file": (
        _replace_stack_with_dir,
        ["plan", "-s", "dev", "--no-policy"],
        "Pulumi.dev.yaml: no such stack file",
    ),
    "a malformed fleet.yaml": (
        lambda s: (s / "fleet.yaml").write_text("rings: [\n", encoding="utf-8"),
        ["rollout", "--dry-run"],
        "fleet.yaml: line 2: not valid YAML",
    ),
    "an alias bomb in fleet.yaml": (
        lambda s: (s / "fleet.yaml").write_text(_ALIAS_BOMB, encoding="utf-8"),
        ["rollout", "--dry-run"],
        "fleet.yaml: line",
    ),
    "fleet.yaml is a directory": (
        lambda s: ((s / "fleet.yaml").unlink(), (s / "fleet.yaml").mkdir()),
        ["rollout", "--dry-run"],
        "fleet.yaml: is a directory; expected a file",
    ),
    "scaffold --from a stack that is not valid": (
        lambda s: _stack_text(s, "config: {}\n"),
        ["scaffold", "cluster", "--new-stack", "newone", "--stack", "dev"],
        "Pulumi.dev.yaml: aksfleet:cluster: missing",
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input_is_one_line_and_exit_2(tmp_path: Path, case: str) -> None:
    breaker, command, expected = CASES[case]
    stacks = _stacks(tmp_path)
    breaker(stacks)
    started = time.monotonic()
    result = RUN.invoke(cli.app, [*command, "--stacks-dir", str(stacks)])
    assert result.exit_code == 2, (case, result.output, result.exception)
    assert isinstance(result.exception, SystemExit), result.exception
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and expected in lines[0], (case, lines)
    assert time.monotonic() - started < 60  # bounded: a bomb is refused before it is expanded


def test_an_invalid_regex_in_a_policy_config_is_named(tmp_path: Path) -> None:
    config = tmp_path / "prod.json"
    config.write_text(json.dumps({"gitops-002": {"enforcementLevel": "mandatory", "appsPattern": "(["}}))
    result = RUN.invoke(cli.app, ["plan", "-s", "dev", "--policy-config", str(config), "--no-preflight"])
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith(f"{config}: gitops-002.appsPattern: not a valid regular expression")


def test_an_unwritable_output_path_is_one_line(tmp_path: Path) -> None:
    target = tmp_path / "missing-folder" / "dev.json"
    result = RUN.invoke(cli.app, ["policy", "config", "-e", "dev", "-o", str(target)])
    assert result.exit_code == 2
    assert result.stderr == f"{target}: cannot be written or read: No such file or directory\n"


def test_two_documents_on_stdout_are_refused() -> None:
    result = RUN.invoke(cli.app, ["plan", "-s", "dev", "--json", "-", "--format", "sarif"])
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.startswith("--json and --format sarif all write to stdout (-)")
    # `-o -` is stdout too (walkthrough: it wrote a file named `-`), so it is the same conflict.
    result = RUN.invoke(cli.app, ["plan", "-s", "dev", "--json", "-", "--format", "sarif", "-o", "-"])
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.startswith("--json and --output all write to stdout (-)")


def test_dash_as_an_output_path_is_stdout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Walkthrough: `-o -` created a file named `-`; and `-o x.sarif` without --format wrote nothing, silently."""
    monkeypatch.chdir(tmp_path)
    result = RUN.invoke(cli.app, ["policy", "config", "-e", "dev", "-o", "-"])
    assert result.exit_code == 0 and json.loads(result.stdout) and not (tmp_path / "-").exists()
    assert result.stderr == ""
    sarif = tmp_path / "dev.sarif"
    monkeypatch.chdir(PROJECT_DIR)
    result = RUN.invoke(cli.app, ["plan", "-s", "dev", "--no-policy", "--no-preflight", "-o", str(sarif)])
    assert result.exit_code == 0, result.output
    assert json.loads(sarif.read_text())["version"] == "2.1.0"


def test_yaml_dates_stay_the_text_they_were_written_as() -> None:
    assert load_yaml("created: 2026-01-01\nat: 2026-01-01T10:00:00Z\n", "x.yaml") == {
        "created": "2026-01-01",
        "at": "2026-01-01T10:00:00Z",
    }


def test_a_yaml_date_in_a_stack_tag_plans(tmp_path: Path) -> None:
    stacks = _stacks(tmp_path)
    text = (stacks / "Pulumi.dev.yaml").read_text(encoding="utf-8")
    assert "  aksfleet:cluster:\n" in text and "    tags:" not in text
    _stack_text(
        stacks, text.replace("  aksfleet:cluster:\n", "  aksfleet:cluster:\n    tags: {created: 2026-01-01}\n", 1)
    )
    result = RUN.invoke(cli.app, ["plan", "-s", "dev", "--no-policy", "--no-preflight", "--stacks-dir", str(stacks)])
    assert result.exit_code == 0, result.output


def test_limits_are_checked_before_anything_is_built() -> None:
    with pytest.raises(SpecError, match="expands to more than"):
        load_yaml(_ALIAS_BOMB, "bomb.yaml")
    with pytest.raises(SpecError, match="nested deeper"):
        load_yaml("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1), "deep.yaml")
    assert load_yaml("[" * MAX_DEPTH + "]" * MAX_DEPTH, "ok.yaml") is not None
    for recursive in ("&a [*a]\n", "&!\n: *!\n", "a: &b {c: [1, *b]}\n"):
        with pytest.raises(SpecError, match="refers to a value containing it"):
            load_yaml(recursive, "self.yaml")
    assert load_yaml("a: &b [1]\nc: *b\n", "shared.yaml") == {"a": [1], "c": [1]}


def test_a_subscription_that_is_not_a_uuid_is_one_line_before_any_credential() -> None:
    """Walkthrough: `--subscription not-a-guid` went to Azure and printed the credential chain, 53 lines."""
    for argv in (
        ["audit", "--subscription", "not-a-guid"],
        ["drift", "-s", "dev", "--subscription", "not-a-guid"],
        ["rollout", "--dry-run", "--subscription", "not-a-guid"],
        ["dr", "drill", "-s", "dev", "--region", "japanwest", "--subscription", "not-a-guid"],
    ):
        result = RUN.invoke(cli.app, argv)
        assert result.exit_code == 2, (argv, result.output)
        assert result.stderr == (
            "--subscription: 'not-a-guid' is not a subscription id; accepted: a UUID (`az account show --query id`)\n"
        )


def test_azure_identitys_credential_chain_stays_out_of_stderr_unless_verbose() -> None:
    """Walkthrough: azure-identity logged every credential it tried as WARNINGs (53 lines for one failure)."""
    import logging

    chain = logging.getLogger("azure.identity")
    before = chain.level
    try:
        RUN.invoke(cli.app, ["policy", "list"])
        assert not chain.isEnabledFor(logging.WARNING)
        chain.setLevel(logging.NOTSET)
        RUN.invoke(cli.app, ["--verbose", "policy", "list"])
        assert chain.isEnabledFor(logging.WARNING)
    finally:
        chain.setLevel(before)


@pytest.mark.parametrize(
    "argv",
    [
        ["audit", "--subscription", "00000000-0000-0000-0000-000000000000"],
        ["drift", "-s", "dev"],
        ["rollout", "--dry-run"],
        ["dr", "export", "/subscriptions/x", "--new-stack", "y"],
    ],
    ids=lambda argv: argv[0],
)
def test_every_azure_command_checks_the_cloud_the_same_way(argv: list[str]) -> None:
    """One --cloud option (fleet/azure_options.py): checked while parsing, before any credential or file."""
    result = RUN.invoke(cli.app, [*argv, "--cloud", "mars"])
    assert result.exit_code == 2, result.output
    assert result.stderr == "--cloud: 'mars' is not accepted; accepted: public, china, usgov\n"
