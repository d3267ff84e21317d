"""The program loads only the azure-native submodules it uses (the whole package costs ~11 s and ~580 MB).

azure-native registers a lazy placeholder for every submodule on import; a submodule's files are only
executed when used, so what counts is which submodules have loaded files after a whole plan.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import PROJECT_DIR

CORE = {"containerservice", "kubernetesconfiguration", "managedidentity", "resources"}
SCRIPT = (
    "import json, sys, pathlib; from fleet.plan.runner import plan_stack;"
    "plan_stack(pathlib.Path('stacks'), sys.argv[1]);"
    "print(json.dumps(sorted({m.split('.')[1] for m in sys.modules"
    " if m.startswith('pulumi_azure_native.') and m.count('.') >= 2})))"
)


@pytest.mark.parametrize(
    ("stack", "expected"),
    [
        # Container Insights' data collection rule and association (monitor) in both.
        ("dev", CORE | {"operationalinsights", "monitor"}),  # creates its own Log Analytics workspace
        ("prod-japaneast", CORE | {"authorization", "monitor"}),  # shared workspace; subnet and KMS roles
    ],
)
def test_only_used_azure_native_submodules_are_loaded(stack: str, expected: set[str]) -> None:
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT, stack], cwd=PROJECT_DIR, capture_output=True, text=True, check=True
    )
    loaded = set(json.loads(out.stdout))
    assert {m for m in loaded if not m.startswith("_")} == expected
