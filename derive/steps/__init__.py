"""The format-neutral worked example: typed steps built from the spec and the calculus."""
