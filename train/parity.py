"""Dump raw windows and the PyTorch model's probabilities for them, to compare with the ONNX run.

    /usr/bin/python3 train/parity.py --model models/NAME --data FLOWS.csv [--count 300] -o OUT.json
    /usr/bin/python3 train/parity.py --model models/NAME --windows IN.json -o OUT.json

With ``--data``, windows are built from a labelled or unlabelled flow CSV exactly as training
builds them. With ``--windows``, the input is ``{"windows": [[[...10 x F...]], ...]}``, for
example windows the TypeScript runtime built from a capture. OUT.json contains ``inputName``,
``outputName``, ``featureNames``, ``windows`` (raw float32 values) and ``probabilities``; with
``--data`` also ``rows`` (data-row number, from 0, of each window's last flow) and ``groups``
(its source group), so a runtime can build the same windows from the same flows and compare.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import torch

from export import load_weights
from windows import gather_windows, window_indices


def windows_from_csv(path: Path, feature_names: list[str], padding_row: np.ndarray, count: int) -> tuple[np.ndarray, dict]:
    """Return windows and, per window, the CSV data-row number (from 0) and source group of its last flow."""
    import pandas as pd

    from loading import _normalise_columns, source_group
    from features import SOURCE_IP

    frame = pd.read_csv(path, low_memory=False)
    frame.columns, _ = _normalise_columns(frame.columns)
    missing = [name for name in feature_names if name not in frame.columns]
    if missing:
        raise SystemExit(f"parity: {path} lacks the model's features {missing[:5]}; use a flow CSV of the model's layout")
    values = frame[feature_names].apply(pd.to_numeric, errors="coerce").to_numpy(dtype=np.float64)
    finite = np.isfinite(values).all(axis=1)
    values = values[finite]
    if SOURCE_IP in frame.columns:
        groups = frame.loc[finite, SOURCE_IP].astype(str).map(source_group).to_numpy()
    else:
        groups = np.full(len(values), "", dtype=object)
    indices = window_indices(groups)
    # Evenly spaced windows over the file; the first ones carry left padding.
    chosen = np.unique(np.linspace(0, len(values) - 1, num=min(count, len(values))).round().astype(np.int64))
    details = {"rows": np.flatnonzero(finite)[chosen].tolist(), "groups": [str(group) for group in groups[chosen]]}
    return gather_windows(values, indices[chosen], padding_row), details


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description="Write windows and PyTorch probabilities for an ONNX parity check.")
    parser.add_argument("--model", required=True, help="model path without extension (reads .pt and .card.json)")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--data", help="flow CSV to build windows from")
    source.add_argument("--windows", help='JSON file {"windows": [...]} of raw windows')
    parser.add_argument("--count", type=int, default=300, help="windows to take from --data (default: 300)")
    parser.add_argument("-o", "--output", required=True, help="output JSON file")
    args = parser.parse_args(argv)

    stem = Path(args.model)
    card = json.loads(stem.with_suffix(".card.json").read_text(encoding="utf-8"))
    network = load_weights(stem.with_suffix(".pt"))
    feature_names = card["featureNames"]
    padding_row = np.array(card["scaler"]["min"], dtype=np.float64)

    details: dict = {}
    if args.data:
        windows, details = windows_from_csv(Path(args.data), feature_names, padding_row, args.count)
    else:
        windows = np.array(json.loads(Path(args.windows).read_text(encoding="utf-8"))["windows"], dtype=np.float32)
    expected_shape = (card["window"]["length"], len(feature_names))
    if windows.ndim != 3 or windows.shape[1:] != expected_shape:
        raise SystemExit(f"parity: windows have shape {windows.shape}, the model expects [n, {expected_shape[0]}, {expected_shape[1]}]")

    with torch.no_grad():
        probabilities = torch.sigmoid(network(torch.from_numpy(windows.astype(np.float32)))).numpy()
    Path(args.output).write_text(
        json.dumps(
            {
                "model": card["modelVersion"],
                "inputName": card["input"]["name"],
                "outputName": card["output"]["name"],
                "featureNames": feature_names,
                "shape": list(windows.shape),
                "windows": windows.astype(np.float32).tolist(),
                "probabilities": probabilities.astype(np.float32).tolist(),
                **details,
            }
        ),
        encoding="utf-8",
    )
    print(f"wrote {len(windows)} windows and PyTorch probabilities to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
