"""Scores of a model on labelled windows, and the choice of the decision threshold."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import roc_auc_score


def _logit(probability: float) -> float:
    clipped = min(max(probability, 1e-7), 1 - 1e-7)
    return float(np.log(clipped / (1 - clipped)))


def choose_threshold(probabilities: np.ndarray, attack: np.ndarray, max_benign_fpr: float) -> dict:
    """Pick the decision threshold on validation windows (attack when probability >= threshold).

    The thresholds whose benign false-positive rate is at most ``max_benign_fpr`` and whose
    recall is the highest such form an interval: above the benign score that must be excluded,
    up to the lowest attack score above it. The threshold is the middle of that interval in logit
    space, so a validation set that separates the classes does not put it against the benign
    maximum. Without benign windows the threshold is 0.5.
    """
    benign = np.sort(probabilities[~attack].astype(np.float64))
    if benign.size == 0:
        return {"value": 0.5, "rule": "0.5: the validation split has no benign windows"}
    allowed = int(np.floor(max_benign_fpr * benign.size))
    # With `allowed` false positives permitted, the benign score ranked `allowed + 1` from the
    # top must fall below the threshold.
    boundary = float(benign[benign.size - 1 - allowed])
    above = probabilities[attack & (probabilities > boundary)].astype(np.float64)
    upper = float(above.min()) if above.size else 1.0
    middle = 1.0 / (1.0 + np.exp(-(_logit(boundary) + _logit(upper)) / 2))
    threshold = float(np.float32(min(max(middle, np.nextafter(np.float32(boundary), np.float32(1))), upper)))
    return {
        "value": threshold,
        "rule": (
            f"benign false-positive rate <= {max_benign_fpr} on {benign.size} benign validation windows at the highest "
            f"validation recall: between benign score {boundary:.6g} and attack score {upper:.6g}, midpoint in logit space"
        ),
    }


def score(probabilities: np.ndarray, attack: np.ndarray, families: np.ndarray, threshold: float) -> dict:
    """Return accuracy, precision, recall, F1, ROC-AUC, confusion matrix, recall per attack
    family and the false-positive rate on benign windows, at ``threshold``."""
    predicted = probabilities >= threshold
    tp = int((predicted & attack).sum())
    fp = int((predicted & ~attack).sum())
    fn = int((~predicted & attack).sum())
    tn = int((~predicted & ~attack).sum())
    total = tp + fp + fn + tn

    def ratio(numerator: int, denominator: int) -> float | None:
        return numerator / denominator if denominator else None

    precision = ratio(tp, tp + fp)
    recall = ratio(tp, tp + fn)
    f1 = 2 * precision * recall / (precision + recall) if precision and recall else (0.0 if precision is not None and recall is not None else None)
    both_classes = attack.any() and (~attack).any()
    recall_by_family = {}
    for family in sorted(set(families[attack])):
        members = attack & (families == family)
        recall_by_family[family] = {"windows": int(members.sum()), "recall": float(predicted[members].mean())}
    return {
        "windows": total,
        "attackWindows": tp + fn,
        "benignWindows": tn + fp,
        "threshold": threshold,
        "accuracy": ratio(tp + tn, total),
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "rocAuc": float(roc_auc_score(attack, probabilities)) if both_classes else None,
        "confusionMatrix": {"tn": tn, "fp": fp, "fn": fn, "tp": tp},
        "benignFpr": ratio(fp, fp + tn),
        "recallByFamily": recall_by_family,
    }
