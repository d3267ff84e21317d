"""Azure access: the official SDK clients, DefaultAzureCredential, and a selectable cloud."""

from .clients import CLOUDS, AzureContext

__all__ = ["CLOUDS", "AzureContext"]
