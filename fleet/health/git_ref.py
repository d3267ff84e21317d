"""Which commit a Git ref names right now, asked of the Git host with `git ls-remote` (no clone)."""

from __future__ import annotations

from components.spec.flux import RepositoryRef
from fleet import git
from fleet.errors import BadInput


def resolve_commit(url: str, ref: RepositoryRef) -> str | None:
    """The commit the cluster should sync, or None when only the cluster can tell (semver ranges) or the
    host cannot be asked (then the gate still requires Compliant, at whatever commit)."""
    if ref.commit:
        return ref.commit
    if ref.tag:
        patterns = [f"refs/tags/{ref.tag}", f"refs/tags/{ref.tag}^{{}}"]
    elif ref.branch:
        patterns = [f"refs/heads/{ref.branch}"]
    else:
        return None
    try:
        out = git.ls_remote(url, patterns)
    except BadInput:
        # No git, a host that does not answer within the limit, or a value git would refuse (the spec refuses
        # those first): the gate runs mid-rollout, after the update, so it goes on without the commit rather
        # than failing a deployed stack.
        return None
    refs: dict[str, str] = {}
    for line in out.stdout.splitlines():
        sha, _, name = line.partition("\t")
        if name:
            refs[name] = sha
    # An annotated tag's peeled entry (^{}) is the commit; the plain entry is the tag object.
    for pattern in reversed(patterns):
        if pattern in refs:
            return refs[pattern]
    return None
