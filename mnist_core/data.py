"""Dataset access: loading MNIST-style splits through tfds and the fixed validation split.

The decoded arrays are kept on disk by `dataset_cache`; `download_probe` says whether tfds could download.
"""

import dataclasses
import os
import re
import threading

import numpy as np
# Imported here, not on first use: importing tfds swaps Python's import function for the whole
# process for a moment, which breaks imports in other threads (a web server's, a trainer's).
import tensorflow_datasets as tfds

from mnist_core import dataset_cache
from mnist_core.config import NUM_CLASSES
from mnist_core.download_probe import offline_reason
from mnist_core.messages import first_line

CLASS_NAMES = {
    "mnist": tuple(str(digit) for digit in range(NUM_CLASSES)),
    "fashion_mnist": (
        "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
        "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
    ),
}
_DEFAULT_DATA_DIR = os.path.join("~", "tensorflow_datasets")


# Datasets already read, by (name, folder). The lock makes concurrent trainings share one read.
_CACHE = {}
_CACHE_LOCK = threading.Lock()


class DatasetUnavailableError(RuntimeError):
    """Raised when a dataset is neither prepared on disk nor downloadable."""


class DatasetCorruptError(DatasetUnavailableError):
    """Raised when a dataset's files are on disk but cannot be read (damaged or cut short)."""


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

    The decoded arrays are also kept on disk (see `dataset_cache`), so later processes skip tfds's decoding;
    they are read again from tfds whenever the dataset's files change.

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
    """Forgets the datasets held in memory, so the next load reads the disk again."""
    with _CACHE_LOCK:
        _CACHE.clear()


def _read_tfds(name, data_dir, download):
    if not is_prepared(name, data_dir):
        reason = "downloading is switched off" if not download else offline_reason()
        if reason:
            raise DatasetUnavailableError(_missing_message(name, data_dir, reason))
    cache_file = dataset_cache.cache_file(name, data_dir)
    dataset_cache.remove_abandoned_writes(cache_file)
    cached = dataset_cache.read_arrays(cache_file)
    if cached is not None:
        return Dataset(name, **cached)
    try:
        # batch_size=-1 hands back each whole split as one tensor, faster than iterating it.
        (train_images, train_labels), (test_images, test_labels) = tfds.as_numpy(tfds.load(
            name=name, split=["train", "test"], as_supervised=True, data_dir=data_dir, download=download,
            batch_size=-1,
        ))
    except Exception as error:  # tfds reports "absent", "download failed" and "damaged" with many types.
        # Files that are there but cannot be read (a record damaged or cut short) are corrupt, not absent.
        if is_prepared(name, data_dir):
            raise DatasetCorruptError(_corrupt_message(name, data_dir, error)) from error
        raise DatasetUnavailableError(_missing_message(name, data_dir, first_line(error))) from error
    dataset = Dataset(name, train_images, train_labels, test_images, test_labels)
    # A download has just prepared the folder, so the file name is known only now.
    arrays = {key: getattr(dataset, key) for key in dataset_cache.ARRAY_NAMES}
    dataset_cache.write_arrays(cache_file or dataset_cache.cache_file(name, data_dir), arrays, name)
    return dataset


def split_train_validation(dataset, validation_fraction, seed, train_examples=None):
    """Holds out a fixed random `validation_fraction` of the training split.

    The same seed always picks the same examples, and the two parts never overlap, so the
    validation figures are measured on images the network has not been trained on. With
    `train_examples` set, the part trained on is that many random examples of the rest (the
    validation part stays whole), so a quick training still reports comparable figures.
    """
    num_examples = len(dataset.train_labels)
    num_validation = round(num_examples * validation_fraction)
    if not 0 < num_validation < num_examples:
        raise ValueError(f"validation_fraction must leave both parts non-empty, got {validation_fraction}.")
    if train_examples is not None and not 0 < train_examples <= num_examples - num_validation:
        raise ValueError(f"train_examples must be from 1 to {num_examples - num_validation}, got {train_examples}.")
    order = np.random.default_rng(seed).permutation(num_examples)
    train_end = num_examples if train_examples is None else num_validation + train_examples
    val_index, train_index = np.sort(order[:num_validation]), np.sort(order[num_validation:train_end])
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


def _corrupt_message(name, data_dir, error):
    # TensorFlow prefixes its messages with the graph function's name, which says nothing to a user.
    lines = str(error).strip().splitlines() or [type(error).__name__]
    reason = re.sub(r"\{\{[^}]*\}\}\s*|\s*\[Op:[^\]]*\].*$", "", lines[0])[:200]
    return (
        f"The {name} dataset in {data_dir} is damaged and cannot be read ({reason}). "
        f"Delete {os.path.join(data_dir, name)} and download or copy the dataset again."
    )
