"""The model card: everything the runtime checks and everything a reader needs to trust a model."""

from __future__ import annotations

import argparse
from datetime import datetime, timezone

import numpy as np

from corpus import Corpus, attack_families
from export import INPUT_NAME, ONNX_OPSET, OUTPUT_NAME
from features import PROTOCOL
from fitting import FitResult
from models import SCALING_FORMULAS, describe_architecture
from windows import WINDOW_LENGTH

FORMAT_VERSION = 1

WINDOW_DEFINITION = (
    "A window ends at one flow and holds the last 10 flows of the same source group, that flow "
    "included, in export order, oldest first; its label is the label of its last flow. Source "
    "group: the IPv4 address; the /64 prefix of an IPv6 address; the IPv4 address of an "
    "IPv4-mapped IPv6 address. A history shorter than 10 is left-padded with rows equal to "
    "scaler.min, which the graph scales to exactly 0."
)

NON_FINITE_POLICY = (
    "Training drops flows with a NaN or infinite feature before building windows (reference "
    "preprocessing). The runtime rejects such a flow: it is counted, never sent to the model and "
    "not added to its source's history, so no window contains a non-finite value. The corrected "
    "flow meter never emits one."
)


def _floats(values: np.ndarray) -> list[float]:
    # float32 values written as the doubles they equal, so the runtime's padding rows (these
    # numbers cast to float32) match the graph's constants bit for bit.
    return [float(value) for value in values.astype(np.float32)]


def build_card(
    *,
    arguments: argparse.Namespace,
    corpus: Corpus,
    mode: str,
    mode_notes: list[str],
    minimum: np.ndarray,
    maximum: np.ndarray,
    threshold: dict,
    metrics: dict,
    fit_result: FitResult,
    libraries: dict,
    command: str,
    files: dict,
) -> dict:
    trained_at = datetime.now(timezone.utc)
    feature_count = len(corpus.feature_names)
    notes = list(mode_notes)
    if PROTOCOL not in corpus.feature_names:
        notes.append(f"{feature_count} features: a training file lacks the Protocol column (MachineLearningCVE layout), so Protocol is not a model input.")
    if any(table.grouping == "file-order" for table in corpus.tables):
        notes.append(
            "Some training files have no Source IP column (MachineLearningCVE layout): their windows are 10 consecutive rows in "
            "file order, as in the reference system, not per-source windows. The runtime still builds per-source windows."
        )
    scenarios = []
    for table in corpus.tables:
        labels, counts = np.unique(table.labels, return_counts=True)
        scenarios.append(
            {
                "name": table.scenario,
                "file": table.path.name,
                "sha256": table.sha256,
                "split": "heldOut" if table.scenario in corpus.held_out else "time-split",
                "rowsRead": table.rows_read,
                "rowsDroppedNonFinite": table.rows_dropped_non_finite,
                "rowsDroppedUnlabelled": table.rows_dropped_unlabelled,
                "rowsUsed": int(len(table.labels)),
                "labels": {str(label): int(count) for label, count in zip(labels, counts)},
                "attackFamilies": list(attack_families(table)),
                "layout": table.layout,
                "order": table.order,
                "windowGrouping": table.grouping,
                "checks": table.checks.to_json(),
            }
        )

    return {
        "formatVersion": FORMAT_VERSION,
        "name": arguments.name,
        "modelVersion": arguments.model_version or f"{arguments.name}-{trained_at:%Y%m%d}",
        "trainedAt": trained_at.isoformat(timespec="seconds"),
        "flowMeterMode": mode,
        "featureNames": corpus.feature_names,
        "featureCount": feature_count,
        "window": {
            "length": WINDOW_LENGTH,
            "grouping": "source-address",
            "ipv6PrefixLength": 64,
            "order": "export",
            "padding": "left-min",
            "definition": WINDOW_DEFINITION,
        },
        "input": {"name": INPUT_NAME, "shape": [-1, WINDOW_LENGTH, feature_count], "dtype": "float32", "values": "raw feature values in featureNames order"},
        "output": {"name": OUTPUT_NAME, "shape": [-1], "dtype": "float32", "meaning": "probability that the window's last flow is an attack"},
        "scaler": {"kind": arguments.scaling, "inGraph": True, "formula": SCALING_FORMULAS[arguments.scaling], "min": _floats(minimum), "max": _floats(maximum)},
        "nonFinitePolicy": NON_FINITE_POLICY,
        "threshold": threshold["value"],
        "thresholdRule": threshold["rule"],
        "thresholdChosenOn": threshold["chosenOn"],
        "architecture": describe_architecture(arguments.arch, feature_count, arguments.scaling),
        "onnx": {"opset": ONNX_OPSET, "file": files["onnx"]},
        "files": files,
        "training": {
            "epochsRun": len(fit_result.history),
            "bestEpoch": fit_result.best_epoch,
            "stoppedEarly": fit_result.stopped_early,
            "maxEpochs": arguments.epochs,
            "patience": arguments.patience,
            "batchSize": arguments.batch_size,
            "maxWindowsPerEpoch": arguments.max_windows_per_epoch,
            "learningRate": arguments.learning_rate,
            "optimizer": "Adam",
            "loss": "binary cross-entropy; the validation loss weighs both classes equally",
            "sampling": arguments.sampling,
            "seed": arguments.seed,
            "seconds": round(fit_result.seconds, 1),
            "split": {
                "trainShare": arguments.train_share,
                "validationShare": arguments.validation_share,
                "testShare": round(1 - arguments.train_share - arguments.validation_share, 6),
                "rule": "the benign windows and the attack windows of each scenario not held out are each cut by the start time of their last flow (row order without a Timestamp column): first share trains, next validates, rest tests; held-out scenarios are tested whole",
            },
            "history": fit_result.history,
        },
        "metrics": metrics,
        "corpus": {
            "sha256": corpus.sha256,
            "sha256Rule": "SHA-256 of the lines '<file sha256>  <scenario>' sorted by scenario",
            "scenarios": [scenario["name"] for scenario in scenarios],
            "heldOutScenarios": corpus.held_out,
            "files": scenarios,
        },
        "libraries": libraries,
        "trainingCommand": command,
        "notes": notes,
    }
