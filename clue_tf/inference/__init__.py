"""Using a loaded model: feature extraction, masked-token prediction, text-to-text generation."""
