"""The run folder: its format, how it is written atomically and read back."""

INCOMPLETE = ".incomplete"
"""Suffix of a run folder still being written; it is renamed without it when complete."""
