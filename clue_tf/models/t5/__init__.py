"""Chinese T5 v1.1 (UER): keras-hub's T5 configured as v1.1, HF and mesh-TF weight names."""
