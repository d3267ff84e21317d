"""Every external program the toolkit starts is started here: argv only, bounded in time, dying with its parent.

- argv lists only, never a shell: a value is one argument, whatever it contains (what an argument *means* to git
  is fleet/git.py's job).
- run-to-completion calls have a mandatory timeout; on expiry the child (with its process group: kubectl's git,
  git's remote helpers) is stopped and one line says which tool, doing what, and the limit (ProcessTimeout, exit 2).
- a program that is not installed is one line too (ProgramMissing, exit 2), never a traceback.
- on Linux every child asks the kernel to kill it when its parent dies, even by SIGKILL (PR_SET_PDEATHSIG), so a
  killed `fleet plan` leaves no policy pack behind. Children started here by a child started here (the plan at a
  base ref starts its own pack) do the same, so the whole tree goes. Grandchildren that other programs start
  themselves (kubectl's git, the Pulumi CLI under the automation worker) are outside this guarantee; the timeout
  kill of the process group covers the first.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from . import timeouts
from .errors import BadInput


class ProgramMissing(BadInput):
    """The program is not installed (or not on PATH): an environment problem, exit 2."""


class ProcessTimeout(BadInput):
    """The program did not finish within its limit and was stopped: exit 2."""


Argv = Sequence[str | Path]

# The parent-death signal is set by a launcher, a fresh single-threaded interpreter that sets it on itself and then
# exec()s the program: prctl(2) PR_SET_PDEATHSIG ("#define PR_SET_PDEATHSIG 1", linux/prctl.h) sets "the signal that
# the calling process will get when its parent dies", and the setting "is preserved across execve(2)" except for
# set-user-ID binaries (PR_SET_PDEATHSIG(2const), Linux man-pages,
# https://man7.org/linux/man-pages/man2/PR_SET_PDEATHSIG.2const.html). Setting it from subprocess's preexec_fn
# instead would run Python in a forked copy of this multi-threaded process ("The preexec_fn parameter is not safe to
# use in the presence of threads in your application. The child process could deadlock before exec is called",
# pylint W1509 quoting https://docs.python.org/3/library/subprocess.html#popen-constructor) and turn off subprocess's
# vfork() path, so gRPC's fork handlers would run on every start (seen here: "Other threads are currently calling
# into gRPC, skipping fork() handlers" on stderr).
_LAUNCHER = """
import ctypes, os, signal, sys
parent, death_signal, program = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
prctl = ctypes.CDLL(None).prctl
prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]
if prctl(1, death_signal, 0, 0, 0) != 0:
    sys.stderr.write("cannot set the parent-death signal\\n")
    os._exit(126)
if os.getppid() != parent:
    os.kill(os.getpid(), signal.SIGKILL)
for ignored in (signal.SIGPIPE, signal.SIGXFSZ):
    signal.signal(ignored, signal.SIG_DFL)
try:
    os.execv(program, sys.argv[3:])
except OSError as err:
    sys.stderr.write(f"{program}: {err.strerror}\\n")
    os._exit(127)
"""
# Why each line: the launcher's parent must still be the process that started it ("If the parent thread ...
# already terminated by the time of the PR_SET_PDEATHSIG operation, then no parent-death signal is sent", same
# page), so a parent that died in between is caught by the getppid() check. The interpreter sets SIGPIPE and SIGXFSZ
# to SIG_IGN at start-up (CPython's _Py_RestoreSignals, Modules/signalmodule.c, undoes exactly those for
# subprocess's children) and exec resets only signals with handlers ("any signals that you've defined your own
# handlers for revert to their SIG_DFL handling", glibc manual, Initial Signal Actions), so the launcher restores
# them before exec as subprocess would. `-I -S`: no environment variable, user site or site package steers the
# launcher itself; the program still gets the environment unchanged.
_PARENT_DEATH_SIGNAL = sys.platform.startswith("linux")


def _launched(args: list[str], death_signal: int) -> list[str]:
    if not _PARENT_DEATH_SIGNAL:
        return args  # no parent-death signal elsewhere; children are still stopped on timeout and on errors
    return [sys.executable, "-I", "-S", "-c", _LAUNCHER, str(os.getpid()), str(int(death_signal)), *args]


def _program(argv: Argv, tool: str, doing: str, env: Mapping[str, str] | None) -> list[str]:
    args = [os.fspath(a) for a in argv]
    search_path = (env if env is not None else os.environ).get("PATH")
    found = shutil.which(args[0], path=search_path)
    if found is None:
        raise ProgramMissing(f"{tool} is not installed (or not on PATH); it is needed for {doing}")
    return [found, *args[1:]]


def _spawn(
    argv: Argv,
    *,
    tool: str,
    doing: str,
    cwd: Path | None,
    env: Mapping[str, str] | None,
    own_group: bool,
    death_signal: int,
    text: bool,
) -> subprocess.Popen[Any]:
    args = _program(argv, tool, doing, env)
    # The kernel's "parent" is the thread that forked (PR_SET_PDEATHSIG(2const), CAVEATS: "the signal will be sent
    # when that thread terminates ... rather than after all of the threads in the parent process terminate").
    # run() forks on the calling thread and blocks that thread until the child is gone, so the thread outlives
    # the child; start() (a child that outlives the call) is refused off the main thread, which lives as long as
    # the process.
    try:
        return _popen(args, cwd=cwd, env=env, own_group=own_group, death_signal=death_signal, text=text)
    except OSError as err:  # not executable, or the working folder is gone
        raise BadInput(f"{tool} cannot be started for {doing}: {err.strerror or err}") from None


def _popen(
    args: list[str],
    *,
    cwd: Path | None,
    env: Mapping[str, str] | None,
    own_group: bool,
    death_signal: int,
    text: bool,
) -> subprocess.Popen[Any]:
    return subprocess.Popen(
        _launched(args, death_signal),
        cwd=cwd,
        env=dict(env) if env is not None else None,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=text,
        encoding="utf-8" if text else None,
        errors="replace" if text else None,
        # Its own process group, so a timeout stops what the tool started too (kubectl's git clone of a remote
        # base). A child that handles Ctrl-C itself stays in ours, so the terminal's SIGINT still reaches it.
        process_group=0 if own_group else None,
    )


def _signal(process: subprocess.Popen[Any], sig: int, own_group: bool) -> None:
    try:
        if own_group:
            os.killpg(process.pid, sig)
        else:
            os.kill(process.pid, sig)
    except (ProcessLookupError, PermissionError):
        pass  # already gone


def _exits_within(pid: int, seconds: float) -> bool:
    """Wait for the child to exit without reaping it: while it is an unreaped zombie its pid (and so its process
    group id) cannot be reused, so a following killpg cannot hit an unrelated process."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            if os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None:
                return True
        except ChildProcessError:
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.05)


def _stop(process: subprocess.Popen[Any], own_group: bool, grace: float) -> None:
    """SIGTERM, `grace` seconds to exit, then SIGKILL (to the group: stragglers too); reaps and closes pipes."""
    if process.returncode is None:
        _signal(process, signal.SIGTERM, own_group)
        exited = _exits_within(process.pid, grace)
        if own_group or not exited:
            _signal(process, signal.SIGKILL, own_group)
        process.wait()
    for pipe in (process.stdout, process.stderr):
        if pipe is not None:
            pipe.close()


def _run(
    argv: Argv,
    *,
    timeout: float,
    doing: str,
    tool: str | None,
    cwd: Path | None,
    env: Mapping[str, str] | None,
    own_group: bool,
    death_signal: int,
    grace: float,
    text: bool,
) -> subprocess.CompletedProcess[Any]:
    name = tool or Path(os.fspath(argv[0])).name
    process = _spawn(
        argv,
        tool=name,
        doing=doing,
        cwd=cwd,
        env=env,
        own_group=own_group,
        death_signal=death_signal,
        text=text,
    )
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _stop(process, own_group, grace)
        raise ProcessTimeout(f"{name}: {doing} did not finish within {timeout:g} s and was stopped") from None
    except BaseException:  # Ctrl-C, or any error while waiting: the child never outlives the call
        _stop(process, own_group, grace)
        raise
    return subprocess.CompletedProcess([os.fspath(a) for a in argv], process.returncode, stdout, stderr)


def run(
    argv: Argv,
    *,
    timeout: float,
    doing: str,
    tool: str | None = None,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    own_group: bool = True,
    death_signal: int = signal.SIGKILL,
    grace: float | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run to completion and capture stdout and stderr as text (undecodable bytes replaced).

    `doing` completes "<tool>: <doing> did not finish within N s" and "needed for <doing>". `own_group=False` is
    for our own Python children that handle Ctrl-C themselves (their children are started here, so they die with
    them). `death_signal` is what the child gets when this process dies (SIGKILL unless the child has a handler
    that must run, like the automation worker's cancel). Raises ProgramMissing, ProcessTimeout.
    """
    return _run(
        argv,
        timeout=timeout,
        doing=doing,
        tool=tool,
        cwd=cwd,
        env=env,
        own_group=own_group,
        death_signal=death_signal,
        grace=timeouts.STOP_GRACE_S if grace is None else grace,
        text=True,
    )


def run_binary(
    argv: Argv,
    *,
    timeout: float,
    doing: str,
    tool: str | None = None,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
) -> subprocess.CompletedProcess[bytes]:
    """run(), with stdout and stderr as bytes (a tar stream)."""
    return _run(
        argv,
        timeout=timeout,
        doing=doing,
        tool=tool,
        cwd=cwd,
        env=env,
        own_group=True,
        death_signal=signal.SIGKILL,
        grace=timeouts.STOP_GRACE_S,
        text=False,
    )


def start(argv: Argv, *, doing: str, tool: str | None = None, cwd: Path | None = None) -> subprocess.Popen[bytes]:
    """Start a child that outlives this call (a server); stop it with stop(). Main thread only (see _spawn)."""
    if threading.current_thread() is not threading.main_thread():
        raise RuntimeError("process.start() must be called from the main thread (PR_SET_PDEATHSIG follows the thread)")
    name = tool or Path(os.fspath(argv[0])).name
    return _spawn(
        argv, tool=name, doing=doing, cwd=cwd, env=None, own_group=True, death_signal=signal.SIGKILL, text=False
    )


def stop(process: subprocess.Popen[bytes], *, grace: float | None = None) -> None:
    """Stop a child from start() and everything in its process group."""
    _stop(process, True, timeouts.STOP_GRACE_S if grace is None else grace)
