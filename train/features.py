"""Feature lists of the model: the CICFlowMeter columns the LSTM reads, in order.

The 78 CIC-IDS2017 feature names are read from ``src/flows/columns.ts`` so that the training
pipeline and the TypeScript flow meter share one list.
"""

from __future__ import annotations

import re
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
COLUMNS_TS = REPO_ROOT / "src" / "flows" / "columns.ts"

# Columns the reference preprocessing removes: constant in CIC-IDS2017 (bulk, Bwd PSH/URG, the
# CWE column that holds the first packet's URG bit) or a duplicate (Fwd Header Length.1).
BULK_FEATURES = (
    "Fwd Avg Bytes/Bulk",
    "Fwd Avg Packets/Bulk",
    "Fwd Avg Bulk Rate",
    "Bwd Avg Bytes/Bulk",
    "Bwd Avg Packets/Bulk",
    "Bwd Avg Bulk Rate",
)
DROPPED_FEATURES = ("Bwd PSH Flags", "Fwd URG Flags", "Bwd URG Flags", "CWE Flag Count", *BULK_FEATURES, "Fwd Header Length.1")

# Identifier columns of the GeneratedLabelledFlows layout. Only Protocol reaches the model; the
# others name a network (addresses, ports, time) and are used for grouping and ordering only.
PROTOCOL = "Protocol"
SOURCE_IP = "Source IP"
TIMESTAMP = "Timestamp"
LABEL_NAMES = ("Label", "labels", "label")
BENIGN_LABEL = "BENIGN"


def read_cic_feature_names(columns_ts: Path = COLUMNS_TS) -> list[str]:
    """Parse ``FEATURE_NAMES`` out of the TypeScript column list (78 names, file order)."""
    text = columns_ts.read_text(encoding="utf-8")
    match = re.search(r"export const FEATURE_NAMES = \[(.*?)\] as const;", text, re.S)
    if match is None:
        raise RuntimeError(f"FEATURE_NAMES not found in {columns_ts}: the flow meter's column list moved; update features.py")
    names = re.findall(r"'([^']*)'", match.group(1))
    if len(names) != 78:
        raise RuntimeError(f"{columns_ts} lists {len(names)} feature names, expected 78")
    return names


CIC_FEATURES = read_cic_feature_names()


def model_feature_names(with_protocol: bool) -> list[str]:
    """Return the model's input columns in order.

    With Protocol (GeneratedLabelledFlows layout) there are 68: Destination Port, Protocol, then
    the remaining kept features in CIC order, which is the column order of that layout. Without
    it (MachineLearningCVE layout) there are 67.
    """
    kept = [name for name in CIC_FEATURES if name not in DROPPED_FEATURES]
    if not with_protocol:
        return kept
    return [kept[0], PROTOCOL, *kept[1:]]
