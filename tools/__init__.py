"""Development tooling that is not installed with formcheck (run from a checkout)."""
