"""Built-in Azure role ids by name (table builtin_roles.toml)."""

from __future__ import annotations

from functools import cache

from . import FactError, field, table

TABLE = "builtin_roles"


@cache
def role_ids() -> dict[str, str]:
    return {field(r, TABLE, "name", str): field(r, TABLE, "id", str) for r in table(TABLE).rows}


def role_id(name: str) -> str:
    try:
        return role_ids()[name]
    except KeyError:
        raise FactError(f"facts/{TABLE}.toml: no role {name!r}; add it with its source") from None


def role_definition_id(subscription: str, name: str) -> str:
    return f"/subscriptions/{subscription}/providers/Microsoft.Authorization/roleDefinitions/{role_id(name)}"
