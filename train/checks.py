"""Checks V1-V13 on a CICFlowMeter CSV: which extractor behaviour produced it.

Each check is one vectorised test on the whole file. Together they tell whether the file has the
CIC-IDS2017 (2017-era CICFlowMeter) column semantics, which flowguard calls ``cic2017`` mode, and
which order the eight flag-count columns were written in. Usage:

    /usr/bin/python3 train/checks.py FILE.csv [--json]
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from features import BULK_FEATURES, CIC_FEATURES

# These must all hold for a file to be taken as cic2017 output. V7 and V11 depend on the traffic
# (padding, one-direction flows) and V12 on whether Infinity/NaN cells were kept, so they are
# recorded but do not decide the mode.
MODE_DECIDING_CHECKS = ("V2", "V3", "V4", "V5", "V8", "V9", "V10")

FLAG_COUNTS = (
    "FIN Flag Count",
    "SYN Flag Count",
    "RST Flag Count",
    "PSH Flag Count",
    "ACK Flag Count",
    "URG Flag Count",
    "CWE Flag Count",
    "ECE Flag Count",
)
GENERATED_LABELLED_IDENTIFIERS = ("Flow ID", "Source IP", "Source Port", "Destination IP", "Destination Port", "Protocol", "Timestamp")


@dataclass
class CheckResult:
    id: str
    passed: bool
    detail: str

    def to_json(self) -> dict:
        return {"id": self.id, "passed": self.passed, "detail": self.detail}


@dataclass
class CheckReport:
    layout: str
    results: list[CheckResult] = field(default_factory=list)
    flag_order: str | None = None

    @property
    def implied_mode(self) -> str:
        """Return ``cic2017`` when every mode-deciding check holds, else ``corrected``."""
        by_id = {result.id: result.passed for result in self.results}
        return "cic2017" if all(by_id.get(check, False) for check in MODE_DECIDING_CHECKS) else "corrected"

    def to_json(self) -> dict:
        return {
            "layout": self.layout,
            "impliedMode": self.implied_mode,
            "flagOrder": self.flag_order,
            "checks": [result.to_json() for result in self.results],
        }


def detect_layout(columns: list[str]) -> str:
    """Name the CSV layout from its stripped column names (label column excluded)."""
    if columns == CIC_FEATURES:
        return "MachineLearningCVE"
    if columns == [*GENERATED_LABELLED_IDENTIFIERS, *CIC_FEATURES[1:]]:
        return "GeneratedLabelledFlows"
    return "unknown"


def _share(mask: pd.Series) -> float:
    return float(mask.mean()) if len(mask) else 1.0


# Some published copies of the CIC-IDS2017 files print large integers with three significant
# digits (516000000 for 515934703), so column equality is tested within 0.5% relative.
EQUALITY_RTOL = 5e-3


def _all_equal(frame: pd.DataFrame, pairs: list[tuple[str, str]]) -> tuple[bool, str]:
    exact = {f"{a} == {b}": _share(frame[a] == frame[b]) for a, b in pairs}
    close = {key: _share(pd.Series(np.isclose(frame[a], frame[b], rtol=EQUALITY_RTOL, atol=0))) for key, (a, b) in zip(exact, pairs)}
    detail = "; ".join(f"{key}: {close[key]:.4%} (exactly {exact[key]:.4%})" for key in exact)
    return all(share == 1.0 for share in close.values()), detail


def run_checks(frame: pd.DataFrame, feature_columns: list[str], renamed: list[str] | None = None) -> CheckReport:
    """Run V1-V13 on ``frame`` (stripped column names, numeric features, non-finite cells kept)."""
    layout = detect_layout(feature_columns)
    report = CheckReport(layout=layout)
    add = report.results.append

    renamings = f"; headers renamed to match: {', '.join(renamed)}" if renamed else ""
    add(CheckResult("V1", layout != "unknown" and not renamed, f"layout {layout}{renamings}"))

    passed, detail = _all_equal(
        frame,
        [
            ("Subflow Fwd Packets", "Total Fwd Packets"),
            ("Subflow Fwd Bytes", "Total Length of Fwd Packets"),
            ("Subflow Bwd Packets", "Total Backward Packets"),
            ("Subflow Bwd Bytes", "Total Length of Bwd Packets"),
        ],
    )
    add(CheckResult("V2", passed, detail))

    constant = [*BULK_FEATURES, "Bwd PSH Flags", "Bwd URG Flags"]
    nonzero = {name: int((frame[name] != 0).sum()) for name in constant}
    add(CheckResult("V3", not any(nonzero.values()), "non-zero rows: " + ", ".join(f"{k}={v}" for k, v in nonzero.items() if v) or "none"))

    flags = frame[list(FLAG_COUNTS)]
    binary = flags.isin([0, 1]).all(axis=None)
    add(CheckResult("V4", bool(binary), f"max flag count {flags.to_numpy().max() if len(flags) else 0}"))

    ratio = frame["Down/Up Ratio"]
    integer = np.isfinite(ratio) & (ratio == np.floor(ratio))
    add(CheckResult("V5", bool(integer.all()), f"integer-valued rows {_share(integer):.4%}"))

    orders = {
        "java8": (("SYN Flag Count", "Fwd PSH Flags"), ("CWE Flag Count", "Fwd URG Flags")),
        "nominal": (("PSH Flag Count", "Fwd PSH Flags"), ("URG Flag Count", "Fwd URG Flags")),
        "java7": (("FIN Flag Count", "Fwd PSH Flags"), ("URG Flag Count", "Fwd URG Flags")),
    }
    matching = [name for name, pairs in orders.items() if _all_equal(frame, list(pairs))[0]]
    report.flag_order = matching[0] if len(matching) == 1 else None
    add(CheckResult("V6", len(matching) == 1, f"flag orders consistent with every row: {matching or 'none'}"))

    n = frame["Total Fwd Packets"]
    one_way = (frame["Total Backward Packets"] == 0) & (frame["Fwd Packet Length Std"] == 0) & (n >= 1)
    expected = frame["Fwd Packet Length Mean"] * (n + 1) / n
    doubled = np.isclose(frame["Average Packet Size"], expected, rtol=1e-6, atol=1e-6)
    share = _share(pd.Series(doubled)[one_way.to_numpy()]) if one_way.any() else float("nan")
    add(CheckResult("V7", bool(one_way.any()) and share == 1.0, f"{int(one_way.sum())} one-way rows, first payload counted twice on {share:.4%}"))

    within = frame["act_data_pkt_fwd"] <= n - 1
    add(CheckResult("V8", bool(within.all()), f"rows with act_data_pkt_fwd <= Total Fwd Packets - 1: {_share(within):.4%}"))

    no_bwd = frame["Total Backward Packets"] == 0
    minus_one = frame.loc[no_bwd, "Init_Win_bytes_backward"] == -1
    add(CheckResult("V9", bool(minus_one.all()), f"{int(no_bwd.sum())} rows without backward packets, Init_Win_bytes_backward == -1 on {_share(minus_one):.4%}"))

    packets = n + frame["Total Backward Packets"]
    add(CheckResult("V10", bool((packets >= 2).all()), f"single-packet rows {int((packets < 2).sum())}"))

    padded = (frame["min_seg_size_forward"] == 20) & (frame["Fwd Packet Length Min"] == 6)
    add(CheckResult("V11", bool(padded.any()), f"rows with 6-byte padding payload: {_share(padded):.4%}"))

    zero_duration = frame["Flow Duration"] == 0
    no_bytes = (frame["Total Length of Fwd Packets"] == 0) & (frame["Total Length of Bwd Packets"] == 0)
    nan_bytes = frame["Flow Bytes/s"].isna()
    inf_packets = np.isinf(frame["Flow Packets/s"])
    nan_ok = bool((~nan_bytes | (zero_duration & no_bytes)).all())
    inf_ok = bool((~inf_packets | zero_duration).all())
    add(CheckResult("V12", nan_ok and inf_ok, f"NaN Flow Bytes/s rows {int(nan_bytes.sum())}, infinite Flow Packets/s rows {int(inf_packets.sum())}"))

    passed, detail = _all_equal(frame, [("Fwd Header Length.1", "Fwd Header Length")])
    add(CheckResult("V13", passed, detail))
    return report


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description="Run the CICFlowMeter checks V1-V13 on flow CSV files.")
    parser.add_argument("files", nargs="+", help="flow CSV files (CIC-IDS2017 layouts or flowguard's)")
    parser.add_argument("--json", action="store_true", help="print one JSON object keyed by file")
    args = parser.parse_args(argv)

    from loading import read_flow_table

    reports = {}
    for path in args.files:
        table = read_flow_table(path)
        reports[path] = table.checks.to_json()
    if args.json:
        print(json.dumps(reports, indent=2))
        return 0
    for path, report in reports.items():
        print(f"{path}: layout {report['layout']}, implied mode {report['impliedMode']}, flag order {report['flagOrder']}")
        for check in report["checks"]:
            print(f"  {check['id']:>3} {'pass' if check['passed'] else 'FAIL'}  {check['detail']}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
