"""Training loop: Adam, binary cross-entropy, early stopping on validation loss."""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from models import FlowLstm
from windows import gather


TRAIN_SCORE_SAMPLE = 20_000


@dataclass
class WindowSet:
    """Windows of one split: row indices into the shared value table, and labels."""

    indices: np.ndarray  # [windows, 10] row indices, -1 = padding
    attack: np.ndarray  # bool per window (label of the last flow)
    families: np.ndarray  # label string of the last flow

    def __len__(self) -> int:
        return len(self.attack)


@dataclass
class FitResult:
    history: list[dict] = field(default_factory=list)
    best_epoch: int = 0
    stopped_early: bool = False
    seconds: float = 0.0


def batches(windows: WindowSet, table: np.ndarray, batch_size: int, order: np.ndarray):
    """Yield (window positions, raw windows, targets); ``table`` comes from ``padded_table``."""
    for start in range(0, len(order), batch_size):
        chosen = order[start : start + batch_size]
        flows = torch.from_numpy(gather(table, windows.indices[chosen]))
        yield chosen, flows, torch.from_numpy(windows.attack[chosen].astype(np.float32))


def predict(network: FlowLstm, windows: WindowSet, table: np.ndarray, batch_size: int = 1024) -> np.ndarray:
    """Return attack probabilities for every window, in window order."""
    network.eval()
    output = np.empty(len(windows), dtype=np.float32)
    with torch.no_grad():
        for chosen, flows, _ in batches(windows, table, batch_size, np.arange(len(windows))):
            output[chosen] = torch.sigmoid(network(flows)).numpy()
    return output


def class_weights(attack: np.ndarray) -> tuple[float, float]:
    """Weights (benign, attack) so each class contributes equally to a loss over ``attack``."""
    if attack.all() or not attack.any():
        return 1.0, 1.0
    total = len(attack)
    return total / (2.0 * (~attack).sum()), total / (2.0 * attack.sum())


def sampling_probabilities(windows: WindowSet, mode: str) -> np.ndarray | None:
    """Per-window draw probabilities for ``balanced`` sampling, ``None`` for ``natural``.

    Balanced: half of each epoch is benign windows, the other half attack windows spread evenly
    over the attack families, so a flood with 30,000 flows does not drown a slow attack with 150.
    """
    if mode == "natural":
        return None
    families = sorted(set(windows.families[windows.attack]))
    benign = ~windows.attack
    probabilities = np.zeros(len(windows), dtype=np.float64)
    attack_share = 0.5 if benign.any() else 1.0
    if benign.any():
        probabilities[benign] = (1.0 - attack_share) / benign.sum()
    for family in families:
        members = windows.attack & (windows.families == family)
        probabilities[members] = attack_share / len(families) / members.sum()
    return probabilities / probabilities.sum()


def fit(
    network: FlowLstm,
    train: WindowSet,
    validation: WindowSet,
    table: np.ndarray,
    *,
    epochs: int,
    patience: int,
    batch_size: int,
    learning_rate: float,
    sampling: str,
    seed: int,
    max_windows_per_epoch: int | None = None,
    log=print,
) -> FitResult:
    """Train ``network`` in place and leave it with the weights of the best validation epoch."""
    generator = np.random.default_rng(seed)
    optimizer = torch.optim.Adam(network.parameters(), lr=learning_rate)
    # Validation loss weighs both classes equally, whatever the sampling, so it measures the
    # balanced objective that early stopping should follow.
    benign_weight, attack_weight = class_weights(validation.attack if len(validation) else train.attack)
    probabilities = sampling_probabilities(train, sampling)
    epoch_size = min(max_windows_per_epoch or len(train), len(train)) if probabilities is None else (max_windows_per_epoch or len(train))
    loss_function = nn.BCEWithLogitsLoss(reduction="none")
    result = FitResult()
    best_loss = float("inf")
    best_state = copy.deepcopy(network.state_dict())
    waited = 0
    started = time.monotonic()
    # The training loss and accuracy of each epoch are measured on a fixed sample so that a large
    # corpus does not double the epoch time.
    sample = np.sort(generator.permutation(len(train))[:TRAIN_SCORE_SAMPLE])
    train_sample = WindowSet(indices=train.indices[sample], attack=train.attack[sample], families=train.families[sample])


    def evaluate(windows: WindowSet) -> tuple[float, float]:
        network.eval()
        total_loss, total_weight, correct = 0.0, 0.0, 0
        with torch.no_grad():
            for _, flows, targets in batches(windows, table, 1024, np.arange(len(windows))):
                logits = network(flows)
                weights = targets * attack_weight + (1 - targets) * benign_weight
                total_loss += float((loss_function(logits, targets) * weights).sum())
                total_weight += float(weights.sum())
                correct += int(((logits >= 0).float() == targets).sum())
        return total_loss / max(total_weight, 1e-12), correct / max(len(windows), 1)

    for epoch in range(1, epochs + 1):
        network.train()
        if probabilities is None:
            order = generator.permutation(len(train))[:epoch_size]
        else:
            order = generator.choice(len(train), size=epoch_size, replace=True, p=probabilities)
        for _, flows, targets in batches(train, table, batch_size, order):
            optimizer.zero_grad()
            loss = loss_function(network(flows), targets).mean()
            loss.backward()
            optimizer.step()
        train_loss, train_accuracy = evaluate(train_sample)
        validation_loss, validation_accuracy = evaluate(validation) if len(validation) else (float("nan"), float("nan"))
        result.history.append(
            {
                "epoch": epoch,
                "trainLoss": train_loss,
                "validationLoss": validation_loss,
                "trainAccuracy": train_accuracy,
                "validationAccuracy": validation_accuracy,
            }
        )
        log(f"epoch {epoch}: train loss {train_loss:.5f} acc {train_accuracy:.5f}, validation loss {validation_loss:.5f} acc {validation_accuracy:.5f}")
        monitored = validation_loss if len(validation) else train_loss
        if monitored < best_loss:
            best_loss = monitored
            best_state = copy.deepcopy(network.state_dict())
            result.best_epoch = epoch
            waited = 0
        else:
            waited += 1
            if waited >= patience:
                result.stopped_early = True
                log(f"early stop: validation loss has not improved for {patience} epochs; best epoch {result.best_epoch}")
                break

    network.load_state_dict(best_state)
    network.eval()
    result.seconds = time.monotonic() - started
    return result
