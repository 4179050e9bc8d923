"""The run store: each finished training kept on disk as a folder, then found, listed, loaded, deleted."""

import dataclasses
import datetime
import errno
import functools
import json
import os
import pathlib
import platform
import secrets
import shutil
import time
import uuid

import keras
import numpy as np
import tensorflow as tf

from mnist_core.config import NUM_CLASSES, TrainConfig
from mnist_core.train import HISTORY_KEYS, train_run

FORMAT_VERSION = 1
# Versions of run.json this module reads; folders written in any other version are skipped.
SUPPORTED_FORMAT_VERSIONS = (1,)
RUN_FILE = "run.json"
MODEL_FILE = "model.keras"
RUNS_DIR_VARIABLE = "MNIST_RUNS_DIR"
# Folders still being written (or being deleted) carry this prefix, so listings never see them.
TEMPORARY_PREFIX = ".tmp-"
# A temporary folder this old belongs to a killed process; a younger one may still be in use.
STALE_TEMPORARY_SECONDS = 3600
# Stored probabilities are rounded, which keeps run.json small without changing any prediction.
PROBABILITY_DECIMALS = 4
_ID_ATTEMPTS = 5
# How run.json stores each test-set array: its dtype and shape, -1 where the length varies.
_TEST_ARRAYS = {
    "confusion": (np.int64, (NUM_CLASSES, NUM_CLASSES)),
    "per_class_accuracy": (np.float64, (NUM_CLASSES,)),
    "misclassified": (np.int64, (-1,)),
    "misclassified_probabilities": (np.float32, (-1, NUM_CLASSES)),
}


class RunNotFoundError(LookupError):
    """Raised when the store holds no run with the asked-for id."""


class CorruptRunError(ValueError):
    """Raised when a run folder exists but its run.json or model cannot be used."""


def default_runs_dir():
    """Returns $MNIST_RUNS_DIR if set, else ~/.mnist_dashboard/runs, as an absolute path."""
    chosen = os.environ.get(RUNS_DIR_VARIABLE) or os.path.join("~", ".mnist_dashboard", "runs")
    return os.path.abspath(os.path.expanduser(chosen))


@dataclasses.dataclass(frozen=True, eq=False)
class Run:
    """One stored training run; runs compare by identity, as numpy fields have no truth value."""

    run_id: str  # Folder name, sortable by creation time: "20261201-081530-<key[:8]>-<4 hex>".
    config: TrainConfig  # The settings trained.
    config_key: str  # config.key() when the run was saved; find() matches on it.
    history: dict  # Per-epoch lists of loss, accuracy, val_loss, val_accuracy and seconds.
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

    @property
    def epochs_trained(self):
        """Number of whole epochs trained; a stopped run's last history entry counts as partial."""
        return len(self.history["loss"]) - (1 if self.stopped else 0)

    @property
    def label(self):
        """Returns a short human label such as '2×50 relu, 5 ep, batch 100 · 96.77%'."""
        label = f"{self.config.describe()} · {self.test_accuracy:.2%}"
        return f"{label} (stopped)" if self.stopped else label

    def load_model(self):
        """Returns the trained Keras model, read from disk once per process for fast prediction.

        Every caller that loads this run gets the same model object, so use it for inference only
        and never fit() it: other dashboard sessions may be predicting with it at the same time.

        Raises:
            FileNotFoundError: when the run's folder was deleted after the run was read.
        """
        model_path = os.path.join(self.path, MODEL_FILE)
        return _load_model_cached(model_path, os.stat(model_path).st_mtime_ns)


@functools.lru_cache(maxsize=8)
def _load_model_cached(model_path, modified):
    # The modification time is only part of the cache key, so a replaced file is read again.
    del modified
    return keras.saving.load_model(model_path, compile=False)


class RunStore:
    """A folder holding one subfolder per run, safe for several processes saving at once.

    There is no index file: listing scans the subfolders, and a save becomes visible only when
    one atomic rename gives its folder the final name, so no lock is needed.

    Attributes:
        root: the folder holding the runs; the first save creates it.
        warnings: one message per unreadable run folder met by the last `list()`, naming the folder.
    """

    def __init__(self, root=None):
        self.root = os.path.abspath(os.path.expanduser(root or default_runs_dir()))
        self.warnings = []

    def save(self, result):
        """Stores a `TrainResult` (finished or stopped) and returns it as a `Run`.

        Everything is written and flushed in a hidden temporary folder that is then renamed to the
        run id, so a process killed at any moment leaves either a complete run or a hidden folder.
        """
        os.makedirs(self.root, exist_ok=True)
        temporary = os.path.join(self.root, f"{TEMPORARY_PREFIX}{uuid.uuid4().hex}")
        os.mkdir(temporary)
        try:
            result.model.save(os.path.join(temporary, MODEL_FILE))
            _fsync_path(os.path.join(temporary, MODEL_FILE))
            record = _result_record(result)
            run_path = self._publish(temporary, record)
        except BaseException:
            shutil.rmtree(temporary, ignore_errors=True)
            raise
        return _record_to_run(record, run_path)

    def list(self):
        """Returns every readable run, newest first.

        Folders with a missing or broken run.json, an unknown format_version or no model are
        skipped, and `self.warnings` is replaced by one message per skipped folder.
        """
        runs, self.warnings = self._read_runs(self._run_names())
        return sorted(runs, key=_recency, reverse=True)

    def find(self, config):
        """Returns the newest complete (not stopped) run trained with exactly `config`, or None."""
        key = config.key()
        # Run ids embed the start of the config key, so only those folders need to be read.
        runs, _ = self._read_runs(name for name in self._run_names() if f"-{key[:8]}-" in name)
        matches = [run for run in runs if run.config_key == key and not run.stopped]
        return max(matches, key=_recency, default=None)

    def load(self, run_id):
        """Returns the run `run_id`; raises RunNotFoundError or CorruptRunError."""
        return _read_run(self._existing_path(run_id))

    def delete(self, run_id):
        """Removes the run `run_id` (even a corrupt one); raises RunNotFoundError for unknown ids."""
        path = self._existing_path(run_id)
        # Renaming first hides the run at once, even if removing its files is interrupted.
        doomed = os.path.join(self.root, f"{TEMPORARY_PREFIX}deleted-{uuid.uuid4().hex}")
        os.rename(path, doomed)
        shutil.rmtree(doomed)

    def export(self, run_id):
        """Returns {"run.json": bytes, "model.keras": bytes} of the run `run_id`, for downloads."""
        run = self.load(run_id)
        return {name: pathlib.Path(run.path, name).read_bytes() for name in (RUN_FILE, MODEL_FILE)}

    def _publish(self, temporary, record):
        """Writes run.json under a fresh id and renames the folder to it, retrying on a clash."""
        created = datetime.datetime.fromisoformat(record["created_at"])
        for _ in range(_ID_ATTEMPTS):
            record["run_id"] = f"{created:%Y%m%d-%H%M%S}-{record['config_key'][:8]}-{secrets.token_hex(2)}"
            _write_json(os.path.join(temporary, RUN_FILE), record)
            _fsync_path(temporary)
            run_path = os.path.join(self.root, record["run_id"])
            try:
                os.rename(temporary, run_path)
            except OSError as error:
                if error.errno not in (errno.EEXIST, errno.ENOTEMPTY):
                    raise
                continue
            _fsync_path(self.root)
            return run_path
        raise FileExistsError(f"No free run id in {self.root} after {_ID_ATTEMPTS} attempts.")

    def _read_runs(self, names):
        """Returns the readable runs among folders `names` and one warning per unreadable one."""
        runs, warnings = [], []
        for name in names:
            try:
                runs.append(_read_run(os.path.join(self.root, name)))
            except CorruptRunError as error:
                warnings.append(f"Skipped run folder {name!r}: {error}")
        return runs, warnings

    def _run_names(self):
        """Returns the run folder names, removing temporary folders left by killed processes."""
        try:
            entries = [entry for entry in os.scandir(self.root) if entry.is_dir()]
        except FileNotFoundError:
            return []
        for entry in entries:
            if entry.name.startswith(TEMPORARY_PREFIX):
                _remove_if_stale(entry.path)
        return [entry.name for entry in entries if not entry.name.startswith(".")]

    def _existing_path(self, run_id):
        valid = isinstance(run_id, str) and os.path.basename(run_id) == run_id and not run_id.startswith(".")
        path = os.path.join(self.root, run_id) if valid and run_id else None
        if path is None or not os.path.isdir(path):
            raise RunNotFoundError(f"No run with id {run_id!r} in {self.root}.")
        return path


def train_or_reuse(config, store, retrain=False, **train_kwargs):
    """Returns a stored run of `config`, training and saving a new one only when needed.

    Args:
        config: the `TrainConfig` wanted.
        store: the `RunStore` to look in and save to.
        retrain: train a new run even when a finished one is stored.
        **train_kwargs: passed to `train_run` (data_dir, on_progress, should_stop, download).

    Returns:
        (run, reused), where reused is True when the run came from the store without training.
        A stopped training is saved too (run.stopped is True) but is never reused later.
    """
    if not retrain:
        stored = store.find(config)
        if stored is not None:
            return stored, True
    result = train_run(config, **train_kwargs)
    return store.save(result), False


def _result_record(result):
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
        "created_at": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="microseconds"),
        "versions": _library_versions(),
    }


def _record_to_run(record, path):
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
        history={key: [float(value) for value in record["history"][key]] for key in HISTORY_KEYS},
        test_loss=float(test["loss"]),
        test_accuracy=float(test["accuracy"]),
        **arrays,
        stopped=bool(record["stopped"]),
        timings=dict(record["timings"]),
        versions=dict(record["versions"]),
        created_at=created.isoformat(timespec="microseconds"),
        path=path,
    )


def _read_run(path):
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
        return _record_to_run(record, path)
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise CorruptRunError(f"{path}/{RUN_FILE} is incomplete or invalid ({error!r}).") from None


def _recency(run):
    return run.created_at, run.run_id


def _library_versions():
    import tensorflow_datasets as tfds  # Already imported by training, so this costs nothing then.

    return {
        "python": platform.python_version(),
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "numpy": np.__version__,
        "tfds": tfds.__version__,
    }


def _write_json(path, record):
    with open(path, "w", encoding="utf-8") as file:
        json.dump(record, file, separators=(",", ":"))
        file.flush()
        os.fsync(file.fileno())


def _fsync_path(path):
    """Flushes a file or folder entry to disk, so a crash after the rename cannot lose its contents."""
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _remove_if_stale(path):
    try:
        age = time.time() - os.stat(path).st_mtime
    except FileNotFoundError:
        return
    if age > STALE_TEMPORARY_SECONDS:
        shutil.rmtree(path, ignore_errors=True)
