"""Azure failures at the CLI edge are one line and exit 2."""

from __future__ import annotations

import pytest
import typer
from azure.core.exceptions import ClientAuthenticationError, HttpResponseError, ServiceRequestError

from fleet.azure.errors import azure_errors


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (ClientAuthenticationError("DefaultAzureCredential failed"), "fleet audit: cannot authenticate to Azure"),
        (HttpResponseError("AuthorizationFailed: no access"), "fleet audit: Azure answered"),
        (ServiceRequestError("Name or service not known"), "fleet audit: cannot reach Azure: Name or service"),
    ],
)
def test_azure_errors_become_one_line(capsys: pytest.CaptureFixture[str], error: Exception, expected: str) -> None:
    with pytest.raises(typer.Exit) as caught, azure_errors("fleet audit"):
        raise error
    assert caught.value.exit_code == 2
    err = capsys.readouterr().err
    assert err.startswith(expected) and err.count("\n") == 1 and "Traceback" not in err
