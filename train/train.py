"""Train flowguard's LSTM on labelled flow CSVs and export it as ONNX with its model card.

    npm run train -- --data DIR [--data FILE.csv ...] [--name NAME] [--out models] [options]

Writes ``<out>/<name>.onnx``, ``<out>/<name>.card.json``, ``<out>/<name>.pt`` (PyTorch weights,
for the parity script) and ``<out>/<name>.learning-curves.png``. Run ``--help`` for the options.
"""

from __future__ import annotations

import argparse
import json
import platform
import shlex
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import sklearn
import torch

from card import build_card
from corpus import SPLITS, CorpusError, load_corpus
from evaluation import choose_threshold, score
from export import export_onnx, plot_learning_curves, save_weights
from fitting import fit, predict
from loading import FlowTableError
from models import FlowLstm
from windows import padded_table


def parse_arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="npm run train --", description="Train the flowguard LSTM and export ONNX plus model card.")
    parser.add_argument("--data", action="append", required=True, help="labelled flow CSV file or directory of them (repeatable); each file is one scenario")
    parser.add_argument("--out", default="models", help="output directory (default: models)")
    parser.add_argument("--name", default="flowguard-default", help="file name stem of the model (default: flowguard-default)")
    parser.add_argument("--model-version", default=None, help="modelVersion written to the card (default: <name>-<UTC date>)")
    parser.add_argument("--arch", type=int, choices=(1, 2), default=2, help="1: one LSTM layer; 2: two LSTM layers (default: 2)")
    parser.add_argument("--scaling", choices=("minmax", "log-minmax"), default="minmax", help="in-graph scaling: minmax (the reference system's) or MinMax of log1p(x - min) (default: minmax)")
    parser.add_argument("--epochs", type=int, default=50, help="maximum epochs (default: 50)")
    parser.add_argument("--patience", type=int, default=5, help="epochs without a lower validation loss before stopping (default: 5)")
    parser.add_argument("--batch-size", type=int, default=64, help="windows per batch (default: 64)")
    parser.add_argument("--learning-rate", type=float, default=1e-3, help="Adam learning rate (default: 0.001)")
    parser.add_argument("--sampling", choices=("balanced", "natural"), default="balanced", help="balanced: each epoch draws half benign windows and half attack windows spread evenly over attack families, with replacement; natural: a shuffle of the training windows (default: balanced)")
    parser.add_argument("--train-share", type=float, default=0.70, help="share of each scenario's windows, earliest first, used to train (default: 0.70)")
    parser.add_argument("--validation-share", type=float, default=0.15, help="share that follows, used to validate (default: 0.15); the rest is the test split")
    parser.add_argument("--holdout", default="auto", help="scenarios tested but never trained on: auto, none or a comma list of names (default: auto)")
    parser.add_argument("--order", choices=("auto", "export", "timestamp"), default="auto", help="row order: CSV order, or sorted by Timestamp; auto sorts files with CIC-IDS2017 timestamps (default: auto)")
    parser.add_argument("--mode", choices=("auto", "corrected", "cic2017"), default="auto", help="flow-meter mode of the data; auto takes the mode the checks V1-V13 imply (default: auto)")
    parser.add_argument("--max-benign-fpr", type=float, default=0.001, help="false-positive rate on benign validation windows the threshold allows (default: 0.001)")
    parser.add_argument("--max-windows-per-epoch", type=int, default=None, help="windows drawn per epoch (default: as many as the training split has)")
    parser.add_argument("--max-rows-per-file", type=int, default=None, help="use only the first N rows of each file (smoke tests)")
    parser.add_argument("--seed", type=int, default=1, help="seed for weights and batch order (default: 1)")
    parser.add_argument("--threads", type=int, default=2, help="PyTorch CPU threads (default: 2)")
    arguments = parser.parse_args(argv)
    if not 0 < arguments.train_share < 1 or not 0 <= arguments.validation_share < 1 - arguments.train_share + 1e-9:
        parser.error(f"--train-share {arguments.train_share} and --validation-share {arguments.validation_share}: each must lie in (0, 1) and their sum must not exceed 1")
    return arguments


def resolve_mode(requested: str, implied: dict[str, str]) -> tuple[str, list[str]]:
    """Return the flow-meter mode of the corpus and notes about files that disagree."""
    modes = sorted(set(implied.values()))
    if requested != "auto":
        notes = [f"{name}: the checks imply {mode}, trained as {requested} because --mode said so" for name, mode in implied.items() if mode != requested]
        return requested, notes
    if len(modes) != 1:
        listing = ", ".join(f"{name}={mode}" for name, mode in implied.items())
        raise CorpusError(f"the files imply different flow-meter modes ({listing}); train each mode separately or pass --mode")
    return modes[0], []


def main(argv: list[str]) -> int:
    arguments = parse_arguments(argv)
    torch.manual_seed(arguments.seed)
    torch.set_num_threads(arguments.threads)
    started = time.monotonic()

    try:
        corpus = load_corpus(
            arguments.data,
            order=arguments.order,
            holdout=arguments.holdout,
            train_share=arguments.train_share,
            validation_share=arguments.validation_share,
            max_rows_per_file=arguments.max_rows_per_file,
        )
        mode, mode_notes = resolve_mode(arguments.mode, {table.scenario: table.checks.implied_mode for table in corpus.tables})
    except (CorpusError, FlowTableError) as error:
        print(f"train: {error}", file=sys.stderr)
        return 2

    splits = {split: corpus.windows(split) for split in SPLITS}
    print("windows: " + ", ".join(f"{split} {len(windows)} ({int(windows.attack.sum())} attack)" for split, windows in splits.items()))
    if len(splits["train"]) == 0:
        print("train: the training split is empty; add scenarios or use --holdout none", file=sys.stderr)
        return 2

    train_rows = corpus.values[corpus.split_of_row == "train"]
    minimum = train_rows.min(axis=0).astype(np.float32)
    maximum = train_rows.max(axis=0).astype(np.float32)
    # Padding rows equal the scaler's minimum, which the in-graph scaling maps to exactly 0.
    window_table = padded_table(corpus.values, minimum)

    network = FlowLstm(arguments.arch, len(corpus.feature_names), minimum, maximum, arguments.scaling)
    result = fit(
        network,
        splits["train"],
        splits["validation"],
        window_table,
        epochs=arguments.epochs,
        patience=arguments.patience,
        batch_size=arguments.batch_size,
        learning_rate=arguments.learning_rate,
        sampling=arguments.sampling,
        seed=arguments.seed,
        max_windows_per_epoch=arguments.max_windows_per_epoch,
    )

    probabilities = {split: predict(network, windows, window_table) for split, windows in splits.items()}
    threshold_source = "validation" if len(splits["validation"]) else "train"
    threshold = choose_threshold(probabilities[threshold_source], splits[threshold_source].attack, arguments.max_benign_fpr)
    threshold["chosenOn"] = threshold_source
    metrics = {
        split: score(probabilities[split], windows.attack, windows.families, threshold["value"]) if len(windows) else None
        for split, windows in splits.items()
    }
    held_out_tables = [table for table in corpus.tables if table.scenario in corpus.held_out]
    metrics["heldOutByScenario"] = {}
    for table in held_out_tables:
        windows = corpus.windows_of_scenario(table)
        metrics["heldOutByScenario"][table.scenario] = score(predict(network, windows, window_table), windows.attack, windows.families, threshold["value"])

    out = Path(arguments.out)
    out.mkdir(parents=True, exist_ok=True)
    stem = out / arguments.name
    onnx_path = stem.with_suffix(".onnx")
    export_onnx(network, len(corpus.feature_names), onnx_path)
    save_weights(network, corpus.feature_names, stem.with_suffix(".pt"))
    curves = out / f"{arguments.name}.learning-curves.png"
    plot_learning_curves(result.history, result.best_epoch, f"{arguments.name}: architecture {arguments.arch}, {mode} mode", curves)

    libraries = {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "numpy": np.__version__,
        "pandas": pd.__version__,
        "scikit-learn": sklearn.__version__,
    }
    card = build_card(
        arguments=arguments,
        corpus=corpus,
        mode=mode,
        mode_notes=mode_notes,
        minimum=minimum,
        maximum=maximum,
        threshold=threshold,
        metrics=metrics,
        fit_result=result,
        libraries=libraries,
        command="npm run train -- " + shlex.join(argv),
        files={"onnx": onnx_path.name, "weights": stem.with_suffix(".pt").name, "learningCurves": curves.name},
    )
    card_path = out / f"{arguments.name}.card.json"
    card_path.write_text(json.dumps(card, indent=2) + "\n", encoding="utf-8")

    print(f"threshold {threshold['value']:.6f} ({threshold['rule']})")
    for split in SPLITS:
        if metrics[split] is None:
            continue
        m = metrics[split]
        print(
            f"{split}: windows {m['windows']}, accuracy {m['accuracy']}, precision {m['precision']}, recall {m['recall']}, "
            f"F1 {m['f1']}, ROC-AUC {m['rocAuc']}, benign FPR {m['benignFpr']}, confusion {m['confusionMatrix']}"
        )
    print(f"wrote {onnx_path}, {card_path}, {curves} in {time.monotonic() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
