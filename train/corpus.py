"""A training corpus: labelled flow CSVs, one scenario each, and their windows split three ways.

Split rules:
- held-out scenarios go whole into the held-out test set (tools or rates never seen in training);
- in every other scenario, the benign windows and the attack windows are each cut by the start
  time of their last flow: the first ``train`` share trains, the next ``validation`` share
  validates, the rest is the time-ordered test set. Files without a Timestamp use row order.
Windows are built over each scenario's whole sequence before the cut, so a validation window may
hold flows from the training period in its history, as it would at the gateway.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from features import BENIGN_LABEL
from fitting import WindowSet
from loading import FlowTable, feature_names_for, read_flow_table
from windows import PADDING, window_indices

SPLITS = ("train", "validation", "test", "heldOut")


class CorpusError(ValueError):
    """Training input that cannot be used; the message names the problem and the fix."""


@dataclass
class Corpus:
    tables: list[FlowTable]
    feature_names: list[str]
    values: np.ndarray  # [rows, features] raw float32, all scenarios concatenated
    labels: np.ndarray
    split_of_row: np.ndarray  # split name of the window that ends at each row
    indices: np.ndarray  # [rows, 10] global row indices, PADDING where the history is short
    held_out: list[str]
    sha256: str

    def windows(self, split: str) -> WindowSet:
        chosen = self.split_of_row == split
        return WindowSet(indices=self.indices[chosen], attack=self.labels[chosen] != BENIGN_LABEL, families=self.labels[chosen])

    def windows_of_scenario(self, table: FlowTable) -> WindowSet:
        start = self._offset(table)
        chosen = np.zeros(len(self.labels), dtype=bool)
        chosen[start : start + len(table.labels)] = True
        return WindowSet(indices=self.indices[chosen], attack=self.labels[chosen] != BENIGN_LABEL, families=self.labels[chosen])

    def _offset(self, table: FlowTable) -> int:
        offset = 0
        for candidate in self.tables:
            if candidate is table:
                return offset
            offset += len(candidate.labels)
        raise KeyError(table.scenario)


def list_csv_files(paths: list[str]) -> list[Path]:
    files: list[Path] = []
    for given in paths:
        path = Path(given)
        if path.is_dir():
            found = sorted(path.rglob("*.csv"))
            if not found:
                raise CorpusError(f"--data {given}: the directory has no .csv files; run `flowguard dataset` on the lab captures first")
            files.extend(found)
        elif path.is_file():
            files.append(path)
        else:
            raise CorpusError(f"--data {given}: no such file or directory")
    return files


def corpus_digest(tables: list[FlowTable]) -> str:
    """SHA-256 over ``<file sha256>  <scenario>`` lines sorted by scenario, like a sha256sum list."""
    lines = "".join(f"{table.sha256}  {table.scenario}\n" for table in sorted(tables, key=lambda t: t.scenario))
    return hashlib.sha256(lines.encode()).hexdigest()


def attack_families(table: FlowTable) -> tuple[str, ...]:
    return tuple(sorted(set(table.labels[table.is_attack])))


def read_manifest_groups(paths: list[str]) -> dict[str, str]:
    """Map run name to scenario from a lab ``corpus.json`` found in a ``--data`` directory."""
    groups: dict[str, str] = {}
    for given in paths:
        manifest = Path(given) / "corpus.json"
        if manifest.is_file():
            for run in json.loads(manifest.read_text(encoding="utf-8")).get("runs", []):
                if "name" in run and "scenario" in run:
                    groups[str(run["name"])] = str(run["scenario"])
    return groups


def choose_held_out(tables: list[FlowTable], request: str, manifest_groups: dict[str, str] | None = None) -> list[str]:
    """Resolve ``--holdout``: ``none``, a comma list of scenario names, or ``auto``.

    ``auto`` groups the files by the lab scenario that produced them (from a ``corpus.json``
    beside them) or, without one, by the set of attack labels they contain (benign-only runs form
    one group). It holds out the last file by name of every group with two or more, so each
    attack is still trained on and is also tested at a rate or setting never seen.
    """
    manifest_groups = manifest_groups or {}
    names = [table.scenario for table in tables]
    if request == "none":
        return []
    if request != "auto":
        chosen = [name.strip() for name in request.split(",") if name.strip()]
        unknown = [name for name in chosen if name not in names]
        if unknown:
            raise CorpusError(f"--holdout names unknown scenarios {unknown}; the scenarios are {names}")
        return chosen
    groups: dict[str, list[str]] = {}
    for table in tables:
        key = manifest_groups.get(table.scenario) or ",".join(attack_families(table))
        groups.setdefault(key, []).append(table.scenario)
    return sorted(sorted(members)[-1] for members in groups.values() if len(members) >= 2)


def _scenario_names(files: list[Path]) -> list[str]:
    names = [file.stem for file in files]
    if len(set(names)) == len(names):
        return names
    return [str(file.with_suffix("")) for file in files]


def load_corpus(
    paths: list[str],
    *,
    order: str,
    holdout: str,
    train_share: float,
    validation_share: float,
    max_rows_per_file: int | None,
    log=print,
) -> Corpus:
    files = list_csv_files(paths)
    tables = [read_flow_table(file, order=order, scenario=name) for file, name in zip(files, _scenario_names(files))]
    for table in tables:
        if max_rows_per_file is not None and len(table.labels) > max_rows_per_file:
            table.features = table.features.iloc[:max_rows_per_file].reset_index(drop=True)
            table.start_times = table.start_times[:max_rows_per_file]
            table.labels = table.labels[:max_rows_per_file]
            table.groups = table.groups[:max_rows_per_file]
        log(
            f"{table.scenario}: {table.rows_read} rows, {table.rows_dropped_non_finite} dropped (NaN/Infinity), {table.rows_dropped_unlabelled} dropped (no label), "
            f"layout {table.layout}, implied mode {table.checks.implied_mode}, order {table.order}, grouping {table.grouping}"
        )
    if not tables:
        raise CorpusError("no flow CSV given; pass --data DIR or --data FILE.csv")

    feature_names = feature_names_for(tables)
    held_out = choose_held_out(tables, holdout, read_manifest_groups(paths))
    values, labels, splits, indices = [], [], [], []
    offset = 0
    for table in tables:
        rows = len(table.labels)
        local = window_indices(table.groups)
        indices.append(np.where(local == PADDING, PADDING, local + offset))
        values.append(table.model_matrix(feature_names))
        labels.append(table.labels)
        split = np.empty(rows, dtype=object)
        if table.scenario in held_out:
            split[:] = "heldOut"
        else:
            # The cut goes by flow start time, per class. Long benign connections are exported
            # together when a lab capture ends; by export order they would all land in the test
            # split, and training would never see a long benign flow.
            for members in (np.flatnonzero(table.is_attack), np.flatnonzero(~table.is_attack)):
                members = members[np.argsort(table.start_times[members], kind="stable")]
                train_end = int(round(len(members) * train_share))
                validation_end = int(round(len(members) * (train_share + validation_share)))
                split[members[:train_end]] = "train"
                split[members[train_end:validation_end]] = "validation"
                split[members[validation_end:]] = "test"
        splits.append(split)
        offset += rows

    return Corpus(
        tables=tables,
        feature_names=feature_names,
        values=np.vstack(values),
        labels=np.concatenate(labels),
        split_of_row=np.concatenate(splits),
        indices=np.vstack(indices),
        held_out=held_out,
        sha256=corpus_digest(tables),
    )
