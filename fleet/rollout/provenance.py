"""What a stack is deployed from: the digest of its validated spec and the commit of the repository.

`--resume` skips a stack only when both equal what the journal recorded for its deployment, so an edited
stack file or a new commit is deployed again even inside a resumed rollout.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from components.spec import load_stack


@dataclass(frozen=True)
class Provenance:
    spec_digest: str
    commit: str | None  # None outside a git checkout: then nothing can be matched, so nothing is skipped


def spec_digest(stacks_dir: Path, stack: str) -> str:
    """SHA-256 of the stack's resolved spec: the validated ClusterSpec (defaults filled in) and its protect
    flag, as canonical JSON. Raises SpecError for a stack file that does not load."""
    loaded = load_stack(stacks_dir, stack)
    canonical = {"cluster": loaded.spec.model_dump(mode="json"), "protect": loaded.protect}
    text = json.dumps(canonical, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def source_commit(stacks_dir: Path) -> str | None:
    """The commit the rollout runs from. One small function so the git call can move to a shared runner."""
    from fleet.gitrepo import head_commit

    return head_commit(stacks_dir)


def provenance_of(stacks_dir: Path) -> Callable[[str], Provenance]:
    commit = source_commit(stacks_dir)  # once per rollout: every stack of it is deployed from this checkout
    return lambda stack: Provenance(spec_digest(stacks_dir, stack), commit)
