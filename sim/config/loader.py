"""Reading scenario files: YAML with line numbers, population files and their customer tables,
readable errors."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any, Callable

import yaml
from pydantic import ValidationError

from sim.errors import ScenarioError
from sim.config import limits
from sim.config.scenario import Scenario
from sim.config.yaml_reader import YAMLProblem, read_yaml
from sim.config.customers_table import CustomerRecords, TableProblem, customer_records

_PATH_IN_MESSAGE = re.compile(r"^([A-Za-z_][\w]*(?:\.[\w]+)+): (.*)$", re.S)
_POPULATION_KEYS = ("size", "segments", "categories", "buying", "spend")
_UNIT_DAYS = {"day": 1.0, "week": 7.0}  # the calibration units (sim.calibrate.transactions)


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
    raw = _resolve_learned_paths(raw, path.parent)
    scenario = scenario_from_dict(raw, source=path, lines=lines)
    scenario._source = str(path)
    return scenario


def scenario_from_dict(raw: dict[str, Any], source: str | Path = "<scenario>",
                       lines: dict[tuple, int] | None = None) -> Scenario:
    """Validate an already-parsed scenario mapping, limits included (`sim.config.limits`)."""
    try:
        scenario = Scenario.model_validate(raw)
    except ValidationError as exc:
        raise ScenarioError(source, _describe(exc, lines or {})) from None
    except RecursionError:
        raise ScenarioError(source, ["nested too deeply to be a scenario"]) from None
    found = limits.problems(scenario)
    if not found:
        for check in _CHECKS:
            found += check(scenario)
    if found:
        raise ScenarioError(source, found)
    return scenario


_CHECKS: list[Callable[[Scenario], list[str]]] = []


def register_check(check: Callable[[Scenario], list[str]]) -> None:
    """Run `check` on every scenario validated from now on: it returns one line per problem
    (with the field path). Features whose rules need more than the fields register one."""
    if check not in _CHECKS:
        _CHECKS.append(check)


def _read_text(path: Path) -> str:
    if path.is_dir():
        raise ScenarioError(path, ["is a folder; expected a scenario YAML file (e.g. scenarios/quickstart.yaml)"])
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
        csv = file.parent / str(table["file"])
        actual = file_sha256(csv)
        if actual != table.get("sha256"):
            raise ScenarioError(scenario_path, [f"{where}: {csv} was edited after calibration (its SHA-256 "
                                                f"is {actual}; {file} expects {table.get('sha256')}); "
                                                "calibrate again, or restore the table calibration wrote"])


def _single_category(buying: dict, spend: dict) -> dict:
    """One category carrying the fitted levels, so default categories do not rescale them."""
    try:
        cycle_days = 7.0 * float(buying["alpha"]) / float(buying["r"])
        order_value = float(spend["p"]) * float(spend["gamma"]) / (float(spend["q"]) - 1.0)
    except (KeyError, TypeError, ValueError, ZeroDivisionError):
        return {"share": 1.0, "cycle_days": 30.0, "order_value": 100.0}
    return {"share": 1.0, "cycle_days": cycle_days, "order_value": order_value}


def _resolve_learned_paths(raw: dict, folder: Path) -> dict:
    """Make `population.features`, learned models' `from` and assignment files relative to the scenario's folder."""
    def absolute(value: Any) -> Any:
        if isinstance(value, (str, Path)) and not Path(value).is_absolute():
            return str(folder / value)
        return value

    pop = raw.get("population")
    if isinstance(pop, dict) and pop.get("features") is not None:
        raw = {**raw, "population": {**pop, "features": absolute(pop["features"])}}
    for policy in (raw.get("policies") or {}).values() if isinstance(raw.get("policies"), dict) else ():
        if not isinstance(policy, dict):
            continue
        for action in [*(policy.get("waves") or []), *(policy.get("programmes") or [])]:
            if not isinstance(action, dict):
                continue
            audience = action.get("audience")
            for part in (action.get("response"), audience.get("uplift") if isinstance(audience, dict) else None):
                if isinstance(part, dict) and "from" in part:
                    part["from"] = absolute(part["from"])
            chosen = audience.get("assignment") if isinstance(audience, dict) else None
            if isinstance(chosen, dict) and "file" in chosen:
                chosen["file"] = absolute(chosen["file"])
    return raw


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
    table = _table_settings(file, data, pop, where, scenario_path, lines)
    if table is not None:
        merged["customers_table"] = table
        if merged.get("draw", "customers") == "customers" and "size" not in pop:
            merged["size"] = len(_read_table(table, scenario_path, where).x)
    return {**raw, "population": merged}


def _table_settings(file: Path, data: dict, pop: dict, where: str, scenario_path: Path,
                    lines: dict[tuple, int]) -> dict | None:
    """The `customers_table` setting for a population file's table (None if it has none).

    The table must exist unless the scenario draws from the mixing laws; `draw: customers`
    without a table is refused naming population.draw and the file.
    """
    table = data.get("customers_table")
    draw = pop.get("draw")
    line = lines.get(("population", "draw"))
    at = f"population.draw (line {line})" if line else "population.draw"
    if not isinstance(table, dict) or not table.get("file"):
        if draw == "customers":
            raise ScenarioError(scenario_path, [f"{at}: draw: customers needs the calibrated customers, but "
                                                f"{file} has no customers_table; calibrate again with sim "
                                                "calibrate, or use draw: mixing"])
        return None
    csv = file.parent / str(table["file"])
    if not csv.is_file():
        if draw == "mixing":
            return None
        raise ScenarioError(scenario_path, [f"{where}: {file} names the customers table {csv}, which is "
                                            "missing; put it beside the population file, or set "
                                            "population.draw: mixing to draw from the fitted laws"])
    source = data.get("source")
    unit = source.get("unit", "week") if isinstance(source, dict) else "week"
    unit_days = table.get("unit_days", _UNIT_DAYS.get(unit, 7.0))
    settings = {"file": str(csv), "sha256": table.get("sha256"), "unit_days": unit_days}
    if draw != "mixing":
        _read_table(settings, scenario_path, where)  # read once now: checks the columns, warms the cache
    return settings


def _read_table(settings: dict, scenario_path: Path, where: str) -> CustomerRecords:
    try:
        return customer_records(settings["file"], settings["sha256"], float(settings["unit_days"]))
    except (TableProblem, OSError, TypeError, ValueError) as exc:
        raise ScenarioError(scenario_path, [f"{where}: {exc}"]) from None
