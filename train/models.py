"""The two LSTM architectures of the reference system, with MinMax scaling inside the network.

The network takes raw feature values ``[batch, 10, features]``. Its first step scales them
(``SCALING_FORMULAS``) so that ``x == min`` maps to exactly 0, which makes padding rows equal to
the scaler's ``min`` vector. Clipping keeps values outside the training range (a longer
flow, a larger rate) inside the range the LSTM saw. Training and the exported ONNX graph run the
same module, so the runtime only feeds raw values.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

ARCHITECTURES = {
    1: {"lstm": [64], "dropout": [0.2], "dense": 32},
    2: {"lstm": [64, 32], "dropout": [0.3, 0.2], "dense": 16},
}


def describe_architecture(number: int, features: int, scaling: str = "minmax") -> dict:
    spec = ARCHITECTURES[number]
    if number == 1:
        layers = [
            f"LSTM({features}->{spec['lstm'][0]}), last time step",
            f"Dropout({spec['dropout'][0]})",
            f"Dense({spec['lstm'][0]}->{spec['dense']}, ReLU)",
            f"Dense({spec['dense']}->1, sigmoid)",
        ]
    else:
        layers = [
            f"LSTM({features}->{spec['lstm'][0]}), full sequence",
            f"Dropout({spec['dropout'][0]})",
            f"LSTM({spec['lstm'][0]}->{spec['lstm'][1]}), last time step",
            f"Dropout({spec['dropout'][1]})",
            f"Dense({spec['lstm'][1]}->{spec['dense']}, ReLU)",
            f"Dense({spec['dense']}->1, sigmoid)",
        ]
    return {"id": number, "layers": [f"{scaling} scaling, clipped to [0, 1]", *layers]}


SCALING_FORMULAS = {
    "minmax": "clip((x - min) / (max - min), 0, 1) per feature; a feature with max == min uses a divisor of 1",
    "log-minmax": "clip(log1p(max(x - min, 0)) / log1p(max - min), 0, 1) per feature; a feature with max == min uses a divisor of 1",
}


class MinMaxScaling(nn.Module):
    """Scale raw features to [0, 1] so that ``x == min`` gives exactly 0.

    ``minmax`` is the reference system's scaling. ``log-minmax`` applies it to ``log1p(x - min)``,
    which spreads heavy-tailed columns (rates in bytes/s, durations in µs) over the range instead
    of pressing most flows against 0.
    """

    def __init__(self, minimum: np.ndarray, maximum: np.ndarray, kind: str = "minmax"):
        super().__init__()
        span = (maximum.astype(np.float64) - minimum.astype(np.float64))
        scaled_span = np.log1p(np.maximum(span, 0)) if kind == "log-minmax" else span
        divisor = np.where(scaled_span > 0, scaled_span, 1.0)
        self.kind = kind
        self.register_buffer("minimum", torch.tensor(minimum, dtype=torch.float32))
        self.register_buffer("divisor", torch.tensor(divisor, dtype=torch.float32))

    def forward(self, flows: torch.Tensor) -> torch.Tensor:
        shifted = flows - self.minimum
        if self.kind == "log-minmax":
            shifted = torch.log1p(torch.clamp(shifted, min=0.0))
        return torch.clamp(shifted / self.divisor, 0.0, 1.0)


class FlowLstm(nn.Module):
    """Scaling, one or two LSTM layers, two dense layers; ``forward`` returns logits ``[batch]``."""

    def __init__(self, architecture: int, features: int, minimum: np.ndarray, maximum: np.ndarray, scaling: str = "minmax"):
        super().__init__()
        spec = ARCHITECTURES[architecture]
        self.architecture = architecture
        self.scaling = MinMaxScaling(minimum, maximum, scaling)
        self.first = nn.LSTM(features, spec["lstm"][0], batch_first=True)
        self.first_dropout = nn.Dropout(spec["dropout"][0])
        self.second = nn.LSTM(spec["lstm"][0], spec["lstm"][1], batch_first=True) if architecture == 2 else None
        self.second_dropout = nn.Dropout(spec["dropout"][1]) if architecture == 2 else None
        last_width = spec["lstm"][-1]
        self.dense = nn.Linear(last_width, spec["dense"])
        self.output = nn.Linear(spec["dense"], 1)

    def forward(self, flows: torch.Tensor) -> torch.Tensor:
        sequence, _ = self.first(self.scaling(flows))
        sequence = self.first_dropout(sequence)
        if self.second is not None:
            sequence, _ = self.second(sequence)
            sequence = self.second_dropout(sequence)
        last = sequence[:, -1, :]
        return self.output(torch.relu(self.dense(last))).squeeze(-1)


class AttackProbability(nn.Module):
    """The exported graph: raw windows ``[batch, 10, features]`` to probabilities ``[batch]``."""

    def __init__(self, network: FlowLstm):
        super().__init__()
        self.network = network

    def forward(self, flows: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.network(flows))
