"""One redaction mechanism for everything the toolkit shows or writes: error lines, JSON, SARIF, HTML, tables.

Credentials reach the toolkit three ways: embedded in a URL (userinfo, a signed query), as a value under a key
that names a credential (`password`, `clientSecret`, protected settings), or as a value shaped like a known
token wherever it was typed. `redact_text` hides the first and last in any text, `redact_data` also hides
values by their key in structured data (dicts, lists, dataclasses), and `credential_kinds` names what would be
hidden, so the spec can refuse exactly what the outputs would have to hide: a value that passes the spec is never
changed by redaction. Redaction keeps the shape (scheme, host, path, `user@` vs `user:password@`, parameter
names), so the rules judge a redacted value as they would the original.

Standard library only: components and fleet import it; the policy pack (policies/) stays self-contained.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import re
from collections.abc import Iterator, Mapping
from functools import lru_cache
from itertools import pairwise
from typing import Any, TypeVar

MASK = "***"
T = TypeVar("T")

# scheme "://" authority: the authority runs to the first "/" (RFC 3986 section 3.2); "?" and "#" are not stops,
# so a raw "?" or "#" typed inside a password still falls in the userinfo. Over-redacting a URL is harmless.
_URL = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.\-]*)://(?P<authority>[^\s/\\\"<>`]*)")
# name=value pairs (URL queries, connection strings, free text); the value stops where a URL or string would.
# A value never starts with "=", so base64 padding ("...abc==") is no pair.
_PAIR = re.compile(r"(?<![A-Za-z0-9_.\-])(?P<key>[A-Za-z_][A-Za-z0-9_.\-]*)=(?P<value>[^=&;#\s'\"<>`][^&;#\s'\"<>`]*)")
# Token formats that name themselves by prefix:
# - GitHub: ghp_ (personal), gho_ (OAuth), ghu_/ghs_ (app user/server), ghr_ (refresh) over [A-Za-z0-9_]
#   (github.blog/changelog/2021-03-31-authentication-token-format-updates-are-generally-available);
#   github_pat_ for fine-grained tokens (gitleaks rule github-fine-grained-pat, cmd/generate/config/rules/github.go).
# - GitLab personal access tokens start glpat- (gitlab.com/gitlab-org/gitlab/-/issues/342327).
_TOKENS: list[tuple[str, re.Pattern[str]]] = [
    ("a GitHub token", re.compile(r"\bgh[pousr]_[A-Za-z0-9_]{36,}|\bgithub_pat_\w{82,}")),
    ("a GitLab token", re.compile(r"\bglpat-[\w\-]{20,}")),
    # PEM private keys: RFC 7468 section 10 ("PRIVATE KEY"), and the RSA/EC/OPENSSH/ENCRYPTED variants of the label.
    (
        "a private key",
        re.compile(
            r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----.*?(?:-----END [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----|\Z)",
            re.S,
        ),
    ),
]
# The base64 of a PEM block starts with the base64 of "-----BEGIN" (fields such as knownHosts take base64); the
# run may be wrapped over lines.
_BASE64_PEM = re.compile(r"LS0tLS1CRUdJT[A-Za-z0-9+/\r\n]{20,}={0,2}")

# Key names that hold a credential, judged on their words ("clientSecret" -> client, secret). The last word
# decides, so `secretName`, `keyId`, `keyVaultSecrets` and `enableSecretRotation` name no credential.
_SECRET_LAST_WORDS = {
    "password",
    "passwd",
    "pwd",
    "passphrase",
    "secret",
    "token",
    "credential",
    "credentials",
    "signature",
    # SAS: "sig" is the signature (learn.microsoft.com/rest/api/storageservices/create-service-sas: a SAS is a
    # key "and should be protected in the same manner as an account key"; the sig= field in
    # learn.microsoft.com/training/modules/configure-storage-security/4-identify-uri-sas-parameters). The other
    # SAS fields (sv, ss, srt, sp, se, st, spr, sip, sr) describe the grant and are useless without sig.
    "sig",
    # Keys written without word boundaries.
    "apikey",
    "accountkey",
    "privatekey",
    "secretkey",
    "sastoken",
    "httpskey",
}
_SECRET_LAST_PAIRS = {
    ("private", "key"),
    ("secret", "key"),
    # AccountKey= in a storage connection string is the account's shared key
    # (learn.microsoft.com/azure/storage/common/storage-configure-connection-string).
    ("account", "key"),
    ("api", "key"),
    ("shared", "key"),
    ("https", "key"),
    ("client", "certificate"),
    ("connection", "string"),
}
# Everything under these holds credentials, whatever the inner keys are called.
_SECRET_CONTAINERS = {("protected", "settings")}
_WORD = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|[0-9]+")


def _words(name: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(name)]


def is_secret_key(name: object) -> bool:
    """Does a key with this name hold a credential (so its value is never shown)?"""
    return isinstance(name, str) and _is_secret_name(name)


@lru_cache(maxsize=4096)  # the same few hundred key names recur in every row of an audit
def _is_secret_name(name: str) -> bool:
    words = _words(name)
    if not words:
        return False
    return (
        words[-1] in _SECRET_LAST_WORDS
        or tuple(words[-2:]) in _SECRET_LAST_PAIRS
        or any(pair in _SECRET_CONTAINERS for pair in pairwise(words))
    )


def _userinfo_kind(scheme: str, userinfo: str) -> str | None:
    if not userinfo:
        return None
    # `git` is the account name of SSH Git hosting, not a credential: Flux's own examples use
    # ssh://git@example.com/repository.git (fluxcd.io/flux/cmd/flux_bootstrap_git).
    if scheme.lower() == "ssh" and userinfo == "git":
        return None
    return (
        "credentials in the URL (user:password)"
        if ":" in userinfo
        else "credentials in the URL (a user, often a token)"
    )


def _redact_urls(text: str, found: list[str]) -> str:
    def replace(match: re.Match[str]) -> str:
        scheme, authority = match["scheme"], match["authority"]
        userinfo, at, host = authority.rpartition("@")
        kind = _userinfo_kind(scheme, userinfo) if at else None
        if kind is None:
            return match[0]
        found.append(kind)
        masked = f"{MASK}:{MASK}" if ":" in userinfo else MASK
        return f"{scheme}://{masked}@{host}"

    return _URL.sub(replace, text)


def _redact_pairs(text: str, found: list[str]) -> str:
    def replace(match: re.Match[str]) -> str:
        if not is_secret_key(match["key"]):
            return match[0]
        found.append(f"a `{match['key']}=` parameter")
        return f"{match['key']}={MASK}"

    return _PAIR.sub(replace, text)


def _redact_tokens(text: str, found: list[str]) -> str:
    for kind, pattern in _TOKENS:

        def replace(match: re.Match[str], kind: str = kind) -> str:
            found.append(kind)
            return MASK

        text = pattern.sub(replace, text)

    def base64_pem(match: re.Match[str]) -> str:
        chunk = re.sub(r"[\s=]", "", match[0])
        try:
            decoded = base64.b64decode(chunk[: len(chunk) - len(chunk) % 4]).decode("ascii", "replace")
        except (binascii.Error, ValueError):
            return match[0]
        if "PRIVATE KEY" not in decoded:
            return match[0]
        found.append("a base64-encoded private key")
        return MASK

    return _BASE64_PEM.sub(base64_pem, text)


# Everything `_scan` can hide contains one of these; most strings (names, ids, numbers) contain none, and the
# audit redacts every string of thousands of clusters.
_TRIGGER = re.compile(r"://|=|gh[pousr]_|github_pat_|glpat-|PRIVATE KEY|LS0tLS1CRUdJT")


def _scan(text: str) -> tuple[str, list[str]]:
    found: list[str] = []
    if not _TRIGGER.search(text):
        return text, found
    text = _redact_tokens(text, found)
    text = _redact_urls(text, found)
    text = _redact_pairs(text, found)
    return text, found


def redact_text(text: str) -> str:
    """`text` with every credential it carries replaced by MASK, keeping where it was."""
    if not isinstance(text, str) or not text:
        return text
    return _scan(text)[0]


def credential_kinds(text: str) -> list[str]:
    """What in `text` is (or was, before redaction) a credential: userinfo in a URL (except ssh's `git@`), a
    secret parameter such as a SAS `sig`, a known token or a private key. Empty when `text` shows nothing."""
    if not isinstance(text, str) or not text:
        return []
    return list(dict.fromkeys(_scan(text)[1]))


def redact_data(value: T) -> T:
    """A copy of `value` (JSON-like data, tuples, dataclasses) with credentials hidden: every string through
    `redact_text`, and every value under a credential-named key replaced by MASK (None and empty values, and the
    markers the plan already uses such as "[secret]", are kept, so "was it set?" still reads the same)."""
    return _redact(value, hide=False)


_MARKER = re.compile(r"^\[[a-z]+\]$")


def _redact(value: Any, *, hide: bool) -> Any:
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, str):
        if hide and value and value != MASK and not _MARKER.match(value):
            return MASK
        return redact_text(value)
    if isinstance(value, int | float):
        return MASK if hide else value
    if isinstance(value, Mapping):
        return {
            (redact_text(k) if isinstance(k, str) else k): _redact(v, hide=hide or is_secret_key(k))
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_redact(v, hide=hide) for v in value]
    if isinstance(value, tuple):
        return tuple(_redact(v, hide=hide) for v in value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {
            f.name: _redact(getattr(value, f.name), hide=hide or is_secret_key(f.name))
            for f in dataclasses.fields(value)
            if f.init
        }
        return dataclasses.replace(value, **changes)
    return value


def plaintext_credentials(node: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], str]]:
    """(key path, why) of every plain value in a committed document that is a credential: one under a
    credential-named key, or one that `credential_kinds` recognises (a key itself included). A Pulumi secret
    ({secure: ...}) is ciphertext: only a value shaped like a credential is reported there (pasted plaintext)."""
    if isinstance(node, Mapping):
        if _is_pulumi_secret(node):
            yield from plaintext_credentials(node["secure"], (*path, "secure"))
            return
        for key, child in node.items():
            if isinstance(key, str) and credential_kinds(key):
                yield (*path, key), f"the key itself holds {', '.join(credential_kinds(key))}"
                continue
            if is_secret_key(key):
                yield from _named_secret(child, (*path, key))
            else:
                yield from plaintext_credentials(child, (*path, key))
    elif isinstance(node, list):
        for i, child in enumerate(node):
            yield from plaintext_credentials(child, (*path, i))
    elif isinstance(node, str):
        kinds = credential_kinds(node)
        if kinds:
            shown = redact_text(node)
            yield path, ", ".join(kinds) + (f" ({shown!r})" if shown != MASK else "")


def _is_pulumi_secret(node: Mapping[Any, Any]) -> bool:
    return set(node) == {"secure"} and isinstance(node["secure"], str)


def _named_secret(node: Any, path: tuple[Any, ...]) -> Iterator[tuple[tuple[Any, ...], str]]:
    if isinstance(node, Mapping) and _is_pulumi_secret(node):
        yield from plaintext_credentials(node["secure"], (*path, "secure"))
        return
    if isinstance(node, str | int | float) and not isinstance(node, bool) and node != "":
        yield path, f"a plain value under `{path[-1]}`, a key that names a credential"
    elif isinstance(node, Mapping | list):
        children = node.items() if isinstance(node, Mapping) else enumerate(node)
        for key, child in children:
            yield from _named_secret(child, (*path, key))
