"""Property-based (issue 13, class 7): whatever links a tree holds, confinement and staging never leave the root.

Random trees get random symlinks, whose targets are built from `.`, `..`, names in the tree, an absolute path to a
canary outside, and loops. Staging must never raise, never copy a byte of the canary, and follow no link (Flux's
artifact holds none: fluxcd/pkg artifact/storage/archive.go Archive); a folder name fleet.yaml accepts never
resolves outside the repository.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from components.spec.confine import Outside, confine, relative_folder_problem
from fleet.preflight import stage as stage_module
from fleet.preflight.stage import stage

TOKEN = "canary-9f1c2e"
FOLDERS = ["a", "a/b", "c"]
_parts = st.sampled_from([".", "..", "a", "b", "c", "f.yaml", "l0", "l1", "l2", "missing"])
_targets = st.one_of(
    st.lists(_parts, min_size=1, max_size=5).map("/".join),
    st.just("CANARY"),  # replaced by the canary's absolute path
    st.just("/"),
)
_links = st.lists(st.tuples(st.sampled_from(["", *FOLDERS]), _targets), max_size=6)
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(_links)
def test_staging_follows_no_link_and_never_reads_outside(links: list[tuple[str, str]]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        canary = Path(tmp) / "outside"
        canary.mkdir()
        (canary / "secret.yaml").write_text(TOKEN)
        source = Path(tmp) / "source"
        for folder in FOLDERS:
            (source / folder).mkdir(parents=True, exist_ok=True)
            (source / folder / "f.yaml").write_text(f"inside {folder}")
        for i, (where, target) in enumerate(links):
            text = str(canary) if target == "CANARY" else target
            (source / where / f"l{i}").symlink_to(text)

        staged = stage(source, source)
        try:
            copied = [p for p in Path(staged.root).rglob("*")]
            assert not any(p.is_symlink() for p in copied), "the staged tree holds no symlink"
            for path in copied:
                if path.is_file():
                    assert TOKEN not in path.read_text(), f"{path} holds the canary"
            made = sorted(str(p.relative_to(source)) for p in source.rglob("*") if p.is_symlink())
            assert sorted(link.path for link in staged.links) == made, "every link is named, and left out"
            real = sorted(str(p.relative_to(staged.root)) for p in copied if p.is_file())
            assert real == sorted(f"{folder}/f.yaml" for folder in FOLDERS), "only the regular files are copied"
        finally:
            staged.close()


@FUZZ
@given(st.text(alphabet="ab./-:\\ _", max_size=12))
def test_a_folder_fleet_yaml_accepts_stays_in_the_repository(text: str) -> None:
    problem = relative_folder_problem(text)
    if problem is not None:
        assert problem.endswith("e.g. 'gitops' or 'deploy/gitops'"), problem
        return
    assert not text.startswith(("-", "/")) and ".." not in text.split("/")
    with tempfile.TemporaryDirectory() as tmp:
        try:
            confine(Path(tmp), Path(tmp) / text)
        except Outside as err:
            raise AssertionError(f"{text!r} was accepted but {err.reason}") from None


def test_links_that_would_multiply_the_tree_are_not_followed(tmp_path: Path, monkeypatch: Any) -> None:
    """Links to sibling folders would copy them again at every link; no link is followed, so the copy holds only
    the real tree, and a real tree past the bound still stops the copy."""
    monkeypatch.setattr(stage_module, "MAX_ENTRIES", 200)
    source = tmp_path / "source"
    for level in range(6):
        folder = source / f"d{level}"
        folder.mkdir(parents=True)
        (folder / "f.yaml").write_text("x")
        for copy in range(3):
            if level < 5:
                (folder / f"to-next-{copy}").symlink_to(f"../d{level + 1}")
    staged = stage(source, source)
    try:
        assert staged.problem == ""
        assert len([p for p in staged.root.rglob("*") if p.is_file()]) == 6
    finally:
        staged.close()
    for i in range(250):
        (source / "d0" / f"m{i}.yaml").write_text("x")
    staged = stage(source, source)
    try:
        assert staged.problem.startswith("the source holds more than 200 files and folders")
    finally:
        staged.close()
