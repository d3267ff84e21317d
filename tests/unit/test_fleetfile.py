"""stacks/fleet.yaml: rings, DR pairs and local sources, validated against the stacks that exist."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from components.spec import SpecError
from fleet.fleetfile import load_fleet
from tests.conftest import STACKS_DIR


def test_shipped_fleet_file() -> None:
    fleet = load_fleet(STACKS_DIR)
    assert [r.name for r in fleet.rings] == ["canary", "pre-production", "production"]
    assert fleet.stacks == ["dev", "staging", "prod-japaneast", "prod-japanwest"]
    production = fleet.rings[2]
    assert production.max_parallel == 1 and production.failure_threshold == 0
    assert (fleet.dr_pairs[0].primary, fleet.dr_pairs[0].secondary) == ("prod-japaneast", "prod-japanwest")
    assert fleet.local_sources["https://github.com/contoso/aks-fleet-gitops"] == "gitops"


def test_unknown_and_repeated_stacks_are_named(tmp_path: Path) -> None:
    for stack in STACKS_DIR.glob("Pulumi.*.yaml"):
        shutil.copy(stack, tmp_path)
    (tmp_path / "fleet.yaml").write_text(
        "rings:\n  - name: canary\n    stacks: [dev, qa]\n  - name: prod\n    stacks: [dev]\n    maxParalel: 2\n"
    )
    with pytest.raises(SpecError) as caught:
        load_fleet(tmp_path)
    lines = sorted(str(p) for p in caught.value.problems)
    assert len(lines) == 1 and "rings.1.maxParalel: extra inputs are not permitted" in lines[0]
    (tmp_path / "fleet.yaml").write_text(
        "rings:\n  - name: canary\n    stacks: [dev, qa]\n  - name: prod\n    stacks: [dev]\n"
    )
    with pytest.raises(SpecError) as caught:
        load_fleet(tmp_path)
    lines = [str(p) for p in caught.value.problems]
    assert any(
        line.endswith(
            "rings[0].stacks[1]: unknown stack 'qa'; stacks found: dev, prod-japaneast, prod-japanwest, staging"
        )
        for line in lines
    )
    assert any(line.endswith("rings[1].stacks[0]: 'dev' is already in ring 'canary'") for line in lines)
