"""HTTP plumbing beneath the domain routers: who is calling, the request transaction, errors."""
