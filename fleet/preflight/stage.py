"""The source as kustomize will see it: a copy with no symlinks, holding only what lies inside the source root.

Flux never follows a symlink of a Git source: source-controller archives "anything that is not a file or
directories e.g. symlinks" out of the artifact (fluxcd/source-controller internal/storage/storage.go, Archive;
fluxcd/source-controller#191, fluxcd/flux2#3619), and kustomize-controller builds on a file system that refuses any
path outside the artifact root (fluxcd/pkg kustomize/kustomize_generator.go SecureBuild with
kustomize/filesys/fs_secure.go MakeFsOnDiskSecure). Preflight runs `kubectl kustomize`, which has no such file
system, so it builds a staged copy instead:
- a symlink that resolves inside the source is followed and its target copied. Preflight differs from Flux here:
  it builds what the author meant, and an advisory finding says that Flux leaves the link out;
- a symlink that leaves the source, or never resolves (a loop), is not followed and its target never read: a
  mandatory finding names the link and the text it points to;
- a link back to a folder that contains it is copied once and then cut (as fluxcd/pkg tar/symlinks.go copyDir
  skips cycles), also a mandatory finding;
- devices, sockets and FIFOs are left out (reading a FIFO would block);
- a YAML file that breaks the limits every committed YAML is read with (components/spec/files.py: alias bombs,
  nesting, size) is left out and named, so `kubectl kustomize` never chokes on it: kustomize expands aliases and
  would spend minutes on a few hundred bytes; the build that needs the file then fails naming it.
The staged copy is bounded in files and bytes, since links can make a small repository copy into a large one.
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

MAX_ENTRIES = 50_000
MAX_BYTES = 512 * 1024 * 1024
CYCLE = "leads back to a folder that contains it (a loop)"


@dataclass(frozen=True)
class Link:
    path: str  # the link, relative to the source root
    target: str  # the link's own text, as committed (never the content of what it points to)
    problem: str = ""  # why it was not followed; empty when it was


@dataclass
class Staged:
    root: Path
    links: list[Link] = field(default_factory=list)
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

    Creating a link reads nothing; `stage` then reports and drops the links that leave the source. The data filter
    still vets every other member's path through the links already extracted (it resolves them with realpath).
    """
    vetted = member.replace(linkname=".", deep=False) if member.issym() else member
    try:
        filtered = tarfile.data_filter(vetted, dest)
    except tarfile.FilterError:
        return None
    return member if member.issym() else filtered


def stage(source: Path, boundary: Path) -> Staged:
    """Copy `source` into a temporary folder, following only the symlinks that stay inside it.

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
        _copy(real, Path(tmp.name), staged.links, staged.refused)
    except _TooLarge:
        staged.problem = (
            f"with its symlinks followed the source holds more than {MAX_ENTRIES} files and folders or"
            f" {MAX_BYTES // 2**20} MiB; preflight stopped copying it"
        )
    except OSError as err:  # an unreadable folder of a working tree
        staged.problem = f"the source cannot be read: {err.strerror or err}"
    staged.links.sort(key=lambda link: link.path)
    return staged


def _copy(root: Path, into: Path, links: list[Link], refused: list[tuple[str, str]]) -> None:
    """Depth first, without recursion (a deep tree must not hit Python's recursion limit). Each folder carries
    the real folders above it: a link to one of them is a cycle."""
    entries_left, bytes_left = MAX_ENTRIES, MAX_BYTES
    folders: list[tuple[Path, Path, PurePosixPath, frozenset[Path]]]
    folders = [(root, into, PurePosixPath(), frozenset({root}))]
    while folders:
        real_dir, target_dir, relative, above = folders.pop()
        entries_left -= 1
        if entries_left < 0:
            raise _TooLarge
        target_dir.mkdir(exist_ok=True)
        with os.scandir(real_dir) as scan:
            listed = sorted(scan, key=lambda e: e.name)
        for entry in listed:
            shown = str(relative / entry.name)
            real = Path(entry.path)
            if entry.is_symlink():
                text = os.readlink(entry.path)
                try:
                    real = confine(root, real)
                except Outside as err:
                    links.append(Link(shown, text, err.reason))
                    continue
                if real in above:
                    links.append(Link(shown, text, CYCLE))
                    continue
                links.append(Link(shown, text))
            elif not (entry.is_dir(follow_symlinks=False) or entry.is_file(follow_symlinks=False)):
                continue
            # `real` is a path inside the root with no link left in it: stat and copy read only that.
            if real.is_dir():
                folders.append((real, target_dir / entry.name, relative / entry.name, above | {real}))
            elif real.is_file():
                entries_left -= 1
                bytes_left -= real.stat().st_size
                if entries_left < 0 or bytes_left < 0:
                    raise _TooLarge
                if (problem := _yaml_limit(real, shown)) is not None:
                    refused.append((shown, problem))
                    continue
                shutil.copyfile(real, target_dir / entry.name, follow_symlinks=False)


def _yaml_limit(path: Path, shown: str) -> str | None:
    if path.suffix not in (".yaml", ".yml") and path.name != "Kustomization":
        return None
    try:
        check_yaml_limits(read_text(path, shown), shown)
    except SpecError as err:
        return "; ".join(f"{p.path + ': ' if p.path else ''}{p.message}" for p in err.problems)
    return None
