"""Exercise specs: the YAML format and its loader."""
