"""Turning customer features into the numeric matrix the response models read.

A feature whose every non-missing value is a number is numeric: missing values take the
training median and, if any were missing in training, a 0/1 "missing" column is added. Any
other feature is categorical: one 0/1 column per level seen in training (levels seen fewer
than `MIN_LEVEL` times are pooled into "other"), missing is a level of its own, and a level
never seen in training scores as "other". Columns are standardised with the training mean
and standard deviation, so regularisation treats features alike. The encoding is stored in
response.yaml, so a customer table is encoded exactly as the test was.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

MIN_LEVEL = 20
OTHER, MISSING_LEVEL = "(other)", "(missing)"


@dataclass(frozen=True)
class Feature:
    """How one feature is encoded: `kind` numeric or categorical, and what training taught."""

    name: str
    kind: str
    fill: float = 0.0
    missing_column: bool = False
    levels: tuple[str, ...] = ()

    def columns(self) -> list[str]:
        if self.kind == "numeric":
            return [self.name] + ([f"{self.name}={MISSING_LEVEL}"] if self.missing_column else [])
        return [f"{self.name}={level}" for level in self.levels]

    def encode(self, text: pd.Series) -> np.ndarray:
        import pandas as pd

        if self.kind == "numeric":
            values = pd.to_numeric(text.where(text != "", None), errors="coerce").to_numpy(dtype=float)
            missing = ~np.isfinite(values)
            out = [np.where(missing, self.fill, values)]
            if self.missing_column:
                out.append(missing.astype(float))
            return np.column_stack(out)
        labels = text.where(text != "", MISSING_LEVEL).to_numpy()
        labels = np.where(np.isin(labels, self.levels), labels, OTHER)
        return (labels[:, None] == np.array(self.levels, dtype=object)[None, :]).astype(float)


@dataclass(frozen=True)
class Encoding:
    """The encoding of every feature, with the training mean and scale of each column."""

    features: tuple[Feature, ...]
    mean: tuple[float, ...]
    scale: tuple[float, ...]

    @property
    def names(self) -> list[str]:
        return [f.name for f in self.features]

    @property
    def columns(self) -> list[str]:
        return [c for f in self.features for c in f.columns()]

    def groups(self) -> dict[str, list[int]]:
        """Column positions of each feature (for importance by feature, not by column)."""
        out, start = {}, 0
        for f in self.features:
            width = len(f.columns())
            out[f.name] = list(range(start, start + width))
            start += width
        return out

    def transform(self, features: pd.DataFrame) -> np.ndarray:
        """The standardised matrix of a table holding every feature as text ("" missing)."""
        return np.column_stack([self.block(f.name, features[f.name]) for f in self.features])

    def block(self, name: str, values: pd.Series) -> np.ndarray:
        """The standardised columns of one feature (values as text, "" missing, or numbers)."""
        cols = self.groups()[name]
        feature = self.features[self.names.index(name)]
        return (feature.encode(values) - np.array(self.mean)[cols]) / np.array(self.scale)[cols]

    def to_dict(self) -> dict[str, Any]:
        return {"features": [{k: (list(v) if isinstance(v, tuple) else v) for k, v in asdict(f).items()}
                             for f in self.features],
                "mean": list(self.mean), "scale": list(self.scale)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Encoding:
        feats = tuple(Feature(**{**f, "levels": tuple(f.get("levels", ()))}) for f in data["features"])
        return cls(features=feats, mean=tuple(data["mean"]), scale=tuple(data["scale"]))


def learn_encoding(features: pd.DataFrame) -> Encoding:
    """Learn how to encode each column of `features` (text, "" for missing) from training rows."""
    learned = [_learn(name, features[name]) for name in features.columns]
    partial = Encoding(tuple(learned), (), ())
    raw = np.column_stack([f.encode(features[f.name]) for f in learned])
    mean = raw.mean(axis=0)
    scale = raw.std(axis=0)
    scale = np.where(scale > 1e-12, scale, 1.0)
    return Encoding(partial.features, tuple(float(m) for m in mean), tuple(float(s) for s in scale))


def _learn(name: str, text: pd.Series) -> Feature:
    import pandas as pd

    present = text[text != ""]
    numbers = pd.to_numeric(present, errors="coerce")
    if len(present) and numbers.notna().all() and np.isfinite(numbers).all():
        return Feature(name, "numeric", fill=float(numbers.median()), missing_column=bool((text == "").any()))
    counts = text.where(text != "", MISSING_LEVEL).value_counts()
    kept = sorted(str(level) for level, n in counts.items() if n >= MIN_LEVEL)
    if len(kept) < len(counts) or not kept:
        kept.append(OTHER)
    return Feature(name, "categorical", levels=tuple(kept))
