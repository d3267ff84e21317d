"""Shared pydantic configuration for every spec model.

Stack files are human-edited camelCase YAML (like the ARM and azure-native shapes they map to), so every
model reads camelCase aliases, forbids unknown keys (a typo must fail, not be silently ignored) and is
frozen (a spec is a value: components and checks must not mutate it).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel


class SpecModel(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="forbid",
        frozen=True,
        validate_default=True,
    )
