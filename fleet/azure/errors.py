"""Azure failures at the CLI edge: one clear line and exit 2, never a traceback."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

import typer
from azure.core.exceptions import AzureError, ClientAuthenticationError, HttpResponseError


@contextmanager
def azure_errors(action: str) -> Iterator[None]:
    try:
        yield
    except ClientAuthenticationError as err:
        first = (str(err).strip().splitlines() or ["no credential"])[0]
        sys.stderr.write(f"{action}: cannot authenticate to Azure ({first}); run `az login` or set AZURE_* variables\n")
        raise typer.Exit(2) from None
    except HttpResponseError as err:
        code = getattr(getattr(err, "error", None), "code", None) or err.status_code
        sys.stderr.write(f"{action}: Azure answered {code}: {err.message}\n")
        raise typer.Exit(2) from None
    except AzureError as err:
        sys.stderr.write(f"{action}: cannot reach Azure: {(str(err).strip().splitlines() or ['no detail'])[0]}\n")
        raise typer.Exit(2) from None
