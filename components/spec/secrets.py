"""Secret values in a stack file.

A secret may only be written as Pulumi writes it: `{secure: v1:...}` (from `pulumi config set --secret
--path ...`). A plain string where a secret belongs is refused at load time, so a credential can never be
committed in plaintext. The spec carries only the ciphertext; the plaintext exists only inside the Pulumi
program, as an `Output.secret`, resolved from the decrypted config by the secret's key path.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel, GetCoreSchemaHandler
from pydantic_core import PydanticCustomError, core_schema


class SecretRef:
    """A reference to an encrypted value in the stack file. Never holds plaintext."""

    __slots__ = ("ciphertext",)

    def __init__(self, ciphertext: str) -> None:
        self.ciphertext = ciphertext

    def __repr__(self) -> str:
        return "SecretRef([secret])"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SecretRef) and other.ciphertext == self.ciphertext

    def __hash__(self) -> int:
        return hash(self.ciphertext)

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        return core_schema.no_info_plain_validator_function(
            cls._validate,
            serialization=core_schema.plain_serializer_function_ser_schema(lambda v: {"secure": v.ciphertext}),
        )

    @classmethod
    def _validate(cls, value: Any) -> SecretRef:
        if isinstance(value, SecretRef):
            return value
        if isinstance(value, dict) and set(value) == {"secure"} and isinstance(value["secure"], str):
            if not value["secure"].strip():
                raise PydanticCustomError("secret_empty", "the secure value is empty")
            return cls(value["secure"])
        if isinstance(value, str):
            raise PydanticCustomError(
                "plaintext_secret",
                "plaintext secret; accepted: a Pulumi secret ({secure: ...}) set with "
                "`pulumi config set --secret --path <key path> <value>`",
            )
        raise PydanticCustomError(
            "secret_type", "expected a Pulumi secret ({secure: ...}) set with `pulumi config set --secret`"
        )


def secret_paths(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[SecretRef, tuple[Any, ...]]]:
    """Every SecretRef in a spec with its key path (aliases, as written in the stack file)."""
    if isinstance(value, SecretRef):
        yield value, path
    elif isinstance(value, BaseModel):
        for name, f in type(value).model_fields.items():
            yield from secret_paths(getattr(value, name), (*path, f.alias or name))
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from secret_paths(v, (*path, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from secret_paths(v, (*path, i))
