"""Original (TF1 name-based) checkpoint bundles: name maps and reading."""
