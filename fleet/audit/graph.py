"""Read the fleet in bulk through Azure Resource Graph: four paged queries, whatever the fleet size.

One REST call per cluster does not scale to thousands of clusters; Resource Graph returns up to 1,000
rows a page across up to 1,000 subscriptions a request. The four queries run concurrently, paced by the
user quota every answer reports (fleet/azure/quota.py, installed on the client by AzureContext.resource_graph).
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from azure.mgmt.resourcegraph import ResourceGraphClient
from azure.mgmt.resourcegraph.models import QueryRequest, QueryRequestOptions

from components.spec.redact import redact_data

_PROJECT = "project id, name, type, location, resourceGroup, subscriptionId, tags, sku, identity, properties"
QUERIES: dict[str, str] = {
    "clusters": (
        f"resources | where type =~ 'microsoft.containerservice/managedclusters' | {_PROJECT} | order by id asc"
    ),
    "extensions": (
        "kubernetesconfigurationresources | where type =~ 'microsoft.kubernetesconfiguration/extensions'"
        f" | {_PROJECT} | order by id asc"
    ),
    "fluxConfigurations": (
        "kubernetesconfigurationresources | where type =~ 'microsoft.kubernetesconfiguration/fluxconfigurations'"
        f" | {_PROJECT} | order by id asc"
    ),
    "sourceControlConfigurations": (
        "kubernetesconfigurationresources"
        " | where type =~ 'microsoft.kubernetesconfiguration/sourcecontrolconfigurations'"
        f" | {_PROJECT} | order by id asc"
    ),
}
PAGE_SIZE = 1000
SUBSCRIPTIONS_PER_REQUEST = 1000


def query_all(client: ResourceGraphClient, subscriptions: Sequence[str], query: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for start in range(0, len(subscriptions), SUBSCRIPTIONS_PER_REQUEST):
        chunk = list(subscriptions[start : start + SUBSCRIPTIONS_PER_REQUEST])
        token: str | None = None
        while True:
            options = QueryRequestOptions(top=PAGE_SIZE, skip_token=token, result_format="objectArray")
            response = client.resources(QueryRequest(subscriptions=chunk, query=query, options=options))
            # objectArray format: `data` is a list of row objects.
            rows += list(response.data or [])  # type: ignore[arg-type]
            token = response.skip_token
            if not token:
                break
    return rows


def read_fleet(client: ResourceGraphClient, subscriptions: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
    """The rows, redacted as they are read: a source URL may carry credentials, and every audit output (table,
    JSON, HTML) is drawn from these rows."""
    with ThreadPoolExecutor(max_workers=len(QUERIES)) as pool:
        futures = {name: pool.submit(query_all, client, subscriptions, q) for name, q in QUERIES.items()}
        return redact_data({name: future.result() for name, future in futures.items()})
