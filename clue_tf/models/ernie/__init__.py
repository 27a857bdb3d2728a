"""ERNIE 3.0 (zh): BERT with a task-type table and its own LayerNorm epsilon."""
