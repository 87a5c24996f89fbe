"""Yearly totals: the summary's figures pre-aggregated per (supplier, recipient, category,
order year, absent release) and delivery year, kept by the writes (see maintain.py)."""
