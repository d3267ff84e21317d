"""The source as kustomize-controller will see it: what source-controller's artifact holds, and nothing else.

source-controller v1.7.4 (microsoft.flux 1.24.1) archives a Git clone with fluxcd/pkg artifact/storage/archive.go
`Archive` @ artifact/v0.5.0: it walks the clone with filepath.Walk (which never follows a link), keeps only regular
files and folders ("Ignore anything that is not a file or directories e.g. symlinks"), and drops what
`SourceIgnoreFilter` matches (sourceignore.py). Preflight stages exactly that:
- a symlink, wherever it points, is left out and never followed (its text is read, never its target): the build
  then fails as in Flux when something needs it, and an advisory names the link;
- a file the ignore rules match is left out, so a kustomization naming it fails as in Flux; an ignored folder is not
  created, but is walked, since a later `!pattern` may keep a file inside it (Archive walks it too);
- devices, sockets and FIFOs are left out (reading a FIFO would block);
- a YAML file that breaks the limits every committed YAML is read with (components/spec/files.py: alias bombs,
  nesting, size) is left out and named, so `kubectl kustomize` never chokes on it: kustomize expands aliases and
  would spend minutes on a few hundred bytes; the build that needs the file then fails naming it.
The staged copy is bounded in files and bytes.
"""

from __future__ import annotations

import os
import shutil
import tarfile
import tempfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from components.spec.confine import LEAVES, Outside, confine
from components.spec.files import check_yaml_limits, read_text
from components.spec.problems import SpecError

from . import sourceignore

MAX_ENTRIES = 50_000
MAX_BYTES = 512 * 1024 * 1024


@dataclass(frozen=True)
class Link:
    path: str  # the link, relative to the source root
    target: str  # the link's own text, as committed (never the content of what it points to)


@dataclass
class Staged:
    root: Path
    links: list[Link] = field(default_factory=list)  # left out, as the artifact leaves them out
    ignored: list[str] = field(default_factory=list)  # files the ignore rules leave out
    refused: list[tuple[str, str]] = field(default_factory=list)  # (YAML file, the limit it breaks)
    problem: str = ""  # why nothing could be staged (the source itself is outside, or too large)
    _tmp: tempfile.TemporaryDirectory[str] | None = None

    def close(self) -> None:
        if self._tmp is not None:
            self._tmp.cleanup()


class _TooLarge(Exception):
    pass


def keep_symlinks(member: tarfile.TarInfo, dest: str) -> tarfile.TarInfo | None:
    """tarfile's "data" filter, except that a symlink is extracted whatever it points to, and a member the filter
    refuses is skipped instead of raised (git archive writes none; a refused one must not crash preflight).

    Creating a link reads nothing; `stage` then names the links and leaves them out. The data filter still vets
    every other member's path through the links already extracted (it resolves them with realpath).
    """
    vetted = member.replace(linkname=".", deep=False) if member.issym() else member
    try:
        filtered = tarfile.data_filter(vetted, dest)
    except tarfile.FilterError:
        return None
    return member if member.issym() else filtered


def stage(source: Path, boundary: Path) -> Staged:
    """Copy into a temporary folder what the artifact of `source` holds.

    `boundary` is what the source folder itself may resolve into (the extraction folder, or the repository for a
    working tree): the folder may be reached through a link inside it, never outside.
    """
    try:
        real = confine(boundary, source)
    except Outside as err:
        why = "resolves outside the repository (through a symlink)" if err.reason == LEAVES else err.reason
        return Staged(source, problem=f"the source folder {why}; it was not read")
    if not real.is_dir():
        shown = source.relative_to(boundary).as_posix() if source.is_relative_to(boundary) else source.name
        return Staged(source, problem=f"the source folder {shown!r} does not exist")
    tmp = tempfile.TemporaryDirectory(prefix="fleet-stage-")
    staged = Staged(Path(tmp.name), _tmp=tmp)
    try:
        patterns = sourceignore.archive_filter(sourceignore.load_patterns(real, _read_ignore_file))
        _copy(real, Path(tmp.name), patterns, staged)
    except _TooLarge:
        staged.problem = (
            f"the source holds more than {MAX_ENTRIES} files and folders or {MAX_BYTES // 2**20} MiB;"
            " preflight stopped copying it"
        )
    except OSError as err:  # an unreadable folder of a working tree
        staged.problem = f"the source cannot be read: {err.strerror or err}"
    staged.links.sort(key=lambda link: link.path)
    return staged


def _read_ignore_file(path: Path) -> str:
    # Go reads it as bytes, line by line; the size bound keeps a huge one from filling memory.
    with path.open("rb") as handle:
        return handle.read(MAX_BYTES).decode("utf-8", "replace")


def _copy(root: Path, into: Path, patterns: list[sourceignore.Pattern], staged: Staged) -> None:
    """Depth first, without recursion (a deep tree must not hit Python's recursion limit), never through a link."""
    entries_left, bytes_left = MAX_ENTRIES, MAX_BYTES
    folders: list[tuple[Path, PurePosixPath]] = [(root, PurePosixPath())]
    while folders:
        real_dir, relative = folders.pop()
        entries_left -= 1
        if entries_left < 0:
            raise _TooLarge
        with os.scandir(real_dir) as scan:
            listed = sorted(scan, key=lambda e: e.name)
        for entry in listed:
            shown = relative / entry.name
            parts = list(shown.parts)
            if entry.is_symlink():
                staged.links.append(Link(str(shown), os.readlink(entry.path)))
            elif entry.is_dir(follow_symlinks=False):
                if not sourceignore.matches(patterns, parts, True):
                    (into / shown).mkdir(parents=True, exist_ok=True)
                # `.git` holds only what the VCS pattern `.git/` excludes; Archive walks it, preflight need not.
                if entry.name != ".git":
                    folders.append((Path(entry.path), shown))
            elif entry.is_file(follow_symlinks=False):
                if sourceignore.matches(patterns, parts, False):
                    staged.ignored.append(str(shown))
                    continue
                entries_left -= 1
                bytes_left -= entry.stat(follow_symlinks=False).st_size
                if entries_left < 0 or bytes_left < 0:
                    raise _TooLarge
                if (problem := _yaml_limit(Path(entry.path), str(shown))) is not None:
                    staged.refused.append((str(shown), problem))
                    continue
                (into / shown).parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(entry.path, into / shown, follow_symlinks=False)


def _yaml_limit(path: Path, shown: str) -> str | None:
    if path.suffix not in (".yaml", ".yml") and path.name != "Kustomization":
        return None
    try:
        check_yaml_limits(read_text(path, shown), shown)
    except SpecError as err:
        return "; ".join(f"{p.path + ': ' if p.path else ''}{p.message}" for p in err.problems)
    return None
