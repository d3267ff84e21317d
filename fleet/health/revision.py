"""Flux revision strings, as the fluxConfiguration status carries them, reduced to the commit they name.

One parser for every place a revision appears: `sourceSyncedCommitId`, a Kustomization's Ready message
("Applied revision: …") and a HelmRelease's chart version. The formats, all seen in practice:

- `main@sha1:<sha>`  Flux >= 2.0 (RFC-0005; fluxcd/flux2 rfcs/0005-artifact-revision-and-digest/README.md,
  "the value after the last `@` is considered to be the digest");
- `main/<sha>`       the older format, still in the 2023-05-01 API example GetFluxConfiguration.json
  ("sourceSyncedCommitId": "master/0ba6f0d3…");
- `<sha>` / `sha1:<sha>` a revision without a named pointer.

The rule is fluxcd/pkg git/utils.go ExtractHashFromRevision: the part after the last `:` if any, else the
last `/`-separated part, else the whole string. Its test table is vendored under
tests/conformance/flux/revision-format/ and every case runs through `commit_of`.
"""

from __future__ import annotations

import re

# kustomize-controller v1.7.0 internal/controller/kustomization_controller.go marks Ready with
# `"Applied revision: %s", revision` once it applied the source artifact; the ARM example shows the same
# message wrapped in single quotes ("'Applied revision: master/0ba6…'").
# The named pointer "MAY contain arbitrary characters" (RFC-0005), so the revision is the rest of the message.
_APPLIED = re.compile(r"Applied revision: (?P<revision>.+?)'?\s*$")

# helm-controller v1.4.0 internal/reconcile/{install,upgrade}.go: "Helm install|upgrade succeeded for release
# %s with chart %s", the chart as `<name>@<version>` (api/v2 snapshot_types.go VersionedChartName). For a chart
# built from a GitRepository with reconcileStrategy Revision, source-controller v1.7.0
# internal/controller/helmchart_controller.go sets the version's build metadata to the first 12 characters of
# the commit (ExtractHashFromRevision(rev)[0:12]), then ".<generation>" when valuesFiles are set.
_CHART = re.compile(r"with chart \S+?@[^\s+']+\+(?P<prefix>[0-9a-f]{12})(?:\.\d+)?(?![0-9A-Za-z.])")

CHART_PREFIX_LENGTH = 12


def commit_of(revision: str | None) -> str | None:
    """The commit a Flux revision names, or None for no revision."""
    if not revision:
        return None
    text = revision.strip().strip("'\"")
    if ":" in text:
        text = text.rsplit(":", 1)[1]
    elif "/" in text:
        text = text.rsplit("/", 1)[1]
    return text or None


def applied_commit(message: str | None) -> str | None:
    """The commit in a Kustomization's "Applied revision: …" Ready message, else None."""
    found = _APPLIED.search(message or "")
    return commit_of(found.group("revision")) if found else None


def chart_commit_prefix(message: str | None) -> str | None:
    """The 12-character commit prefix a HelmRelease's chart version carries (GitRepository, Revision strategy)."""
    found = _CHART.search(message or "")
    return found.group("prefix") if found else None
