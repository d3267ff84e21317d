"""Azure failures at the CLI edge: one clear line naming the fix, never a traceback or the credential chain."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from azure.core.exceptions import AzureError, ClientAuthenticationError, HttpResponseError

from fleet.errors import BadInput


def describe_azure_error(action: str, err: AzureError) -> str:
    if isinstance(err, ClientAuthenticationError):
        first = (str(err).strip().splitlines() or ["no credential"])[0]
        return f"{action}: cannot authenticate to Azure ({first}); run `az login` or set AZURE_* variables"
    if isinstance(err, HttpResponseError):
        code = getattr(getattr(err, "error", None), "code", None) or err.status_code
        return f"{action}: Azure answered {code}: {err.message}"
    return f"{action}: cannot reach Azure: {(str(err).strip().splitlines() or ['no detail'])[0]}"


@contextmanager
def azure_errors(action: str) -> Iterator[None]:
    """Name the command in the one line the boundary (fleet/errors.py) prints for an Azure failure."""
    try:
        yield
    except AzureError as err:
        raise BadInput(describe_azure_error(action, err), detail=str(err)) from None
