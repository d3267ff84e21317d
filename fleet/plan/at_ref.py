"""The plan of a stack as it was at another git ref (the base of a pull request, or a release tag).

The ref's files are extracted with `git archive` into a temporary folder (the user's checkout and index
are never touched) and that ref's own program runs there in a child process, so the base plan is what
the base code would have produced, not today's code reading yesterday's stack file.
"""

from __future__ import annotations

import io
import json
import os
import sys
import tarfile
import tempfile
from pathlib import Path

from components.spec.loader import stack_path
from components.spec.problems import Problem, SpecError
from fleet import git, process, timeouts

from .model import Plan


def plan_at_ref(repo_root: Path, ref: str, stack: str, *, stacks_subdir: str = "stacks") -> Plan | None:
    """None when the stack did not exist at `ref` (everything is then a create)."""
    git.checked_revision(ref, "--base")
    archive = git.archive(repo_root, ref)
    if archive.returncode != 0:
        reason = archive.stderr.decode().strip().splitlines()[-1:] or ["git archive failed"]
        raise SpecError([Problem(f"--base {ref}", "", f"cannot read the ref: {reason[0]}")])
    with tempfile.TemporaryDirectory(prefix="fleet-base-") as tmp:
        with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
            tar.extractall(tmp, filter="data")
        stacks = Path(tmp) / stacks_subdir
        if not stack_path(stacks, stack).is_file():
            return None
        env = {**os.environ, "PYTHONPATH": tmp}
        command = [sys.executable, "-c", "from fleet.cli import app; app()", "plan", "-s", stack, "--json", "-"]
        # Our own child: it stays in our process group (Ctrl-C reaches it) and starts its children through
        # fleet.process too, so they all die with this process.
        result = process.run(
            [*command, "--no-policy", "--stacks-dir", str(stacks)],
            cwd=Path(tmp),
            env=env,
            timeout=timeouts.PLAN_CHILD_S,
            doing=f"planning {stack} at --base {ref}",
            tool="fleet plan",
            own_group=False,
        )
    if result.returncode == 2:
        lines = result.stderr.strip().splitlines() or ["the stack was invalid"]
        raise SpecError([Problem(f"--base {ref}", "", line) for line in lines])
    try:
        return Plan.from_json(json.loads(result.stdout))
    except (json.JSONDecodeError, KeyError) as err:
        tail = result.stderr.strip().splitlines()[-1:] or [str(err)]
        raise SpecError([Problem(f"--base {ref}", "", f"the plan at this ref failed: {tail[0]}")]) from None
