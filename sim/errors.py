"""User-facing error types: each is caught by the CLI and printed without a traceback."""

from __future__ import annotations


class SimError(Exception):
    """Base class for errors caused by user input rather than by a bug."""


class ScenarioError(SimError):
    """A scenario file is missing, unreadable or invalid.

    `problems` holds one human-readable line per problem (field path, line, expectation).
    """

    def __init__(self, path: str, problems: list[str]):
        self.path = str(path)
        self.problems = list(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"{self.path}: invalid scenario\n{lines}")


class DataError(SimError):
    """An input data file (order export, experiment export) cannot be used as given."""
