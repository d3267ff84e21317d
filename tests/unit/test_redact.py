"""Issue 13, class 5: the one redaction mechanism (components/spec/redact.py), on its own.

The end-to-end canary test (tests/integration/test_credential_canary.py) runs every output command; this file
pins the function: what is hidden, what is kept, and that nothing the shipped stacks plan is touched.
"""

from __future__ import annotations

import base64
import copy
import dataclasses
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from components.spec import SpecError
from components.spec.loader import parse_stack_document
from components.spec.redact import MASK, credential_kinds, is_secret_key, redact_data, redact_text
from tests.conftest import SHIPPED_STACKS, STACKS_DIR, plan_for, stack_document

# RFC 3986 section 3.2.1: userinfo = *( unreserved / pct-encoded / sub-delims / ":" ); a raw "@" (which careless
# users type) is added, since "the last @ ends the userinfo" is what git and curl do with it.
_UNRESERVED = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~"
_SUB_DELIMS = "!$&'()*+,;="
_userinfo_text = st.text(alphabet=_UNRESERVED + _SUB_DELIMS + "%@", max_size=24)
# Every generated user and password holds a "~", which no host, path, context or mask here contains, so "the
# output does not contain it" cannot pass by accident or fail by coincidence.
_part = st.tuples(_userinfo_text, st.just("~"), _userinfo_text).map("".join)
_host = st.from_regex(
    r"\A[a-z0-9]([a-z0-9-]{0,20}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,20}[a-z0-9])?){0,3}(:[0-9]{1,5})?\Z"
)
_path = st.from_regex(r"\A(/[A-Za-z0-9._-]{0,12}){0,5}\Z")


@settings(max_examples=400, deadline=None)
@given(
    scheme=st.sampled_from(["https", "http", "ssh", "git+ssh", "s3"]),
    user=_part,
    password=st.none() | _part,
    host=_host,
    path=_path,
    context=st.sampled_from(["{}", "fatal: unable to access '{}/': denied", "url: {} (line 3)", '{{"url": "{}"}}']),
)
def test_userinfo_never_survives_and_host_and_path_do(
    scheme: str, user: str, password: str | None, host: str, path: str, context: str
) -> None:
    userinfo = user if password is None else f"{user}:{password}"
    url = f"{scheme}://{userinfo}@{host}{path}"
    text = context.format(url)
    redacted = redact_text(text)
    assert user not in redacted
    assert password is None or password not in redacted
    masked = MASK if password is None and ":" not in user else f"{MASK}:{MASK}"
    assert context.format(f"{scheme}://{masked}@{host}{path}") == redacted
    assert credential_kinds(text) and credential_kinds(redacted), "the redacted form still says credentials were there"
    assert redact_text(redacted) == redacted


@settings(max_examples=200, deadline=None)
@given(host=_host, path=_path, query=st.from_regex(r"\A([a-z]{1,5}=[A-Za-z0-9%._-]{0,12}&){0,4}\Z"))
def test_urls_without_credentials_are_untouched(host: str, path: str, query: str) -> None:
    for url in (f"https://{host}{path}?{query}", f"ssh://git@{host}{path}"):
        assert redact_text(url) == url
        assert credential_kinds(url) == []


SAS = "sv=2022-11-02&ss=b&srt=co&sp=rl&se=2030-01-01T00:00:00Z&spr=https"
PEM = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\n"
CASES = [
    # (text, what must be gone, what must remain)
    (f"https://acct.blob.core.windows.net/fleet?{SAS}&sig=Zm9vYmFy%2Bc2lnbmF0dXJl", "Zm9vYmFy", f"?{SAS}&sig={MASK}"),
    (
        "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=c2VjcmV0a2V5+/==;EndpointSuffix=core.windows.net",
        "c2VjcmV0a2V5",
        f"AccountName=acct;AccountKey={MASK};EndpointSuffix",
    ),
    ("https://host/x?access_token=abc123xyz&page=2", "abc123xyz", f"access_token={MASK}&page=2"),
    ("push with ghp_" + "a1B2" * 9 + " failed", "a1B2a1B2", f"push with {MASK} failed"),
    ("github_pat_" + "Ab3_" * 21, "Ab3_Ab3_", MASK),
    ("token glpat-" + "x9Y8" * 5, "x9Y8x9Y8", f"token {MASK}"),
    (f"key:\n{PEM}done", "b3BlbnNzaC1", f"key:\n{MASK}\ndone"),
    (base64.b64encode(PEM.encode()).decode(), "LS0tLS1CRUdJTiBPUEVOU1NI", MASK),
    ("ssh://deploy@example.com/repo", "deploy", f"ssh://{MASK}@example.com/repo"),
]


@pytest.mark.parametrize(("text", "gone", "kept"), CASES, ids=[c[0][:32] for c in CASES])
def test_known_credentials_are_masked_in_place(text: str, gone: str, kept: str) -> None:
    redacted = redact_text(text)
    assert gone not in redacted and kept in redacted
    assert credential_kinds(text)


@pytest.mark.parametrize(
    "text",
    [
        "ssh://git@github.com/contoso/aks-fleet-gitops",
        "https://github.com/contoso/aks-fleet-gitops",
        "https://registry.example.com/charts/podinfo@sha256:0123",  # an @ in the path is no userinfo
        "https://kv-prod-jpe-aks.vault.azure.net/keys/etcd/4f0b6c2a9d8e4f1a8b7c6d5e4f3a2b1c",
        base64.b64encode(b"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n").decode(),
        "secretName=flux-git-auth",
        "keyVaultSecrets=/subscriptions/x/resourceGroups/y",
    ],
)
def test_what_is_not_a_credential_is_kept(text: str) -> None:
    assert redact_text(text) == text and credential_kinds(text) == []


@pytest.mark.parametrize(
    ("name", "secret"),
    [
        ("password", True),
        ("adminPassword", True),
        ("clientSecret", True),
        ("privateKey", True),
        ("sshPrivateKey", True),
        ("secretKey", True),
        ("accountKey", True),
        ("sasToken", True),
        ("GIT_TOKEN", True),
        ("x-access-token", True),
        ("httpsKey", True),
        ("configurationProtectedSettings", True),
        ("sig", True),
        ("secretName", False),
        ("keyId", False),
        ("keyVaultSecrets", False),
        ("keyVaultResourceId", False),
        ("enableSecretRotation", False),
        ("accessKey", False),  # a bucket's access key id names the account; its secret key is the secret
        ("httpsUser", False),
        ("knownHosts", False),
        ("key_vault_name", False),
    ],
)
def test_secret_key_names(name: str, secret: bool) -> None:
    assert is_secret_key(name) is secret


@dataclasses.dataclass(frozen=True)
class _Row:
    name: str
    body: dict[str, object]


def test_structured_data_is_masked_by_key_and_by_value() -> None:
    data = [
        _Row(
            "https://u:p@host/x",
            {
                "servicePrincipalProfile": {"clientId": "msi", "secret": "s3cr3t"},
                "configurationProtectedSettings": {"httpsKey": "[secret]", "other": "hunter2", "n": 7},
                "windowsProfile": {"adminPassword": None},
                "tags": {"env": "prod"},
            },
        )
    ]
    assert redact_data(data) == [
        _Row(
            f"https://{MASK}:{MASK}@host/x",
            {
                "servicePrincipalProfile": {"clientId": "msi", "secret": MASK},
                "configurationProtectedSettings": {"httpsKey": "[secret]", "other": MASK, "n": MASK},
                "windowsProfile": {"adminPassword": None},
                "tags": {"env": "prod"},
            },
        )
    ]


@pytest.mark.parametrize("stack", SHIPPED_STACKS)
@pytest.mark.parametrize("preview", [True, False])
def test_redaction_changes_nothing_in_the_shipped_plans(stack: str, preview: bool) -> None:
    """No false positive: every input the shipped stacks plan (ids, URLs, base64 host keys) passes unchanged."""
    plan = plan_for(STACKS_DIR, stack, preview=preview)
    assert redact_data(plan) == plan


_DOCUMENT = stack_document("prod-japaneast")


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix] if prefix else []
    children = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else []
    for key, child in children:
        out += _paths(child, (*prefix, key))
    return out


# Positions no shipped stack uses but a file may: the protect flag, provider config, a stray top-level key.
_EXTRA = [("config", "aksfleet:protect"), ("config", "azure-native:location"), ("stray",)]
_PATHS = _paths(_DOCUMENT) + _EXTRA
_CREDENTIALS = [
    lambda c: f"https://x-access-token:{c}@github.com/contoso/aks-fleet-gitops",
    lambda c: f"ssh://git:{c}@github.com/contoso/aks-fleet-gitops",
    lambda c: f"https://acct.blob.core.windows.net/fleet?sv=2022-11-02&sig={c}",
    lambda c: f"ghp_{c}",
    lambda c: {"password": c},
    lambda c: [{"clientSecret": c}],
]


@settings(max_examples=300, deadline=None)
@given(
    where=st.sampled_from(_PATHS),
    shape=st.sampled_from(range(len(_CREDENTIALS))),
    canary=st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", min_size=36, max_size=36),
)
def test_a_credential_anywhere_in_a_stack_file_is_refused_and_never_echoed(
    where: tuple[Any, ...], shape: int, canary: str
) -> None:
    """Any value of the stack file replaced by a credential: the file is refused, and no line quotes it."""
    document = copy.deepcopy(_DOCUMENT)
    parent = document
    for step in where[:-1]:
        parent = parent[step]
    parent[where[-1]] = _CREDENTIALS[shape](canary)
    with pytest.raises(SpecError) as error:
        parse_stack_document(document, stack="x", path=Path("stacks/Pulumi.x.yaml"))
    lines = [str(p) for p in error.value.problems]
    assert lines and not any(canary in line for line in lines), lines


def test_every_position_of_every_shipped_stack_refuses_every_credential_shape() -> None:
    """The exhaustive form of the property above, with one fixed canary: no position is left to chance."""
    canary = "Xk29fQ7LmZ4pR8sT1vW6yB3nD5gH0jC2aE9u"
    for stack in SHIPPED_STACKS:
        base = stack_document(stack)
        for where in _paths(base) + _EXTRA:
            for make in _CREDENTIALS:
                document = copy.deepcopy(base)
                parent = document
                for step in where[:-1]:
                    parent = parent[step]
                parent[where[-1]] = make(canary)
                with pytest.raises(SpecError) as error:
                    parse_stack_document(document, stack="x", path=Path("stacks/Pulumi.x.yaml"))
                assert not any(canary in str(p) for p in error.value.problems), (stack, where)
