"""Policy: the CrossGuard pack driven over gRPC, its per-environment configuration, and exports."""
