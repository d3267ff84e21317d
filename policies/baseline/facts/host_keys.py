"""OpenSSH known_hosts lines: parsed and checked against the keys Git hosts publish (git_host_keys.toml).

Format: `host-patterns key-type base64-key [comment]`, hosts comma-separated, `[host]:port`, `*`/`?`
wildcards, or hashed as `|1|salt|hmac` (OpenSSH sshd(8) "SSH_KNOWN_HOSTS FILE FORMAT"). The key blob
starts with its own type name as an SSH string (RFC 4253 section 6.6), which catches a type/key mix-up.
Markers (`@cert-authority`, `@revoked`) are refused, as the az CLI's validator refuses them
(Azure/azure-cli-extensions src/k8s-configuration validators.validate_known_hosts, via paramiko).
"""

from __future__ import annotations

import base64
import binascii
import fnmatch
import hashlib
import hmac
from dataclasses import dataclass
from functools import cache

from . import field, table

TABLE = "git_host_keys"
KEY_TYPES = (
    "ssh-ed25519",
    "ssh-rsa",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
    "sk-ssh-ed25519@openssh.com",
    "sk-ecdsa-sha2-nistp256@openssh.com",
)


@dataclass(frozen=True)
class KnownHost:
    line: int
    hosts: str
    key_type: str
    blob: bytes

    @property
    def fingerprint(self) -> str:
        return "SHA256:" + base64.b64encode(hashlib.sha256(self.blob).digest()).decode().rstrip("=")

    def matches(self, host: str) -> bool:
        for pattern in self.hosts.split(","):
            negated = pattern.startswith("!")
            pattern = pattern.removeprefix("!")
            if pattern.startswith("|1|"):
                hit = _hashed_match(pattern, host)
            else:
                name = pattern[1:].split("]:", 1)[0] if pattern.startswith("[") else pattern
                hit = fnmatch.fnmatchcase(host.lower(), name.lower())
            if hit and not negated:
                return True
        return False


def parse(text: str) -> tuple[list[KnownHost], list[str]]:
    """Entries and one problem per bad line (`line N: what; accepted: ...`)."""
    entries: list[KnownHost] = []
    problems: list[str] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        fields = line.split()
        if fields[0].startswith("@"):
            problems.append(f"line {number}: marker {fields[0]!r} is not accepted; accepted: plain host key lines")
            continue
        if len(fields) < 3:
            problems.append(f"line {number}: expected 'hosts key-type base64-key'")
            continue
        hosts, key_type, key = fields[:3]
        if key_type not in KEY_TYPES:
            problems.append(f"line {number}: unknown key type {key_type!r}; accepted: {', '.join(KEY_TYPES)}")
            continue
        try:
            blob = base64.b64decode(key, validate=True)
        except (binascii.Error, ValueError):
            problems.append(f"line {number}: the key is not base64")
            continue
        if _blob_type(blob) != key_type:
            problems.append(f"line {number}: the key is not a {key_type} key")
            continue
        entries.append(KnownHost(number, hosts, key_type, blob))
    return entries, problems


def decode_setting(value: str) -> tuple[str | None, str | None]:
    """The API's sshKnownHosts is base64 of the known_hosts text: (text, problem)."""
    try:
        return base64.b64decode(value, validate=True).decode("utf-8"), None
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return None, "not base64 of UTF-8 known_hosts text; accepted: base64 of OpenSSH known_hosts lines"


@cache
def published() -> dict[str, frozenset[str]]:
    """Host -> the SHA256 fingerprints it publishes."""
    out: dict[str, set[str]] = {}
    for row in table(TABLE).rows:
        out.setdefault(field(row, TABLE, "host", str), set()).add(field(row, TABLE, "fingerprint", str))
    return {host: frozenset(prints) for host, prints in out.items()}


def mismatches(entries: list[KnownHost]) -> list[str]:
    """Entries that name a host with published keys but carry a key it does not publish."""
    problems = []
    for entry in entries:
        for host, prints in published().items():
            if entry.matches(host) and entry.fingerprint not in prints:
                problems.append(
                    f"line {entry.line}: {entry.key_type} key {entry.fingerprint} for {host} is not one {host} "
                    f"publishes ({', '.join(sorted(prints))}); remove the line (Flux knows {host}) or fix the key"
                )
    return problems


def _blob_type(blob: bytes) -> str | None:
    if len(blob) < 4:
        return None
    size = int.from_bytes(blob[:4], "big")
    try:
        return blob[4 : 4 + size].decode("ascii") if 0 < size <= len(blob) - 4 else None
    except UnicodeDecodeError:
        return None


def _hashed_match(pattern: str, host: str) -> bool:
    parts = pattern.split("|")
    if len(parts) != 4:
        return False
    try:
        salt, digest = base64.b64decode(parts[2]), base64.b64decode(parts[3])
    except (binascii.Error, ValueError):
        return False
    return hmac.compare_digest(hmac.new(salt, host.encode(), hashlib.sha1).digest(), digest)
