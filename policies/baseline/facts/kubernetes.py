"""The AKS Kubernetes release calendar (aks_versions.toml) and what it says of one cluster's version."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache

from . import field, table

TABLE = "aks_versions"
# How early end of support is announced as an advisory: two months leaves a ring rollout time to upgrade.
NEAR_END_DAYS = 60
LTS_PLAN = "AKSLongTermSupport"
_VERSION = re.compile(r"^v?(\d+)\.(\d+)(?:\.\d+)?$")


@dataclass(frozen=True)
class Minor:
    minor: str
    ga: date
    end_of_life: date
    lts_end_of_life: date
    patches: tuple[str, ...] = ()


@dataclass(frozen=True)
class VersionVerdict:
    """`problems` block (the version cannot be created or run supported); `warnings` are advisories."""

    problems: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()


@cache
def calendar() -> dict[str, Minor]:
    rows = table(TABLE).rows
    return {
        field(r, TABLE, "minor", str): Minor(
            minor=r["minor"],
            ga=field(r, TABLE, "ga", date),
            end_of_life=field(r, TABLE, "end_of_life", date),
            lts_end_of_life=field(r, TABLE, "lts_end_of_life", date),
            patches=tuple(r.get("patches", ())),
        )
        for r in rows
    }


def minor_of(version: str) -> str | None:
    match = _VERSION.match(version.strip())
    return f"{match.group(1)}.{match.group(2)}" if match else None


def supported_minors(today: date) -> list[str]:
    """Minors a cluster can be created on today without LTS: GA and before end of life."""
    return [m.minor for m in calendar().values() if m.ga <= today <= m.end_of_life]


def judge(version: str, *, tier: str | None, support_plan: str | None, today: date) -> VersionVerdict:
    """What the calendar says of running `version` on a cluster of `tier` with `support_plan`, today."""
    retrieved = table(TABLE).retrieved.isoformat()
    offered = ", ".join(supported_minors(today)) or "none (refresh the table)"
    minor = minor_of(version)
    entry = calendar().get(minor or "")
    if entry is None:
        return VersionVerdict(
            problems=(
                f"Kubernetes {version} is not in the AKS release calendar (read {retrieved}); supported: {offered}",
            )
        )
    lts = (support_plan or "").lower() == LTS_PLAN.lower()
    problems: list[str] = []
    warnings: list[str] = []
    if lts and (tier or "").lower() != "premium":
        problems.append(f"supportPlan {LTS_PLAN} needs the Premium tier (tier is {tier or 'unset'})")
    if today < entry.ga:
        problems.append(f"Kubernetes {minor} is not GA on AKS until {entry.ga.isoformat()}; supported: {offered}")
    end = entry.lts_end_of_life if lts else entry.end_of_life
    if today > end:
        if lts:
            problems.append(f"Kubernetes {minor} left Long Term Support on {end.isoformat()}; supported: {offered}")
        else:
            problems.append(
                f"Kubernetes {minor} reached end of support on AKS on {end.isoformat()}; supported: {offered} "
                f"(or Long Term Support until {entry.lts_end_of_life.isoformat()} with the Premium tier and "
                f"supportPlan {LTS_PLAN})"
            )
    elif end - today <= timedelta(days=NEAR_END_DAYS):
        warnings.append(
            f"Kubernetes {minor} reaches end of {'Long Term Support' if lts else 'support'} on AKS on "
            f"{end.isoformat()} ({(end - today).days} days); plan the upgrade to one of {offered}"
        )
    if version.count(".") == 2 and entry.patches and version.lstrip("v") not in entry.patches:
        warnings.append(
            f"Kubernetes {version} is not among the patches AKS release notes name for {minor} "
            f"({', '.join(entry.patches)}); check `az aks get-versions`"
        )
    return VersionVerdict(problems=tuple(problems), warnings=tuple(warnings))


def newest_supported_patch(today: date) -> str | None:
    """The newest patch the release notes name for the newest minor supported today (None if none is)."""
    minors = [calendar()[m] for m in supported_minors(today)]
    with_patches = [m for m in minors if m.patches]
    return with_patches[-1].patches[-1] if with_patches else None
