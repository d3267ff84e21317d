"""Live rows → the API model's own key spelling, whatever casing the row came in.

Resource Graph answers some types with property names in another case than the REST API: Microsoft's samples
read extension rows as `properties.ExtensionType` but flux configuration rows as `properties.complianceState`
(learn.microsoft.com/azure/azure-arc/kubernetes/resource-graph-samples; vendored in
tests/conformance/azure/resource-graph). A rule reads `extensionType`, so every live row is recased here, at the
normalize edge, from the REST key names the Azure SDK models carry in their `_attribute_map`s (the same models
the plan is validated with). Map-typed values (`{str}`, `{Model}`: configuration settings, add-on profiles, tags)
keep their keys as written: those are user data, not API names. Keys the model does not know stay as they are.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from types import ModuleType
from typing import Any

from azure.mgmt.containerservice import models as containerservice_models
from azure.mgmt.kubernetesconfiguration.v2023_05_01 import models as kubernetesconfiguration_models


@dataclass
class Shape:
    """What a JSON value is in the API model: a model (named keys), a list of, or a map of, a shape; or a leaf."""

    kind: str  # "model", "list", "map" or "leaf"
    keys: dict[str, tuple[str, Shape]] = field(default_factory=dict)  # model: lower-cased key -> (REST key, shape)
    item: Shape | None = None  # list and map: the shape of each item
    exact: dict[str, tuple[str, Shape]] = field(default_factory=dict)  # model: REST key -> the same entry

    def add(self, key: str, shape: Shape) -> tuple[str, Shape]:
        entry = self.keys[key.lower()] = self.exact[key] = (key, shape)
        return entry


LEAF = Shape("leaf")


def recase(value: Any, shape: Shape) -> Any:
    """`value` with every key the model names spelled as the REST API spells it; nothing else changes."""
    if shape.kind == "model" and isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            # Rows mostly come spelled right already: try the exact key before folding its case.
            known = shape.exact.get(key) or shape.keys.get(str(key).lower())
            if known is None:
                out[key] = item
            else:
                out[known[0]] = recase(item, known[1])
        return out
    if shape.kind == "list" and isinstance(value, list) and shape.item is not None:
        return [recase(v, shape.item) for v in value]
    if shape.kind == "map" and isinstance(value, dict) and shape.item is not None:
        return {k: recase(v, shape.item) for k, v in value.items()}
    return value


def cluster_shape() -> Shape:
    return model_shape(containerservice_models, "ManagedCluster")


def agent_pool_shape() -> Shape:
    return model_shape(containerservice_models, "AgentPool")


def extension_shape() -> Shape:
    return model_shape(kubernetesconfiguration_models, "Extension")


def flux_configuration_shape() -> Shape:
    return model_shape(kubernetesconfiguration_models, "FluxConfiguration")


@cache
def model_shape(models: ModuleType, name: str) -> Shape:
    return _model(models, name, {})


def _model(models: ModuleType, name: str, seen: dict[str, Shape]) -> Shape:
    if name in seen:  # recursive models (error details nest themselves) share one Shape
        return seen[name]
    shape = seen[name] = Shape("model")
    cls = getattr(models, name)
    for attribute in getattr(cls, "_attribute_map", {}).values():
        # Flattened properties are keyed "properties.x"; an escaped dot ("\\.") belongs to the name.
        path = [p.replace("\\.", ".") for p in _split(attribute["key"])]
        node = shape
        for part in path[:-1]:
            entry = node.keys.get(part.lower())
            if entry is None or entry[1].kind != "model":
                entry = node.add(part, Shape("model"))
            node = entry[1]
        node.add(path[-1], _type(models, attribute["type"], seen))
    return shape


def _type(models: ModuleType, type_: str, seen: dict[str, Shape]) -> Shape:
    if type_.startswith("[") and type_.endswith("]"):
        return Shape("list", item=_type(models, type_[1:-1], seen))
    if type_.startswith("{") and type_.endswith("}"):
        return Shape("map", item=_type(models, type_[1:-1], seen))
    if hasattr(models, type_) and hasattr(getattr(models, type_), "_attribute_map"):
        return _model(models, type_, seen)
    return LEAF


def _split(key: str) -> list[str]:
    parts, current, escaped = [], "", False
    for char in key:
        if escaped:
            current += "\\" + char
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == ".":
            parts.append(current)
            current = ""
        else:
            current += char
    parts.append(current)
    return parts
