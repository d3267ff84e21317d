"""Drive the CrossGuard pack exactly as the Pulumi CLI does: a child process, then the gRPC analyzer protocol.

The pack prints its port on stdout once its server listens; the client then calls GetAnalyzerInfo,
Configure (the per-policy config), ConfigureStack, Analyze for each resource and AnalyzeStack for the
whole stack. Plan values are sent in the engine's wire form: secrets wrapped with the secret signature,
values unknown in preview as the unknown sentinel, so the pack sees what it would see under the CLI.
"""

from __future__ import annotations

import json
import os
import select
import subprocess
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

import grpc
from google.protobuf import empty_pb2, json_format, struct_pb2
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc

from components.azure_types import SECRET, UNKNOWN
from fleet import timeouts
from fleet.findings import PolicyFinding
from policies.baseline import BY_POLICY_NAME

from .pack_process import PACK_DIR, start_pack, stop_pack

_SIG_KEY = "4dabf18193072939515e22adb298388d"
_SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
_UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"


class PolicyPackError(RuntimeError):
    pass


class _Options(Protocol):
    @property
    def depends_on(self) -> list[str]: ...


class AnalyzedResource(Protocol):
    """What the analyzer reads of a planned resource (fleet.plan.model.PlannedResource): the pack client does
    not depend on the plan package, which drives it."""

    @property
    def urn(self) -> str: ...
    @property
    def type(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def parent(self) -> str | None: ...
    @property
    def custom(self) -> bool: ...
    @property
    def inputs(self) -> dict[str, Any]: ...
    @property
    def options(self) -> _Options: ...


class AnalyzerClient:
    def __init__(self, channel: grpc.Channel) -> None:
        self._stub = analyzer_pb2_grpc.AnalyzerStub(channel)
        self._names: dict[str, str] = {}

    def info(self) -> Any:
        return self._call(self._stub.GetAnalyzerInfo, empty_pb2.Empty())

    @staticmethod
    def _call(method: Callable[..., Any], request: Any) -> Any:
        """One call with a deadline: a pack that hangs or dies is one line (exit 2), never a wait or a traceback."""
        try:
            return method(request, timeout=timeouts.POLICY_PACK_CALL_S)
        except grpc.RpcError as err:
            code = err.code() if isinstance(err, grpc.Call) else None
            if code == grpc.StatusCode.DEADLINE_EXCEEDED:
                raise PolicyPackError(
                    f"the policy pack did not answer within {timeouts.POLICY_PACK_CALL_S:g} s"
                ) from None
            details = err.details() if isinstance(err, grpc.Call) else str(err)
            raise PolicyPackError(f"the policy pack failed: {code.name if code else 'error'}: {details}") from None

    def configure(self, config: Mapping[str, Mapping[str, Any]]) -> None:
        request = analyzer_pb2.ConfigureAnalyzerRequest()
        for name, entry in config.items():
            properties = struct_pb2.Struct()
            properties.update({k: v for k, v in entry.items() if k != "enforcementLevel"})
            level = str(entry.get("enforcementLevel", "mandatory")).upper()
            request.policyConfig[name].CopyFrom(
                analyzer_pb2.PolicyConfig(
                    enforcementLevel=analyzer_pb2.EnforcementLevel.Value(level), properties=properties
                )
            )
        self._call(self._stub.Configure, request)

    def configure_stack(self, stack: str, project: str, tags: Mapping[str, str], *, dry_run: bool = True) -> None:
        self._call(
            self._stub.ConfigureStack,
            analyzer_pb2.AnalyzerStackConfigureRequest(stack=stack, project=project, dry_run=dry_run, tags=dict(tags)),
        )

    def analyze(self, resources: Sequence[AnalyzedResource]) -> list[PolicyFinding]:
        findings: list[PolicyFinding] = []
        self._names.update({r.urn: r.name for r in resources})
        for r in resources:
            if not r.custom:
                continue
            response = self._call(
                self._stub.Analyze,
                analyzer_pb2.AnalyzeRequest(type=r.type, urn=r.urn, name=r.name, properties=_struct(r.inputs)),
            )
            findings += self._findings(response, default_urn=r.urn)
        stack = analyzer_pb2.AnalyzeStackRequest(
            resources=[
                analyzer_pb2.AnalyzerResource(
                    type=r.type,
                    urn=r.urn,
                    name=r.name,
                    properties=_struct(r.inputs),
                    parent=r.parent or "",
                    dependencies=list(r.options.depends_on),
                )
                for r in resources
                if r.custom
            ]
        )
        findings += self._findings(self._call(self._stub.AnalyzeStack, stack), default_urn="")
        return findings

    def _findings(self, response: Any, *, default_urn: str) -> list[PolicyFinding]:
        out = []
        for d in response.diagnostics:
            urn = d.urn or default_urn
            rule = BY_POLICY_NAME.get(d.policyName)
            out.append(
                PolicyFinding(
                    rule=rule.id if rule else d.policyName,
                    policy=d.policyName,
                    enforcement=analyzer_pb2.EnforcementLevel.Name(d.enforcementLevel).lower(),
                    severity=rule.severity if rule else (d.severity or "medium"),
                    resource=self._names.get(urn, urn),
                    urn=urn,
                    # The SDK prefixes "<policy description>\n"; the finding is what follows.
                    message=d.message.split("\n", 1)[-1],
                )
            )
        return out


def _wire(value: Any) -> Any:
    if value == SECRET:
        return {_SIG_KEY: _SECRET_SIG, "value": SECRET}
    if value == UNKNOWN:
        return _UNKNOWN
    if isinstance(value, dict):
        return {k: _wire(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_wire(v) for v in value]
    return value


def _struct(inputs: Mapping[str, Any]) -> struct_pb2.Struct:
    struct = struct_pb2.Struct()
    json_format.ParseDict(json.loads(json.dumps(_wire(dict(inputs)))), struct)
    return struct


def connect(process: subprocess.Popen[bytes]) -> tuple[AnalyzerClient, grpc.Channel]:
    """Wait for the pack to print its port, then connect; a pack that dies says why."""
    assert process.stdout is not None
    limit = timeouts.POLICY_PACK_START_S
    line = _first_line(process.stdout.fileno(), limit)
    if line is None:
        raise PolicyPackError(f"the policy pack did not print its port within {limit:g} s")
    if not line.isdigit():
        try:
            _, stderr = process.communicate(timeout=timeouts.STOP_GRACE_S)
        except subprocess.TimeoutExpired:
            stderr = b""
        tail = stderr.decode(errors="replace").strip().splitlines()[-1:] or ["(no output)"]
        raise PolicyPackError(f"the policy pack did not start: {tail[0]}")
    channel = grpc.insecure_channel(f"127.0.0.1:{line}")
    try:
        grpc.channel_ready_future(channel).result(timeout=limit)
    except grpc.FutureTimeoutError:
        channel.close()
        raise PolicyPackError(f"the policy pack did not accept a connection within {limit:g} s") from None
    return AnalyzerClient(channel), channel


def _first_line(fd: int, seconds: float) -> str | None:
    """The first line the pack writes, or None when it writes none within `seconds` (a hung pack never blocks
    the plan); "" when it exits without one."""
    deadline = time.monotonic() + seconds
    data = b""
    while b"\n" not in data:
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            return None
        chunk = os.read(fd, 4096)
        if not chunk:
            break
        data += chunk
    return data.split(b"\n", 1)[0].decode(errors="replace").strip()


@contextmanager
def policy_pack(pack_dir: Path = PACK_DIR) -> Iterator[AnalyzerClient]:
    """Start the pack as the CLI would (its own process, its own folder) and yield a connected client."""
    process = start_pack(pack_dir)
    try:
        client, channel = connect(process)
        try:
            yield client
        finally:
            channel.close()
    finally:
        stop_pack(process)
