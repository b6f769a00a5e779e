"""Read one labelled flow CSV into rows ready for windowing.

Accepted layouts, recognised by their column names after stripping the leading spaces that the
CIC-IDS2017 files carry:

- GeneratedLabelledFlows (85 columns: Flow ID, Source IP, ..., Protocol, Timestamp, the features,
  Label), written by ``flowguard extract``/``flowguard dataset`` and by CIC-IDS2017;
- MachineLearningCVE (79 columns: the 78 features and Label, in any column position). It has no
  source address, no protocol and no timestamp, so its rows form one sequence in file order.

``Infinity``/``NaN`` cells are parsed as IEEE values; such rows are dropped after the checks ran.
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from checks import CheckReport, run_checks
from features import BENIGN_LABEL, CIC_FEATURES, LABEL_NAMES, PROTOCOL, SOURCE_IP, TIMESTAMP, model_feature_names

# CIC-IDS2017 writes the flow start as d/M/yyyy h:mm[:ss] (12-hour clock, no AM/PM).
CIC_TIMESTAMP = re.compile(r"^\s*\d{1,2}/\d{1,2}/\d{4} \d{1,2}:\d{2}")
IPV6_PREFIX_LENGTH = 64


class FlowTableError(ValueError):
    """A flow CSV that cannot be used for training; the message names the file and the fix."""


@dataclass
class FlowTable:
    path: Path
    scenario: str
    sha256: str
    layout: str
    checks: CheckReport
    order: str  # 'export' (row order) or 'timestamp' (stable sort by flow start)
    grouping: str  # 'source-address' or 'file-order'
    rows_read: int
    rows_dropped_non_finite: int
    rows_dropped_unlabelled: int
    has_protocol: bool
    start_times: np.ndarray  # flow start as int64 ns since the epoch, or the row number without a Timestamp column
    features: pd.DataFrame  # every CIC feature (+ Protocol when present), finite rows, in order
    labels: np.ndarray  # label string per row, stripped
    groups: np.ndarray  # source group key per row

    @property
    def is_attack(self) -> np.ndarray:
        return self.labels != BENIGN_LABEL

    def model_matrix(self, feature_names: list[str]) -> np.ndarray:
        # float32, the type the runtime feeds the graph; it also halves the memory of a corpus.
        return self.features[feature_names].to_numpy(dtype=np.float32)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def source_group(address: str) -> str:
    """Return the window group of a source address: IPv4 as is, IPv6 by its /64 prefix.

    An IPv4-mapped IPv6 address (``::ffff:a.b.c.d``) counts as the IPv4 address.
    """
    text = str(address).strip()
    try:
        parsed = ipaddress.ip_address(text)
    except ValueError:
        return text
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.IPv6Network((parsed, IPV6_PREFIX_LENGTH), strict=False))
    return str(parsed)


def _normalise_columns(columns: pd.Index) -> tuple[list[str], list[str]]:
    """Strip the header names; also drop a trailing " (?)" that a re-saved copy of the CIC-IDS2017
    MachineLearningCVE Wednesday file adds to Init_Win_bytes_backward. Returns names and renamings."""
    names, renamed = [], []
    for original in columns:
        name = str(original).strip()
        cleaned = re.sub(r"\s*\(\?\)$", "", name)
        if cleaned != name:
            renamed.append(f"{name!r} -> {cleaned!r}")
        names.append(cleaned)
    return names, renamed


def _label_column(columns: list[str], path: Path) -> str:
    for name in LABEL_NAMES:
        if name in columns:
            return name
    raise FlowTableError(f"{path}: no label column (expected one of {', '.join(LABEL_NAMES)}); label the flows with `flowguard dataset --labels`")


def _choose_order(frame: pd.DataFrame, order: str) -> str:
    if order != "auto":
        return order
    if TIMESTAMP not in frame.columns or frame.empty:
        return "export"
    return "timestamp" if CIC_TIMESTAMP.match(str(frame[TIMESTAMP].iloc[0])) else "export"


def parse_start_times(frame: pd.DataFrame) -> np.ndarray:
    """Return flow start times as int64 ns, or the row numbers when there is no usable Timestamp.

    flowguard writes ISO 8601 times in UTC; CIC-IDS2017 writes d/M/yyyy h:mm[:ss].
    """
    if TIMESTAMP not in frame.columns or frame.empty:
        return np.arange(len(frame), dtype=np.int64)
    text = frame[TIMESTAMP].astype(str).str.strip()
    dayfirst = bool(CIC_TIMESTAMP.match(text.iloc[0]))
    start = pd.to_datetime(text, dayfirst=dayfirst, errors="coerce", utc=True)
    if start.isna().any():
        return np.arange(len(frame), dtype=np.int64)
    return start.dt.tz_localize(None).to_numpy(dtype="datetime64[ns]").astype(np.int64)


def _sort_by_timestamp(frame: pd.DataFrame, path: Path) -> pd.DataFrame:
    if TIMESTAMP not in frame.columns:
        raise FlowTableError(f"{path}: --order timestamp needs a Timestamp column; this file has none, use --order export")
    # NOTE: CIC-IDS2017 timestamps use a 12-hour clock without AM/PM, so afternoon flows sort
    # among the morning ones. The stable sort keeps file order among equal times.
    positions = np.argsort(parse_start_times(frame), kind="stable")
    return frame.iloc[positions].reset_index(drop=True)


def read_flow_table(path: str | Path, order: str = "auto", scenario: str | None = None) -> FlowTable:
    """Load, check, order and clean one labelled flow CSV."""
    path = Path(path)
    raw = pd.read_csv(path, low_memory=False)
    raw.columns, renamed = _normalise_columns(raw.columns)
    label_column = _label_column(list(raw.columns), path)
    feature_columns = [name for name in raw.columns if name != label_column]
    missing = [name for name in CIC_FEATURES if name not in raw.columns]
    if missing:
        raise FlowTableError(f"{path}: missing feature columns {missing[:5]}{'...' if len(missing) > 5 else ''}; expected a CIC-IDS2017 or flowguard flow CSV")

    numeric = [*CIC_FEATURES, *([PROTOCOL] if PROTOCOL in raw.columns else [])]
    for name in numeric:
        if raw[name].dtype == object:
            raw[name] = pd.to_numeric(raw[name].astype(str).str.strip(), errors="coerce")
    labels = raw[label_column].fillna("").astype(str).str.strip()
    unlabelled = labels == ""
    if unlabelled.all():
        raise FlowTableError(f"{path}: every row has an empty Label; label the flows with `flowguard dataset --pcap P --labels L`")
    # Flows no label span covers (the gateway's own traffic, say) are dropped and counted.
    raw = raw.loc[~unlabelled].reset_index(drop=True)
    raw[label_column] = labels[~unlabelled].to_numpy()

    checks = run_checks(raw, feature_columns, renamed)
    chosen_order = _choose_order(raw, order)
    frame = _sort_by_timestamp(raw, path) if chosen_order == "timestamp" else raw

    values = frame[numeric].to_numpy(dtype=np.float64)
    finite = np.isfinite(values).all(axis=1)
    frame = frame.loc[finite].reset_index(drop=True)

    if SOURCE_IP in frame.columns:
        grouping = "source-address"
        unique = {address: source_group(address) for address in frame[SOURCE_IP].astype(str).unique()}
        groups = frame[SOURCE_IP].astype(str).map(unique).to_numpy()
    else:
        grouping = "file-order"
        groups = np.full(len(frame), "", dtype=object)

    return FlowTable(
        path=path,
        scenario=scenario or path.stem,
        sha256=sha256_of(path),
        layout=checks.layout,
        checks=checks,
        order=chosen_order,
        grouping=grouping,
        rows_read=len(raw) + int(unlabelled.sum()),
        rows_dropped_unlabelled=int(unlabelled.sum()),
        rows_dropped_non_finite=int((~finite).sum()),
        has_protocol=PROTOCOL in frame.columns,
        start_times=parse_start_times(frame),
        features=frame[numeric].reset_index(drop=True),
        labels=frame[label_column].to_numpy(dtype=object).astype(str),
        groups=groups,
    )


def feature_names_for(tables: list[FlowTable]) -> list[str]:
    """Return the model columns all tables share: 68 with Protocol, 67 when any file lacks it."""
    return model_feature_names(with_protocol=all(table.has_protocol for table in tables))
