"""Training: distribution strategies, optimizers and schedules, the pretraining loop."""
