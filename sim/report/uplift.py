"""report.html of a fitted response: how well each arm's uplift ranks customers, and why.

Per arm and outcome, on the validation split: uplift and Qini curves with 95 % bootstrap
bands against random targeting, the normalised AUUC and Qini coefficient with intervals,
predicted against observed lift by decile of predicted uplift, and the features that move
the predicted uplift most. matplotlib, Agg backend.
"""

from __future__ import annotations

import io
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from sim.report.html import Section, image, page, paragraph, table, text, write_atomic  # noqa: E402


def write_response_report(model, path: str | Path) -> Path:
    """Write the one-page report of a `sim.uplift.fit.ResponseModel` to `path`."""
    sections = [Section("summary", "Summary", _summary(model))]
    for (arm, outcome), response in model.responses.items():
        anchor = f"{arm}-{outcome}".replace(" ", "_")
        sections.append(Section(anchor, f"{arm}: {outcome}", _arm_section(response, model.control)))
    lead = [f"Learned from {Path(model.source).name} (SHA-256 {model.sha256[:12]}...): "
            f"{sum(model.customers.values()):,} customers, control {model.control!r}, "
            f"arms {', '.join(model.arms)}.",
            f"Features: {', '.join(model.features)}. Validation share {model.validation_share:.0%}, "
            f"seed {model.seed}."]
    return write_atomic(Path(path), page("Response learned from a campaign test", lead, sections))


def _summary(model) -> str:
    rows = []
    for (arm, outcome), r in model.responses.items():
        v = r.validation
        rows.append([arm, outcome, r.method, f"{v.observed_lift:+.4g} ± {1.96 * v.observed_lift_se:.2g}",
                     f"{v.predicted_lift:+.4g}", f"{v.qini:.3f} ({v.qini_low:.3f}..{v.qini_high:.3f})",
                     f"{v.auuc:.3f} ({v.auuc_low:.3f}..{v.auuc_high:.3f})", next(iter(v.importance), "-")])
    header = ["arm", "outcome", "method", "observed lift (95 %)", "mean predicted", "Qini coefficient",
              "AUUC", "top feature"]
    note = ("Observed lift: treated mean minus control mean on the validation split. Qini coefficient and "
            "AUUC: area above random targeting as a share of the perfect ranking's (0 random, 1 perfect), "
            "with 95 % bootstrap intervals over validation customers; an interval that includes 0 means "
            "the ranking is not shown to beat random. The method was chosen by its validation Qini "
            "coefficient among the candidates listed in each section.")
    return table(header, rows, ["", "", "", "num", "num", "num", "num", ""]) + paragraph(text(note), "note")


def _arm_section(response, control: str) -> str:
    v = response.validation
    candidates = ", ".join(f"{m} {q:.3f}" for m, q in v.candidates.items())
    parts = [paragraph(text(f"Method {response.method} (validation Qini of the candidates: {candidates}); "
                            f"{len(response.bootstrap)} bootstrap refits on all customers."), "note")]
    if v.curves:
        parts.append(image(_curves_png(v.curves, response), "uplift and Qini curves",
                           "Extra outcome per validation customer if the top share (by predicted uplift) were "
                           "contacted, with 95 % bootstrap bands; dashed: random targeting."))
    if v.deciles:
        parts.append(image(_deciles_png(v.deciles, response.outcome), "calibration by decile",
                           "Mean predicted uplift against the lift observed in each tenth of validation "
                           "customers (1 = highest predicted), with 95 % intervals."))
        rows = [[d["decile"], d["customers"], f"{d['predicted']:+.4g}",
                 f"{d['observed']:+.4g} ± {1.96 * d['observed_se']:.2g}"] for d in v.deciles]
        parts.append(table(["decile", "customers", "predicted uplift", "observed lift (95 %)"], rows,
                           ["num", "num", "num", "num"]))
    if v.importance:
        rows = [[name, f"{share:.0%}"] for name, share in v.importance.items()]
        parts.append(paragraph(text("What drives the predicted uplift: the share of the movement in predictions "
                                    "when each feature alone is shuffled among validation customers."), "note"))
        parts.append(table(["feature", "share"], rows, ["", "num"]))
    return "".join(parts)


def _png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


def _curves_png(curves: dict, response) -> bytes:
    share = np.array(curves["share"]) * 100
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.8))
    for ax, name, title in ((axes[0], "uplift", "Uplift curve"), (axes[1], "qini", "Qini curve")):
        line = np.array(curves[name])
        ax.fill_between(share, curves[f"{name}_low"], curves[f"{name}_high"], color="tab:red", alpha=0.2,
                        label="95 % band")
        ax.plot(share, line, color="tab:red", label=f"{response.method}")
        ax.plot([0, 100], [0, line[-1]], color="grey", ls="--", label="random")
        ax.set_title(f"{title}: {response.arm}, {response.outcome}", fontsize=10)
        ax.set_xlabel("customers contacted, % (highest predicted uplift first)")
        ax.set_ylabel(f"extra {response.outcome} per customer")
        ax.legend(fontsize=8)
    return _png(fig)


def _deciles_png(deciles: list[dict], outcome: str) -> bytes:
    fig, ax = plt.subplots(figsize=(6.5, 3.6))
    x = np.array([d["decile"] for d in deciles])
    ax.errorbar(x, [d["observed"] for d in deciles], yerr=[1.96 * d["observed_se"] for d in deciles],
                fmt="o", color="tab:blue", label="observed lift")
    ax.plot(x, [d["predicted"] for d in deciles], "s-", color="tab:red", label="mean predicted uplift")
    ax.axhline(0, color="grey", lw=0.8)
    ax.set_xlabel("decile of predicted uplift (1 = highest)")
    ax.set_ylabel(outcome)
    ax.set_xticks(x)
    ax.legend(fontsize=8)
    return _png(fig)
