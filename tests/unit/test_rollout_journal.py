"""Issue 13, class 3: the rollout journal can never make a real rollout deploy nothing.

A dry run is never a deployment; `--resume` continues one rollout and skips only what that rollout deployed
from today's spec and commit; torn, garbage and binary lines cost nothing but themselves.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from fleet import cli
from fleet.errors import BadInput
from fleet.executors.base import Preview, UpResult
from fleet.fleetfile import FleetFile, Ring
from fleet.rollout import cli as rollout_cli
from fleet.rollout.engine import RolloutResult, rollout
from fleet.rollout.journal import MAX_LINE_BYTES, Journal, JournalRecord
from fleet.rollout.pipeline import run_stack
from fleet.rollout.provenance import Provenance
from tests.conftest import STACKS_DIR, commit

STACKS = ["a", "b", "c", "d"]
PLAN = FleetFile(rings=[Ring(name="canary", stacks=["a"]), Ring(name="wide", stacks=STACKS[1:], max_parallel=1)])
SPEC, OTHER_SPEC = "5" * 64, "6" * 64
COMMIT, OTHER_COMMIT = "c" * 40, "d" * 40


class Killed(BaseException):
    """What SIGKILL looks like from inside: the rollout stops mid-stack, no `end` is written."""


@dataclass
class Fleet:
    """Scripted stacks: records which were deployed; `kill_at` dies during its up, `fail` fails its up."""

    kill_at: str | None = None
    fail: set[str] = field(default_factory=set)
    ups: list[str] = field(default_factory=list)
    name: str = "scripted"

    def preview(self, stack: str) -> Preview:
        return Preview(changes={"update": 1})

    def up(self, stack: str) -> UpResult:
        if stack == self.kill_at:
            raise Killed(stack)
        self.ups.append(stack)
        return UpResult(ok=stack not in self.fail, detail="simulated failure" if stack in self.fail else "")


def same(stack: str) -> Provenance:
    return Provenance(SPEC, COMMIT)


def run(
    journal: Journal,
    *,
    dry_run: bool = False,
    kill_at: str | None = None,
    fail: set[str] | None = None,
    provenance: Callable[[str], Provenance] = same,
    **options: Any,
) -> tuple[RolloutResult | None, list[str]]:
    """One `fleet rollout` through the engine; (result or None when killed, the stacks it deployed)."""
    executor = Fleet(kill_at=kill_at, fail=fail or set())
    try:
        result = rollout(
            PLAN,
            lambda stack: run_stack(stack, executor, None, dry_run=dry_run),
            journal,
            dry_run=dry_run,
            provenance=provenance,
            **options,
        )
    except Killed:
        return None, executor.ups
    return result, executor.ups


def _ids(journal: Journal) -> list[str]:
    return list(dict.fromkeys(r.rollout_id for r in journal.read().records))


Step = Callable[[Journal], object]
CASES: dict[str, tuple[list[Step], Callable[[str], Provenance], dict[str, Any], list[str], dict[str, str]]] = {
    # case: (earlier rollouts, today's provenance, resume options, deployed by the resume, redeployed → reason)
    "a dry run is never a deployment: resume deploys every stack": (
        [lambda j: run(j, dry_run=True)],
        same,
        {"resume": True},
        STACKS,
        {},
    ),
    "a killed rollout resumes: only what it deployed is skipped": (
        [lambda j: run(j, kill_at="c")],
        same,
        {"resume": True},
        ["c", "d"],
        {},
    ),
    "a dry run after a killed rollout neither hides it nor counts": (
        [lambda j: run(j, kill_at="c"), lambda j: run(j, dry_run=True)],
        same,
        {"resume": True},
        ["c", "d"],
        {},
    ),
    "a halted rollout resumes from its failed stack": (
        [lambda j: run(j, fail={"c"})],
        same,
        {"resume": True},
        ["c", "d"],
        {},
    ),
    "resume of the second rollout ignores what the first deployed": (
        [lambda j: run(j), lambda j: run(j, kill_at="a")],
        same,
        {"resume": True},
        STACKS,
        {},
    ),
    "two unfinished rollouts: the most recent is resumed": (
        [lambda j: run(j, kill_at="c"), lambda j: run(j, kill_at="b")],
        same,
        {"resume": True},
        ["b", "c", "d"],
        {},
    ),
    "--resume-id resumes the rollout it names, not the latest": (
        [lambda j: run(j, kill_at="c"), lambda j: run(j, kill_at="b")],
        same,
        {"resume_id": "FIRST"},
        ["c", "d"],
        {},
    ),
    "a finished rollout leaves nothing to resume: a new rollout deploys everything": (
        [lambda j: run(j)],
        same,
        {"resume": True},
        STACKS,
        {},
    ),
    "a changed spec is deployed again": (
        [lambda j: run(j, kill_at="c")],
        lambda s: Provenance(OTHER_SPEC if s == "b" else SPEC, COMMIT),
        {"resume": True},
        ["b", "c", "d"],
        {"b": "its spec changed since it was deployed"},
    ),
    "a changed commit is deployed again": (
        [lambda j: run(j, kill_at="c")],
        lambda s: Provenance(SPEC, OTHER_COMMIT),
        {"resume": True},
        STACKS,
        {
            "a": f"the source commit changed since it was deployed ({COMMIT[:12]} → {OTHER_COMMIT[:12]})",
            "b": f"the source commit changed since it was deployed ({COMMIT[:12]} → {OTHER_COMMIT[:12]})",
        },
    ),
    "an unknown commit today matches no deployment": (
        [lambda j: run(j, kill_at="c")],
        lambda s: Provenance(SPEC, None),
        {"resume": True},
        STACKS,
        {
            "a": "today's source commit is unknown (not a git checkout?), so the deployment cannot be matched",
            "b": "today's source commit is unknown (not a git checkout?), so the deployment cannot be matched",
        },
    ),
    "a deployment recorded without a commit matches nothing": (
        [lambda j: run(j, kill_at="c", provenance=lambda s: Provenance(SPEC, None))],
        same,
        {"resume": True},
        STACKS,
        {
            "a": "the journal does not record which commit it was deployed from",
            "b": "the journal does not record which commit it was deployed from",
        },
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_resume_skips_only_what_that_rollout_deployed_from_todays_spec_and_commit(tmp_path: Path, case: str) -> None:
    history, today, options, deploys, redeployed = CASES[case]
    journal = Journal(tmp_path / "j.jsonl")
    for step in history:
        step(journal)
    before = _ids(journal)
    if options.get("resume_id") == "FIRST":
        options = {"resume_id": before[0]}
    result, ups = run(journal, provenance=today, **options)
    assert result is not None and result.ok, case
    assert sorted(ups) == deploys, case
    assert sorted(result.skipped) == sorted(set(STACKS) - set(deploys)), case
    assert result.redeployed == redeployed, case
    if result.skipped:  # a resume continues its rollout under the same id
        assert result.rollout_id in before
        assert result.notes == [f"resuming rollout {result.rollout_id} from {journal.path}"]


def test_a_dry_run_records_no_success_and_cannot_be_resumed(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "j.jsonl")
    result, ups = run(journal, dry_run=True)
    assert result is not None and result.ok and ups == []
    records = journal.read().records
    assert records and all(r.dry_run for r in records)
    assert {r.event for r in records} == {"begin", "started", "previewed", "end"}, "never `succeeded`"
    with pytest.raises(BadInput, match="was a dry run"):
        run(journal, resume_id=result.rollout_id)
    with pytest.raises(BadInput, match="a dry run deploys nothing"):
        run(journal, dry_run=True, resume=True)
    with pytest.raises(BadInput, match="not a rollout in"):
        run(journal, resume_id="0123456789ab")


# ---- the file: torn lines, garbage, binary junk --------------------------------------------------------------

_ids_st = st.text("0123456789abcdef", min_size=12, max_size=12)
_text = st.text(max_size=40)
records_st = st.builds(
    JournalRecord,
    rollout_id=_ids_st,
    event=st.sampled_from(["begin", "started", "succeeded", "previewed", "failed", "halted", "end"]),
    dry_run=st.booleans(),
    at=st.datetimes(timezones=st.just(UTC)),  # the writer stamps a missing one
    stack=_text,
    ring=_text,
    spec_digest=st.none() | st.text("0123456789abcdef", min_size=64, max_size=64),
    commit=st.none() | st.text("0123456789abcdef", min_size=40, max_size=40),
    phase=_text,
    detail=st.text(max_size=300),
    ok=st.none() | st.booleans(),
)
_json_scalar = st.none() | st.booleans() | st.integers() | st.floats() | _text
_json = st.recursive(
    _json_scalar, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_text, inner, max_size=3), max_leaves=10
)
junk_st = st.one_of(
    st.binary(max_size=200),  # anything, newlines and NULs included
    _text.map(lambda t: t.encode("utf-8")),
    _json.map(lambda v: json.dumps(v).encode()),  # JSON that is not a record
    records_st.map(lambda r: {**r.model_dump(mode="json"), "dry_run": "false"}).map(
        lambda d: json.dumps(d).encode()
    ),  # ill-typed
    st.tuples(records_st, st.integers(1, 10_000)).map(  # a record torn by a crash at any byte
        lambda rk: rk[0].model_dump_json().encode()[: rk[1]]
    ),
)
FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(items=st.lists(st.one_of(records_st, junk_st), max_size=12), tail=st.none() | junk_st)
def test_junk_between_records_never_loses_a_record_written_after_it(
    tmp_path_factory: pytest.TempPathFactory, items: list[JournalRecord | bytes], tail: bytes | None
) -> None:
    path = tmp_path_factory.mktemp("journal") / "j.jsonl"
    journal = Journal(path)
    written = []
    for item in items:
        if isinstance(item, JournalRecord):
            journal.record(item)
            written.append(item)
        else:
            with path.open("ab") as handle:
                handle.write(item)
    if tail is not None:
        with path.open("ab") as handle:
            handle.write(tail)
    read = journal.read()  # never raises
    found = iter(read.records)
    assert all(any(r == w for r in found) for w in written), "every record written is read back, in order"
    assert read.skipped >= 0 and (read.note(path) is None) == (read.skipped == 0)


@FUZZ
@given(pairs=st.lists(st.tuples(records_st, st.integers(1, 10_000)), min_size=1, max_size=8))
def test_each_torn_line_costs_exactly_itself(
    tmp_path_factory: pytest.TempPathFactory, pairs: list[tuple[JournalRecord, int]]
) -> None:
    """A crash tears a record at any byte; the next record still starts on a line of its own."""
    path = tmp_path_factory.mktemp("journal") / "j.jsonl"
    journal = Journal(path)
    for record, cut in pairs:
        line = record.model_dump_json().encode()
        with path.open("ab") as handle:
            handle.write(line[: min(cut, len(line) - 1)])  # torn before its closing brace: never a record
        journal.record(record)
    read = journal.read()
    assert read.records == [record for record, _ in pairs]
    assert read.skipped == len(pairs)


def test_a_torn_final_line_followed_by_a_new_append_yields_a_readable_record(tmp_path: Path) -> None:
    path = tmp_path / "j.jsonl"
    journal = Journal(path)
    first = JournalRecord(rollout_id="0" * 12, event="begin", dry_run=False)
    journal.record(first)
    with path.open("ab") as handle:
        handle.write(b'{"rollout_id": "000000000000", "event": "succ')  # the crash tore this one
    after = JournalRecord(rollout_id="0" * 12, event="succeeded", dry_run=False, stack="a", spec_digest=SPEC)
    journal.record(after)
    read = journal.read()
    assert [r.event for r in read.records] == ["begin", "succeeded"] and read.records[1].stack == "a"
    assert read.skipped == 1
    assert path.read_bytes().count(b"\n") == 3, "the torn line was closed, not extended"


_valid = JournalRecord(rollout_id="1" * 12, event="end", dry_run=False, ok=True).model_dump()
ILL_TYPED = {
    "dry_run as a string": {**_valid, "dry_run": "false"},
    "no dry_run": {k: v for k, v in _valid.items() if k != "dry_run"},
    "no rollout id (the old format)": {"run_id": "old", "stack": "a", "ring": "r", "event": "succeeded"},
    "an unknown field": {**_valid, "extra": 1},
    "an unknown event": {**_valid, "event": "deployed"},
    "a rollout id that is a path": {**_valid, "rollout_id": "../../etc/pw"},
    "a commit that is an option": {**_valid, "commit": "--output=/tmp/x"},
    "an abbreviated commit": {**_valid, "commit": "abc1234"},
    "a spec digest of the wrong length": {**_valid, "spec_digest": "5" * 63},
    "ok as a number": {**_valid, "ok": 1},
    "a time that is free text (shown on resume)": {**_valid, "at": "\u001b[2J\u001b[31mdeployed"},
    "a time without a zone": {**_valid, "at": "2026-01-01T00:00:00"},
    "a list": [_valid],
    "null": None,
}
RAW_JUNK = {
    "not UTF-8": b'{"rollout_id": "\xff\xfe"}',
    "NUL bytes": b"\x00" * 64,
    "deeply nested JSON": b"[" * 100_000 + b"]" * 100_000,
    "a number too large for a float": b"1e99999999",
    "a line longer than the limit": b"x" * (MAX_LINE_BYTES * 3),
    "a UTF-16 record": json.dumps(_valid).encode("utf-16"),
}


@pytest.mark.parametrize("case", sorted([*ILL_TYPED, *RAW_JUNK]))
def test_an_ill_typed_or_undecodable_line_is_skipped_and_counted(tmp_path: Path, case: str) -> None:
    path = tmp_path / "j.jsonl"
    raw = RAW_JUNK[case] if case in RAW_JUNK else json.dumps(ILL_TYPED[case]).encode()
    path.write_bytes(raw + b"\n")
    journal = Journal(path)
    after = JournalRecord(rollout_id="2" * 12, event="begin", dry_run=False, at=datetime(2026, 1, 1, tzinfo=UTC))
    journal.record(after)
    read = journal.read()
    assert read.records == [after] and read.skipped == 1, case
    assert read.note(path) == (
        f"{path}: skipped 1 line(s) that are not journal records "
        "(torn by a crash, edited, or from another version); they count as never written"
    )


# ---- the command ------------------------------------------------------------------------------------------------

RUN = CliRunner()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A git repository holding a copy of the shipped stacks, one commit."""
    shutil.copytree(STACKS_DIR, tmp_path / "repo" / "stacks")
    subprocess.run(["git", "init", "-q"], cwd=tmp_path / "repo", check=True)
    commit(tmp_path / "repo", "base")
    return tmp_path / "repo"


@pytest.fixture
def deployed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Replace the Pulumi/offline executors with scripted ones; returns the stacks a real run deployed."""
    ups: list[str] = []

    def runner(stacks_dir: Path, dry_run: bool, *args: Any) -> Callable[[str], Any]:
        executor = Fleet(ups=ups)
        return lambda stack: run_stack(stack, executor, None, dry_run=dry_run)

    monkeypatch.setattr(rollout_cli, "_runner", runner)
    return ups


def _fleet(repo: Path, *options: str) -> Any:
    return RUN.invoke(cli.app, ["rollout", *options, "--stacks-dir", str(repo / "stacks")])


def test_the_command_deploys_every_stack_after_a_dry_run(repo: Path, deployed: list[str]) -> None:
    journal = str(repo / ".fleet" / "rollout.jsonl")
    dry = _fleet(repo, "--dry-run", "--journal", journal)
    assert dry.exit_code == 0 and deployed == [], dry.output
    assert "dry run: nothing deployed" in dry.stdout
    real = _fleet(repo, "--resume", "--journal", journal)
    assert real.exit_code == 0, real.output
    assert sorted(deployed) == sorted(["dev", "staging", "prod-japaneast", "prod-japanwest"])
    assert "no unfinished rollout to resume" in real.stdout


def test_the_command_redeploys_a_stack_whose_file_or_commit_changed(repo: Path, deployed: list[str]) -> None:
    journal = repo / "j.jsonl"
    first = _fleet(repo, "--journal", str(journal))
    assert first.exit_code == 0, first.output
    rollout_id = _ids(Journal(journal))[0]
    dev = repo / "stacks" / "Pulumi.dev.yaml"
    dev.write_text(dev.read_text().replace("maxCount: 3", "maxCount: 4", 1))
    deployed.clear()
    again = _fleet(repo, "--resume-id", rollout_id, "--journal", str(journal))
    assert again.exit_code == 0, again.output
    assert deployed == ["dev"] and "dev: deployed again: its spec changed since it was deployed" in again.stdout
    commit(repo, "grow dev")
    deployed.clear()
    third = _fleet(repo, "--resume-id", rollout_id, "--journal", str(journal))
    assert third.exit_code == 0 and sorted(deployed) == sorted(["dev", "staging", "prod-japaneast", "prod-japanwest"])
    assert third.stdout.count(": deployed again: the source commit changed since it was deployed") == 4


def test_the_command_reports_skipped_journal_lines_in_one_line(repo: Path, deployed: list[str]) -> None:
    journal = repo / "j.jsonl"
    journal.write_bytes(b'garbage\n\x00\xff\n{"torn')
    result = _fleet(repo, "--resume", "--journal", str(journal))
    assert result.exit_code == 0, result.output
    notes = [line for line in result.stdout.splitlines() if "not journal records" in line]
    assert len(notes) == 1 and notes[0].startswith(f"{journal}: skipped 3 line(s)"), result.stdout


BAD_OPTIONS: dict[str, tuple[Callable[[Path], list[str]], str]] = {
    # case: (the options, given the repository; text the one line on stderr carries)
    "a journal whose folder is a file": (
        lambda r: ["--journal", str(r / "stacks" / "fleet.yaml" / "j.jsonl")],
        "fleet.yaml: cannot be written or read: File exists",
    ),
    "a journal that is a folder": (
        lambda r: ["--journal", str(r / "stacks")],
        "stacks: cannot be written or read: not a regular file",
    ),
    "a resume id that is not one": (
        lambda r: ["--resume-id", "../../etc", "--journal", str(r / "j.jsonl")],
        "--resume-id: '../../etc' is not accepted; accepted: a rollout id",
    ),
    "a resume id the journal does not hold": (
        lambda r: ["--resume-id", "0123456789ab", "--journal", str(r / "j.jsonl")],
        "--resume-id: '0123456789ab' is not a rollout in",
    ),
    "a dry run asked to resume": (
        lambda r: ["--dry-run", "--resume", "--journal", str(r / "j.jsonl")],
        "--resume: a dry run deploys nothing",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_OPTIONS))
def test_bad_journal_options_are_one_line_and_nothing_runs(repo: Path, deployed: list[str], case: str) -> None:
    options, expected = BAD_OPTIONS[case]
    result = _fleet(repo, *options(repo))
    assert result.exit_code == 2 and isinstance(result.exception, SystemExit), (case, result.output)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and expected in lines[0], (case, lines)
    assert deployed == [], case


def test_an_outcome_never_carries_a_credential_to_the_console_or_the_journal() -> None:
    from fleet.rollout.pipeline import StackOutcome

    outcome = StackOutcome(
        "dev", False, "up", "error: fetch https://bot:c4n4ry@github.com/contoso/x failed", advisories=["sig=c4n4ry"]
    )
    assert "c4n4ry" not in outcome.detail and "github.com/contoso/x" in outcome.detail
    assert all("c4n4ry" not in a for a in outcome.advisories)
