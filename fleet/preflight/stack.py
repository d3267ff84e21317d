"""Preflight of one stack: every Git source of its flux configurations, checked at the ref it pulls."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from components.spec import load_stack
from components.spec.flux import FluxConfigurationSpec
from components.spec.redact import redact_data
from fleet import git
from fleet.findings import PolicyFinding
from fleet.fleetfile import load_fleet
from fleet.gitrepo import repo_root

from .build import OVER_YAML_LIMITS, Builder
from .checks import KEY_VAULT_SECRETS_PROVIDER_GROUPS, Context, check_configuration
from .source import SourceTree, open_source, ref_name
from .stage import Link, Staged, stage


@dataclass
class PreflightReport:
    stack: str
    findings: list[PolicyFinding] = field(default_factory=list)
    checked: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    builds: int = 0

    @property
    def blocked(self) -> bool:
        return any(f.enforcement == "mandatory" and not f.suppressed for f in self.findings)


def local_sources(stacks_dir: Path) -> dict[str, str]:
    """The `localSources` map of stacks/fleet.yaml (URL -> folder of this repository)."""
    path = stacks_dir / "fleet.yaml"
    if not path.exists():
        return {}
    return dict(load_fleet(stacks_dir).local_sources)


def preflight_stack(
    stacks_dir: Path, stack: str, *, repo: str | None = None, ref: str | None = None, builder: Builder | None = None
) -> PreflightReport:
    """Raises components.spec.SpecError for a bad stack file, BadInput for a bad --ref or --repo (exit 2)."""
    if ref is not None:
        ref = git.checked_revision(ref, "--ref")
    if repo is not None:
        repo = git.checked_source(repo, "--repo")
    spec = load_stack(stacks_dir, stack).spec
    report = PreflightReport(stack)
    builder = builder or Builder()
    mapping = local_sources(stacks_dir)
    root = repo_root(stacks_dir)
    version = spec.kubernetes.version_policy.version
    addon_groups = set(KEY_VAULT_SECRETS_PROVIDER_GROUPS) if spec.security.key_vault_secrets_provider.enabled else set()
    trees: dict[tuple[str, str | None], SourceTree | str] = {}
    staged: dict[tuple[str, str | None], Staged] = {}
    try:
        for configuration in [spec.flux.platform, *spec.flux.tenants]:
            _check(
                configuration,
                spec.environment,
                version,
                builder,
                report,
                trees,
                staged,
                addon_groups,
                spec.flux.extension.multi_tenancy_enforce,
                # The stamp injects its variables into the platform configuration only.
                spec.injected_substitutions if configuration is spec.flux.platform else [],
                repo=repo,
                ref=ref,
                mapping=mapping,
                root=root,
            )
    finally:
        for copy in staged.values():
            copy.close()
        for tree in trees.values():
            if isinstance(tree, SourceTree):
                tree.close()
    report.builds = builder.builds
    # The report quotes `--repo`, git's and kustomize's own messages and manifests: redacted once, for every output.
    return redact_data(report)


def _check(
    configuration: FluxConfigurationSpec,
    environment: str,
    version: str,
    builder: Builder,
    report: PreflightReport,
    trees: dict[tuple[str, str | None], SourceTree | str],
    staged: dict[tuple[str, str | None], Staged],
    addon_groups: set[str],
    multi_tenancy: bool,
    injected: list[str],
    *,
    repo: str | None,
    ref: str | None,
    mapping: dict[str, str],
    root: Path,
) -> None:
    """One configuration: its source extracted once per (URL, ref) and shared with the others."""
    git = configuration.source.git
    if git is None:
        report.skipped.append(f"{configuration.name}: {configuration.source.kind} sources are not checked offline")
        return
    key = (repo or git.url, ref or ref_name(git.ref))
    opened_here = key not in trees
    if opened_here:
        trees[key] = open_source(git.url, git.ref, repo=repo, override_ref=ref, local_sources=mapping, repo_root=root)
    tree = trees[key]
    ctx = Context(
        configuration, environment, version, builder, addon_groups, set(injected), multi_tenancy=multi_tenancy
    )
    if isinstance(tree, str):
        if repo or ref:
            ctx.add("PREFLIGHT-009", "(source)", tree)
            report.findings += ctx.findings
        else:
            report.skipped.append(f"{configuration.name}: {tree}")
        return
    report.checked.append(f"{configuration.name}: {tree.description}")
    # A note about the source ("no such tag here: checked the working tree") is said once per run, by the first
    # configuration that uses the source, not again by every tenant sharing it.
    for note in tree.notes if opened_here else []:
        ctx.add("PREFLIGHT-009", "(source)", note, advisory=True)
    if key not in staged:
        # What kustomize builds: what the artifact holds, no symlink, no ignored file (stage.py).
        staged[key] = stage(tree.root, tree.extracted_into or root)
    copy = staged[key]
    for link in copy.links:
        _link_finding(ctx, link)
    for path, problem in copy.refused:
        ctx.add(OVER_YAML_LIMITS, "(source)", f"{path} is refused, not built ({problem}); a build that needs it fails")
    if copy.problem:
        ctx.add("PREFLIGHT-009", "(source)", copy.problem)
    else:
        check_configuration(ctx, copy.root, tree.description)
    report.findings += ctx.findings
    report.checked += [f"  {line}" for line in ctx.checked]
    report.skipped += ctx.skipped


def _link_finding(ctx: Context, link: Link) -> None:
    # Flux's artifact holds no symlink (stage.py): the link is not a failure itself, what needs it is (its build
    # then fails, PREFLIGHT-002). One advisory per link, whatever it points to: the target is never resolved.
    ctx.add(
        "PREFLIGHT-011",
        "(source)",
        f"symlink {link.path} -> {link.target} is left out, as Flux's source-controller leaves every symlink out of"
        " the artifact: the cluster will not see it, nor what it points to",
        advisory=True,
    )
