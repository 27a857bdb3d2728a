"""Model architectures: BERT-family encoders (and later T5, Pegasus)."""
