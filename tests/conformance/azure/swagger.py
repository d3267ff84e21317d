"""Azure's REST specifications vendored under arm/ (PROVENANCE.md), read for two things:

- the create-only paths of each resource type the toolkit deploys: properties whose `x-ms-mutability` lacks
  "update", plus the URL path parameters that name the resource (fleet/plan/create_only_derived.py is generated
  from here and checked against it by tests/unit/test_mutability.py);
- the response schema of each ARM operation, as JSON Schema, to validate every answer of the ARM emulator.

Swagger 2.0 schemas are draft-4 JSON Schema plus `x-` extensions: jsonschema ignores the extensions, except
`x-nullable`, which Azure's serializers honour (a nullable property may come back as null), so it is translated.
References into common-types files that are not vendored (v2, v6, v4 managedidentitywithdelegation) are left
unconstrained and listed by `unvendored_refs`; run `python -m tests.conformance.azure.swagger` to regenerate
fleet/plan/create_only_derived.py.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from components.azure_types import AGENT_POOL, EXTENSION, FLUX_CONFIGURATION, MANAGED_CLUSTER

ARM = Path(__file__).resolve().parent / "arm"
# The specifications, by a short key used to namespace their definitions.
SPECS = {
    "aks": ARM / "containerservice" / "2025-09-01" / "managedClusters.json",
    "ext": ARM / "kubernetesconfiguration" / "2023-05-01" / "extensions.json",
    "flux": ARM / "kubernetesconfiguration" / "2023-05-01" / "fluxconfiguration.json",
    "v5": ARM / "common-types" / "resource-management" / "v5" / "types.json",
    "kc": ARM / "kubernetesconfiguration" / "common" / "2022-03-01" / "definitions.json",
}
# A cross-file $ref is resolved by the tail of its file path.
_FILE_KEYS = {
    "common-types/resource-management/v5/types.json": "v5",
    "common/2022-03-01/definitions.json": "kc",
}
# Which PUT operation creates each Pulumi type (azure-native tokens are the ARM resource types).
RESOURCE_TYPES = {
    MANAGED_CLUSTER.token: ("aks", "ManagedClusters_CreateOrUpdate"),
    AGENT_POOL.token: ("aks", "AgentPools_CreateOrUpdate"),
    EXTENSION.token: ("ext", "Extensions_Create"),
    FLUX_CONFIGURATION.token: ("flux", "FluxConfigurations_CreateOrUpdate"),
}
# The registry constant the generated file names each type by (the registry alone spells type tokens).
_CONSTANTS = {
    MANAGED_CLUSTER.token: "MANAGED_CLUSTER",
    AGENT_POOL.token: "AGENT_POOL",
    EXTENSION.token: "EXTENSION",
    FLUX_CONFIGURATION.token: "FLUX_CONFIGURATION",
}
# URL parameters that are the caller's context, not the resource's identity.
_CONTEXT_PARAMETERS = {"subscriptionId"}


@cache
def spec(key: str) -> dict[str, Any]:
    return dict(json.loads(SPECS[key].read_text(encoding="utf-8")))


def _target(key: str, ref: str) -> tuple[str, str] | None:
    """(spec key, definition name) a $ref points at, or None when its file is not vendored."""
    file, _, pointer = ref.partition("#")
    if not pointer.startswith("/definitions/"):
        return None
    name = pointer.removeprefix("/definitions/")
    if not file:
        return key, name
    tail = next((k for t, k in _FILE_KEYS.items() if file.endswith(t)), None)
    return (tail, name) if tail else None


def unvendored_refs() -> set[str]:
    """Every cross-file $ref (file part) in the vendored specifications that is not vendored."""
    found: set[str] = set()

    def walk(node: Any, key: str) -> None:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and "#/definitions/" in ref and _target(key, ref) is None:
                found.add(ref.partition("#")[0])
            for value in node.values():
                walk(value, key)
        elif isinstance(node, list):
            for value in node:
                walk(value, key)

    for key in SPECS:
        walk(spec(key), key)
    return found


# --- response schemas -------------------------------------------------------------------------------------


def _to_json_schema(node: Any, key: str) -> Any:
    if isinstance(node, list):
        return [_to_json_schema(v, key) for v in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for name, value in node.items():
        if name == "$ref" and isinstance(value, str):
            target = _target(key, value)
            if target is not None:
                out["$ref"] = f"#/definitions/{target[0]}.{target[1]}"
        elif name in ("properties", "definitions") and isinstance(value, dict):
            out[name] = {k: _to_json_schema(v, key) for k, v in value.items()}
        elif not name.startswith("x-") and name not in ("example", "discriminator", "readOnly", "format"):
            out[name] = _to_json_schema(value, key)
    if node.get("x-nullable") is True:
        # Azure's serializers send null for a nullable property (fluxconfiguration.json marks them x-nullable).
        return {"anyOf": [out, {"type": "null"}]}
    return out


@cache
def _definitions() -> dict[str, Any]:
    return {
        f"{key}.{name}": _to_json_schema(schema, key)
        for key in SPECS
        for name, schema in spec(key).get("definitions", {}).items()
    }


@cache
def _validator(schema: str) -> Any:
    import jsonschema

    return jsonschema.Draft4Validator({**json.loads(schema), "definitions": _definitions()})


@dataclass(frozen=True)
class Operation:
    key: str
    template: str
    method: str
    operation: dict[str, Any]


@cache
def _operations() -> list[tuple[re.Pattern[str], Operation]]:
    out = []
    for key in ("aks", "ext", "flux"):
        for template, methods in spec(key)["paths"].items():
            pattern = re.compile("^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)) + "$", re.I)
            for method, operation in methods.items():
                out.append((pattern, Operation(key, template, method.upper(), operation)))
    return out


def operation_for(method: str, path: str) -> Operation | None:
    """The vendored operation a request addresses (path without the query), or None if none is vendored."""
    for pattern, operation in _operations():
        if operation.method == method.upper() and pattern.match(path):
            return operation
    return None


def response_problems(method: str, path: str, status: int, body: Any) -> list[str]:
    """Why the swagger refuses this answer (empty when it accepts it). Raises LookupError when no vendored
    operation covers the request."""
    operation = operation_for(method, path)
    if operation is None:
        raise LookupError(f"no vendored operation for {method} {path}")
    responses = operation.operation["responses"]
    declared = responses.get(str(status)) or (responses.get("default") if status >= 400 else None)
    where = f"{operation.operation['operationId']} {status}"
    if declared is None:
        return [f"{where}: status not declared (declares {sorted(responses)})"]
    schema = declared.get("schema")
    if schema is None:
        return [] if body in (None, "", b"") else [f"{where}: a body where the operation declares none"]
    converted = _to_json_schema(schema, operation.key)
    if "$ref" not in converted and status >= 400:
        return []  # the error schema lives in a common-types file that is not vendored
    validator = _validator(json.dumps(converted, sort_keys=True))
    return [
        f"{where}: {'/'.join(str(p) for p in error.absolute_path) or '<body>'}: {error.message[:200]}"
        for error in sorted(validator.iter_errors(body), key=lambda e: list(map(str, e.absolute_path)))
    ]


def recorded_problems(recorded: list[tuple[str, str, int, bytes]]) -> list[str]:
    """Problems of the recorded emulator answers that a vendored operation covers (Resource Graph and the
    emulator's own operation-status endpoint are not ARM resource operations and are skipped)."""
    problems = []
    for method, path, status, data in recorded:
        if operation_for(method, path) is None:
            continue
        body = json.loads(data) if data else None
        problems += [f"{method} {path}: {p}" for p in response_problems(method, path, status, body)]
    return problems


# --- create-only paths ------------------------------------------------------------------------------------


def _resolve(key: str, node: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
    ref = node.get("$ref")
    if not isinstance(ref, str):
        return key, node
    target = _target(key, ref)
    if target is None:
        return None
    return target[0], spec(target[0])["definitions"][target[1]]


def _walk(key: str, node: dict[str, Any], prefix: str, seen: tuple[str, ...], out: set[str]) -> None:
    resolved = _resolve(key, node)
    if resolved is None:
        return
    key, node = resolved
    marker = f"{key}:{id(node)}"
    if marker in seen:
        return
    seen = (*seen, marker)
    for part in node.get("allOf", []):
        _walk(key, part, prefix, seen, out)
    for name, prop in (node.get("properties") or {}).items():
        if prop.get("readOnly") is True:
            continue
        path = prefix if prop.get("x-ms-client-flatten") else (f"{prefix}.{name}" if prefix else name)
        mutability = prop.get("x-ms-mutability")
        if isinstance(mutability, list) and "create" in mutability and "update" not in mutability:
            out.add(path)
            continue
        target = _resolve(key, prop)
        if target is None:
            continue
        if target[1].get("type") == "array" or prop.get("type") == "array":
            items = target[1].get("items") or prop.get("items") or {}
            _walk(target[0], items, f"{path}[*]", seen, out)
        else:
            _walk(key, prop, path, seen, out)


def derive_create_only(pulumi_type: str) -> tuple[str, ...]:
    """URL parameters of the type's PUT (except the subscription) and body properties without "update"."""
    key, operation_id = RESOURCE_TYPES[pulumi_type]
    template, put = next(
        (t, m["put"]) for t, m in spec(key)["paths"].items() if m.get("put", {}).get("operationId") == operation_id
    )
    out = {p for p in re.findall(r"\{([^}]+)\}", template) if p not in _CONTEXT_PARAMETERS}
    body = next(p for p in put["parameters"] if p.get("in") == "body")
    _walk(key, body["schema"], "", (), out)
    return tuple(sorted(out))


def render_derived() -> str:
    lines = [
        '"""Create-only paths derived from the vendored REST specifications (x-ms-mutability without "update", and',
        "the URL parameters naming the resource). Generated by `python -m tests.conformance.azure.swagger`; do not",
        'edit: tests/unit/test_mutability.py re-derives it and fails when it differs."""',
        "",
        "from components.azure_types import AGENT_POOL, EXTENSION, FLUX_CONFIGURATION, MANAGED_CLUSTER",
        "",
        "DERIVED: dict[str, tuple[str, ...]] = {",
    ]
    for pulumi_type in sorted(RESOURCE_TYPES):
        lines.append(f"    {_CONSTANTS[pulumi_type]}.token: (")
        lines += [f'        "{path}",' for path in derive_create_only(pulumi_type)]
        lines.append("    ),")
    lines.append("}")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    target = Path(__file__).resolve().parents[3] / "fleet" / "plan" / "create_only_derived.py"
    target.write_text(render_derived())
    print(f"wrote {target}")
