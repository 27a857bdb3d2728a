"""ELECTRA: Google's discriminator encoder with its generator and replaced-token head."""
