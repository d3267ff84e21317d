"""microsoft.flux extension releases (flux_extension.toml): known versions and the upgrade path."""

from __future__ import annotations

from functools import cache

from . import field, table

TABLE = "flux_extension"


def _key(version: str) -> tuple[int, ...]:
    return tuple(int(p) for p in version.split("."))


@cache
def releases() -> dict[str, dict[str, object]]:
    return {field(r, TABLE, "version", str): dict(r) for r in table(TABLE).rows}


def is_release(version: str) -> bool:
    return version in releases()


def known_versions() -> list[str]:
    return sorted(releases(), key=_key, reverse=True)


def unknown_version_problem(version: str) -> str | None:
    if is_release(version):
        return None
    newest = ", ".join(known_versions()[:3])
    return (
        f"microsoft.flux {version} is not in the extension's release notes (read {table(TABLE).retrieved}); "
        f"newest releases: {newest}"
    )


def upgrade_problem(current: str, target: str) -> str | None:
    """A step the release notes forbid: upgrading to `target` from below its `min_upgrade_from`."""
    if current == target or not is_release(target):
        return None
    try:
        current_key = _key(current)
    except ValueError:
        return None
    floor = releases()[target].get("min_upgrade_from")
    if isinstance(floor, str) and current_key < _key(floor) and current_key < _key(target):
        # Interim releases: at or above the floor, and not themselves behind the same requirement.
        interim = sorted(
            (v for v in releases() if _key(floor) <= _key(v) and not releases()[v].get("min_upgrade_from")), key=_key
        )
        steps = f"{interim[0]} - {interim[-1]}" if interim else floor
        return (
            f"microsoft.flux {current} cannot go straight to {target}: the release notes require {floor} or later "
            f"first; upgrade to an interim release ({steps}), then to {target}"
        )
    return None
