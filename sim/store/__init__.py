"""The run folder: its format, how it is written atomically and read back."""
