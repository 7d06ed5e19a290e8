"""Manifest-driven preprocessing: raw feature values -> the model's float input matrix.

This is the reference the service's preprocessing is held to (golden cases, 1e-5). It reads
nothing but the manifest's feature specs, so whatever the manifest says is what training did:

- a value that is absent or None takes the feature's `default`;
- `standardize`: (x - mean) / std, computed in float64;
- `one_hot`: one column per category, 1.0 for the value's category, all zeros for an unknown one;
- `vocabulary`: one column holding the value's index in the vocabulary, `oovIndex` when unknown;
- `identity`: the number itself (booleans as 1.0 / 0.0).

The service casts the float64 result to float32 for the ONNX input tensor.
"""
from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np


def encoded_width(encoding: Mapping[str, Any]) -> int:
    return len(encoding["categories"]) if encoding["kind"] == "one_hot" else 1


def input_width(features: Sequence[Mapping[str, Any]]) -> int:
    return sum(encoded_width(f["encoding"]) for f in features)


def resolve(feature: Mapping[str, Any], value: Any) -> Any:
    """The value the model sees: the raw value, or the default when it is missing."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        if feature["default"] is None:
            raise ValueError(f'feature "{feature["name"]}": required, but no value was given')
        return feature["default"]
    return value


def encode_column(feature: Mapping[str, Any], values: Sequence[Any]) -> np.ndarray:
    """Encodes one feature for every row: shape [rows, encoded_width]."""
    enc = feature["encoding"]
    resolved = [resolve(feature, v) for v in values]
    kind = enc["kind"]
    if kind == "standardize":
        x = np.asarray(resolved, dtype=np.float64)
        return ((x - enc["mean"]) / enc["std"]).reshape(-1, 1)
    if kind == "identity":
        return np.asarray([float(v) for v in resolved], dtype=np.float64).reshape(-1, 1)
    if kind == "one_hot":
        index = {c: i for i, c in enumerate(enc["categories"])}
        out = np.zeros((len(resolved), len(index)), dtype=np.float64)
        for row, v in enumerate(resolved):
            col = index.get(v)
            if col is not None:
                out[row, col] = 1.0
        return out
    if kind == "vocabulary":
        index = {c: i for i, c in enumerate(enc["vocabulary"])}
        return np.asarray([float(index.get(v, enc["oovIndex"])) for v in resolved], dtype=np.float64).reshape(-1, 1)
    raise ValueError(f'feature "{feature["name"]}": unknown encoding "{kind}"')


def encode(features: Sequence[Mapping[str, Any]], columns: Mapping[str, Sequence[Any]]) -> np.ndarray:
    """Encodes raw columns (feature name -> values, None = missing) into the float64 input matrix.

    A feature without a column is missing in every row.
    """
    rows = len(next(iter(columns.values())))
    blocks = [encode_column(f, columns.get(f["name"], [None] * rows)) for f in features]
    matrix = np.hstack(blocks)
    assert matrix.shape == (rows, input_width(features))
    return matrix


def encode_case(features: Sequence[Mapping[str, Any]], online: Mapping[str, Any], request: Mapping[str, Any]) -> np.ndarray:
    """Encodes one golden case: online values keyed by the view's feature name, request values by field."""
    columns: dict[str, list[Any]] = {}
    for f in features:
        src = f["source"]
        raw = online.get(src["feature"]) if src["kind"] == "online" else request.get(src["field"])
        columns[f["name"]] = [raw]
    return encode(features, columns)
