"""Reading scenario files: YAML with line numbers, population files, readable errors."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from sim.errors import ScenarioError
from sim.config import limits
from sim.config.scenario import Scenario
from sim.config.yaml_reader import YAMLProblem, read_yaml

_PATH_IN_MESSAGE = re.compile(r"^([A-Za-z_][\w]*(?:\.[\w]+)+): (.*)$", re.S)
_POPULATION_KEYS = ("size", "segments", "categories", "buying", "spend")


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario YAML file; raise ScenarioError naming every problem."""
    path = Path(path)
    text = _read_text(path)
    try:
        raw, node = read_yaml(text)
    except YAMLProblem as exc:
        raise ScenarioError(path, [str(exc)]) from None
    except yaml.YAMLError as exc:
        raise ScenarioError(path, [_yaml_problem(exc)]) from None
    if not isinstance(raw, dict):
        raise ScenarioError(path, ["expected a mapping of sections (version, name, population, ...)"])
    lines = _line_map(node) if node is not None else {}
    raw = _merge_population_file(raw, path, lines)
    return scenario_from_dict(raw, source=path, lines=lines)


def scenario_from_dict(raw: dict[str, Any], source: str | Path = "<scenario>",
                       lines: dict[tuple, int] | None = None) -> Scenario:
    """Validate an already-parsed scenario mapping, limits included (`sim.config.limits`)."""
    try:
        scenario = Scenario.model_validate(raw)
    except ValidationError as exc:
        raise ScenarioError(source, _describe(exc, lines or {})) from None
    except RecursionError:
        raise ScenarioError(source, ["nested too deeply to be a scenario"]) from None
    too_big = limits.problems(scenario)
    if too_big:
        raise ScenarioError(source, too_big)
    return scenario


def _read_text(path: Path) -> str:
    if not path.is_file():
        raise ScenarioError(path, ["file not found"])
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(path, [f"cannot read the file as UTF-8 text ({exc})"]) from None


def _yaml_problem(exc: yaml.YAMLError) -> str:
    mark, context = getattr(exc, "problem_mark", None), getattr(exc, "context_mark", None)
    where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
    opened = f" (in the {exc.context.removeprefix('while parsing a ')} opened on line {context.line + 1})" \
        if context and getattr(exc, "context", None) else ""
    return f"{where}not valid YAML: {getattr(exc, 'problem', exc)}{opened}"


def _line_map(node: yaml.Node, prefix: tuple = ()) -> dict[tuple, int]:
    """Map each field path (tuple of keys/indices) to its 1-based line in the file."""
    out = {prefix: node.start_mark.line + 1}
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            path = prefix + (key.value,)
            out.update(_line_map(value, path))
            out[path] = key.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            out.update(_line_map(item, prefix + (i,)))
    return out


def _describe(exc: ValidationError, lines: dict[tuple, int]) -> list[str]:
    problems = []
    for err in exc.errors():
        loc = tuple(p for p in err["loc"] if not _is_type_tag(p))
        msg = err["msg"].removeprefix("Value error, ")
        if not loc and (m := _PATH_IN_MESSAGE.match(msg)):  # cross-field checks name their field
            loc = tuple(int(p) if p.isdigit() else p for p in m.group(1).split("."))
            msg = m.group(2)
        field = ".".join(str(p) for p in loc) or "(top level)"
        line = _nearest_line(loc, lines)
        where = f" (line {line})" if line else ""
        if err["type"] == "extra_forbidden":
            msg = "unknown field; check the spelling against the documented fields"
        elif err["type"] == "missing":
            msg = "required field is missing"
        elif "input" in err and err["type"] not in ("value_error",) and not isinstance(err["input"], (dict, list)):
            msg = f"{msg}, got {err['input']!r}"
        problems.append(f"{field}{where}: {msg}")
    return problems


def _is_type_tag(part: Any) -> bool:
    # pydantic adds union member names such as 'literal[...]' or 'list[...]' to locations
    return isinstance(part, str) and ("[" in part or part in ("function-after", "function-before")
                                      or part.startswith("constrained-"))


def _nearest_line(loc: tuple, lines: dict[tuple, int]) -> int | None:
    for n in range(len(loc), 0, -1):
        key = tuple("from" if p == "from_" else p for p in loc[:n])
        if key in lines:
            return lines[key]
    return None


def population_checksum(doc: dict[str, Any]) -> str:
    """SHA-256 of a population file's content without its `checksum` field (written by calibrate)."""
    body = {k: v for k, v in doc.items() if k != "checksum"}
    return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode("utf-8")).hexdigest()


def file_sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _check_population_file(file: Path, data: dict, where: str, scenario_path: Path) -> None:
    """A calibrated population file and its customer table must be as calibration wrote them."""
    expected = data.get("checksum")
    if expected is not None and population_checksum(data) != expected:
        raise ScenarioError(scenario_path, [f"{where}: {file} was edited after calibration (its checksum "
                                            "does not match); calibrate again, or set the numbers in the "
                                            "scenario's population section instead"])
    table = data.get("customers_table")
    if isinstance(table, dict) and (file.parent / str(table.get("file", ""))).is_file():
        if file_sha256(file.parent / table["file"]) != table.get("sha256"):
            raise ScenarioError(scenario_path, [f"{where}: {file.parent / table['file']} was edited after "
                                                "calibration (its SHA-256 does not match the population file)"])


def _single_category(buying: dict, spend: dict) -> dict:
    """One category carrying the fitted levels, so default categories do not rescale them."""
    try:
        cycle_days = 7.0 * float(buying["alpha"]) / float(buying["r"])
        order_value = float(spend["p"]) * float(spend["gamma"]) / (float(spend["q"]) - 1.0)
    except (KeyError, TypeError, ValueError, ZeroDivisionError):
        return {"share": 1.0, "cycle_days": 30.0, "order_value": 100.0}
    return {"share": 1.0, "cycle_days": cycle_days, "order_value": order_value}


def _merge_population_file(raw: dict, scenario_path: Path, lines: dict[tuple, int]) -> dict:
    """Fill population fields from `population.from`, keeping what the scenario sets itself."""
    pop = raw.get("population")
    if not isinstance(pop, dict) or pop.get("from") is None:
        return raw
    ref = Path(str(pop["from"]))
    file = ref if ref.is_absolute() else scenario_path.parent / ref
    line = lines.get(("population", "from"))
    where = f"population.from (line {line})" if line else "population.from"
    if not file.is_file():
        raise ScenarioError(scenario_path, [f"{where}: population file {file} not found"])
    try:
        data, _ = read_yaml(file.read_text(encoding="utf-8"))
    except (yaml.YAMLError, YAMLProblem, UnicodeDecodeError) as exc:
        raise ScenarioError(scenario_path, [f"{where}: {file} is not a readable YAML file ({exc})"]) from None
    if not isinstance(data, dict) or data.get("kind") != "population":
        raise ScenarioError(scenario_path, [f"{where}: {file} is not a population file (expected kind: population)"])
    _check_population_file(file, data, where, scenario_path)
    merged = {k: data[k] for k in _POPULATION_KEYS if k in data}
    if "categories" not in data and "spend" in data and "buying" in data:
        merged["categories"] = {"all": _single_category(data["buying"], data["spend"])}
    merged.update({k: v for k, v in pop.items() if k != "from"})
    merged["from"] = str(file)
    return {**raw, "population": merged}
