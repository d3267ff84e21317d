"""Health gates: what must be true of a stack after `up` before the rollout moves on."""
