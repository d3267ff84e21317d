"""Drift: the live cluster, extension and flux configurations against the stack plan."""
