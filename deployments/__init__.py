"""Deployment declarations: every deployment is declared once, here."""
