"""Objects encrypted with SOPS, which a fluxConfiguration can never decrypt.

The fluxConfigurations API has no decryption setting: its 2023-05-01 `KustomizationDefinition` has name, path,
dependsOn, timeoutInSeconds, syncIntervalInSeconds, retryIntervalInSeconds, prune, force, wait and postBuild only
(Azure/azure-rest-api-specs specification/kubernetesconfiguration/resource-manager/Microsoft.KubernetesConfiguration/
stable/2023-05-01/fluxconfiguration.json @ 03c187009983c333030e6ab59b021dce1f89edae), so the Flux Kustomizations the
extension creates have no `spec.decryption`, and kustomize-controller v1.7.3 decrypts nothing
(internal/controller/kustomization_controller.go: `if obj.Spec.Decryption != nil { dec.DecryptResource(res) }`).
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from .shape import mapping

# SOPS writes its metadata under the top-level key `sops` (getsops/sops stores/stores.go SopsMetadataKey), with
# `mac` and `lastmodified` among its fields (stores.Metadata).
SOPS_KEY = "sops"
SOPS_FIELDS = ("mac", "lastmodified")
# What kustomize-controller looks for in a Secret's data value to decrypt it as a whole SOPS file
# (internal/decryptor/decryptor.go@v1.7.3 sopsFormatToMarkerBytes: binary and JSON, dotenv, INI, YAML).
DATA_MARKERS = (b'"mac": "ENC[', b"sops_mac=ENC[", b"[sops]", b"mac: ENC[")

_NOT_DECRYPTED = "fluxConfigurations cannot configure SOPS decryption (their kustomizations have no `decryption`)"


def encrypted(obj: dict[str, Any]) -> str:
    """Why Flux fails on (or mis-applies) this object because of SOPS, or "" when it is not SOPS-encrypted."""
    kind, api = obj.get("kind"), obj.get("apiVersion")
    block = obj.get(SOPS_KEY)
    if kind == "Secret" and api == "v1" and SOPS_KEY in obj:
        # decryptor.IsEncryptedSecret: any `sops` field; the apply then fails with this message
        # (kustomization_controller.go@v1.7.3).
        return (
            f'encrypted with SOPS, and {_NOT_DECRYPTED}: Flux fails the kustomization ("is SOPS encrypted,'
            ' configuring decryption is required for this secret to be reconciled")'
        )
    if isinstance(block, dict) and any(block.get(f) for f in SOPS_FIELDS):
        return f"encrypted with SOPS, and {_NOT_DECRYPTED}: Flux would apply it still encrypted, with its `sops` block"
    if kind == "Secret":
        for key, value in sorted(mapping(obj, "data").items(), key=lambda item: str(item[0])):
            if _is_sops_file(value):
                return f"data {key!r} is a SOPS-encrypted file, and {_NOT_DECRYPTED}: Flux would apply the ciphertext"
    return ""


def _is_sops_file(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        data = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return False  # the controller skips values it cannot decode too
    return any(marker in data for marker in DATA_MARKERS)
