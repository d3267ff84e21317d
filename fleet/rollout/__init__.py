"""Ring-based rollout of the fleet baseline: pipeline per stack, rings, journal, CI export."""
