"""Which files source-controller leaves out of a Git source's artifact, as it decides it.

source-controller v1.7.4 (the one microsoft.flux 1.24.1 ships) archives a clone with the patterns of every
`.sourceignore` in it plus `spec.ignore` (fluxcd/source-controller internal/controller/gitrepository_controller.go
@ v1.7.4), through fluxcd/pkg artifact/storage/archive.go `SourceIgnoreFilter` @ artifact/v0.5.0: the VCS patterns
always, and the default patterns (images, archives, CI folders, `.sops.yaml`...) only when the repository has no
pattern of its own. fluxConfigurations' `gitRepository` has no `ignore` at API 2023-05-01 (azure-rest-api-specs
.../stable/2023-05-01/fluxconfiguration.json `GitRepositoryDefinition`), so only `.sourceignore` files count.
The patterns and the loader are fluxcd/pkg sourceignore/sourceignore.go @ sourceignore/v0.15.0; matching is go-git
plumbing/format/gitignore pattern.go and matcher.go @ v5.16.3 (the go-git source-controller v1.7.4 builds with).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from components.spec.confine import Outside, confine

IGNORE_FILE = ".sourceignore"
EXCLUDE_VCS = ".git/,.gitignore,.gitmodules,.gitattributes"
EXCLUDE_EXT = "*.jpg,*.jpeg,*.gif,*.png,*.wmv,*.flv,*.tar.gz,*.zip"
EXCLUDE_CI = (
    ".github/,.circleci/,.travis.yml,.gitlab-ci.yml,appveyor.yml,.drone.yml,cloudbuild.yaml,codeship-services.yml,"
    "codeship-steps.yml"
)
EXCLUDE_EXTRA = "**/.goreleaser.yml,**/.sops.yaml,**/.flux.yaml"

NO_MATCH, EXCLUDE, INCLUDE = "NoMatch", "Exclude", "Include"


@dataclass(frozen=True)
class Pattern:
    """go-git's `pattern`: one gitignore line, scoped to `domain` (the folder of the file it came from)."""

    domain: tuple[str, ...]
    parts: tuple[str, ...]
    inclusion: bool
    dir_only: bool
    is_glob: bool

    def match(self, path: list[str], is_dir: bool) -> str:
        if len(path) <= len(self.domain) or any(path[i] != e for i, e in enumerate(self.domain)):
            return NO_MATCH
        rest = path[len(self.domain) :]
        matched = self._glob(rest, is_dir) if self.is_glob else self._simple(rest, is_dir)
        if not matched:
            return NO_MATCH
        return INCLUDE if self.inclusion else EXCLUDE

    def _simple(self, path: list[str], is_dir: bool) -> bool:
        for i, name in enumerate(path):
            found = go_match(self.parts[0], name)
            if found is None:
                return False
            if not found:
                continue
            return not (self.dir_only and not is_dir and i == len(path) - 1)
        return False

    def _glob(self, path: list[str], is_dir: bool) -> bool:
        matched, traverse = False, False
        for i, part in enumerate(self.parts):
            if part == "":
                traverse = False
                continue
            if part == "**":
                if i == len(self.parts) - 1:
                    break
                traverse = True
                continue
            if "**" in part or not path:
                return False
            if traverse:
                traverse = False
                while path:
                    element, path = path[0], path[1:]
                    found = go_match(part, element)
                    if found is None:
                        return False
                    if found:
                        matched = True
                        break
                    if not path:
                        matched = False
            else:
                if not go_match(part, path[0]):
                    return False
                matched, path = True, path[1:]
        if matched and self.dir_only and not is_dir and not path:
            return False
        return matched


def parse_pattern(text: str, domain: list[str] | tuple[str, ...] | None) -> Pattern:
    """go-git `ParsePattern`."""
    inclusion = text.startswith("!")
    if inclusion:
        text = text[1:]
    if not text.endswith("\\ "):
        text = text.rstrip(" ")
    dir_only = text.endswith("/")
    if dir_only:
        text = text[:-1]
    return Pattern(tuple(domain or ()), tuple(text.split("/")), inclusion, dir_only, "/" in text)


def read_patterns(text: str, domain: list[str]) -> list[Pattern]:
    """sourceignore `ReadPatterns`: every line that is not blank and does not start with `#`."""
    # bufio.ScanLines: lines end at "\n" only, one trailing "\r" dropped (str.splitlines would also split at
    # \v, \f, \x1c-\x1e, \x85, \u2028, \u2029).
    lines = [line.removesuffix("\r") for line in text.split("\n")]
    return [parse_pattern(s, domain) for s in lines if not s.startswith("#") and s.strip()]


def vcs_patterns(domain: list[str]) -> list[Pattern]:
    return [parse_pattern(p, domain) for p in EXCLUDE_VCS.split(",")]


def default_patterns(domain: list[str]) -> list[Pattern]:
    return [parse_pattern(p, domain) for p in ",".join([EXCLUDE_EXT, EXCLUDE_CI, EXCLUDE_EXTRA]).split(",")]


def matches(patterns: list[Pattern], path: list[str], is_dir: bool) -> bool:
    """go-git `matcher.Match`: the last pattern that says anything decides."""
    for pattern in reversed(patterns):
        result = pattern.match(path, is_dir)
        if result != NO_MATCH:
            return result == EXCLUDE
    return False


def archive_filter(own: list[Pattern]) -> list[Pattern]:
    """artifact/storage `SourceIgnoreFilter`: the default matcher when the repository has no pattern of its own,
    else the VCS patterns followed by its own (the defaults are then dropped)."""
    if not own:
        return [*vcs_patterns([]), *default_patterns([]), *own]
    return [*vcs_patterns([]), *own]


def load_patterns(root: Path, read: Callable[[Path], str]) -> list[Pattern]:
    """sourceignore `LoadIgnorePatterns`: the root's `.sourceignore` first, then each sub-folder's (in name order,
    depth first, skipping `.git`), each scoped to its folder. `read` reads one regular file of the source."""
    patterns: list[Pattern] = []
    pending: list[tuple[Path, list[str]]] = [(root, [])]
    while pending:
        folder, domain = pending.pop()
        ignore = folder / IGNORE_FILE
        if ignore.is_symlink():
            # sourceignore ReadIgnoreFile opens it with os.Open, which follows the link: its target is read when it
            # stays inside the source (one outside is not read here, whatever Flux would find there).
            try:
                target: Path | None = confine(root, ignore)
            except Outside:
                target = None
            if target is not None and target.is_file():
                patterns += read_patterns(read(target), domain)
        elif ignore.is_file():
            patterns += read_patterns(read(ignore), domain)
        subfolders = sorted(
            (p for p in folder.iterdir() if p.is_dir() and not p.is_symlink() and p.name != ".git"),
            key=lambda p: p.name,
        )
        pending += [(p, [*domain, p.name]) for p in reversed(subfolders)]
    return patterns


# Go's path/filepath.Match on one path element (no separator inside), returning None for a malformed pattern
# (Go's ErrBadPattern, which go-git treats as no match).
def go_match(pattern: str, name: str) -> bool | None:
    try:
        regex = _GO_PATTERNS.get(pattern)
        if regex is None:
            regex = _GO_PATTERNS[pattern] = re.compile(_translate(pattern), re.DOTALL)
    except _BadPattern:
        return None
    return regex.fullmatch(name) is not None


class _BadPattern(Exception):
    pass


_GO_PATTERNS: dict[str, re.Pattern[str]] = {}


def _translate(pattern: str) -> str:
    """`*` any run of non-separators, `?` one, `[...]`/`[^...]` a class with ranges, `\\` escapes (Go's syntax)."""
    out, i, n = [], 0, len(pattern)
    while i < n:
        c = pattern[i]
        if c == "*":
            out.append("[^/]*")
        elif c == "?":
            out.append("[^/]")
        elif c == "\\":
            i += 1
            if i >= n:
                raise _BadPattern
            out.append(re.escape(pattern[i]))
        elif c == "[":
            i += 1
            negate = i < n and pattern[i] == "^"
            if negate:
                i += 1
            items, first = [], True
            while True:
                if i >= n:
                    raise _BadPattern
                if pattern[i] == "]" and not first:
                    break
                first = False
                lo, i = _class_char(pattern, i)
                if i < n and pattern[i] == "-":
                    hi, i = _class_char(pattern, i + 1)
                    if lo > hi:
                        raise _BadPattern
                    items.append(f"{re.escape(lo)}-{re.escape(hi)}")
                else:
                    items.append(re.escape(lo))
            out.append(f"[{'^' if negate else ''}{''.join(items)}]")
        else:
            out.append(re.escape(c))
        i += 1
    return "".join(out)


def _class_char(pattern: str, i: int) -> tuple[str, int]:
    if i >= len(pattern) or pattern[i] in "-]":
        raise _BadPattern
    if pattern[i] == "\\":
        i += 1
        if i >= len(pattern):
            raise _BadPattern
    return pattern[i], i + 1
