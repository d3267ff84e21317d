"""The GitOps half of a cluster spec: the microsoft.flux extension and its Flux v2 configurations.

Targets Microsoft.KubernetesConfiguration API 2023-05-01, the version pulumi-azure-native 3.x declares
for Extension and FluxConfiguration. That version has GitRepository, Bucket and AzureBlob sources (no
OCIRepository, no Git `provider`), so the spec offers exactly those and nothing the API would reject.
Cross-field rules (dependsOn targets, cycles, combined name lengths) live in `checks.py`.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, StringConstraints
from pydantic_core import PydanticCustomError

from .azure_names import azure_name
from .base import SpecModel
from .gitref import ACCEPTED_REF, ref_problem
from .secrets import SecretRef

# Flux names its Kustomization objects `<configuration>-<kustomization>`; both parts are capped at 30
# characters like the Terraform provider does, so the combined object name stays a valid 63-char label.
FluxObjectName = Annotated[str, StringConstraints(pattern=r"^[a-z0-9]([-a-z0-9]{0,28}[a-z0-9])?$")]
DnsLabel = Annotated[str, StringConstraints(pattern=r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")]

# Bounds in seconds. The API accepts 1..35791394; below a minute Flux hammers the Git host, above a day
# drift correction is effectively off.
SyncInterval = Annotated[int, Field(ge=60, le=86_400)]
Timeout = Annotated[int, Field(ge=30, le=3_600)]
RetryInterval = Annotated[int, Field(ge=30, le=86_400)]


def _git_ref(value: str) -> str:
    """A branch or tag reaches git's command line (preflight, the health gate): git's own rules, no leading '-'."""
    problem = ref_problem(value)
    if problem:
        raise PydanticCustomError(
            "git_ref", "{problem}; accepted: {accepted}", {"problem": problem, "accepted": ACCEPTED_REF}
        )
    return value


def _full_sha(value: str) -> str:
    # Flux's Git client resolves `ref.commit` as an object id, not a revision expression: fluxcd/pkg
    # git/gogit/clone.go cloneCommit does `repo.CommitObject(plumbing.NewHash(commit))`, and go-git's NewHash
    # takes a full hash only (src-d/go-git#634: "This assumes that there is a full hash"). An abbreviated SHA
    # therefore fails in the cluster ("unable to resolve commit object"), after the rollout deployed it.
    if not re.fullmatch(r"[0-9a-f]{40}", value):
        raise PydanticCustomError(
            "commit_not_full_sha",
            "a commit must be the full 40-character lowercase hex SHA; Flux cannot check out an abbreviated one",
        )
    return value


GitRefName = Annotated[str, AfterValidator(_git_ref)]


class RepositoryRef(SpecModel):
    """Exactly one of branch, tag or semver; or commit together with the branch it is on (API rule)."""

    branch: GitRefName | None = None
    tag: GitRefName | None = None
    semver: str | None = None
    commit: Annotated[str, AfterValidator(_full_sha)] | None = None

    @property
    def kind(self) -> str:
        if self.commit:
            return "commit"
        for kind in ("tag", "semver", "branch"):
            if getattr(self, kind):
                return kind
        return "none"

    @property
    def is_pinned(self) -> bool:
        """Tag, semver and commit name immutable content; a bare branch moves under the cluster."""
        return self.kind in ("tag", "semver", "commit")


class HttpsAuth(SpecModel):
    kind: Literal["https"]
    user: str = Field(min_length=1)
    key: SecretRef
    ca_cert: str | None = Field(default=None, description="Base64-encoded CA certificate")


class SshAuth(SpecModel):
    kind: Literal["ssh"]
    private_key: SecretRef
    known_hosts: str | None = Field(default=None, description="Base64-encoded known_hosts content")


class LocalAuthRef(SpecModel):
    """A secret that already exists in the configuration namespace (for example synced from Key Vault)."""

    kind: Literal["localAuthRef"]
    secret_name: DnsLabel


class PublicAuth(SpecModel):
    kind: Literal["none"]


GitAuth = Annotated[HttpsAuth | SshAuth | LocalAuthRef | PublicAuth, Field(discriminator="kind")]


class GitSource(SpecModel):
    url: str
    ref: RepositoryRef
    auth: GitAuth = PublicAuth(kind="none")
    sync_interval_seconds: SyncInterval = 300
    timeout_seconds: Timeout = 180


class BucketKeyAuth(SpecModel):
    kind: Literal["accessKey"]
    access_key: str = Field(min_length=1)
    secret_key: SecretRef


class BucketSource(SpecModel):
    url: str
    bucket_name: str = Field(min_length=3, max_length=63)
    # The API defaults `insecure` to true; the spec flips it so plain HTTP is an explicit choice.
    insecure: bool = False
    auth: Annotated[BucketKeyAuth | LocalAuthRef, Field(discriminator="kind")]
    sync_interval_seconds: SyncInterval = 300
    timeout_seconds: Timeout = 180


class ManagedIdentityAuth(SpecModel):
    kind: Literal["managedIdentity"]
    client_id: Annotated[str, StringConstraints(pattern=r"^[0-9a-fA-F-]{36}$")]


class AzureBlobSource(SpecModel):
    """Keyless (managed identity) or an in-cluster secret: account keys and SAS tokens are not offered,
    because in this API version they travel in the body rather than in configurationProtectedSettings."""

    url: str
    container_name: str = Field(min_length=3, max_length=63)
    auth: Annotated[ManagedIdentityAuth | LocalAuthRef, Field(discriminator="kind")]
    sync_interval_seconds: SyncInterval = 300
    timeout_seconds: Timeout = 180


class Source(SpecModel):
    """Exactly one source kind; `checks.py` reports zero or several."""

    git: GitSource | None = None
    bucket: BucketSource | None = None
    azure_blob: AzureBlobSource | None = None

    @property
    def kind(self) -> Literal["GitRepository", "Bucket", "AzureBlob"]:
        if self.bucket is not None:
            return "Bucket"
        if self.azure_blob is not None:
            return "AzureBlob"
        return "GitRepository"

    @property
    def url(self) -> str:
        chosen = self.git or self.bucket or self.azure_blob
        return chosen.url if chosen else ""


class SubstituteFrom(SpecModel):
    kind: Literal["ConfigMap", "Secret"]
    name: DnsLabel
    optional: bool = False


class PostBuild(SpecModel):
    substitute: dict[Annotated[str, StringConstraints(pattern=r"^[_a-zA-Z][_a-zA-Z0-9]*$")], str] = {}
    substitute_from: list[SubstituteFrom] = []


class Kustomization(SpecModel):
    path: Annotated[str, StringConstraints(pattern=r"^(\./)?[A-Za-z0-9._/-]*$")] = ""
    depends_on: list[str] = []
    # GitOps defaults: objects removed from Git are removed from the cluster; nothing is force-recreated.
    prune: bool = True
    force: bool = False
    wait: bool = True
    sync_interval_seconds: SyncInterval = 600
    retry_interval_seconds: RetryInterval = 120
    timeout_seconds: Timeout = 600
    post_build: PostBuild | None = None


class FluxConfigurationSpec(SpecModel):
    # Stricter than Azure's rule for the resource (kept for the Kustomization object names), and judged by it too.
    name: Annotated[FluxObjectName, azure_name("fluxConfiguration")]
    namespace: DnsLabel = "flux-system"
    suspend: bool = False
    source: Source
    kustomizations: dict[FluxObjectName, Kustomization] = Field(min_length=1)
    # ARM waits for the kustomizations to reconcile before reporting the PUT done; off by default because
    # the fleet health gate polls compliance outside the deployment instead (see README).
    wait_for_reconciliation: bool = False
    reconciliation_wait_duration: (
        Annotated[str, StringConstraints(pattern=r"^P(T(\d+H)?(\d+M)?(\d+S)?|\d+D)$")] | None
    ) = None

    @property
    def secret_settings(self) -> list[str]:
        """The configurationProtectedSettings keys this configuration's credentials travel in."""
        src = self.source
        if src.git and isinstance(src.git.auth, HttpsAuth):
            return ["httpsKey"]
        if src.git and isinstance(src.git.auth, SshAuth):
            return ["sshPrivateKey"]
        if src.bucket and isinstance(src.bucket.auth, BucketKeyAuth):
            return ["bucketSecretKey"]
        return []


class Controllers(SpecModel):
    """The controllers the extension runs. Image automation writes to Git from the cluster, which breaks
    the one-way flow of GitOps, so it is off unless a stack asks for it."""

    helm: bool = True
    kustomize: bool = True
    notification: bool = True
    image_automation: bool = False
    image_reflector: bool = False


class FluxExtensionSpec(SpecModel):
    name: Annotated[str, StringConstraints(pattern=r"^[a-zA-Z0-9][a-zA-Z0-9-.]{0,252}$")] = "flux"
    release_train: Literal["Stable", "Preview"] = "Stable"
    # A pinned version turns off minor-version auto-upgrade; no version means "latest minor on the train".
    version: Annotated[str, StringConstraints(pattern=r"^\d+\.\d+\.\d+$")] | None = None
    controllers: Controllers = Controllers()
    # Multi-tenancy lockdown stops kustomizations from reading sources in other namespaces.
    multi_tenancy_enforce: bool = True

    @property
    def auto_upgrade_minor_version(self) -> bool:
        return self.version is None


class TenantConfigurationSpec(FluxConfigurationSpec):
    """A team's namespace-scoped configuration: it can only apply objects into its own namespace."""

    namespace: DnsLabel


class FluxSpec(SpecModel):
    extension: FluxExtensionSpec = FluxExtensionSpec()
    platform: FluxConfigurationSpec
    tenants: list[TenantConfigurationSpec] = []
