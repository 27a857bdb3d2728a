"""Checkpoint formats (Google TF1 bundles, HF folders, UER-py, mesh-TF, keras-hub presets):
locate, load strictly, write; the model registry.
"""
