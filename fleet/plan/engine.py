"""Run the real Pulumi program in-process under Pulumi's own mock monitor and record what it registers.

The monitor subclass records what the mocks API does not expose: the raw input struct (so secretness is
kept per value, not pushed up to the enclosing object) and the resource options (protect,
ignoreChanges, dependsOn, parent, deleteBeforeReplace, customTimeouts). Each run happens in a fresh
`contextvars.Context`, because the Pulumi SDK keeps its settings in context variables: plans of many
stacks in one process cannot see each other.
"""

from __future__ import annotations

import asyncio
import contextvars
import json
import threading
from collections.abc import Callable
from typing import Any

from google.protobuf import json_format
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime.config import set_all_config
from pulumi.runtime.settings import get_root_resource
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

from components.azure_types import SECRET, UNKNOWN
from components.spec import StackConfig

from .azure_outputs import AzureOutputs
from .model import Plan, PlannedResource, ResourceOptions

PROJECT = "aksfleet"
_RUN_LOCK = threading.Lock()
_SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
_SIG_KEY = "4dabf18193072939515e22adb298388d"
_UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
# What the offline run puts where the CLI would put a decrypted secret: it only ever travels inside
# Output.secret, so it shows as [secret] like the real value would.
OFFLINE_SECRET_PLACEHOLDER = "offline-plan-has-no-plaintext"


class RecordingMonitor(pulumi_mocks.MockMonitor):
    def __init__(self, mocks: pulumi_mocks.Mocks) -> None:
        super().__init__(mocks)
        self.records: list[PlannedResource] = []
        self.stack_outputs: dict[str, Any] = {}

    def RegisterResource(self, request: Any) -> Any:
        response = super().RegisterResource(request)
        if request.type == "pulumi:pulumi:Stack":
            return response
        timeouts = request.customTimeouts
        self.records.append(
            PlannedResource(
                urn=response.urn,
                type=request.type,
                name=request.name,
                parent=request.parent or None,
                custom=bool(request.custom),
                inputs=_plain(json_format.MessageToDict(request.object)),
                options=ResourceOptions(
                    protect=bool(request.protect),
                    ignore_changes=list(request.ignoreChanges),
                    depends_on=sorted(set(request.dependencies)),
                    delete_before_replace=bool(request.deleteBeforeReplace),
                    custom_timeouts={
                        k: v
                        for k, v in (
                            ("create", timeouts.create),
                            ("update", timeouts.update),
                            ("delete", timeouts.delete),
                        )
                        if v
                    },
                ),
            )
        )
        return response

    def RegisterResourceOutputs(self, request: Any) -> Any:
        if request.urn.split("::")[2] == "pulumi:pulumi:Stack":
            self.stack_outputs = _plain(json_format.MessageToDict(request.outputs))
        return super().RegisterResourceOutputs(request)


def _plain(value: Any) -> Any:
    """Engine wire values to plan values: secrets become SECRET, unknowns UNKNOWN, refs their URN."""
    if isinstance(value, dict):
        if value.get(_SIG_KEY) == _SECRET_SIG:
            return SECRET
        if _SIG_KEY in value:  # resource reference, asset or archive
            return value.get("urn", value.get("id", "[reference]"))
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if value == _UNKNOWN:
        return UNKNOWN
    # The protobuf Struct carries every number as a float; integers in inputs are integers in ARM.
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def engine_config(stack: StackConfig) -> tuple[dict[str, str], list[str]]:
    """The config the Pulumi CLI would hand the program: values JSON-encoded, secure values decrypted
    (here: a placeholder) and the keys holding them reported as secret."""
    config: dict[str, str] = {}
    secret_keys: list[str] = []
    for key, value in stack.raw_config.items():
        value, had_secret = _decrypt_placeholders(value)
        config[key] = value if isinstance(value, str) else json.dumps(value)
        if had_secret:
            secret_keys.append(key)
    return config, secret_keys


def _decrypt_placeholders(value: Any) -> tuple[Any, bool]:
    if isinstance(value, dict):
        if set(value) == {"secure"}:
            return OFFLINE_SECRET_PLACEHOLDER, True
        pairs = {k: _decrypt_placeholders(v) for k, v in value.items()}
        return {k: v for k, (v, _) in pairs.items()}, any(s for _, s in pairs.values())
    if isinstance(value, list):
        items = [_decrypt_placeholders(v) for v in value]
        return [v for v, _ in items], any(s for _, s in items)
    return value, False


def run_program(stack: StackConfig, program: Callable[[], Any], *, preview: bool = True) -> Plan:
    """Run `program` as the Pulumi CLI would for `stack`, with preview (or update) semantics.

    A fresh context and a fresh event loop per run: the SDK's settings live in context variables and
    its futures on the current loop. Runs are serialised per process: two programs at once deadlock in
    the SDK's runtime (pulumi/pulumi#6052 family), so parallel plans run in separate processes.
    """
    with _RUN_LOCK:
        return _isolated(stack, program, preview)


def _isolated(stack: StackConfig, program: Callable[[], Any], preview: bool) -> Plan:
    loop = asyncio.new_event_loop()
    previous = _current_loop()
    asyncio.set_event_loop(loop)
    try:
        return contextvars.Context().run(_run, stack, program, preview)
    finally:
        asyncio.set_event_loop(previous)
        loop.close()


def _current_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_event_loop_policy().get_event_loop()
    except RuntimeError:
        return None


def _run(stack: StackConfig, program: Callable[[], Any], preview: bool) -> Plan:
    monitor = RecordingMonitor(AzureOutputs(preview=preview))
    pulumi_mocks.set_mocks(monitor.mocks, project=PROJECT, stack=stack.stack, preview=preview, monitor=monitor)
    config, secret_keys = engine_config(stack)
    set_all_config(config, secret_keys)
    root = get_root_resource()

    def program_with_outputs() -> None:
        program()
        # set_mocks finished the root stack before the program ran; register the exports now, as the
        # CLI-driven runtime does once the program returns.
        if root is not None:
            root._outputs_registered = False  # type: ignore[attr-defined]
            root._finish()  # type: ignore[attr-defined]

    _sync_await(run_pulumi_func(program_with_outputs))
    return Plan(stack=stack.stack, resources=monitor.records, outputs=monitor.stack_outputs)
