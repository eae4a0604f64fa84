"""Prefect tasks: one logical step or one side effect each."""
