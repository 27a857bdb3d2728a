"""Data pipelines: pretraining instances and TFRecords (Google's schema)."""
