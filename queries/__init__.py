"""Saved SQL queries in the CustomTable namespace: parse, check, plan, run, store."""
