"""Using a loaded bundle: feature extraction and masked-token prediction."""
