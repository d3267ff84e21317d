"""Azure failures at the CLI edge are one line and exit 2, through the CLI's one error boundary."""

from __future__ import annotations

import pytest
from azure.core.exceptions import ClientAuthenticationError, HttpResponseError, ServiceRequestError
from typer.testing import CliRunner

from fleet.audit import cli as audit_cli
from fleet.cli import app


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (ClientAuthenticationError("DefaultAzureCredential failed"), "fleet audit: cannot authenticate to Azure"),
        (HttpResponseError("AuthorizationFailed: no access"), "fleet audit: Azure answered"),
        (ServiceRequestError("Name or service not known"), "fleet audit: cannot reach Azure: Name or service"),
    ],
)
def test_azure_errors_become_one_line(monkeypatch: pytest.MonkeyPatch, error: Exception, expected: str) -> None:
    class _Failing:
        def resource_graph(self) -> object:
            raise error

    monkeypatch.setattr(audit_cli, "_azure_context", lambda cloud: _Failing())
    result = CliRunner().invoke(app, ["audit", "--subscription", "00000000-0000-0000-0000-000000000000"])
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith(expected) and result.stderr.count("\n") == 1
    assert isinstance(result.exception, SystemExit)  # the boundary exited; nothing escaped as a traceback


def test_verbose_shows_the_credential_chain(monkeypatch: pytest.MonkeyPatch) -> None:
    chain = (
        "DefaultAzureCredential failed to retrieve a token.\n"
        "EnvironmentCredential: not configured\nAzureCliCredential: run az login"
    )

    class _Failing:
        def resource_graph(self) -> object:
            raise ClientAuthenticationError(chain)

    monkeypatch.setattr(audit_cli, "_azure_context", lambda cloud: _Failing())
    args = ["audit", "--subscription", "00000000-0000-0000-0000-000000000000"]
    short = CliRunner().invoke(app, args)
    assert short.exit_code == 2 and short.stderr.count("\n") == 1 and "EnvironmentCredential" not in short.stderr
    full = CliRunner().invoke(app, ["--verbose", *args])
    assert full.exit_code == 2 and full.stderr.startswith("fleet audit: cannot authenticate to Azure")
    assert "EnvironmentCredential: not configured" in full.stderr and "AzureCliCredential" in full.stderr
