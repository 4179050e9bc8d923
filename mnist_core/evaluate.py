"""Measuring a trained network: test metrics from its probabilities, and where it goes wrong.

The probabilities themselves come from `mnist_core.network.Network.probabilities`.
"""

import dataclasses

import numpy as np

from mnist_core.config import NUM_CLASSES

# Keras clips probabilities by this before taking the log, so the loss stays finite.
_EPSILON = 1e-7


@dataclasses.dataclass(frozen=True)
class Evaluation:
    """Test-set figures of one network.

    Attributes:
        loss: mean sparse categorical cross-entropy.
        accuracy: share of images whose most probable class is the true one.
        confusion: (10, 10) int counts, rows are true classes and columns predictions.
        per_class_accuracy: (10,) accuracy on the images of each true class.
        misclassified: indices into the test split of the images predicted wrongly.
        misclassified_probabilities: (len(misclassified), 10) probabilities for those images.
    """

    loss: float
    accuracy: float
    confusion: np.ndarray
    per_class_accuracy: np.ndarray
    misclassified: np.ndarray
    misclassified_probabilities: np.ndarray


def loss_and_accuracy(probabilities, labels):
    """Returns the mean cross-entropy and the accuracy of predicted `probabilities`."""
    true_class_probability = probabilities[np.arange(len(labels)), labels]
    loss = -np.log(np.clip(true_class_probability, _EPSILON, 1.0 - _EPSILON)).mean()
    accuracy = (probabilities.argmax(axis=1) == labels).mean()
    return float(loss), float(accuracy)


def evaluate_probabilities(probabilities, labels):
    """Builds the full `Evaluation` from test-set probabilities and true labels."""
    labels = np.asarray(labels, dtype=np.int64)
    predictions = probabilities.argmax(axis=1)
    loss, accuracy = loss_and_accuracy(probabilities, labels)
    confusion = np.zeros((NUM_CLASSES, NUM_CLASSES), dtype=np.int64)
    np.add.at(confusion, (labels, predictions), 1)
    class_totals = confusion.sum(axis=1)
    per_class_accuracy = np.divide(
        np.diag(confusion), class_totals, out=np.zeros(NUM_CLASSES), where=class_totals > 0
    )
    misclassified = np.flatnonzero(predictions != labels)
    return Evaluation(
        loss=loss,
        accuracy=accuracy,
        confusion=confusion,
        per_class_accuracy=per_class_accuracy,
        misclassified=misclassified,
        misclassified_probabilities=probabilities[misclassified].astype(np.float32),
    )


def cell_indices(labels, misclassified, misclassified_probabilities, true_class, predicted_class):
    """Returns the test images in one cell of the confusion matrix, the surest mistakes first.

    Args:
        labels: the true class of every test image.
        misclassified: indices into `labels` of the images predicted wrongly.
        misclassified_probabilities: (len(misclassified), 10) probabilities of those images.
        true_class: the cell's row, a class index.
        predicted_class: the cell's column, a class index.

    Returns:
        (indices, confidences): the test indices of the images of class `true_class` predicted as
        `predicted_class`, and the probability each was given for `predicted_class`. A diagonal
        cell holds correctly classified images, in test order; a run keeps no probabilities for
        them, so their confidences are NaN.

    Raises:
        ValueError: when a class index is outside 0–9.
    """
    for name, value in (("true_class", true_class), ("predicted_class", predicted_class)):
        if not 0 <= value < NUM_CLASSES:
            raise ValueError(f"{name} must be a class index from 0 to {NUM_CLASSES - 1}, got {value!r}.")
    labels = np.asarray(labels)
    misclassified = np.asarray(misclassified, dtype=np.int64)
    probabilities = np.asarray(misclassified_probabilities, dtype=np.float64).reshape(-1, NUM_CLASSES)
    if true_class == predicted_class:
        correct = np.ones(len(labels), dtype=bool)
        correct[misclassified] = False
        indices = np.flatnonzero(correct & (labels == true_class))
        return indices, np.full(len(indices), np.nan)
    in_cell = (labels[misclassified] == true_class) & (probabilities.argmax(axis=1) == predicted_class)
    confidences = probabilities[in_cell, predicted_class]
    order = np.argsort(-confidences, kind="stable")
    return misclassified[in_cell][order], confidences[order]
