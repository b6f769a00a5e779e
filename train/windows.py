"""Per-source windows: the definition the runtime reproduces.

A window ends at one flow and contains the last ``WINDOW_LENGTH`` flows of the same source group
(that flow included) in export order, oldest first. Its label is the label of its last flow.
With fewer flows in the history, the window is left-padded with rows equal to the scaler's
``min`` vector, which the in-graph MinMax scaling maps to exactly 0. Source groups: an IPv4
address, the /64 prefix of an IPv6 address, the IPv4 address of an IPv4-mapped IPv6 address.
Flows with a NaN or infinite feature are dropped before windows are built, so they are in no
window and in no history.
"""

from __future__ import annotations

import numpy as np

WINDOW_LENGTH = 10
PADDING = -1


def window_indices(groups: np.ndarray, length: int = WINDOW_LENGTH) -> np.ndarray:
    """Return an ``[rows, length]`` matrix of row indices, ``PADDING`` where the history is short.

    ``groups`` contains the source group of each row, rows being in export order. Column
    ``length - 1`` is the row itself, column 0 the oldest flow of the window.
    """
    rows = len(groups)
    _, codes = np.unique(groups.astype(str), return_inverse=True)
    # Stable sort by group keeps export order inside each group.
    by_group = np.argsort(codes, kind="stable")
    sorted_codes = codes[by_group]
    indices = np.full((rows, length), PADDING, dtype=np.int64)
    for back in range(length):
        previous = np.full(rows, PADDING, dtype=np.int64)
        if back < rows:
            same = sorted_codes[back:] == sorted_codes[: rows - back]
            previous[back:] = np.where(same, by_group[: rows - back], PADDING)
        indices[by_group, length - 1 - back] = previous
    return indices


def padded_table(values: np.ndarray, padding_row: np.ndarray) -> np.ndarray:
    """Return float32 ``values`` with ``padding_row`` appended; ``PADDING`` indices point at it."""
    return np.vstack([values, padding_row[None, :]]).astype(np.float32)


def gather(table: np.ndarray, indices: np.ndarray) -> np.ndarray:
    """Build windows ``[len(indices), length, features]`` from a table made by ``padded_table``."""
    return table[np.where(indices == PADDING, len(table) - 1, indices)]


def gather_windows(values: np.ndarray, indices: np.ndarray, padding_row: np.ndarray) -> np.ndarray:
    """Build float32 windows from raw feature rows (one-off use; copies ``values``)."""
    return gather(padded_table(values, padding_row), indices)
