"""Role assignments the stamp makes to identities it creates, by built-in role name (facts: builtin_roles)."""

from __future__ import annotations

import uuid

import pulumi
from pulumi_azure_native import authorization

from policies.baseline.facts.roles import role_definition_id


def grant(
    resource_name: str,
    *,
    role: str,
    scope: str,
    principal_id: pulumi.Input[str],
    parent: pulumi.Resource,
) -> authorization.RoleAssignment:
    """`role` for a service principal on `scope`; the assignment name is derived, so a re-run or a DR
    re-creation finds the same assignment instead of failing on a duplicate."""
    subscription = scope.split("/")[2]
    return authorization.RoleAssignment(
        resource_name,
        role_assignment_name=str(uuid.uuid5(uuid.NAMESPACE_URL, f"{scope}|{resource_name}|{role}")),
        principal_id=principal_id,
        principal_type="ServicePrincipal",
        role_definition_id=role_definition_id(subscription, role),
        scope=scope,
        opts=pulumi.ResourceOptions(parent=parent),
    )
