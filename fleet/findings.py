"""Every finding id the tool emits, described once: the baseline rules (policies/baseline) and the ids that are not
policy rules (the SDK-model check, Flux v1 in an audit, preflight). Each output (terminal, --json, SARIF, the audit
report, `fleet policy show`) takes a finding's title and remediation from here, so a reader always learns what to do.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from policies.baseline import BY_ID

if TYPE_CHECKING:
    from fleet.suppressions import Suppression

SDK_MODEL = "SDK-MODEL"
FLUX_V1 = "FLUX-V1"


@dataclass(frozen=True)
class Described:
    id: str
    title: str
    remediation: str
    severity: str = "high"


_OTHERS = [
    Described(
        SDK_MODEL,
        "Rejected by the Azure SDK model of the API version",
        "Fix the property named: the Azure SDK model of the API version pulumi-azure-native sends refuses it"
        " (the finding says what is accepted).",
        "medium",
    ),
    Described(
        FLUX_V1,
        "No deprecated Flux v1 configurations",
        "Move the sourceControlConfiguration to a fluxConfiguration (Flux v2), then delete it.",
        "medium",
    ),
    Described(
        "PREFLIGHT-001",
        "Kustomization path exists in the source",
        "Create the folder at the ref the stack pins, or correct the kustomization's `path` in the stack file.",
    ),
    Described(
        "PREFLIGHT-002",
        "The path builds with kustomize",
        "Run `kubectl kustomize --load-restrictor LoadRestrictionsNone <path>` on the source at the pinned ref and fix"
        " what it reports.",
    ),
    Described(
        "PREFLIGHT-003",
        "Objects validate against the cluster version's schemas",
        "Fix the field named so the object validates against the Kubernetes version the stack runs.",
    ),
    Described(
        "PREFLIGHT-004",
        "Flux objects carry their required fields",
        "Add the field named (the Flux API reference of the kind lists what is required).",
    ),
    Described(
        "PREFLIGHT-005",
        "The namespace an object names exists when Flux applies it",
        "Create the Namespace in this kustomization or in one it dependsOn (directly or through others), or use a"
        " namespace the cluster already has.",
    ),
    Described(
        "PREFLIGHT-006",
        "No secrets in Git",
        "Deliver the secret through the Key Vault Secrets Provider (a SecretProviderClass with workload identity);"
        " fluxConfigurations cannot decrypt SOPS.",
    ),
    Described(
        "PREFLIGHT-007",
        "Images and charts pinned in production",
        "Pin the image to a tag or digest and the chart to an exact version.",
    ),
    Described(
        "PREFLIGHT-008",
        "Variables substitute as Flux substitutes them",
        "Define the variable in postBuild.substitute or substituteFrom, or give it a default (`${v:=x}`); rewrite"
        " an expression Flux's envsubst cannot parse.",
    ),
    Described(
        "PREFLIGHT-009",
        "The source can be read at the pinned ref",
        "Push the ref to the source, or make it reachable offline (localSources in fleet.yaml, or --repo).",
        "medium",
    ),
    Described(
        "PREFLIGHT-010",
        "Flux Kustomizations of the repository are acyclic",
        "Break the cycle in the dependsOn of the repository's Flux Kustomizations.",
    ),
    Described(
        "PREFLIGHT-011",
        "No symlinks in the source",
        "Replace the link by the file or folder itself: Flux leaves symlinks out of the artifact.",
    ),
    Described(
        "PREFLIGHT-012",
        "The cluster serves the object's kind",
        "Apply the CRD (or the chart that installs it) in a kustomization this one dependsOn, enable the AKS add-on"
        " that installs it, or use an apiVersion the cluster's Kubernetes version serves.",
    ),
    Described(
        "PREFLIGHT-013",
        "Chart CRDs are installed before their custom resources",
        "Set `wait: true` on the kustomization whose HelmRelease installs the CRDs, so its dependants start only"
        " once the chart is installed.",
    ),
    Described(
        "PREFLIGHT-014",
        "A HelmRelease's chart source exists",
        "Define the HelmRepository (or other source) it names in this kustomization or one it dependsOn, with the"
        " same kind, namespace and name.",
    ),
    Described(
        "PREFLIGHT-015",
        "Namespaced objects name their namespace",
        "Set metadata.namespace, or `namespace:` in kustomization.yaml: a fluxConfiguration has no targetNamespace.",
    ),
    Described(
        "PREFLIGHT-016",
        "No cross-namespace source references under multi-tenancy",
        "Put the source in the same namespace as the Kustomization or HelmRelease that references it (the"
        " configuration's namespace is the documented layout), or turn multi-tenancy enforcement off deliberately.",
    ),
    Described(
        "PREFLIGHT-017",
        "Flux objects outside the configuration's namespace name a service account",
        "Move the Kustomization or HelmRelease to the configuration's namespace (with targetNamespace), or set"
        " spec.serviceAccountName to an account with RBAC in its namespace.",
    ),
    Described(
        "PREFLIGHT-018",
        "substituteFrom reads an object that exists before the build",
        "Create the ConfigMap or Secret in the configuration's namespace from a kustomization this one dependsOn,"
        " or mark the reference `optional: true` if the variables may be absent.",
    ),
    Described(
        "PREFLIGHT-019",
        "Suppression annotations are well formed",
        "Write aksfleet.io/suppress as `RULE: reason; expires=YYYY-MM-DD`, one per line, for a rule about the object"
        " and a date at most a year ahead (README: Suppressions).",
    ),
    Described(
        "PREFLIGHT-020",
        "Every path a kustomization loads is inside the source",
        "Keep what the kustomization loads (resources, patches, generators' files, components) inside the repository:"
        " Flux builds with LoadRestrictionsNone confined to the source root and cannot read anything outside it.",
    ),
    Described(
        "PREFLIGHT-021",
        "A folder without a kustomization file holds only Kubernetes YAML",
        "Add a kustomization.yaml that lists the manifests, or move the file that is not a Kubernetes object (or"
        " list it in .sourceignore): Flux generates a kustomization from every .yaml/.yml file in such a folder.",
    ),
    Described(
        "PREFLIGHT-022",
        "Committed YAML stays within the limits",
        "Simplify the file named: fewer aliases, less nesting, or split it; the limits (size, depth, alias"
        " expansion) protect the machines that read the repository.",
    ),
]
OTHERS: dict[str, Described] = {d.id: d for d in _OTHERS}


def describe(rule_id: str) -> Described:
    """The title and remediation of any id the tool emits; KeyError for an id nobody described (a bug)."""
    rule = BY_ID.get(rule_id)
    if rule is not None:
        return Described(rule.id, rule.title, rule.remediation, rule.severity)
    return OTHERS[rule_id]


def how_to_fix(rule_ids: list[str]) -> list[str]:
    """One "RULE: remediation" line per distinct id, in first-seen order: printed under a table of findings."""
    return [f"{rule_id}: {describe(rule_id).remediation}" for rule_id in dict.fromkeys(rule_ids)]


@dataclass(frozen=True)
class PolicyFinding:
    """One finding of any id above, from the policy pack or preflight; `describe` says what it means."""

    rule: str
    policy: str
    enforcement: str
    severity: str
    resource: str
    urn: str
    message: str
    # Set by fleet/suppressions.py when a stack file (or preflight's annotation) accepts this finding, or accepted
    # it until a day now past.
    suppression: Suppression | None = None

    @property
    def suppressed(self) -> bool:
        """Accepted by a suppression that holds: reported as suppressed, never blocking."""
        return self.suppression is not None and self.suppression.holds

    @property
    def remediation(self) -> str:
        return describe(self.rule).remediation

    def to_json(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "enforcement": self.enforcement,
            "severity": self.severity,
            "resource": self.resource,
            "message": self.message,
            "remediation": self.remediation,
            "suppressed": self.suppressed,
            "suppression": self.suppression.to_json() if self.suppression is not None else None,
        }
