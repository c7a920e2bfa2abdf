"""The run report's page: its sections in order, each guarded, written atomically as report.html.

Each section appears only when the folder has its data, so the report grows with the run.
"""

from __future__ import annotations

import multiprocessing
import warnings
from collections.abc import Callable
from pathlib import Path

from sim.report import REPORT_FILE, html
from sim.report.artefacts import artefact_sections, note_missing
from sim.report.charts import policy_colors
from sim.report.fonts import has_cjk
from sim.report.contents import NotARunFolder, RunContents, read_run_contents
from sim.report.scenario_brief import scenario_section
from sim.report.sections import (ads_section, coupons_section, daily_section, decision_section,
                                 distributions_section, event_hours_section, funnel_section, headline_section,
                                 repurchase_section, sweep_section)
from sim.simulation import backends
from sim.simulation.backends import default_workers
from sim.store import INCOMPLETE  # the report is written just before the folder is renamed

__all__ = ["REPORT_FILE", "NotARunFolder", "build_report", "write_report"]

SECTIONS: tuple[Callable, ...] = (
    headline_section, decision_section, distributions_section, daily_section, event_hours_section,
    funnel_section, repurchase_section, coupons_section, ads_section,
)


def build_report(run: RunContents, strict: bool = False) -> str:
    """The report page for a read run folder.

    A section whose data has an unexpected shape is replaced by a note (and a warning), so one
    odd file never costs the whole report; `strict=True` raises instead.
    """
    colors = policy_colors(run.policies, run.control)
    sections = [scenario_section(run.scenario, run.manifest, run.control, run.policies)]
    view = run
    if run.points():
        # A sweep: the sections below describe its first grid point; the sweep section shows them all.
        point, values = run.points()[0]
        view = run.at_point(point)
        sections[0] = html.Section(sections[0].anchor, sections[0].title, sections[0].body + html.paragraph(
            html.text(f"This run is a sweep over {len(run.points())} grid points; the sections below show "
                      f"grid point {point} ({values}), the Sweep section every point."), "note"))
    jobs = [(make, view) for make in SECTIONS] + [(make, run) for make in (sweep_section, artefact_sections)]
    for made in _draw(jobs, colors, strict):
        sections += made if isinstance(made, list) else [made] if made is not None else []
    name = run.scenario.get("name") or run.path.name
    lead = [run.scenario.get("question") or "", f"Run folder {run.path.name.removesuffix(INCOMPLETE)}"]
    footer = note_missing(run)
    if not has_cjk():
        footer += html.paragraph("No font with Chinese characters was found, so chart labels are in English only "
                                 "(install fonts-noto-cjk to add them).", "note")
    return html.page(f"{name} 策略模拟报告", [line for line in lead if line], sections, footer)


def _draw(jobs: list[tuple[Callable, RunContents]], colors: dict[str, str], strict: bool) -> list:
    """Each section maker's result, in order.

    The charts are most of a report's time, so with two cores or more the sections are drawn
    in forked worker processes, which have the run in memory already; their warnings are
    given again here. A strict report, or one on a single core, is drawn in this process.
    """
    workers = min(default_workers(), len(jobs))
    forked = backends.process_context().get_start_method() == "fork"
    if strict or workers < 2 or not forked or multiprocessing.current_process().daemon:
        return [_guarded(make, view, colors, strict) for make, view in jobs]
    has_cjk()  # the chart font is looked for once, before the workers start
    drawn = dict(backends.processes([(_draw_one, (i,)) for i in range(len(jobs))], str, workers, (jobs, colors)))
    made = []
    for i in range(len(jobs)):
        section, caught = drawn[i]
        for message, category in caught:
            warnings.warn(message, category, stacklevel=3)
        made.append(section)
    return made


def _draw_one(shared: tuple[list, dict[str, str]], i: int) -> tuple[object, list[tuple[str, type]]]:
    """Section `i` drawn in a worker, with the warnings it gave."""
    jobs, colors = shared
    make, view = jobs[i]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        section = _guarded(make, view, colors, strict=False)
    return section, [(str(w.message), w.category) for w in caught]


def _guarded(make: Callable, run: RunContents, colors: dict[str, str], strict: bool):
    try:
        return make(run, colors)
    except Exception as exc:  # noqa: BLE001 - shown in the page, raised when strict
        if strict:
            raise
        warnings.warn(f"report: {make.__name__} skipped: {exc!r}", stacklevel=3)
        name = make.__name__.removesuffix("_section").removesuffix("_sections")
        return html.Section(name, f"{name.replace('_', ' ').capitalize()} (not shown)",
                            html.paragraph(f"This part could not be drawn: {html.text(exc)}", "note"))


def write_report(run_folder: str | Path, strict: bool = False) -> Path:
    """Build the report of a run folder and write it to `<run_folder>/report.html` atomically.

    Raises NotARunFolder (a `sim.errors.DataError`) when the folder is missing or is not a
    run folder. Returns the report's path.
    """
    run = read_run_contents(run_folder)
    return html.write_atomic(run.path / REPORT_FILE, build_report(run, strict=strict))
