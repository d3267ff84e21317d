"""Executors run a stack's preview and update: the Pulumi Automation API where the CLI exists, the
offline plan everywhere. Both answer the same interface, so the rollout does not know which it drives."""

from .base import Executor, Preview, UpResult

__all__ = ["Executor", "Preview", "UpResult"]
