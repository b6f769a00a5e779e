"""Write the trained model: ONNX graph, PyTorch weights, learning curves."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import torch  # noqa: E402

from models import AttackProbability, FlowLstm  # noqa: E402
from windows import WINDOW_LENGTH  # noqa: E402

ONNX_OPSET = 17
INPUT_NAME = "flows"
OUTPUT_NAME = "attack_probability"


def export_onnx(network: FlowLstm, features: int, path: Path) -> None:
    """Export raw windows ``[batch, 10, features]`` float32 -> probabilities ``[batch]`` float32."""
    wrapper = AttackProbability(network).eval()
    example = torch.zeros(2, WINDOW_LENGTH, features, dtype=torch.float32)
    torch.onnx.export(
        wrapper,
        example,
        str(path),
        opset_version=ONNX_OPSET,
        input_names=[INPUT_NAME],
        output_names=[OUTPUT_NAME],
        dynamic_axes={INPUT_NAME: {0: "batch"}, OUTPUT_NAME: {0: "batch"}},
        do_constant_folding=True,
    )


def save_weights(network: FlowLstm, feature_names: list[str], path: Path) -> None:
    """Save what the parity script needs to rebuild the PyTorch model."""
    torch.save(
        {
            "architecture": network.architecture,
            "scaling": network.scaling.kind,
            "featureNames": feature_names,
            "minimum": network.scaling.minimum.numpy(),
            "divisor": network.scaling.divisor.numpy(),
            "stateDict": network.state_dict(),
        },
        path,
    )


def load_weights(path: Path) -> FlowLstm:
    saved = torch.load(path, map_location="cpu")
    minimum = saved["minimum"]
    # The divisor is stored, not max, so rebuild with max = min + divisor and then restore the
    # exact buffers from the state dict.
    network = FlowLstm(saved["architecture"], len(saved["featureNames"]), minimum, minimum + saved["divisor"], saved.get("scaling", "minmax"))
    network.scaling.kind = saved.get("scaling", "minmax")
    network.load_state_dict(saved["stateDict"])
    return network.eval()


def plot_learning_curves(history: list[dict], best_epoch: int, title: str, path: Path) -> None:
    epochs = [entry["epoch"] for entry in history]
    figure, (loss_axis, accuracy_axis) = plt.subplots(1, 2, figsize=(10, 4))
    loss_axis.plot(epochs, [entry["trainLoss"] for entry in history], marker="o", label="train")
    loss_axis.plot(epochs, [entry["validationLoss"] for entry in history], marker="o", label="validation")
    loss_axis.set_xlabel("epoch")
    loss_axis.set_ylabel("weighted binary cross-entropy")
    accuracy_axis.plot(epochs, [entry["trainAccuracy"] for entry in history], marker="o", label="train")
    accuracy_axis.plot(epochs, [entry["validationAccuracy"] for entry in history], marker="o", label="validation")
    accuracy_axis.set_xlabel("epoch")
    accuracy_axis.set_ylabel("accuracy at probability 0.5")
    for axis in (loss_axis, accuracy_axis):
        axis.axvline(best_epoch, color="grey", linestyle="--", linewidth=1, label=f"kept: epoch {best_epoch}")
        axis.legend()
        axis.grid(alpha=0.3)
    figure.suptitle(title)
    figure.tight_layout()
    figure.savefig(path, dpi=80)
    plt.close(figure)
