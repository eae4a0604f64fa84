"""Prefect flows: one runnable file per process."""
