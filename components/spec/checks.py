"""Cross-field validation of a parsed ClusterSpec.

Types and single-field constraints are pydantic's job; what needs two or more fields lives here, as a
pure function returning every problem with its exact key path (so the user sees
`...kustomizations.apps.dependsOn[0]`, not the enclosing object).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from urllib.parse import urlsplit

from policies.baseline import ip_ranges
from policies.baseline.facts import host_keys

from .azure_names import name_findings
from .cluster import ClusterSpec, NetworkSpec
from .flux import FluxConfigurationSpec, GitSource, RepositoryRef, Source, SshAuth
from .gitref import git_url_problem
from .graph import find_cycle
from .redact import redact_text
from .suppressions import check_suppressions

Finding = tuple[str, str]  # (key path relative to the cluster object, message)


def check_cluster(spec: ClusterSpec) -> list[Finding]:
    return [
        *_check_network(spec.network),
        *_check_api_server(spec),
        *_check_security(spec),
        *_check_pools(spec),
        *_check_flux(spec),
        *name_findings(spec),
        *check_suppressions(spec.environment, spec.suppressions),
    ]


def _check_network(net: NetworkSpec) -> Iterator[Finding]:
    networks: dict[str, ipaddress.IPv4Network] = {}
    for key in ("pod_cidr", "service_cidr"):
        alias = "podCidr" if key == "pod_cidr" else "serviceCidr"
        try:
            networks[alias] = ipaddress.IPv4Network(getattr(net, key))
        except ValueError:
            yield f"network.{alias}", f"not an IPv4 CIDR; got {getattr(net, key)!r}; accepted: for example 10.0.0.0/16"
    try:
        dns_ip = ipaddress.IPv4Address(net.dns_service_ip)
    except ValueError:
        yield "network.dnsServiceIp", f"not an IPv4 address; got {net.dns_service_ip!r}"
    else:
        service = networks.get("serviceCidr")
        if service is not None and dns_ip not in service:
            yield "network.dnsServiceIp", f"{dns_ip} is outside serviceCidr {service}; accepted: an address inside it"
    if len(networks) == 2 and networks["podCidr"].overlaps(networks["serviceCidr"]):
        yield "network.serviceCidr", f"overlaps podCidr {networks['podCidr']}; accepted: disjoint ranges"
    if net.dataplane == "cilium" and net.policy != "cilium":
        yield "network.policy", f"dataplane cilium enforces policy itself; got {net.policy!r}; accepted: 'cilium'"


def _check_api_server(spec: ClusterSpec) -> Iterator[Finding]:
    api = spec.api_server
    if api.private and api.authorized_ip_ranges:
        yield (
            "apiServer.authorizedIpRanges",
            "AKS rejects authorized IP ranges on a private cluster; remove them or set private: false",
        )
    if not api.private and not api.authorized_ip_ranges:
        yield (
            "apiServer.authorizedIpRanges",
            "a public API server must be limited to known ranges; accepted: a list of CIDRs, or private: true",
        )
    yield from _check_authorized_ranges(api.authorized_ip_ranges)


# AKS takes at most 200 authorized ranges (learn.microsoft.com/azure/aks/api-server-authorized-ip-ranges: "The
# upper limit for the number of IP ranges you can specify is 200").
MAX_AUTHORIZED_RANGES = 200


def _check_authorized_ranges(ranges: list[str]) -> Iterator[Finding]:
    """Each entry must be an IPv4 CIDR AKS reads one way; the union must not be the whole Internet.

    How wide the union may be is policy (AKS-005's widestIPv4Prefix, per environment); that it is not every
    public address, whatever the spelling or the split, is a property of the spec."""
    path = "apiServer.authorizedIpRanges"
    if len(ranges) > MAX_AUTHORIZED_RANGES:
        yield path, f"{len(ranges)} ranges; AKS accepts at most {MAX_AUTHORIZED_RANGES}"
    exposure = ip_ranges.measure(ranges)
    for entry in exposure.entries:
        where = f"{path}[{entry.index}]"
        if entry.network is None:
            yield (
                where,
                f"{entry.problem}; got {entry.text[:80]!r}; accepted: an IPv4 CIDR such as 203.0.113.0/24, "
                "without spaces or zero padding",
            )
        elif entry.network.version == 6:
            # The Azure CLI refuses IPv6 authorized ranges ("--api-server-authorized-ip-ranges cannot be IPv6
            # addresses", validate_ip_ranges in Azure/azure-cli acs/_validators.py) and every example in the AKS
            # article is IPv4. What the ARM API itself does with one is not documented: refused, not guessed.
            yield where, f"AKS authorized IP ranges are IPv4 only; got {entry.text!r}; accepted: an IPv4 CIDR"
        elif entry.host_bits:
            # "When you specify a CIDR range, start with the first IP address in the range"
            # (learn.microsoft.com/azure/aks/api-server-authorized-ip-ranges); the Azure CLI refuses it otherwise.
            yield where, f"host bits are set in {entry.text!r}; accepted: {entry.network}, the range's first address"
    if exposure.opens_whole_internet(4):
        yield (
            path,
            "together these ranges open the API server to every public IPv4 address (the whole internet); "
            "accepted: the specific ranges you administer from",
        )


def _check_security(spec: ClusterSpec) -> Iterator[Finding]:
    sec = spec.security
    if sec.workload_identity and not sec.oidc_issuer:
        yield (
            "security.oidcIssuer",
            "workload identity needs the OIDC issuer; accepted: true (or workloadIdentity: false)",
        )
    if sec.kms:
        vault_host = urlsplit(sec.kms.key_id).hostname or ""
        vault_name = sec.kms.key_vault_resource_id.rsplit("/", 1)[-1]
        if vault_host.split(".")[0].lower() != vault_name.lower():
            yield (
                "security.kms.keyVaultResourceId",
                f"names vault {vault_name!r} but keyId is a key of {vault_host!r}; accepted: the vault holding the key",
            )
    monitoring = spec.monitoring
    if monitoring.container_insights and monitoring.log_analytics_workspace_id and not monitoring.workspace_location:
        yield (
            "monitoring.workspaceLocation",
            "required with logAnalyticsWorkspaceId: Container Insights' data collection rule is created in the "
            "workspace's region; accepted: a region name such as japaneast",
        )
    if spec.entra.disable_local_accounts and not spec.entra.azure_rbac and not spec.entra.admin_group_object_ids:
        yield (
            "entra.adminGroupObjectIds",
            "with local accounts disabled and Azure RBAC off nobody could administer the cluster; "
            "accepted: azureRbac: true or at least one admin group",
        )


def _check_pools(spec: ClusterSpec) -> Iterator[Finding]:
    pools = [("systemPool", spec.system_pool)] + [(f"userPools[{i}]", p) for i, p in enumerate(spec.user_pools)]
    seen: dict[str, str] = {}
    for path, pool in pools:
        if pool.name in seen:
            yield (
                f"{path}.name",
                f"pool name {pool.name!r} is already used by {seen[pool.name]}; accepted: unique names",
            )
        seen.setdefault(pool.name, path)
        if pool.min_count > pool.max_count:
            yield f"{path}.minCount", f"minCount {pool.min_count} is above maxCount {pool.max_count}"
        if len(set(pool.zones)) != len(pool.zones):
            yield f"{path}.zones", "zones repeat; accepted: distinct values of '1', '2', '3'"
    if spec.system_pool.min_count < 1:
        yield "systemPool.minCount", "the system pool needs at least one node; accepted: 1 or more"
    if spec.system_pool.only_critical_addons and not spec.user_pools:
        yield (
            "userPools",
            "the system pool is tainted CriticalAddonsOnly, so workloads and Flux-applied apps need a user pool; "
            "accepted: at least one user pool, or systemPool.onlyCriticalAddons: false",
        )


def _check_flux(spec: ClusterSpec) -> Iterator[Finding]:
    configs: list[tuple[str, FluxConfigurationSpec]] = [("flux.platform", spec.flux.platform)]
    configs += [(f"flux.tenants[{i}]", t) for i, t in enumerate(spec.flux.tenants)]
    names: dict[str, str] = {}
    namespaces: dict[str, str] = {}
    for path, config in configs:
        if config.name in names:
            yield f"{path}.name", f"configuration name {config.name!r} is already used by {names[config.name]}"
        names.setdefault(config.name, path)
        yield from _check_configuration(path, config)
    for path, tenant in configs[1:]:
        if tenant.namespace == spec.flux.platform.namespace:
            yield f"{path}.namespace", f"a tenant cannot share the platform namespace {tenant.namespace!r}"
        if tenant.namespace in namespaces:
            yield (
                f"{path}.namespace",
                f"namespace {tenant.namespace!r} already belongs to {namespaces[tenant.namespace]}",
            )
        namespaces.setdefault(tenant.namespace, path)


def _check_configuration(path: str, config: FluxConfigurationSpec) -> Iterator[Finding]:
    yield from _check_source(f"{path}.source", config.source)
    kustomizations = config.kustomizations
    for name, k in kustomizations.items():
        kpath = f"{path}.kustomizations.{name}"
        for i, dep in enumerate(k.depends_on):
            if dep == name:
                yield f"{kpath}.dependsOn[{i}]", "a kustomization cannot depend on itself"
            elif dep not in kustomizations:
                yield (
                    f"{kpath}.dependsOn[{i}]",
                    f"unknown kustomization {dep!r}; accepted: one of {', '.join(sorted(kustomizations))}",
                )
        if ".." in k.path.split("/"):
            yield f"{kpath}.path", "'..' would leave the repository; accepted: a path inside it"
    cycle = find_cycle({n: k.depends_on for n, k in kustomizations.items()})
    if cycle:
        yield f"{path}.kustomizations", f"dependsOn forms a cycle: {' -> '.join(cycle)}; accepted: an acyclic graph"
    if config.reconciliation_wait_duration and not config.wait_for_reconciliation:
        yield f"{path}.reconciliationWaitDuration", "only meaningful with waitForReconciliation: true"


def _check_source(path: str, source: Source) -> Iterator[Finding]:
    given = [k for k in ("git", "bucket", "azureBlob") if getattr(source, _snake(k)) is not None]
    if len(given) != 1:
        got = ", ".join(given) if given else "none"
        yield path, f"exactly one source kind is required; got {got}; accepted: git, bucket or azureBlob"
        return
    if source.git is not None:
        yield from _check_git(f"{path}.git", source.git)
    elif source.bucket is not None:
        scheme = urlsplit(source.bucket.url).scheme
        if scheme not in ("https", "http") or (scheme == "http" and not source.bucket.insecure):
            yield f"{path}.bucket.url", "accepted: an https:// endpoint (http:// only with insecure: true)"
    elif source.azure_blob is not None and urlsplit(source.azure_blob.url).scheme != "https":
        yield f"{path}.azureBlob.url", "accepted: an https:// blob endpoint"


def _check_git(path: str, git: GitSource) -> Iterator[Finding]:
    parts = urlsplit(git.url)
    if parts.scheme not in ("https", "ssh") or not parts.hostname:
        yield (
            f"{path}.url",
            f"unsupported URL {redact_text(repr(git.url))}; accepted: https://host/... or ssh://git@host/...",
        )
        return
    # Credentials in the URL (userinfo other than ssh's `git@`) are refused for every source kind by the loader's
    # credential scan (components/spec/redact.py), before these checks run.
    option_like = git_url_problem(git.url)  # the URL reaches git's (and so ssh's) command line in preflight
    if option_like:
        yield f"{path}.url", f"{option_like}; accepted: https://host/... or ssh://git@host/..."
        return
    if git.auth.kind == "https" and parts.scheme != "https":
        yield f"{path}.auth.kind", "https auth needs an https:// URL"
    if git.auth.kind == "ssh" and parts.scheme != "ssh":
        yield f"{path}.auth.kind", "ssh auth needs an ssh:// URL"
    if isinstance(git.auth, SshAuth) and git.auth.known_hosts:
        text, problem = host_keys.decode_setting(git.auth.known_hosts)
        for message in [problem] if problem else host_keys.parse(text or "")[1]:
            accepted = "" if "accepted" in message else "; accepted: base64 of OpenSSH known_hosts lines"
            yield f"{path}.auth.knownHosts", f"{message}{accepted}"
    yield from _check_ref(f"{path}.ref", git.ref)


def _check_ref(path: str, ref: RepositoryRef) -> Iterator[Finding]:
    chosen = [k for k in ("branch", "tag", "semver", "commit") if getattr(ref, k)]
    if ref.commit:
        if not ref.branch:
            yield f"{path}.branch", "a commit must be combined with the branch it is on (API rule)"
        if ref.tag or ref.semver:
            yield path, "a commit excludes tag and semver; accepted: commit + branch"
    elif len(chosen) != 1:
        yield (
            path,
            f"exactly one of branch, tag, semver (or commit + branch) is required; got {', '.join(chosen) or 'none'}",
        )


def _snake(alias: str) -> str:
    return "azure_blob" if alias == "azureBlob" else alias
