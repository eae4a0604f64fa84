"""Notifications: who hears what at each step, through Apprise, with every attempt in the ledger."""
