"""Every command in the README works as written.

Concrete commands (no placeholders) are run from a scratch folder that sees the project's
`scenarios/` and `tests/`; synopsis lines (`sim run SCENARIO [--seed S]`) are checked against
the command line: the command exists and takes every option they name. The install steps
(`pip install ...`, `pytest`) are what runs this test, so only the command after them runs.
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from cli import app

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
PLACEHOLDER = re.compile(r"<|\[|\.\.\.|\||\b[A-Z][A-Z_0-9]{1,}\b(?![-\w])")


def _commands() -> list[str]:
    """Indented code lines (joined over trailing backslashes) and inline `sim ...` spans."""
    found, pending = [], ""
    for line in README.splitlines():
        if line.startswith("    ") and (pending or line.strip().startswith(("sim ", "pip ", "python "))):
            text = pending + line.strip()
            if text.endswith("\\"):
                pending = text[:-1] + " "
                continue
            found.append(text)
        pending = ""
    found += re.findall(r"`(sim [^`]+)`", README)
    commands = []
    for text in found:
        text = text.split("  #")[0].strip()
        for part in (p.strip() for p in text.split("&&")):
            if part.startswith(("pip ", "pytest")) or part in commands:
                continue
            commands.append(part)
    return commands


COMMANDS = _commands()
CLICK = typer.main.get_command(app)


def _is_concrete(command: str) -> bool:
    words = shlex.split(command)
    if words[0] == "python":
        return True
    return (len(words) > 2 and words[1] in CLICK.commands and not PLACEHOLDER.search(command))


CONCRETE = [c for c in COMMANDS if _is_concrete(c)]
SYNOPSES = [c for c in COMMANDS if c not in CONCRETE and c.startswith("sim ")]


def test_the_readme_has_the_two_setup_commands():
    assert "pip install . && sim run scenarios/double11_preheat.yaml" in README
    assert 'pip install ".[test]" && pytest' in README
    assert "sim run scenarios/double11_preheat.yaml" in CONCRETE


@pytest.mark.parametrize("command", SYNOPSES)
def test_synopsis_names_real_commands_and_options(command):
    words = shlex.split(command.replace("|", " "))
    name = words[1].rstrip(",")
    if name not in CLICK.commands:
        pytest.skip(f"prose, not a synopsis: {command}")
    chosen = CLICK.commands[name]
    if hasattr(chosen, "commands") and len(words) > 2 and words[2] in chosen.commands:
        chosen = chosen.commands[words[2]]  # a group such as `sim response fit`
    options = {o for p in chosen.params for o in (*p.opts, *p.secondary_opts)}
    named = {re.sub(r"[=\]\[].*$", "", w.strip("[]")) for w in words if w.strip("[").startswith("-")}
    assert named <= options, f"{command}: unknown {sorted(named - options)}"


@pytest.fixture(scope="module")
def scratch(tmp_path_factory):
    folder = tmp_path_factory.mktemp("readme")
    for name in ("scenarios", "tests"):
        (folder / name).symlink_to(ROOT / name)
    return folder


@pytest.fixture(scope="module")
def printed() -> dict[str, tuple[int, str]]:
    """What each concrete command printed, by command: (exit status, output); each runs once."""
    return {}


def _run(command: str, scratch: Path, printed: dict) -> tuple[int, str]:
    """Run a README command from the scratch folder (the working folder), at most once."""
    if command not in printed:
        words = shlex.split(command)
        if words[0] == "python":
            done = subprocess.run([sys.executable, *words[1:]], capture_output=True, text=True, cwd=scratch)
            printed[command] = (done.returncode, done.stdout + done.stderr)
        else:
            result = CliRunner().invoke(app, words[1:], env={"COLUMNS": WIDTH})
            printed[command] = (result.exit_code, result.output)
    return printed[command]


WIDTH = "100"  # the quoted comparison tables show lift and p, which need 100 columns


@pytest.mark.parametrize("command", CONCRETE)
def test_command_runs_as_written(command, scratch, printed, monkeypatch):
    monkeypatch.chdir(scratch)
    status, output = _run(command, scratch, printed)
    assert status == 0, f"{command}\n{output}"


FIGURE = re.compile(r"[-+]?[¥$]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?")
STAMP = re.compile(r"-\d{8}-\d{6}")  # a run or forecast folder's time stamp


def _figures(text: str) -> set[str]:
    """The numbers in `text` as printed (sign, currency, separators and decimals kept), time stamps left out."""
    return set(FIGURE.findall(STAMP.sub("", text)))


def _value(figure: str) -> tuple[str, float, int]:
    """A figure's sign and currency, value and decimals: '+¥1,234.5' is ('+¥', 1234.5, 1)."""
    number = figure.lstrip("+-¥$")
    decimals = len(number.partition(".")[2])
    return figure[: len(figure) - len(number)], float(number.replace(",", "")), decimals


def _printed_as(quoted: str, printed: set[str]) -> bool:
    """Whether a quoted figure is printed, or is a printed figure rounded to fewer decimals (0.1129 as 0.11)."""
    prefix, value, decimals = _value(quoted)
    return quoted in printed or any(
        p[0] == prefix and p[2] > decimals and abs(p[1] - value) <= 0.5 * 10.0 ** -decimals + 1e-9
        for p in map(_value, printed))


def _quotes() -> list[tuple[str, str]]:
    """(command, quoted output): each indented output block after a paragraph saying 'prints', and each
    output block or table after a paragraph that names a concrete command and ends with a colon, with the
    last concrete command before it."""
    starts = sorted((m.start(), len(c), c) for c in CONCRETE
                    for m in re.finditer(re.escape(c.split("  ")[0]), README))
    quotes, intro = [], ""
    for chunk in re.finditer(r"(?:[^\n]*\S[^\n]*\n?)+", README):
        text = chunk.group()
        lines = text.splitlines()
        block = all(line.startswith("    ") for line in lines)
        table = all(line.startswith("|") for line in lines)
        named = intro.rstrip().endswith(":") and any(c in intro for c in CONCRETE)
        output = block and not any(line.strip().startswith(("sim ", "python ")) for line in lines)
        before = [c for start, _, c in starts if start < chunk.start()]
        if before and (named and (output or table) or output and re.search(r"\bprint(s|ed)?\b", intro)):
            quotes.append((before[-1], "\n".join(lines[2:] if table else lines)))  # a table without its header
        intro = "" if block or table else text
    return quotes


QUOTES = _quotes()


def test_the_readme_quotes_the_output_of_its_seeded_commands():
    assert {shlex.split(c)[1] for c, _ in QUOTES} >= {"monitor", "capacity", "forecast", "analyze", "power"}


@pytest.mark.parametrize("command,quoted", QUOTES, ids=[" ".join(c.split()[:3]) for c, _ in QUOTES])
def test_quoted_figures_are_what_the_command_prints(command, quoted, scratch, printed, monkeypatch):
    """Every number of a quoted output is among the numbers the command prints, or one of them rounded
    (reusing the run above; alone, the python commands before it run first: they write the exports)."""
    monkeypatch.chdir(scratch)
    for earlier in (c for c in CONCRETE[: CONCRETE.index(command)] if c.startswith("python ")):
        _run(earlier, scratch, printed)
    status, output = _run(command, scratch, printed)
    assert status == 0, output
    shown = _figures(output)
    missing = sorted(f for f in _figures(quoted) if not _printed_as(f, shown))
    assert not missing, f"{command}: the README quotes {missing}, which it does not print:\n{output}"
