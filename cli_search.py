"""Commands that search or explain a scenario's parameters: `sim sensitivity` and `sim optimize`.

Part of the command line (see cli.py): parses, calls the studies, prints with the report layer.
"""

from pathlib import Path
from typing import Optional

import typer

import sim
from cli import ForecastResults, Scheduler, Seed, Workers, _Later, _simulate, app, out, user_errors
