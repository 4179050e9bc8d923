"""Checking that a stored run's figures and model file agree with each other before anyone uses them.

A run.json edited by hand, cut short by a full disk or copied from elsewhere can parse and still
hold figures no page can show (empty curves, a NaN accuracy, a test index past the test set) or
describe another network than its model file holds. Each check raises ValueError naming what is
wrong, and the store skips such a run with that message instead of letting a page crash on it.
"""

import json
import math
import zipfile

import numpy as np

from mnist_core import keras_file
from mnist_core.config import IMAGE_SHAPE, NUM_CLASSES

# Timings every page reads; older runs all recorded these.
REQUIRED_TIMINGS = ("train_seconds",)


def check_run(run, model_path):
    """Raises ValueError when `run` (a `Run`) or the model file at `model_path` cannot be trusted.

    Losses may be NaN or infinite: a diverged training is a real result worth keeping. Accuracies,
    counts, indices and timings must be finite and in range.
    """
    _check_history(run.history)
    _check_test_figures(run)
    _check_timings(run.timings)
    check_model_file(model_path, run.config)


def _check_history(history):
    lengths = {len(values) for values in history.values()}
    if lengths == {0}:
        raise ValueError("the history has no epochs")
    for key in ("accuracy", "val_accuracy"):
        _check_shares(history[key], f"history {key}")
    if not all(0 < fraction <= 1 for fraction in history["epoch_fraction"]):
        raise ValueError("history epoch_fraction must lie in (0, 1]")
    if not all(math.isfinite(seconds) and seconds >= 0 for seconds in history["seconds"]):
        raise ValueError("history seconds must be finite and not negative")


def _check_test_figures(run):
    _check_shares([run.test_accuracy], "test accuracy")
    _check_shares(run.per_class_accuracy, "per-class accuracy")
    if (run.confusion < 0).any():
        raise ValueError("the confusion matrix holds negative counts")
    test_size = int(run.confusion.sum())
    if test_size == 0:
        raise ValueError("the confusion matrix is empty")
    wrong = run.misclassified
    if len(wrong) and (wrong.min() < 0 or wrong.max() >= test_size):
        raise ValueError(f"misclassified indices must lie in 0–{test_size - 1}, got {wrong.min()}–{wrong.max()}")
    if len(np.unique(wrong)) != len(wrong):
        raise ValueError("misclassified indices repeat")
    probabilities = run.misclassified_probabilities
    # NaN probabilities come from a diverged network, like NaN losses; anything else is damage.
    known = probabilities[~np.isnan(probabilities)]
    if known.size and (known.min() < 0 or known.max() > 1):
        raise ValueError("misclassified probabilities must lie in [0, 1]")


def _check_shares(values, name):
    values = np.asarray(values, dtype=np.float64)
    if not (np.isfinite(values).all() and (values >= 0).all() and (values <= 1).all()):
        raise ValueError(f"{name} must be finite and lie in [0, 1]")


def _check_timings(timings):
    missing = [name for name in REQUIRED_TIMINGS if name not in timings]
    if missing:
        raise ValueError(f"timings lack {', '.join(missing)}")
    for name, seconds in timings.items():
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not 0 <= seconds < math.inf:
            raise ValueError(f"timing {name} must be a finite number of seconds, got {seconds!r}")


def check_model_file(model_path, config):
    """Raises ValueError unless the .keras file holds the network `config` describes.

    Only the architecture in the zip's config.json is read (milliseconds, no TensorFlow), so every
    listing can afford it; weights that cannot be read show up when the model is loaded.
    """
    try:
        with zipfile.ZipFile(model_path) as archive:
            architecture = keras_file.read_config(archive)
    except (zipfile.BadZipFile, KeyError, EOFError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"its model file is not a readable .keras archive ({error})") from error
    input_shape, units = _architecture(architecture)
    if input_shape != IMAGE_SHAPE:
        raise ValueError(f"its model takes inputs of shape {input_shape}, not {IMAGE_SHAPE}")
    expected = [config.hidden_size] * config.hidden_layers + [NUM_CLASSES]
    if units != expected:
        raise ValueError(f"its model's Dense layers have {units} units, but its settings say {expected}")


def _architecture(architecture):
    """Returns (input shape without the batch axis, [units of each Dense layer]) of a Keras config."""
    try:
        layers = architecture["config"]["layers"]
        inputs = [layer for layer in layers if layer["class_name"] == "InputLayer"]
        batch_shape = inputs[0]["config"]["batch_shape"] if inputs else layers[0]["build_config"]["input_shape"]
        units = [layer["config"]["units"] for layer in layers if layer["class_name"] == "Dense"]
    except (KeyError, IndexError, TypeError) as error:
        raise ValueError(f"its model's architecture cannot be read ({error!r})") from error
    return tuple(batch_shape[1:]), units
