"""The review procedure: submitting, the chain of stages, deciding a stage, where items stand."""
