"""Round-trip planned inputs through the Azure SDK models of the API version azure-native uses.

The azure-native input shape is the REST body with `properties` flattened. Rebuilding the REST body and
walking it against the SDK's `_attribute_map` catches properties the API version does not have and
values of the wrong type; the SDK's own `validate()` then checks required fields, patterns and bounds.
A problem becomes a plan error naming the resource and the property.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from azure.mgmt.containerservice import models as containerservice_models
from azure.mgmt.kubernetesconfiguration.v2023_05_01 import models as kubernetesconfiguration_models

from components.azure_types import (
    AGENT_POOL,
    EXTENSION,
    FLUX_CONFIGURATION,
    MANAGED_CLUSTER,
    SECRET,
    UNKNOWN,
    AzureType,
    to_arm,
)
from components.spec.redact import MASK, is_secret_key, redact_text

from .model import PlanError, PlannedResource


@dataclass(frozen=True)
class ModelBinding:
    """The Azure SDK model of a type's API version (components/azure_types.py holds the version and URL parameters;
    tests/unit/test_sdk_validation.py checks the SDK and azure-native speak it)."""

    azure_type: AzureType
    models: ModuleType
    model: str


BINDINGS: dict[str, ModelBinding] = {
    binding.azure_type.token: binding
    for binding in (
        ModelBinding(MANAGED_CLUSTER, containerservice_models, "ManagedCluster"),
        ModelBinding(AGENT_POOL, containerservice_models, "AgentPool"),
        ModelBinding(EXTENSION, kubernetesconfiguration_models, "Extension"),
        ModelBinding(FLUX_CONFIGURATION, kubernetesconfiguration_models, "FluxConfiguration"),
    )
}

_PRIMITIVES: dict[str, tuple[type, ...]] = {
    "str": (str,),
    "bool": (bool,),
    "int": (int,),
    "long": (int,),
    "float": (int, float),
    "object": (object,),
    "iso-8601": (str,),
    "duration": (str,),
    "rfc-1123": (str,),
}
_KEY_SPLIT = re.compile(r"(?<!\\)\.")


def validate_resources(resources: list[PlannedResource]) -> list[PlanError]:
    errors: list[PlanError] = []
    for resource in resources:
        binding = BINDINGS.get(resource.type)
        if binding is not None:
            errors += validate_resource(resource, binding)
    return errors


def validate_resource(resource: PlannedResource, binding: ModelBinding) -> list[PlanError]:
    label = f"{resource.type} {resource.name}"
    model_cls = getattr(binding.models, binding.model)
    rest_body = to_arm(binding.azure_type, resource.inputs)
    problems = list(_walk(rest_body, binding.model, binding.models, ""))
    if not problems:
        try:
            model_cls.deserialize(_without_markers(rest_body))
        except Exception as err:  # the SDK raises its own DeserializationError family on bad values
            problems.append(("", f"rejected by the SDK model: {err}"))
    return [PlanError(label, _flat_path(path) or "(body)", message) for path, message in problems]


def _flat_path(path: str) -> str:
    """Report paths in the azure-native input shape the user's plan shows (properties flattened)."""
    return path.removeprefix("properties.")


def _walk(value: Any, type_name: str, models: ModuleType, path: str) -> Any:
    if value in (UNKNOWN, SECRET) or value is None:
        return
    if type_name.startswith("[") and type_name.endswith("]"):
        if not isinstance(value, list):
            yield path, f"expected a list, got {type(value).__name__}"
            return
        for i, item in enumerate(value):
            yield from _walk(item, type_name[1:-1], models, f"{path}[{i}]")
        return
    if type_name.startswith("{") and type_name.endswith("}"):
        if not isinstance(value, dict):
            yield path, f"expected a map, got {type(value).__name__}"
            return
        for key, item in value.items():
            yield from _walk(item, type_name[1:-1], models, f"{path}.{key}" if path else key)
        return
    if type_name in _PRIMITIVES:
        if not isinstance(value, _PRIMITIVES[type_name]) or (
            type_name != "bool" and isinstance(value, bool) and type_name != "object"
        ):
            yield path, f"expected {type_name}, got {type(value).__name__} {_quoted(path, value)}"
        return
    model_cls = getattr(models, type_name, None)
    if model_cls is None:  # enums are serialized as str
        if not isinstance(value, str):
            yield path, f"expected a {type_name} value (string), got {_quoted(path, value)}"
        return
    yield from _walk_model(value, _attribute_tree(model_cls), models, path)


@dataclass(frozen=True)
class _Leaf:
    type_name: str
    rules: dict[str, Any]


def _walk_model(
    value: Any, tree: dict[str, Any], models: ModuleType, path: str, outer: dict[str, Any] | None = None
) -> Any:
    if not isinstance(value, dict):
        yield path, f"expected an object, got {type(value).__name__}"
        return
    for key, node in tree.items():
        if isinstance(node, _Leaf) and node.rules.get("required") and key not in value:
            yield (f"{path}.{key}" if path else key), "required by the API"
    for key, item in value.items():
        child = f"{path}.{key}" if path else key
        node = tree.get(key)
        if node is None:
            # to_arm nests every input outside the envelope under `properties`; the user wrote it in the flat
            # shape, where the envelope's keys are accepted too.
            yield child, f"not a property of this API version; accepted: {', '.join(_accepted(outer or tree))}"
        elif isinstance(node, dict):
            yield from _walk_model(item, node, models, child, tree if child == "properties" else None)
        elif node.rules.get("readonly"):
            yield child, "read-only: Azure sets it, a request must not"
        else:
            yield from _check_rules(item, node.rules, child)
            yield from _walk(item, node.type_name, models, child)


def _check_rules(value: Any, rules: dict[str, Any], path: str) -> Any:
    if value in (UNKNOWN, SECRET) or value is None:
        return
    if isinstance(value, str):
        if "pattern" in rules and not re.search(rules["pattern"], value):
            yield path, f"{_quoted(path, value)} does not match {rules['pattern']}"
        if "max_length" in rules and len(value) > rules["max_length"]:
            yield path, f"longer than {rules['max_length']} characters"
        if "min_length" in rules and len(value) < rules["min_length"]:
            yield path, f"shorter than {rules['min_length']} characters"
    if isinstance(value, int | float) and not isinstance(value, bool):
        if "maximum" in rules and value > rules["maximum"]:
            yield path, f"{value} is above the maximum {rules['maximum']}"
        if "minimum" in rules and value < rules["minimum"]:
            yield path, f"{value} is below the minimum {rules['minimum']}"
    if isinstance(value, list):
        if "max_items" in rules and len(value) > rules["max_items"]:
            yield path, f"more than {rules['max_items']} items"
        if "min_items" in rules and len(value) < rules["min_items"]:
            yield path, f"fewer than {rules['min_items']} items"


def _quoted(path: str, value: Any) -> str:
    """The offending value for a message; never one under a key that names a credential (protected settings)."""
    if any(is_secret_key(step) for step in _KEY_SPLIT.split(path)):
        return MASK
    return redact_text(repr(value))


def _accepted(tree: dict[str, Any]) -> list[str]:
    keys = [k for k, node in tree.items() if not (isinstance(node, _Leaf) and node.rules.get("readonly"))]
    nested = tree.get("properties")
    if isinstance(nested, dict):
        keys = [k for k in keys if k != "properties"] + _accepted(nested)
    return sorted(keys)


def _attribute_tree(model_cls: type) -> dict[str, Any]:
    """The model's REST keys as a tree ('properties.x' nests); leaves carry the SDK type and rules."""
    tree: dict[str, Any] = {}
    validation = getattr(model_cls, "_validation", {})
    for attr, spec in model_cls._attribute_map.items():  # type: ignore[attr-defined]
        parts = [p.replace("\\.", ".") for p in _KEY_SPLIT.split(spec["key"])]
        node = tree
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = _Leaf(spec["type"], validation.get(attr, {}))
    return tree


def _without_markers(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_markers(v) for k, v in value.items() if v not in (UNKNOWN, SECRET)}
    if isinstance(value, list):
        return [_without_markers(v) for v in value if v not in (UNKNOWN, SECRET)]
    return value
