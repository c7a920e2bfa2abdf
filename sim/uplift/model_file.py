"""A fitted response on disk: DIR/response.yaml (readable) and DIR/models.pkl (the estimators).

response.yaml says where the model came from (the export's path and SHA-256), its arms,
outcomes, features and their encoding, the method and the validation diagnostics of every
arm and outcome; models.pkl holds the fitted scikit-learn estimators and their bootstrap
refits, and its SHA-256 is in response.yaml, so an edited or swapped file is refused.
`sim.studies.response` writes the folder (atomically, with its report); this module reads it.
"""

from __future__ import annotations

import hashlib
import pickle
from pathlib import Path

import yaml

from sim.errors import DataError
from sim.uplift.diagnostics import Validation
from sim.uplift.encoding import Encoding
from sim.uplift.fit import ArmResponse, ResponseModel

RESPONSE_FILE, MODELS_FILE, REPORT_FILE = "response.yaml", "models.pkl", "report.html"
FORMAT = 1


def read_description(folder: str | Path) -> dict:
    """response.yaml of a model folder (arms, outcomes, features, ...), without the estimators."""
    folder = Path(folder)
    described = folder / RESPONSE_FILE
    if not described.is_file():
        raise DataError(f"{folder}: not a response model folder (no {RESPONSE_FILE}); "
                        "write one with sim response fit")
    try:
        data = yaml.safe_load(described.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise DataError(f"{described}: cannot be read ({exc})") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise DataError(f"{described}: not a response description of format {FORMAT}")
    return data


def load_response(folder: str | Path) -> ResponseModel:
    """Read a folder written by `sim response fit`; a clear `DataError` for anything else."""
    folder = Path(folder)
    data = read_description(folder)
    try:
        blob = (folder / MODELS_FILE).read_bytes()
    except OSError as exc:
        raise DataError(f"{folder / MODELS_FILE}: cannot be read ({exc.strerror}); fit the response again") from None
    actual = hashlib.sha256(blob).hexdigest()
    if actual != data.get("models_sha256"):
        raise DataError(f"{folder / MODELS_FILE} does not belong to {folder / RESPONSE_FILE} (its SHA-256 is "
                        f"{actual}, expected {data.get('models_sha256')}); fit the response again")
    fitted = pickle.loads(blob)
    responses = {}
    for entry in data["responses"]:
        key = (entry["arm"], entry["outcome"])
        model, refits = fitted[key]
        check = Validation(**{**entry["validation"], "curves": {}})
        responses[key] = ArmResponse(entry["arm"], entry["outcome"], entry["kind"], entry["method"],
                                     model, refits, check)
    src = data["source"]
    return ResponseModel(source=src["file"], sha256=src["sha256"], arm_column=data["arm_column"],
                         control=data["control"], arms=tuple(data["arms"]), outcomes=dict(data["outcomes"]),
                         encoding=Encoding.from_dict(data["encoding"]), responses=responses,
                         customers=dict(data["customers"]), seed=int(data["seed"]),
                         validation_share=float(data["validation_share"]), method=data["method"], folder=folder)


def models_blob(model: ResponseModel) -> bytes:
    """The fitted estimators and their bootstrap refits, pickled."""
    return pickle.dumps({key: (r.model, r.bootstrap) for key, r in model.responses.items()},
                        protocol=pickle.HIGHEST_PROTOCOL)


def describe(model: ResponseModel, blob: bytes) -> str:
    """response.yaml's text for `model` whose estimators pickle to `blob`."""
    return yaml.safe_dump(_description(model, blob), sort_keys=False, allow_unicode=True, width=100)


def _description(model: ResponseModel, blob: bytes) -> dict:
    from sim.version import __version__

    return {
        "format": FORMAT,
        "sim_version": __version__,
        "source": {"file": model.source, "sha256": model.sha256},
        "arm_column": model.arm_column,
        "control": model.control,
        "arms": list(model.arms),
        "customers": model.customers,
        "outcomes": model.outcomes,
        "features": model.features,
        "encoding": model.encoding.to_dict(),
        "method": model.method,
        "validation_share": model.validation_share,
        "bootstrap": len(next(iter(model.responses.values())).bootstrap),
        "seed": model.seed,
        "models_file": MODELS_FILE,
        "models_sha256": hashlib.sha256(blob).hexdigest(),
        "responses": [{"arm": r.arm, "outcome": r.outcome, "kind": r.kind, "method": r.method,
                       "validation": _plain(r.validation.summary())} for r in model.responses.values()],
    }


def _plain(value):
    """Numbers as Python floats and ints, so the YAML stays plain."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if hasattr(value, "item"):
        return value.item()
    return value

