"""Get the content a flux configuration will pull, at the ref it will pull, without touching any checkout.

A `--repo` (local repository or URL) or a `localSources` mapping in stacks/fleet.yaml says where the source
lives. The tree at the ref is extracted with `git archive`; when a mapped folder's repository does not have the
ref (the example repo here has no release tags), the working tree is checked instead and the report says so.
"""

from __future__ import annotations

import io
import tarfile
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from components.spec.flux import RepositoryRef
from fleet import git
from fleet.errors import BadInput

from .stage import keep_symlinks


@dataclass
class SourceTree:
    root: Path  # the repository content at the ref
    description: str
    ref_checked: bool
    notes: list[str] = field(default_factory=list)
    _tmp: tempfile.TemporaryDirectory[str] | None = None

    def close(self) -> None:
        if self._tmp is not None:
            self._tmp.cleanup()

    @property
    def extracted_into(self) -> Path | None:
        """The temporary folder the ref was extracted into; None for a working tree."""
        return Path(self._tmp.name) if self._tmp is not None else None


def ref_name(ref: RepositoryRef, override: str | None = None) -> str | None:
    if override:
        return override
    return ref.commit or ref.tag or ref.branch  # a semver range resolves only in the cluster


def _archive(repo: Path, ref: str, subdir: str | None) -> tempfile.TemporaryDirectory[str] | None:
    out = git.archive(repo, ref, [subdir] if subdir else [])
    if out.returncode != 0:
        return None
    tmp = tempfile.TemporaryDirectory(prefix="fleet-preflight-")
    with tarfile.open(fileobj=io.BytesIO(out.stdout)) as tar:
        tar.extractall(tmp.name, filter=keep_symlinks)
    return tmp


def open_source(
    url: str,
    ref: RepositoryRef,
    *,
    repo: str | None,
    override_ref: str | None,
    local_sources: dict[str, str],
    repo_root: Path,
) -> SourceTree | str:
    """The tree, or the reason it could not be had (the source is then skipped, not failed)."""
    wanted = ref_name(ref, override_ref)
    if repo:
        local = Path(repo)
        if local.exists() and git.toplevel(local) is None:
            raise BadInput(f"--repo: {repo} is not a Git repository; accepted: a repository folder or its URL")
        if not local.exists():
            clone = tempfile.TemporaryDirectory(prefix="fleet-clone-")
            try:
                cloned = git.clone(repo, Path(clone.name))
            except BaseException:
                clone.cleanup()
                raise
            if cloned.returncode != 0:
                clone.cleanup()
                return f"cannot clone {repo}: {(cloned.stderr.strip().splitlines() or ['git clone failed'])[-1]}"
            local = Path(clone.name)
        if not wanted:
            return f"the ref ({ref.semver}) is a semver range: pass --ref with the tag the cluster resolves"
        tmp = _archive(local, wanted, None)
        if tmp is None:
            if override_ref:
                raise BadInput(f"--ref: {wanted!r} does not exist in {repo}")
            return f"ref {wanted!r} does not exist in {repo}"
        return SourceTree(Path(tmp.name), f"{repo}@{wanted}", True, _tmp=tmp)
    folder = local_sources.get(url)
    if folder is None:
        return f"{url} is not reachable offline (pass --repo, or map it under localSources in fleet.yaml)"
    if wanted:
        tmp = _archive(repo_root, wanted, folder)
        if tmp is not None:
            return SourceTree(Path(tmp.name) / folder, f"{folder}/ at {wanted}", True, _tmp=tmp)
        if override_ref:
            # An option names what the user wants checked: a typo must not quietly check something else.
            raise BadInput(f"--ref: {wanted!r} does not exist in this repository ({repo_root})")
    note = (
        f"ref {wanted!r} does not exist in this repository; checked the working tree of {folder}/ instead"
        if wanted
        else f"semver range {ref.semver!r} resolves in the cluster; checked the working tree of {folder}/"
    )
    return SourceTree(repo_root / folder, f"{folder}/ (working tree)", False, [note])
