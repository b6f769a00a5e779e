"""Scores of a model on labelled windows, and the choice of the decision threshold."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import roc_auc_score


def choose_threshold(probabilities: np.ndarray, attack: np.ndarray, max_benign_fpr: float) -> dict:
    """Pick the lowest threshold whose false-positive rate on benign validation windows is at
    most ``max_benign_fpr``; a window is labelled attack when its probability is >= threshold.

    The lowest such threshold gives the highest recall the FPR bound allows. Without benign
    windows the threshold is 0.5.
    """
    benign = np.sort(probabilities[~attack])
    if benign.size == 0:
        return {"value": 0.5, "rule": "0.5: the validation split has no benign windows"}
    allowed = int(np.floor(max_benign_fpr * benign.size))
    # With `allowed` false positives permitted, the threshold sits just above the benign score
    # ranked `allowed + 1` from the top.
    boundary = float(benign[benign.size - 1 - allowed])
    threshold = float(np.nextafter(np.float32(boundary), np.float32(np.inf)))
    threshold = min(max(threshold, 1e-6), 1.0)
    return {
        "value": threshold,
        "rule": f"lowest threshold with benign false-positive rate <= {max_benign_fpr} on the validation windows ({benign.size} benign)",
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
