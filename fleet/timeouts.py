"""How long the toolkit waits for each external process, in seconds: the one place these limits live.

Every limit is a bound against a hang (a host that never answers, a child stuck on a lock), not an expectation
of how long the work takes; each is several times the normal duration so a slow CI machine never trips it.
Callers read them as `timeouts.NAME` at call time, so a test can lower one.
"""

from __future__ import annotations

# git on this machine's own checkout (rev-parse, archive, show): well under a second normally; a minute covers a
# large repository on a slow disk.
GIT_LOCAL_S = 60.0

# `git clone --filter=blob:none --no-checkout` of a `--repo` URL: the history without file contents crosses the
# network; five minutes covers a large repository on a slow link.
GIT_CLONE_S = 300.0

# `git ls-remote` by the rollout's health gate: one round trip to the Git host. On expiry the gate goes on without
# the expected commit (see fleet/health/git_ref.py), so it is short.
GIT_LS_REMOTE_S = 30.0

# `kubectl kustomize` of one path: local files take under a second; remote bases are cloned over the network.
# Three minutes is the default `timeoutSeconds` of a Git source in the spec (components/spec/flux.py), the time
# Flux itself would give the fetch.
KUSTOMIZE_S = 180.0

# A whole `fleet plan` in a child process (the plan at `--base`, a dry-run preview of one stack): it imports
# Pulumi and azure-native (about 10 s) and runs the program; ten minutes is far beyond that.
PLAN_CHILD_S = 600.0

# One `pulumi preview`/`up`/`destroy` of a stack in the automation worker. ARM operations on a large cluster
# (surge-upgrading every node of every pool) take hours, so this is a bound against a hung worker only.
AUTOMATION_WORKER_S = 6 * 3600.0

# The policy pack printing its port, then answering one gRPC call: it boots in about half a second and judges a
# stack in under a second; 30 s leaves room for a cold, loaded machine.
POLICY_PACK_START_S = 30.0
POLICY_PACK_CALL_S = 30.0

# After SIGTERM, how long a child may take to exit before SIGKILL: git and kubectl clean up lock files and
# temporary packs in well under a second.
STOP_GRACE_S = 5.0

# The automation worker answers SIGTERM by cancelling its update so the stack lock is released
# (fleet/executors/automation_worker.py); that is a call to the Pulumi CLI and its backend, so it gets longer.
CANCEL_GRACE_S = 60.0
