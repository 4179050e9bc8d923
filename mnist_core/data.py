"""Dataset access: loading MNIST-style splits through tfds and the fixed validation split."""

import dataclasses
import os
import socket
import threading

import numpy as np
# Imported here, not on first use: importing tfds swaps Python's import function for the whole
# process for a moment, which breaks imports in other threads (a web server's, a trainer's).
import tensorflow_datasets as tfds

CLASS_NAMES = {
    "mnist": tuple(str(digit) for digit in range(10)),
    "fashion_mnist": (
        "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
        "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
    ),
}
_DEFAULT_DATA_DIR = os.path.join("~", "tensorflow_datasets")
# tfds downloads MNIST-style datasets from this host; reaching it tells whether a download can work.
_DOWNLOAD_HOST = "storage.googleapis.com"
# Larger than any split, so one batch holds a whole split.
_MAX_SPLIT_SIZE = 100_000


# Datasets already read, by (name, folder). The lock makes concurrent trainings share one read.
_CACHE = {}
_CACHE_LOCK = threading.Lock()


class DatasetUnavailableError(RuntimeError):
    """Raised when a dataset is neither prepared on disk nor downloadable."""


@dataclasses.dataclass(frozen=True)
class Dataset:
    """One dataset held in memory: uint8 images of shape (N, 28, 28, 1) and int64 labels."""

    name: str
    train_images: np.ndarray
    train_labels: np.ndarray
    test_images: np.ndarray
    test_labels: np.ndarray

    @property
    def class_names(self):
        """Returns the ten human-readable class names."""
        return CLASS_NAMES[self.name]


@dataclasses.dataclass(frozen=True)
class Split:
    """The training split divided once into the part trained on and the held-out part."""

    train_images: np.ndarray
    train_labels: np.ndarray
    val_images: np.ndarray
    val_labels: np.ndarray


def resolve_data_dir(data_dir=None):
    """Returns the folder tfds reads: `data_dir`, else $TFDS_DATA_DIR, else ~/tensorflow_datasets."""
    chosen = data_dir or os.environ.get("TFDS_DATA_DIR") or _DEFAULT_DATA_DIR
    return os.path.abspath(os.path.expanduser(chosen))


def is_prepared(name="mnist", data_dir=None):
    """Tells whether `name` is already prepared in the data dir, so loading needs no download."""
    dataset_root = os.path.join(resolve_data_dir(data_dir), name)
    if not os.path.isdir(dataset_root):
        return False
    return any(
        os.path.exists(os.path.join(dataset_root, version, "dataset_info.json"))
        for version in os.listdir(dataset_root)
    )


def load_dataset(name="mnist", data_dir=None, download=True):
    """Loads both splits of a tfds dataset into memory, once per process and folder.

    Args:
        name: "mnist" or "fashion_mnist".
        data_dir: tfds data folder; None means $TFDS_DATA_DIR or ~/tensorflow_datasets.
        download: whether tfds may download the dataset when it is not prepared yet.

    Returns:
        A `Dataset` whose arrays are shared between callers and must not be modified.

    Raises:
        ValueError: for a dataset name this project does not know.
        DatasetUnavailableError: when the data is missing and cannot be downloaded.
    """
    if name not in CLASS_NAMES:
        raise ValueError(f"dataset must be one of {', '.join(CLASS_NAMES)}, got {name!r}.")
    folder = resolve_data_dir(data_dir)
    with _CACHE_LOCK:
        if (name, folder) not in _CACHE:
            _CACHE[(name, folder)] = _read_tfds(name, folder, download)
        return _CACHE[(name, folder)]


def clear_cache():
    """Forgets the datasets held in memory, so the next load reads tfds again."""
    with _CACHE_LOCK:
        _CACHE.clear()


def _read_tfds(name, data_dir, download):
    if not is_prepared(name, data_dir):
        reason = "downloading is switched off" if not download else _offline_reason()
        if reason:
            raise DatasetUnavailableError(_missing_message(name, data_dir, reason))
    try:
        train_split, test_split = tfds.load(
            name=name, split=["train", "test"], as_supervised=True, data_dir=data_dir, download=download
        )
        train_images, train_labels = _to_arrays(train_split)
        test_images, test_labels = _to_arrays(test_split)
    except Exception as error:  # tfds raises many types for "absent" and "offline"; all mean the same here.
        raise DatasetUnavailableError(_missing_message(name, data_dir, _first_line(error))) from None
    return Dataset(name, train_images, train_labels, test_images, test_labels)


def _to_arrays(split):
    """Reads a whole tfds split of (image, label) pairs into two numpy arrays."""
    batches = list(tfds.as_numpy(split.batch(_MAX_SPLIT_SIZE)))
    return np.concatenate([b[0] for b in batches]), np.concatenate([b[1] for b in batches])


def _offline_reason():
    """Returns why tfds cannot download right now, or "" when its server answers.

    Without this check tfds retries an unreachable server for minutes before it gives up.
    """
    try:
        socket.create_connection((_DOWNLOAD_HOST, 443), timeout=3).close()
    except OSError as error:
        return f"no connection to {_DOWNLOAD_HOST}: {error}"
    return ""


def split_train_validation(dataset, validation_fraction, seed):
    """Holds out a fixed random `validation_fraction` of the training split.

    The same seed always picks the same examples, and the two parts never overlap, so the
    validation figures are measured on images the network has not been trained on.
    """
    num_examples = len(dataset.train_labels)
    num_validation = round(num_examples * validation_fraction)
    if not 0 < num_validation < num_examples:
        raise ValueError(f"validation_fraction must leave both parts non-empty, got {validation_fraction}.")
    order = np.random.default_rng(seed).permutation(num_examples)
    val_index, train_index = np.sort(order[:num_validation]), np.sort(order[num_validation:])
    return Split(
        train_images=dataset.train_images[train_index],
        train_labels=dataset.train_labels[train_index],
        val_images=dataset.train_images[val_index],
        val_labels=dataset.train_labels[val_index],
    )


def _missing_message(name, data_dir, reason):
    return (
        f"The {name} dataset is not in {data_dir} and could not be downloaded ({reason}). "
        f"Connect to the internet once so tfds can download it, or set TFDS_DATA_DIR to a "
        f"folder that holds a prepared tfds '{name}' dataset."
    )


def _first_line(error):
    text = str(error).strip().splitlines()
    return text[0][:200] if text else type(error).__name__
