"""Downstream tasks: the CLUE classification benchmarks."""
