"""Tests of the evaluation figures against hand-computed references."""

import numpy as np

from mnist_core.evaluate import evaluate_probabilities


def test_confusion_per_class_and_misclassified_on_a_known_case():
    labels = np.array([0, 0, 1, 2])
    probabilities = np.full((4, 10), 0.01)
    probabilities[[0, 1, 2, 3], [0, 1, 1, 2]] = 0.91
    evaluation = evaluate_probabilities(probabilities, labels)
    assert evaluation.accuracy == 0.75
    assert np.isclose(evaluation.loss, -(3 * np.log(0.91) + np.log(0.01)) / 4)
    assert evaluation.confusion[0, 0] == 1 and evaluation.confusion[0, 1] == 1
    assert evaluation.confusion.sum() == 4
    assert evaluation.per_class_accuracy[:3].tolist() == [0.5, 1.0, 1.0]
    assert evaluation.per_class_accuracy[3] == 0.0, "a class with no images scores 0, not NaN"
    assert evaluation.misclassified.tolist() == [1]
    assert evaluation.misclassified_probabilities.shape == (1, 10)


def test_tiny_run_confusion_rows_count_each_class(data_dir, tiny_result):
    from mnist_core.data import load_dataset

    labels = load_dataset("mnist", data_dir=data_dir).test_labels
    assert tiny_result.evaluation.confusion.sum(axis=1).tolist() == np.bincount(labels).tolist()
