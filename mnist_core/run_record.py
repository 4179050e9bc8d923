"""The on-disk run record: the `Run` one run folder holds, its run.json format, and reading it back."""

import dataclasses
import datetime
import functools
import json
import os
import platform
import tempfile

import numpy as np

# Keras and TensorFlow are imported only inside the functions a training worker calls (saving a
# model, recording versions): the web server reads runs and their networks without them.
from mnist_core.config import HISTORY_KEYS, NUM_CLASSES, TrainConfig
from mnist_core.network import read_network
from mnist_core.run_checks import check_run

FORMAT_VERSION = 1
# Versions of run.json this module reads; folders written in any other version are skipped.
SUPPORTED_FORMAT_VERSIONS = (1,)
RUN_FILE = "run.json"
MODEL_FILE = "model.keras"
# Stored probabilities are rounded, which keeps run.json small without changing any prediction.
PROBABILITY_DECIMALS = 4
# How run.json stores each test-set array: its dtype and shape, -1 where the length varies.
_TEST_ARRAYS = {
    "confusion": (np.int64, (NUM_CLASSES, NUM_CLASSES)),
    "per_class_accuracy": (np.float64, (NUM_CLASSES,)),
    "misclassified": (np.int64, (-1,)),
    "misclassified_probabilities": (np.float32, (-1, NUM_CLASSES)),
}


class CorruptRunError(ValueError):
    """Raised when a run folder exists but its run.json or model cannot be used."""


@dataclasses.dataclass(frozen=True, eq=False)
class Run:
    """One stored training run; runs compare by identity, as numpy fields have no truth value."""

    run_id: str  # Folder name, sortable by creation time: "20261201-081530-<key[:8]>-<4 hex>".
    config: TrainConfig  # The settings trained.
    config_key: str  # config.key() when the run was saved; find() matches on it.
    # Per-epoch lists under config.HISTORY_KEYS: loss, accuracy, val_loss, val_accuracy, seconds and
    # epoch_fraction (1.0 for a whole epoch, less for the part a stop cut short).
    history: dict
    test_loss: float  # Mean cross-entropy on the test split.
    test_accuracy: float  # Share of test images classified correctly.
    confusion: np.ndarray  # (10, 10) int64 counts; rows are true classes, columns predictions.
    per_class_accuracy: np.ndarray  # (10,) test accuracy per true class.
    # The two long arrays stay out of repr(), which would otherwise run to thousands of numbers.
    misclassified: np.ndarray = dataclasses.field(repr=False)  # int64 test indices predicted wrongly.
    misclassified_probabilities: np.ndarray = dataclasses.field(repr=False)  # (n, 10) float32, 4 decimals.
    stopped: bool  # True when training stopped before its last epoch; such runs are never reused.
    timings: dict  # load_seconds, train_seconds and test_seconds.
    versions: dict  # python, tensorflow, keras, numpy and tfds versions that trained the run.
    created_at: str  # UTC save time in ISO 8601, e.g. "2026-12-01T08:15:30.123456+00:00".
    path: str  # The run's folder.
    owner: str | None = None  # Id of the browser session that trained it; None for the CLI and older runs.

    @property
    def epochs_trained(self):
        """Number of whole epochs trained (a stop can cut the last one short)."""
        return sum(fraction == 1.0 for fraction in self.history["epoch_fraction"])

    def load_model(self):
        """Returns the trained network as a NumPy `Network`, read from disk once per process.

        Reading needs neither Keras nor TensorFlow, so the web server never imports them. Every
        caller that loads this run gets the same object; never modify its arrays: other dashboard sessions predict with it too.

        Raises:
            FileNotFoundError: when the run's folder was deleted after the run was read.
            CorruptRunError: when the model file cannot be read or is not a 28×28 → 10 network.
        """
        model_path = os.path.join(self.path, MODEL_FILE)
        return _load_model_cached(model_path, os.stat(model_path).st_mtime_ns)


@functools.lru_cache(maxsize=8)
def _load_model_cached(model_path, modified):
    # The modification time is only part of the cache key, so a replaced file is read again.
    del modified
    try:
        return read_network(model_path)
    except FileNotFoundError:
        raise
    except ValueError as error:
        raise CorruptRunError(f"{model_path} cannot be loaded: {error}.") from error


def model_to_bytes(model):
    """Returns the `.keras` file of `model` as bytes, so a run can travel from a worker to the store."""
    with tempfile.TemporaryDirectory(prefix="mnist-model-") as folder:
        path = os.path.join(folder, MODEL_FILE)
        model.save(path)
        with open(path, "rb") as file:
            return file.read()


def result_to_record(result, created_at, owner=None):
    """Returns the run.json dict of a `TrainResult` saved at `created_at` (UTC ISO 8601), run_id unset.

    `created_at` may be None when the store that saves the record stamps the time itself.
    """
    evaluation = result.evaluation
    probabilities = np.asarray(evaluation.misclassified_probabilities, dtype=np.float64)
    return {
        "format_version": FORMAT_VERSION,
        "run_id": None,
        "config": result.config.to_dict(),
        "config_key": result.config.key(),
        "history": {key: [float(value) for value in result.history[key]] for key in HISTORY_KEYS},
        "test": {
            "loss": float(evaluation.loss),
            "accuracy": float(evaluation.accuracy),
            "confusion": np.asarray(evaluation.confusion).astype(int).tolist(),
            "per_class_accuracy": np.asarray(evaluation.per_class_accuracy, dtype=np.float64).tolist(),
            "misclassified": np.asarray(evaluation.misclassified).astype(int).tolist(),
            "misclassified_probabilities": np.round(probabilities, PROBABILITY_DECIMALS).tolist(),
        },
        "stopped": bool(result.stopped),
        "timings": {name: float(seconds) for name, seconds in result.timings.items()},
        "created_at": created_at,
        "versions": _library_versions(),
        "owner": owner,
    }


def record_to_run(record, path):
    """Returns the `Run` that the run.json dict `record` describes, for the run folder `path`."""
    test = record["test"]
    arrays = {
        name: np.asarray(test[name], dtype=dtype).reshape(shape)
        for name, (dtype, shape) in _TEST_ARRAYS.items()
    }
    if len(arrays["misclassified"]) != len(arrays["misclassified_probabilities"]):
        raise ValueError("misclassified and misclassified_probabilities differ in length")
    created = datetime.datetime.fromisoformat(record["created_at"])
    # One zone and one format make the strings sort in time order.
    utc = datetime.timezone.utc
    created = created.astimezone(utc) if created.tzinfo else created.replace(tzinfo=utc)
    return Run(
        run_id=os.path.basename(path),
        config=TrainConfig.from_dict(record["config"]),
        config_key=str(record["config_key"]),
        history=_history(record["history"]),
        test_loss=float(test["loss"]),
        test_accuracy=float(test["accuracy"]),
        **arrays,
        stopped=bool(record["stopped"]),
        timings=dict(record["timings"]),
        versions=dict(record["versions"]),
        created_at=created.isoformat(timespec="microseconds"),
        path=path,
        owner=_owner(record.get("owner")),
    )


def _owner(saved):
    if saved is not None and not (isinstance(saved, str) and saved):
        raise ValueError(f"owner must be a non-empty string or null, got {saved!r}")
    return saved


def _history(saved):
    """Returns the per-epoch history of a run.json, filling what older files did not record.

    Runs saved before "epoch_fraction" existed recorded whole epochs only, as far as is known.
    """
    saved = dict(saved)
    saved.setdefault("epoch_fraction", [1.0] * len(saved["loss"]))
    history = {key: [float(value) for value in saved[key]] for key in HISTORY_KEYS}
    if len({len(values) for values in history.values()}) != 1:
        raise ValueError("the history's lists differ in length")
    return history


def read_run(path):
    """Reads the run in folder `path`, raising CorruptRunError that names the folder."""
    try:
        with open(os.path.join(path, RUN_FILE), encoding="utf-8") as file:
            record = json.load(file)
    except FileNotFoundError:
        raise CorruptRunError(f"{path} has no {RUN_FILE}.") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise CorruptRunError(f"{path}/{RUN_FILE} cannot be parsed ({error}).") from None
    version = record.get("format_version") if isinstance(record, dict) else None
    if version not in SUPPORTED_FORMAT_VERSIONS:
        raise CorruptRunError(
            f"{path} has format_version {version!r}; this version reads {SUPPORTED_FORMAT_VERSIONS}."
        )
    if not os.path.isfile(os.path.join(path, MODEL_FILE)):
        raise CorruptRunError(f"{path} has no {MODEL_FILE}.")
    try:
        run = record_to_run(record, path)
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise CorruptRunError(f"{path}/{RUN_FILE} is incomplete or invalid ({error!r}).") from None
    try:
        check_run(run, os.path.join(path, MODEL_FILE))
    except (OSError, ValueError) as error:
        raise CorruptRunError(f"{path} is not a usable run: {error}.") from None
    return run


def _library_versions():
    # Already imported by training, so these cost nothing then.
    import keras
    import tensorflow as tf
    import tensorflow_datasets as tfds

    return {
        "python": platform.python_version(),
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "numpy": np.__version__,
        "tfds": tfds.__version__,
    }
