"""Git ref names and Git URLs as the toolkit accepts them: the one grammar every ref is checked against.

A ref reaches git's command line (`git archive`, `git show`, `git ls-remote`), so a value git would refuse, or
read as an option, must never get there: stack-file refs are refused at load time (a spec problem naming the key
path), `--base`/`--ref` options before anything starts (fleet/git.py), and the git layer checks again.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

# git-check-ref-format(1), "Git imposes the following rules on how references are named" (git/git
# Documentation/git-check-ref-format.adoc; https://git-scm.com/docs/git-check-ref-format), with --allow-onelevel
# (a bare branch or tag name such as `main` or `v1.2.0` has no `/`). One entry per numbered rule:
_FORBIDDEN_ANYWHERE = (
    ("..", "two consecutive dots"),  # rule 3
    ("@{", "the sequence @{"),  # rule 8
    ("//", "consecutive slashes"),  # rule 6
)
# Rule 4: ASCII control characters (below \040, and \177 DEL), space, ~, ^ and :; rule 5: ?, * and [; rule 10: \.
_FORBIDDEN_CHARACTER = re.compile(r"[\x00-\x20\x7f~^:?*\[\\]")
_SPACE_OR_CONTROL = re.compile(r"[\x00-\x20\x7f]")

# The toolkit's own rule, stricter than git's (which lets a name start with a dash: "a dash may appear at the
# beginning of a ref component", same page): a leading dash is how an option starts on a command line.
_OPTION_LIKE = "-"

# gitrevisions(7), "<rev>^[<n>]" (the n-th parent) and "<rev>~[<n>]" (the n-th first-parent ancestor) (git/git
# Documentation/revisions.adoc): the only revision syntax accepted on top of a ref name, for options naming a commit
# of this checkout (`--base HEAD~1`). Ranges, reflog and `:path` forms are not.
_ANCESTRY = re.compile(r"(?:[~^][0-9]{0,6})+\Z")

ACCEPTED_REF = "a git branch or tag name (git check-ref-format rules, not starting with '-') or a commit SHA"
ACCEPTED_REVISION = f"{ACCEPTED_REF}, optionally followed by ~N or ^N (e.g. origin/main, v1.2.0, HEAD~1)"


def ref_problem(value: str) -> str | None:
    """None when git accepts `value` as a ref name (a full or abbreviated SHA is one) and it cannot be read as an
    option; otherwise what is wrong, as the end of a sentence."""
    if not value:
        return "is empty"
    if value.startswith(_OPTION_LIKE):
        return "starts with '-' (it would be read as an option)"
    bad = _FORBIDDEN_CHARACTER.search(value)
    if bad:
        return f"contains {bad.group()!r}, which git refuses in a ref name"
    for sequence, name in _FORBIDDEN_ANYWHERE:
        if sequence in value:
            return f"contains {name}, which git refuses in a ref name"
    if value == "@":  # rule 9
        return "is the single character '@', which git refuses as a ref name"
    if value.startswith("/") or value.endswith("/"):  # rule 6
        return "starts or ends with '/', which git refuses in a ref name"
    if value.endswith("."):  # rule 7
        return "ends with '.', which git refuses in a ref name"
    for component in value.split("/"):  # rule 1
        if component.startswith("."):
            return "has a part starting with '.', which git refuses in a ref name"
        if component.endswith(".lock"):
            return "has a part ending with '.lock', which git refuses in a ref name"
    return None


def revision_problem(value: str) -> str | None:
    """Like ref_problem, for an option naming a commit of this checkout: a ref name with optional ~N / ^N."""
    match = _ANCESTRY.search(value)
    return ref_problem(value[: match.start()] if match else value)


def git_url_problem(url: str) -> str | None:
    """None when `url` is an https:// or ssh:// URL whose host and user cannot be read as options by ssh.

    A host or user starting with '-' reaches ssh's command line, where it is read as an option such as
    -oProxyCommand: CVE-2017-1000117 in git, as git-annex's fix for the same hole (CVE-2017-12976) describes it
    ("Disallow hostname starting with a dash, which would get passed to ssh and be treated an option").
    """
    try:
        parts = urlsplit(url)
        host, user = parts.hostname, parts.username
    except ValueError as err:
        return f"is not a URL ({err})"
    if parts.scheme not in ("https", "ssh") or not host:
        return "is not an https:// or ssh:// URL with a host"
    if host.startswith("-") or (user or "").startswith("-"):
        return "its host or user starts with '-' (ssh would read it as an option)"
    if _SPACE_OR_CONTROL.search(url):
        return "contains a space or a control character"
    return None
