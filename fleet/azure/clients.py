"""One place that builds Azure SDK clients, so every command speaks to the same cloud the same way.

Retries, backoff on 429 (honouring Retry-After) and long-running-operation polling are azure-core's own
policies; nothing here re-implements them. Tests point `base_url` at the local ARM emulator.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from azure.core.credentials import TokenCredential
from azure.core.pipeline.policies import RetryPolicy
from azure.identity import AzureAuthorityHosts, DefaultAzureCredential
from azure.mgmt.containerservice import ContainerServiceClient
from azure.mgmt.kubernetesconfiguration import SourceControlConfigurationClient
from azure.mgmt.resourcegraph import ResourceGraphClient

from components.azure_types import KUBERNETESCONFIGURATION_API_VERSION
from fleet.azure.quota import ResourceGraphQuotaPolicy
from fleet.errors import BadInput

# cloud name -> (Resource Manager endpoint, Entra ID authority)
CLOUDS: dict[str, tuple[str, str]] = {
    "public": ("https://management.azure.com", AzureAuthorityHosts.AZURE_PUBLIC_CLOUD),
    "china": ("https://management.chinacloudapi.cn", AzureAuthorityHosts.AZURE_CHINA),
    "usgov": ("https://management.usgovcloudapi.net", AzureAuthorityHosts.AZURE_GOVERNMENT),
}


class ReadOnlyQueryRetryPolicy(RetryPolicy):
    """azure-core retries a POST only when the service answered; a Resource Graph query is a POST that only
    reads, so it is also safe to retry after a dropped connection or a timeout."""

    def _is_method_retryable(self, settings: Any, request: Any, response: Any = None) -> bool:
        if request.method.upper() == "POST":
            return True
        return bool(super()._is_method_retryable(settings, request, response))


@dataclass
class AzureContext:
    cloud: str = "public"
    credential: TokenCredential | None = None
    base_url: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.cloud not in CLOUDS:
            raise BadInput(f"unknown cloud {self.cloud!r}; accepted: {', '.join(CLOUDS)}")
        if self.credential is None:
            self.credential = DefaultAzureCredential(authority=CLOUDS[self.cloud][1])

    @property
    def endpoint(self) -> str:
        return CLOUDS[self.cloud][0]

    def _kwargs(self) -> dict[str, Any]:
        return {
            "base_url": self.base_url or self.endpoint,
            "credential_scopes": [f"{self.endpoint}/.default"],
            **self.extra,
        }

    def container_service(self, subscription_id: str) -> ContainerServiceClient:
        return ContainerServiceClient(self.credential, subscription_id, **self._kwargs())  # type: ignore[arg-type]

    def kubernetes_configuration(self, subscription_id: str) -> SourceControlConfigurationClient:
        return SourceControlConfigurationClient(
            self.credential,  # type: ignore[arg-type]
            subscription_id,
            api_version=KUBERNETESCONFIGURATION_API_VERSION,
            **self._kwargs(),
        )

    def resource_graph(self) -> ResourceGraphClient:
        kwargs = self._kwargs()
        policy = ReadOnlyQueryRetryPolicy(**{k: v for k, v in kwargs.items() if k.startswith("retry_")})
        return ResourceGraphClient(
            self.credential,  # type: ignore[arg-type]
            retry_policy=policy,
            per_retry_policies=[ResourceGraphQuotaPolicy()],  # after the retry policy: every attempt waits
            **kwargs,
        )
