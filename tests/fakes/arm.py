"""A local Azure Resource Manager emulator: a test double (like moto for AWS) for the few endpoints the
toolkit uses, spoken to by the official SDK clients over real HTTPS.

Implements managedClusters and agentPools (2025-09-01), Microsoft.KubernetesConfiguration extensions,
fluxConfigurations and sourceControlConfigurations (2023-05-01), and Resource Graph queries of the fixed
shapes the toolkit sends; long-running operations through Azure-AsyncOperation, list paging through
nextLink, Resource Graph paging through $skipToken, Flux compliance that progresses with time, and
injected faults (429 with Retry-After, 503, dropped connections) and latency. HTTPS because azure-core
refuses to send bearer tokens over plain HTTP; the certificate is self-signed at start.

What real Azure does, from Azure's own artefacts (tests/conformance/azure/arm/PROVENANCE.md; checked by
tests/integration/test_emulator_conformance.py): PUT answers 201 on create and 200 on update and DELETE 202
(AgentPoolsCreate_Update.json, AgentPoolsDelete.json, DeleteExtension.json); the cluster GET lists every pool,
separately created ones too, in agentPoolProfiles; resource ids come back with `resourcegroups` lower-cased
(ManagedClustersGet.json); Resource Graph answers only from the table a query names, extension rows with
PascalCase property names (Microsoft's Resource Graph samples) and every answer with the throttling headers.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import ipaddress
import json
import math
import random
import re
import ssl
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from azure.core.credentials import AccessToken

from policies.baseline.facts.kubernetes import newest_supported_patch

_SUB = r"/subscriptions/(?P<sub>[^/]+)"
_RG = _SUB + r"/resourceGroups/(?P<rg>[^/]+)"
_CLUSTER = _RG + r"/providers/Microsoft\.ContainerService/managedClusters/(?P<cluster>[^/]+)"
_KINDS = r"(?P<kind>extensions|fluxConfigurations|sourceControlConfigurations)"
_KC = _CLUSTER + r"/providers/Microsoft\.KubernetesConfiguration/" + _KINDS
ROUTES = [
    ("operation", re.compile(_SUB + r"/providers/Emulator/operations/(?P<op>[^/]+)$", re.I)),
    ("cluster", re.compile(_CLUSTER + r"$", re.I)),
    (
        "clusters",
        re.compile(
            _SUB + r"(?:/resourceGroups/(?P<rg>[^/]+))?/providers/Microsoft\.ContainerService/managedClusters$", re.I
        ),
    ),
    ("pool", re.compile(_CLUSTER + r"/agentPools/(?P<name>[^/]+)$", re.I)),
    ("pools", re.compile(_CLUSTER + r"/agentPools$", re.I)),
    ("child", re.compile(_KC + r"/(?P<name>[^/]+)$", re.I)),
    ("children", re.compile(_KC + r"$", re.I)),
    ("graph", re.compile(r"/providers/Microsoft\.ResourceGraph/resources$", re.I)),
]
TYPES = {
    "extensions": "Microsoft.KubernetesConfiguration/extensions",
    "fluxconfigurations": "Microsoft.KubernetesConfiguration/fluxConfigurations",
    "sourcecontrolconfigurations": "Microsoft.KubernetesConfiguration/sourceControlConfigurations",
}
# Which Resource Graph table holds which types: Microsoft.KubernetesConfiguration types are in
# KubernetesConfigurationResources, not Resources (the samples query them there; resource-graph/*.kql).
_KC_TABLE = "kubernetesconfigurationresources"
_QUERY = re.compile(
    r"^\s*(?P<table>resources|kubernetesconfigurationresources)\s*\|\s*where\s+type\s*=~\s*'(?P<type>[^']+)'"
    r"(?:\s*\|\s*project\s+(?P<project>[\w\s,]+?))?(?:\s*\|\s*order\s+by\s+id\s+asc)?\s*$",
    re.I,
)


# Every answer any emulator gives while it is set: (method, path without the query, status, body bytes). The
# suite sets it around each test and checks each answer against the vendored REST specifications
# (tests/conftest.py, tests/conformance/azure/swagger.py); None records nothing (benchmarks).
RECORDED: list[tuple[str, str, int, bytes]] | None = None


class TestCredential:
    """A TokenCredential that hands out a fixed token; the emulator does not check it."""

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        return AccessToken("emulator-token", int(time.time()) + 3600)


@dataclass
class Stored:
    body: dict[str, Any]
    created: float
    ready_at: float  # when its provisioning operation finishes


@dataclass
class ComplianceScript:
    """How Flux reports a configuration over time, in the shapes of fluxconfiguration.json 2023-05-01.

    `steps`: seconds after provisioning -> complianceState; `failing` Kustomization objects ({name, reason,
    message}) are reported Non-Compliant while the state is not Compliant.
    `revision_format`: how sourceSyncedCommitId spells the commit: "at" `main@sha1:<sha>` (Flux >= 2.0,
    RFC-0005), "slash" `main/<sha>` (the API example GetFluxConfiguration.json) or "bare" `<sha>`.
    `applied_after`: seconds after provisioning before the Kustomizations apply the synced commit; until then
    they report `previous_commit` (Compliant, "Applied revision: <previous>") or, without one, Ready Unknown
    "Reconciliation in progress" (kustomize-controller v1.7.0 kustomization_controller.go).
    `helm_releases`: HelmRelease objects ({name, namespace, chart "<name>@<version>", from_git, state, reason,
    message, failureCount/installFailureCount/upgradeFailureCount}), reported with helmReleaseProperties.
    """

    steps: list[tuple[float, str]]
    failing: list[dict[str, str]] = field(default_factory=list)
    revision_format: str = "at"
    applied_after: float = 0.0
    previous_commit: str | None = None
    helm_releases: list[dict[str, Any]] = field(default_factory=list)


class ArmEmulator:
    def __init__(
        self,
        *,
        latency: float = 0.0,
        fault_rate: float = 0.0,
        seed: int = 0,
        page_size: int = 100,
        retry_after: int = 0,
        provisioning_seconds: dict[str, float] | None = None,
        reconcile_seconds: float = 0.0,
        commit: str = "3f2a9c1d5e7b8a0f4c6d2e1b9a8c7d6e5f4a3b2c",
        graph_quota: int = 1000,
        graph_quota_window: float = 5.0,
    ) -> None:
        self.latency = latency
        self.fault_rate = fault_rate
        self.page_size = page_size
        self.retry_after = retry_after
        self.provisioning_seconds = provisioning_seconds or {}
        self.reconcile_seconds = reconcile_seconds
        self.commit = commit
        # Resource Graph allots each user a number of queries per time window ("for example … at most 15 queries
        # within every 5-second window"; learn.microsoft.com/azure/governance/resource-graph/concepts/
        # guidance-for-throttled-requests). Generous by default so tests and benchmarks are not slowed.
        self.graph_quota = graph_quota
        self.graph_quota_window = graph_quota_window
        self._graph_window: tuple[float, int] = (0.0, 0)  # window start, queries used in it
        self.resources: dict[str, Stored] = {}
        self._pool_index: dict[str, dict[str, None]] = {}  # cluster id -> its pools' ids (ordered), lower-cased
        self.operations: dict[str, float] = {}  # operation id -> finishes at
        self.scripts: dict[str, ComplianceScript] = {}
        self.request_log: list[tuple[str, str, int]] = []
        self.credential = TestCredential()
        self._rng = random.Random(seed)
        self._lock = threading.RLock()
        self._server: ThreadingHTTPServer | None = None
        self._dir = tempfile.TemporaryDirectory(prefix="arm-emulator-")
        self.ca_bundle = ""
        self.base_url = ""

    # --- lifecycle ---------------------------------------------------------------------------------------

    def __enter__(self) -> ArmEmulator:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        cert, key = _self_signed(Path(self._dir.name))
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        server.daemon_threads = True
        server.socket = context.wrap_socket(server.socket, server_side=True)
        self._server = server
        self.ca_bundle = str(cert)
        self.base_url = f"https://127.0.0.1:{server.server_address[1]}"
        threading.Thread(target=server.serve_forever, daemon=True, name="arm-emulator").start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        self._dir.cleanup()

    def client_kwargs(self) -> dict[str, Any]:
        """What an SDK client (or fleet.azure.AzureContext.extra) needs to talk to the emulator."""
        return {
            "base_url": self.base_url,
            "connection_verify": self.ca_bundle,
            "credential_scopes": ["https://management.azure.com/.default"],
            "polling_interval": 0.02,
            "retry_total": 10,
            "retry_backoff_factor": 0.01,
            "retry_backoff_max": 0.2,
        }

    def azure_context(self) -> Any:
        from fleet.azure import AzureContext

        kwargs = self.client_kwargs()
        kwargs.pop("credential_scopes")
        base_url = kwargs.pop("base_url")
        return AzureContext(credential=self.credential, base_url=base_url, extra=kwargs)

    # --- seeding -------------------------------------------------------------------------------------------

    def add_cluster(
        self,
        subscription: str,
        resource_group: str,
        name: str,
        *,
        location: str = "japaneast",
        properties: dict[str, Any] | None = None,
        tags: dict[str, str] | None = None,
        sku: dict[str, str] | None = None,
    ) -> str:
        cid = cluster_id(subscription, resource_group, name)
        body = {
            "location": location,
            "tags": tags or {"environment": "prod"},
            "sku": sku or {"name": "Base", "tier": "Standard"},
            "identity": {"type": "SystemAssigned"},
            "properties": properties or secure_cluster_properties(),
        }
        with self._lock:
            self._store_cluster(cid, body, ready_at=0.0)
        return cid

    def add_extension(self, cluster_id: str, name: str = "flux", properties: dict[str, Any] | None = None) -> str:
        rid = f"{cluster_id}/providers/Microsoft.KubernetesConfiguration/extensions/{name}"
        props = properties or {
            "extensionType": "microsoft.flux",
            "autoUpgradeMinorVersion": False,
            "releaseTrain": "Stable",
            "version": "1.24.1",
            "scope": {"cluster": {"releaseNamespace": "flux-system"}},
            "configurationSettings": {"multiTenancy.enforce": "true"},
        }
        with self._lock:
            self._put_child(rid, "extensions", name, {"properties": props}, ready_at=0.0)
        return rid

    def add_flux_configuration(
        self,
        cluster_id: str,
        name: str = "platform",
        properties: dict[str, Any] | None = None,
        *,
        compliant_after: float = 0.0,
    ) -> str:
        rid = f"{cluster_id}/providers/Microsoft.KubernetesConfiguration/fluxConfigurations/{name}"
        props = properties or secure_flux_properties()
        with self._lock:
            self._put_child(rid, "fluxconfigurations", name, {"properties": props}, ready_at=0.0)
            self.resources[rid.lower()].created = time.monotonic() - max(self.reconcile_seconds - compliant_after, 0)
        return rid

    def add_source_control_configuration(self, cluster_id: str, name: str) -> str:
        rid = f"{cluster_id}/providers/Microsoft.KubernetesConfiguration/sourceControlConfigurations/{name}"
        with self._lock:
            self._put_child(
                rid,
                "sourcecontrolconfigurations",
                name,
                {"properties": {"repositoryUrl": "git@github.com:contoso/legacy", "operatorType": "Flux"}},
                0.0,
            )
        return rid

    def set_compliance(self, configuration_name: str, script: ComplianceScript) -> None:
        self.scripts[configuration_name] = script

    def puts(self, fragment: str) -> int:
        """How many successful PUTs a resource got (by a path fragment such as 'managedClusters/aks-1')."""
        with self._lock:
            return sum(1 for m, p, s in self.request_log if m == "PUT" and fragment.lower() in p.lower() and s < 300)

    # --- request handling ----------------------------------------------------------------------------------

    def handle(self, method: str, url: str, body: bytes) -> tuple[int, dict[str, str], Any] | None:
        """(status, headers, json body); None drops the connection."""
        if self.latency:
            time.sleep(self.latency)
        with self._lock:
            fault = self._rng.random() < self.fault_rate
            kind = self._rng.choice(("429", "503", "reset")) if fault else ""
        if kind == "reset":
            return None
        if kind == "429":
            return 429, {"Retry-After": str(self.retry_after)}, _error("TooManyRequests", "throttled by the emulator")
        if kind == "503":
            return 503, {}, _error("ServiceUnavailable", "injected fault")
        parts = urlsplit(url)
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        for route, pattern in ROUTES:
            match = pattern.match(parts.path)
            if match:
                with self._lock:
                    return getattr(self, f"_{route}")(method, match.groupdict(), query, _json(body))
        return 404, {}, _error("NoRegisteredProviderFound", f"the emulator does not serve {parts.path}")

    def _operation(
        self, method: str, m: dict[str, str], q: dict[str, str], body: Any
    ) -> tuple[int, dict[str, str], Any]:
        ends = self.operations.get(m["op"])
        if ends is None:
            return 404, {}, _error("NotFound", "no such operation")
        status = "Succeeded" if time.monotonic() >= ends else "InProgress"
        return 200, {}, {"id": m["op"], "name": m["op"], "status": status}

    def _cluster(self, method: str, m: dict[str, str], q: dict[str, str], body: Any) -> tuple[int, dict[str, str], Any]:
        cid = cluster_id(m["sub"], m["rg"], m["cluster"])
        if method == "GET":
            return self._get(cid)
        if method == "PUT":
            created = cid.lower() not in self.resources
            wait = self.provisioning_seconds.get("managedClusters", 0.0)
            stored = self._store_cluster(cid, body, ready_at=time.monotonic() + wait)
            return self._accepted(m["sub"], stored, wait, created)
        if method == "DELETE":
            return self._delete(m["sub"], cid)
        return 405, {}, _error("MethodNotAllowed", method)

    def _clusters(
        self, method: str, m: dict[str, str], q: dict[str, str], body: Any
    ) -> tuple[int, dict[str, str], Any]:
        prefix = f"/subscriptions/{m['sub']}/" + (f"resourceGroups/{m['rg']}/" if m.get("rg") else "")
        items = [
            s
            for k, s in self.resources.items()
            if k.startswith(prefix.lower()) and s.body["type"] == "Microsoft.ContainerService/managedClusters"
        ]
        return self._page(items, q, f"{prefix}providers/Microsoft.ContainerService/managedClusters")

    def _pool(self, method: str, m: dict[str, str], q: dict[str, str], body: Any) -> tuple[int, dict[str, str], Any]:
        cid = self._cluster_id(m)
        pid = f"{cid}/agentPools/{m['name']}"
        if cid.lower() not in self.resources:
            return 404, {}, _error("ParentResourceNotFound", f"cluster {m['cluster']} not found")
        if method == "GET":
            return self._get(pid)
        if method == "PUT":
            created = pid.lower() not in self.resources
            wait = self.provisioning_seconds.get("agentPools", 0.0)
            stored = self._store(
                pid,
                m["name"],
                "Microsoft.ContainerService/managedClusters/agentPools",
                {"properties": body.get("properties", {})},
                time.monotonic() + wait,
            )
            return self._accepted(m["sub"], stored, wait, created)
        if method == "DELETE":
            return self._delete(m["sub"], pid)
        return 405, {}, _error("MethodNotAllowed", method)

    def _pools(self, method: str, m: dict[str, str], q: dict[str, str], body: Any) -> tuple[int, dict[str, str], Any]:
        cid = self._cluster_id(m)
        items = [s for k, s in self.resources.items() if k.startswith(f"{cid}/agentPools/".lower())]
        return self._page(items, q, f"{cid}/agentPools")

    def _child(self, method: str, m: dict[str, str], q: dict[str, str], body: Any) -> tuple[int, dict[str, str], Any]:
        cid = self._cluster_id(m)
        kind = m["kind"].lower()
        rid = f"{cid}/providers/Microsoft.KubernetesConfiguration/{m['kind']}/{m['name']}"
        if cid.lower() not in self.resources:
            return 404, {}, _error("ParentResourceNotFound", f"cluster {m['cluster']} not found")
        if method == "GET":
            return self._get(rid)
        if method == "PUT":
            if kind == "fluxconfigurations" and not self._has_flux_extension(cid):
                return (
                    400,
                    {},
                    _error("ExtensionNotFound", "the microsoft.flux extension is not installed on the cluster"),
                )
            created = rid.lower() not in self.resources
            wait = self.provisioning_seconds.get(kind, 0.0)
            stored = self._put_child(rid, kind, m["name"], body, time.monotonic() + wait)
            return self._accepted(m["sub"], stored, wait, created)
        if method == "DELETE":
            return self._delete(m["sub"], rid)
        return 405, {}, _error("MethodNotAllowed", method)

    def _children(
        self, method: str, m: dict[str, str], q: dict[str, str], body: Any
    ) -> tuple[int, dict[str, str], Any]:
        cid = self._cluster_id(m)
        prefix = f"{cid}/providers/Microsoft.KubernetesConfiguration/{m['kind']}/".lower()
        return self._page([s for k, s in self.resources.items() if k.startswith(prefix)], q, prefix.rstrip("/"))

    def _graph(self, method: str, m: dict[str, str], q: dict[str, str], body: Any) -> tuple[int, dict[str, str], Any]:
        query = _QUERY.match(str((body or {}).get("query", "")))
        if method != "POST" or query is None:
            return (
                400,
                {},
                _error(
                    "BadRequest",
                    "the emulator supports `<table> | where type =~ '<type>' [| project ...] [| order by id asc]`",
                ),
            )
        throttle = self._graph_quota()
        if throttle[0] == 0 and throttle[2]:
            return 429, throttle[1], _error("RateLimiting", "Resource Graph quota used up for this window")
        wanted = query.group("type").lower()
        in_kc_table = wanted.startswith("microsoft.kubernetesconfiguration/")
        if in_kc_table != (query.group("table").lower() == _KC_TABLE):
            wanted = ""  # the type lives in the other table: no rows, as Azure answers
        subscriptions = {s.lower() for s in (body.get("subscriptions") or [])}
        rows = []
        for key in sorted(self.resources):
            stored = self.resources[key]
            if stored.body["type"].lower() != wanted or key.split("/")[2] not in subscriptions:
                continue
            view = self._view(stored)
            if view["type"] == TYPES["extensions"]:
                view["properties"] = _pascal(view["properties"], _extension_maps())
            parts = view["id"].split("/")
            row = {
                "id": view["id"],
                "name": view["name"],
                "type": view["type"].lower(),
                "location": view.get("location", ""),
                "resourceGroup": parts[4],
                "subscriptionId": parts[2],
                "tags": view.get("tags", {}),
                "sku": view.get("sku"),
                "identity": view.get("identity"),
                "properties": view.get("properties", {}),
            }
            if query.group("project"):
                keep = [c.strip() for c in query.group("project").split(",")]
                row = {k: row.get(k) for k in keep}
            rows.append(row)
        options = body.get("options") or {}
        top = int(options.get("$top") or 1000)
        offset = int(base64.b64decode(options["$skipToken"]).decode()) if options.get("$skipToken") else 0
        page = rows[offset : offset + top]
        response: dict[str, Any] = {
            "totalRecords": len(rows),
            "count": len(page),
            "resultTruncated": "false",
            "data": page,
            "facets": [],
        }
        if offset + top < len(rows):
            response["$skipToken"] = base64.b64encode(str(offset + top).encode()).decode()
        return 200, throttle[1], response

    def _graph_quota(self) -> tuple[int, dict[str, str], bool]:
        """(queries left after this one, the throttling headers, whether this one is over the quota)."""
        now = time.monotonic()
        start, used = self._graph_window
        if now >= start + self.graph_quota_window:
            start, used = now, 0
        over = used >= self.graph_quota
        used = used if over else used + 1
        self._graph_window = (start, used)
        left = max(self.graph_quota - used, 0)
        resets = max(math.ceil(start + self.graph_quota_window - now), 0)
        # x-ms-user-quota-remaining (int), x-ms-user-quota-resets-after (hh:mm:ss): the guidance page above.
        headers = {
            "x-ms-user-quota-remaining": str(left),
            "x-ms-user-quota-resets-after": f"{resets // 3600:02d}:{resets % 3600 // 60:02d}:{resets % 60:02d}",
        }
        return left, headers, over

    # --- helpers -------------------------------------------------------------------------------------------

    def _cluster_id(self, m: dict[str, str]) -> str:
        return cluster_id(m["sub"], m["rg"], m["cluster"])

    def _has_flux_extension(self, cid: str) -> bool:
        prefix = f"{cid}/providers/Microsoft.KubernetesConfiguration/extensions/".lower()
        return any(
            k.startswith(prefix) and str(s.body["properties"].get("extensionType", "")).lower() == "microsoft.flux"
            for k, s in self.resources.items()
        )

    def _store(self, rid: str, name: str, type_: str, body: dict[str, Any], ready_at: float) -> Stored:
        previous = self.resources.get(rid.lower())
        stored = Stored(
            {
                **{k: v for k, v in body.items() if k in ("location", "tags", "sku", "identity")},
                "id": rid,
                "name": name,
                "type": type_,
                "properties": dict(body.get("properties") or {}),
            },
            created=previous.created if previous else time.monotonic(),
            ready_at=ready_at,
        )
        self.resources[rid.lower()] = stored
        if type_ == "Microsoft.ContainerService/managedClusters/agentPools":
            self._pool_index.setdefault(rid.lower().rsplit("/agentpools/", 1)[0], {})[rid.lower()] = None
        return stored

    def _store_cluster(self, cid: str, body: dict[str, Any], ready_at: float) -> Stored:
        name = cid.rsplit("/", 1)[-1]
        body = json.loads(json.dumps(body))
        previous = self.resources.get(cid.lower())
        was = ((previous.body["properties"].get("addonProfiles") or {}) if previous else {}).get("omsagent") or {}
        oms = ((body.get("properties") or {}).get("addonProfiles") or {}).get("omsagent") or {}
        if was.get("enabled") is False and oms.get("enabled") and isinstance(oms.get("config"), dict):
            # Enabled again after being disabled, AKS loses the config keys' case
            # (github.com/Azure/azure-rest-api-specs/issues/10716); lower-case is this emulator's reading.
            oms["config"] = {k.lower(): v for k, v in oms["config"].items()}
        identity = body.get("identity") or {}
        if isinstance(identity.get("userAssignedIdentities"), dict):
            body["identity"] = {
                **identity,
                "userAssignedIdentities": {
                    k: {"principalId": _guid(k, "p"), "clientId": _guid(k, "c")}
                    for k in identity["userAssignedIdentities"]
                },
            }
        stored = self._store(cid, name, "Microsoft.ContainerService/managedClusters", body, ready_at)
        props = stored.body["properties"]
        version = str(props.get("kubernetesVersion", "1.33"))
        props["currentKubernetesVersion"] = version if version.count(".") == 2 else f"{version}.5"
        props["fqdn"] = f"{props.get('dnsPrefix', name)}-{_guid(cid)[:8]}.hcp.{stored.body.get('location')}.azmk8s.io"
        if (props.get("oidcIssuerProfile") or {}).get("enabled"):
            props["oidcIssuerProfile"]["issuerURL"] = (
                f"https://{stored.body.get('location')}.oic.prod-aks.azure.com/{_guid('tenant')}/{_guid(cid)}/"
            )
        for profile in props.get("agentPoolProfiles") or []:
            pool_body = {"properties": {k: v for k, v in profile.items() if k != "name"}}
            self._store(
                f"{cid}/agentPools/{profile['name']}",
                profile["name"],
                "Microsoft.ContainerService/managedClusters/agentPools",
                pool_body,
                ready_at,
            )
        return stored

    def _put_child(self, rid: str, kind: str, name: str, body: dict[str, Any], ready_at: float) -> Stored:
        stored = self._store(rid, name, TYPES[kind], body, ready_at)
        if kind == "extensions":
            props = stored.body["properties"]
            props["currentVersion"] = props.get("version") or "1.24.1"
            props.setdefault("statuses", [])  # read-only keys GetExtension.json carries
            props.setdefault("isSystemExtension", False)
        if kind == "fluxconfigurations":
            for kname, kustomization in (stored.body["properties"].get("kustomizations") or {}).items():
                kustomization["name"] = kname  # read-only, as GetFluxConfiguration.json shows
        return stored

    def _accepted(
        self, subscription: str, stored: Stored, wait: float, created: bool
    ) -> tuple[int, dict[str, str], Any]:
        """201 on create, 200 on update (AgentPoolsCreate_Update.json answers both)."""
        op = uuid.uuid4().hex
        self.operations[op] = stored.ready_at if wait else 0.0
        url = f"{self.base_url}/subscriptions/{subscription}/providers/Emulator/operations/{op}?api-version=2025-09-01"
        return (201 if created else 200), {"Azure-AsyncOperation": url}, self._view(stored)

    def _get(self, rid: str) -> tuple[int, dict[str, str], Any]:
        stored = self.resources.get(rid.lower())
        if stored is None:
            return 404, {}, _error("ResourceNotFound", f"{rid} not found")
        return 200, {}, self._view(stored)

    def _delete(self, subscription: str, rid: str) -> tuple[int, dict[str, str], Any]:
        """Asynchronous: 202 with the operation to poll (AgentPoolsDelete.json gives `location`,
        DeleteExtension.json `Azure-AsyncOperation`); 204 when there is nothing to delete."""
        doomed = [k for k in self.resources if k == rid.lower() or k.startswith(rid.lower() + "/")]
        if not doomed:
            return 204, {}, None
        for key in doomed:
            del self.resources[key]
            self._pool_index.pop(key, None)
            self._pool_index.get(key.rsplit("/agentpools/", 1)[0], {}).pop(key, None)
        op = uuid.uuid4().hex
        self.operations[op] = 0.0
        url = f"{self.base_url}/subscriptions/{subscription}/providers/Emulator/operations/{op}?api-version=2025-09-01"
        return 202, {"Location": url, "Azure-AsyncOperation": url}, None

    def _page(self, items: list[Stored], q: dict[str, str], path: str) -> tuple[int, dict[str, str], Any]:
        offset = int(q.get("$skiptoken", "0") or 0)
        page = items[offset : offset + self.page_size]
        body: dict[str, Any] = {"value": [self._view(s) for s in page]}
        if offset + self.page_size < len(items):
            api = q.get("api-version", "")
            body["nextLink"] = f"{self.base_url}{path}?api-version={api}&$skiptoken={offset + self.page_size}"
        return 200, {}, body

    def _view(self, stored: Stored) -> dict[str, Any]:
        """The resource as ARM returns it now: provisioning and Flux compliance evaluated against the clock."""
        body = json.loads(json.dumps(stored.body))
        props = body["properties"]
        now = time.monotonic()
        props["provisioningState"] = "Succeeded" if now >= stored.ready_at else "Creating"
        if body["type"] == TYPES["fluxconfigurations"]:
            self._compliance(body, stored, now)
        if body["type"] == "Microsoft.ContainerService/managedClusters":
            # Every pool of the cluster, those created as separate agentPools too (ManagedClustersGet.json lists
            # the cluster's pools in agentPoolProfiles), and resource ids re-cased as that example answers them.
            pools = [self.resources[k] for k in self._pool_index.get(stored.body["id"].lower(), {})]
            props["agentPoolProfiles"] = [{"name": s.body["name"], **self._view(s)["properties"]} for s in pools]
            body["properties"] = _recase_ids(props)
        return body

    def _compliance(self, body: dict[str, Any], stored: Stored, now: float) -> None:
        props = body["properties"]
        elapsed = now - max(stored.created, stored.ready_at) if now >= stored.ready_at else -1.0
        script = self.scripts.get(body["name"]) or ComplianceScript(
            [(0.0, "Pending"), (self.reconcile_seconds, "Compliant")]
        )
        state = "Pending"
        for at, step in script.steps:
            if elapsed >= at:
                state = step
        # `suspend` stops Flux reconciling; the API's FluxComplianceStateDefinition has "Suspended" for it.
        if props.get("suspend") is True:
            state = "Suspended"
        ref = (props.get("gitRepository") or {}).get("repositoryRef") or {}
        # Flux names the revision after the branch or tag it checked out; for a semver range that is the matching
        # tag, which the emulator (holding no tags) stands in for with a placeholder.
        label = ref.get("branch") or ref.get("tag") or ("v0.0.0-emulated" if ref.get("semver") else "main")
        commit = ref.get("commit") or self.commit
        synced = state != "Pending"
        props["complianceState"] = state
        props["sourceSyncedCommitId"] = _flux_revision(label, commit, script.revision_format) if synced else None
        stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        props["sourceUpdatedAt"] = stamp if synced else None
        props["statusUpdatedAt"] = stamp
        props["errorMessage"] = ""
        namespace = props.get("namespace") or "default"
        source = _source_status(body["name"], namespace, state, _flux_revision(label, commit, script.revision_format))
        statuses = [source]
        failing = {f["name"]: f for f in script.failing} if state != "Compliant" else {}
        applied = commit if synced and elapsed >= script.applied_after else script.previous_commit
        for kname in props.get("kustomizations") or {}:
            object_name = f"{body['name']}-{kname}"
            revision = _flux_revision(label, applied, script.revision_format) if applied else None
            if state == "Suspended":
                statuses.append(_kustomization_status(object_name, namespace, "Suspended", revision))
            elif object_name in failing:
                statuses.append(
                    _kustomization_status(object_name, namespace, "Non-Compliant", revision, failing[object_name])
                )
            else:
                # Only the scripted objects fail; the rest reconciled (or are still pending without a script).
                done = state == "Compliant" or bool(failing)
                statuses.append(
                    _kustomization_status(object_name, namespace, "Compliant" if done else "Pending", revision)
                )
        for release in script.helm_releases if synced else []:
            statuses.append(_helm_release_status(release, body["name"], namespace, applied or commit))
        props["statuses"] = statuses
        # The combined state follows the objects (complianceState: "Combined status of the Flux Kubernetes
        # resources"): a failed HelmRelease makes it Non-Compliant, an object that applied nothing yet Pending.
        if state == "Compliant":
            states = {s["complianceState"] for s in statuses}
            props["complianceState"] = next((x for x in ("Non-Compliant", "Pending") if x in states), state)


def _flux_revision(label: str, commit: str, form: str) -> str:
    """A Git revision as Flux writes it: RFC-0005 `<ref>@sha1:<sha>`, the older `<ref>/<sha>`, or a bare sha."""
    return {"at": f"{label}@sha1:{commit}", "slash": f"{label}/{commit}", "bare": commit}[form]


def _condition(status: str, reason: str, message: str) -> dict[str, Any]:
    # ObjectStatusConditionDefinition: lastTransitionTime, message, reason, status, type (the example's keys).
    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {"lastTransitionTime": stamp, "message": message, "reason": reason, "status": status, "type": "Ready"}


def _object_status(
    kind: str, name: str, namespace: str, state: str, conditions: list[dict[str, Any]], **extra: Any
) -> dict[str, Any]:
    # ObjectStatusDefinition: name, namespace, kind, complianceState, appliedBy, statusConditions,
    # helmReleaseProperties. The API example omits `namespace`; the spec defines it and the gate names it.
    return {
        "name": name,
        "namespace": namespace,
        "kind": kind,
        "complianceState": state,
        "appliedBy": extra.get("appliedBy"),
        "helmReleaseProperties": extra.get("helmReleaseProperties"),
        "statusConditions": conditions,
    }


def _source_status(name: str, namespace: str, state: str, revision: str) -> dict[str, Any]:
    if state == "Pending":
        condition = _condition("Unknown", "Progressing", "reconciliation in progress")
    elif "@" in revision or ":" in revision:
        # source-controller v1.x (docs/spec/v1/gitrepositories.md): "stored artifact for revision '<rev>'".
        condition = _condition("True", "Succeeded", f"stored artifact for revision '{revision}'")
    else:
        # The older controller, as in the API example: "'Fetched revision: master/<sha>'", GitOperationSucceed.
        condition = _condition("True", "GitOperationSucceed", f"'Fetched revision: {revision}'")
    return _object_status(
        "GitRepository", name, namespace, "Compliant" if state != "Pending" else "Pending", [condition]
    )


def _kustomization_status(
    name: str, namespace: str, state: str, revision: str | None, failing: dict[str, str] | None = None
) -> dict[str, Any]:
    if failing:
        condition = _condition("False", failing.get("reason", "ReconciliationFailed"), failing.get("message", ""))
    elif revision and state in ("Compliant", "Suspended"):
        # kustomize-controller v1.7.0: Ready True, ReconciliationSucceeded, "Applied revision: %s" — and it stays
        # so, at the old revision, until the new one is applied.
        condition = _condition("True", "ReconciliationSucceeded", f"Applied revision: {revision}")
    else:
        condition = _condition("Unknown", "Progressing", "Reconciliation in progress")
    return _object_status(
        "Kustomization", name, namespace, state if revision or state != "Compliant" else "Pending", [condition]
    )


def _helm_release_status(release: dict[str, Any], configuration: str, namespace: str, commit: str) -> dict[str, Any]:
    hr_namespace = release.get("namespace", namespace)
    chart = release.get("chart", f"{release['name']}@1.0.0")
    if release.get("from_git", True):
        # source-controller v1.7.0 helmchart_controller.go: reconcileStrategy Revision appends the commit's first
        # 12 characters to a chart built from a GitRepository.
        chart = f"{chart}+{commit[:12]}"
    counts = {key: release.get(key) for key in ("failureCount", "installFailureCount", "upgradeFailureCount")}
    state = release.get("state", "Compliant")
    version = int(release.get("lastRevisionApplied", 1))
    if state == "Compliant":
        action = "install" if version == 1 else "upgrade"
        message = f"Helm {action} succeeded for release {hr_namespace}/{release['name']}.v{version} with chart {chart}"
        condition = _condition("True", f"{action.capitalize()}Succeeded", message)
    else:
        condition = _condition("False", release.get("reason", "InstallFailed"), release.get("message", ""))
    return _object_status(
        "HelmRelease",
        release["name"],
        hr_namespace,
        state,
        [condition],
        appliedBy={"name": release.get("appliedBy", f"{configuration}-apps"), "namespace": namespace},
        helmReleaseProperties={
            "lastRevisionApplied": version,
            # helm-controller v1.4.0 GetHelmChartName: "<namespace>-<name>", in the source's namespace.
            "helmChartRef": {"name": f"{hr_namespace}-{release['name']}", "namespace": namespace},
            **counts,
        },
    )


_ID = re.compile(r"^/subscriptions/[^/]+/resourceGroups/", re.I)


def _recase_ids(value: Any) -> Any:
    """Resource ids inside a cluster's properties as ManagedClustersGet.json answers them: `resourcegroups`."""
    if isinstance(value, dict):
        return {k: _recase_ids(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_recase_ids(v) for v in value]
    if isinstance(value, str) and _ID.match(value):
        return re.sub(r"/resourceGroups/", "/resourcegroups/", value, count=1, flags=re.I)
    return value


def _extension_maps() -> frozenset[str]:
    """The extension properties that are maps of user keys (`{str}` in the SDK model's attribute map)."""
    from azure.mgmt.kubernetesconfiguration.v2023_05_01.models import Extension

    return frozenset(
        a["key"].split(".", 1)[1]
        for a in Extension._attribute_map.values()  # type: ignore[attr-defined]
        if a["key"].startswith("properties.") and a["type"].startswith("{")
    )


def _pascal(value: Any, maps: frozenset[str] = frozenset()) -> Any:
    """An extension row's properties as Resource Graph answers them: PascalCase names (the samples read
    `properties.ExtensionType`), nested names too (an assumption: the samples show only top-level ones); the
    keys of map properties (configuration settings) stay as written."""
    if isinstance(value, list):
        return [_pascal(v) for v in value]
    if not isinstance(value, dict):
        return value
    return {k[:1].upper() + k[1:]: (v if k in maps else _pascal(v)) for k, v in value.items()}


def secure_cluster_properties() -> dict[str, Any]:
    """A cluster as the baseline wants it (what the stamp deploys), for seeding audits."""
    pool = {
        "name": "system",
        "mode": "System",
        "count": 3,
        "vmSize": "Standard_D4ds_v5",
        "enableAutoScaling": True,
        "minCount": 3,
        "maxCount": 5,
        "availabilityZones": ["1", "2", "3"],
        "osType": "Linux",
        "osSKU": "AzureLinux",
        "osDiskType": "Ephemeral",
        "osDiskSizeGB": 128,
        "maxPods": 50,
        "type": "VirtualMachineScaleSets",
        "enableEncryptionAtHost": True,
        "enableNodePublicIP": False,
        "securityProfile": {"sshAccess": "Disabled"},
        "nodeTaints": ["CriticalAddonsOnly=true:NoSchedule"],
    }
    return {
        # A version AKS supports today (the fact table), so seeded clusters stay current as the table moves.
        "kubernetesVersion": newest_supported_patch(dt.date.today()) or "unsupported",
        "dnsPrefix": "aks",
        "enableRBAC": True,
        "disableLocalAccounts": True,
        "aadProfile": {"managed": True, "enableAzureRBAC": True},
        "oidcIssuerProfile": {"enabled": True},
        "securityProfile": {
            "workloadIdentity": {"enabled": True},
            "imageCleaner": {"enabled": True, "intervalHours": 168},
            "defender": {"securityMonitoring": {"enabled": True}},
            "azureKeyVaultKms": {"enabled": True, "keyId": "https://kv.vault.azure.net/keys/k/1"},
        },
        "apiServerAccessProfile": {"enablePrivateCluster": True, "disableRunCommand": True},
        "autoUpgradeProfile": {"upgradeChannel": "none", "nodeOSUpgradeChannel": "NodeImage"},
        "networkProfile": {
            "networkPlugin": "azure",
            "networkPluginMode": "overlay",
            "networkPolicy": "cilium",
            "networkDataplane": "cilium",
        },
        "addonProfiles": {
            "azurepolicy": {"enabled": True},
            "azureKeyvaultSecretsProvider": {"enabled": True, "config": {"enableSecretRotation": "true"}},
            "omsagent": {"enabled": True},
        },
        "agentPoolProfiles": [pool, {**pool, "name": "apps", "mode": "User", "nodeTaints": []}],
    }


def secure_flux_properties() -> dict[str, Any]:
    kustomization = {
        "prune": True,
        "force": False,
        "wait": True,
        "syncIntervalInSeconds": 600,
        "retryIntervalInSeconds": 120,
        "timeoutInSeconds": 600,
    }
    return {
        "scope": "cluster",
        "namespace": "flux-system",
        "sourceKind": "GitRepository",
        "suspend": False,
        "gitRepository": {
            "url": "https://github.com/contoso/aks-fleet-gitops",
            "repositoryRef": {"tag": "v1.4.2"},
            "syncIntervalInSeconds": 300,
            "timeoutInSeconds": 180,
        },
        "kustomizations": {
            "infra": {**kustomization, "path": "./infrastructure", "dependsOn": []},
            "apps": {**kustomization, "path": "./apps/prod", "dependsOn": ["infra"]},
        },
    }


def cluster_id(subscription: str, resource_group: str, name: str) -> str:
    return (
        f"/subscriptions/{subscription}/resourceGroups/{resource_group}"
        f"/providers/Microsoft.ContainerService/managedClusters/{name}"
    )


def _guid(*parts: str) -> str:
    return str(uuid.UUID(hashlib.md5("|".join(parts).encode()).hexdigest()))


def _error(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}


def _json(body: bytes) -> Any:
    try:
        return json.loads(body) if body else None
    except json.JSONDecodeError:
        return None


def _handler(emulator: ArmEmulator) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            return

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            result = emulator.handle(self.command, self.path, body)
            if result is None:
                with emulator._lock:
                    emulator.request_log.append((self.command, self.path, 0))
                self.close_connection = True
                self.connection.close()
                return
            status, headers, payload = result
            with emulator._lock:
                emulator.request_log.append((self.command, self.path, status))
            data = b"" if payload is None else json.dumps(payload).encode()
            if RECORDED is not None:
                RECORDED.append((self.command, urlsplit(self.path).path, status, data))
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("x-ms-request-id", uuid.uuid4().hex)
            for key, value in headers.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_PUT = do_POST = do_DELETE = do_PATCH = _serve

    return Handler


def _self_signed(folder: Path) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "arm-emulator")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path
