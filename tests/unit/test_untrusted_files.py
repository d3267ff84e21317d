"""Issue 13: random and adversarial files of every kind the tool reads, through the real CLI.

Each example writes one file (a stack file, stacks/fleet.yaml, a policy config) as bytes: random bytes, random YAML
structures, hand-made attacks (alias bombs, deep nesting, non-UTF-8, huge lines) or a shipped file with bytes
spliced in. Whatever the file, the CLI answers with exit 0, 1 or 2, never a traceback, within generous time and
memory bounds, and a secret canary planted in the file never appears in any output or written file.
"""

from __future__ import annotations

import io
import json
import resource
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML
from typer.testing import CliRunner

from fleet import cli
from tests.conftest import STACKS_DIR

RUN = CliRunner()
CANARY = "c4n4ry-5ecret-7f3a9d"
MAX_SECONDS = 60  # "does not hang", far above any honest run
# The process's high-water mark (ru_maxrss, KiB on Linux): a bomb that expanded would take gigabytes.
MAX_RSS_KIB = 3 * 1024 * 1024

_ALIAS_BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 9)}]\n" for i in range(9)
)
ADVERSARIAL: list[bytes] = [
    _ALIAS_BOMB.encode(),
    ("config: " + "[" * 50_000 + "]" * 50_000).encode(),
    ("config: " + "{a: " * 5_000 + "1" + "}" * 5_000).encode(),
    b"config:\n  aksfleet:cluster: \xff\xfe\xfd\n",
    b"\x00\x01\x02",
    ("config:\n  aksfleet:cluster:\n    name: " + "x" * 300_000 + "\n").encode(),
    b"config: !!python/object/apply:os.system ['true']\n",
    b"config:\n  aksfleet:cluster: &c\n    self: *c\n",
    b"rings: [{name: 2026-01-01, stacks: [dev]}]\n",
    b"--- a\n--- b\n",
    b"\t\tconfig:\n",
    b"",
]

_scalars = st.none() | st.booleans() | st.integers(-(10**9), 10**9) | st.text(max_size=30)
_structures = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=30,
)


def _dump(data: Any) -> bytes:
    out = io.StringIO()
    YAML(typ="safe", pure=True).dump(data, out)
    return out.getvalue().encode()


def _splice(base: bytes) -> st.SearchStrategy[bytes]:
    return st.tuples(st.integers(0, len(base)), st.integers(0, 64), st.binary(max_size=32)).map(
        lambda t: base[: t[0]] + t[2] + base[t[0] + t[1] :]
    )


def _contents(base: bytes) -> st.SearchStrategy[bytes]:
    return st.one_of(
        st.binary(max_size=300),
        _structures.map(_dump),
        st.sampled_from(ADVERSARIAL),
        _splice(base),
        _splice(base),  # weighted: near-valid files reach the deepest code
    )


def _with_canary_stack() -> bytes:
    """The dev stack with a plaintext credential where a secret belongs (the spec must refuse, never echo it)."""
    text = (STACKS_DIR / "Pulumi.dev.yaml").read_text(encoding="utf-8")
    assert "  aksfleet:cluster:\n" in text
    return (
        text.replace("  aksfleet:cluster:\n", f"  aksfleet:cluster:\n    adminPassword: {CANARY}\n", 1).encode()
        + f"  aksfleet:token: {CANARY}\n".encode()
    )


STACK_BASE = _with_canary_stack()
PLANTED = [f"adminPassword: {CANARY}\n".encode(), f"aksfleet:token: {CANARY}\n".encode()]
FLEET_BASE = (STACKS_DIR / "fleet.yaml").read_bytes()
POLICY_BASE = json.dumps({"aks-001": "mandatory", "gitops-002": {"appsPattern": "^apps"}}).encode()
FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _run(tmp: Path, write: Callable[[Path], list[str]], *, canary_intact: bool = False) -> None:
    """canary_intact: every planted canary line is still whole (a splice may have turned one into a key name)."""
    stacks = tmp / "stacks"
    shutil.rmtree(tmp, ignore_errors=True)
    shutil.copytree(STACKS_DIR, stacks)
    command = write(stacks)
    started = time.monotonic()
    result = RUN.invoke(cli.app, command)
    assert time.monotonic() - started < MAX_SECONDS, command
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss < MAX_RSS_KIB, command
    assert all(len(line) < 2_000 for line in result.stderr.splitlines()), "one line per problem, not a dump"
    assert result.exit_code in (0, 1, 2), (command, result.output)
    assert result.exception is None or isinstance(result.exception, SystemExit), (command, repr(result.exception))
    if result.exit_code == 2:
        assert result.stderr.strip(), "exit 2 always says why"
    written = [p.read_bytes() for p in tmp.rglob("*") if p.is_file()]
    outputs = [result.output.encode(), *(w for w in written if not w.startswith(b"config") and b"aksfleet" not in w)]
    if canary_intact:
        assert not any(CANARY.encode() in o for o in outputs), command


@FUZZ
@given(content=_contents(STACK_BASE))
def test_any_stack_file(tmp_path_factory: Any, content: bytes) -> None:
    tmp = tmp_path_factory.mktemp("stack")

    def write(stacks: Path) -> list[str]:
        (stacks / "Pulumi.fuzz.yaml").write_bytes(content)
        out = stacks.parent / "plan.json"
        return ["plan", "-s", "fuzz", "--no-policy", "--no-preflight", "--json", str(out), "--stacks-dir", str(stacks)]

    _run(tmp, write, canary_intact=all(line in content for line in PLANTED))


@FUZZ
@given(content=_contents(FLEET_BASE))
def test_any_fleet_file(tmp_path_factory: Any, content: bytes) -> None:
    tmp = tmp_path_factory.mktemp("fleet")

    def write(stacks: Path) -> list[str]:
        (stacks / "fleet.yaml").write_bytes(content)
        return ["rollout", "--emit", "github-actions", "--stacks-dir", str(stacks)]

    _run(tmp, write)


@FUZZ
@given(content=_contents(POLICY_BASE))
def test_any_policy_config(tmp_path_factory: Any, content: bytes) -> None:
    tmp = tmp_path_factory.mktemp("policy")

    def write(stacks: Path) -> list[str]:
        config = stacks.parent / "policy.json"
        config.write_bytes(content)
        return ["plan", "-s", "dev", "--policy-config", str(config), "--no-preflight", "--stacks-dir", str(stacks)]

    _run(tmp, write)


MANIFEST = "apps/base/podinfo/network-policy.yaml"
MANIFEST_BASE = (STACKS_DIR.parent / "gitops" / MANIFEST).read_bytes()
SECRET_WITH_CANARY = (
    "apiVersion: v1\nkind: Secret\nmetadata:\n  name: leaked\n  namespace: podinfo\n"
    f"stringData:\n  token: {CANARY}\ndata:\n  password: 42\n"
).encode()
MANIFEST_FUZZ = settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@MANIFEST_FUZZ
@example(content=SECRET_WITH_CANARY)
@example(content=_ALIAS_BOMB.encode())
@example(content=b"kind: Secret\nmetadata: {name: x}\n")  # no apiVersion: once a KeyError in the schema check
@example(content=b"apiVersion: 5\nkind: [x]\nmetadata: {name: x}\n")
@example(content=b"apiVersion: v1\nkind: Secret\nmetadata: {name: x, namespace: podinfo}\nstringData: c\n")
@example(content=b"apiVersion: v1\nkind: Secret\nmetadata: {name: x, namespace: podinfo}\ndata: 4\n")
@given(content=st.one_of(_contents(MANIFEST_BASE), st.just(SECRET_WITH_CANARY), _splice(SECRET_WITH_CANARY)))
def test_any_gitops_manifest(tmp_path_factory: Any, content: bytes) -> None:
    """A manifest of the GitOps repository, built by kustomize and read by preflight at a real tag."""
    from tests.preflight.test_preflight import make_repo, make_stack

    tmp = tmp_path_factory.mktemp("manifest")
    repo = make_repo(tmp, lambda source: (source / MANIFEST).write_bytes(content))
    stacks = make_stack(tmp)
    out = tmp / "preflight.json"
    started = time.monotonic()
    result = RUN.invoke(
        cli.app, ["preflight", "-s", "x", "--repo", str(repo), "--json", str(out), "--stacks-dir", str(stacks)]
    )
    assert time.monotonic() - started < MAX_SECONDS
    assert result.exit_code in (0, 1, 2), result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    written = out.read_bytes() if out.exists() else b""
    if f"token: {CANARY}\n".encode() in content:
        assert CANARY.encode() not in result.output.encode() + written
