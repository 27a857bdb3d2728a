"""Runners for independent reference implementations, each in its own subprocess."""
