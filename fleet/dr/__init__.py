"""Disaster recovery: derive a cluster in another region from Git, re-create it, and time the recovery."""
