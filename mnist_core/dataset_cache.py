"""Dataset access: loading MNIST-style splits through tfds and the fixed validation split."""

import dataclasses
import hashlib
import logging
import os
import re
import socket
import tempfile
import threading

import numpy as np
# Imported here, not on first use: importing tfds swaps Python's import function for the whole
# process for a moment, which breaks imports in other threads (a web server's, a trainer's).
import tensorflow_datasets as tfds

from mnist_core.locks import locked, remove_if_abandoned

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
# Decoded arrays are kept here between processes, because decoding the PNGs inside tfds's
# records takes seconds while reading the decoded arrays back takes a few milliseconds.
CACHE_DIR_VARIABLE = "MNIST_CACHE_DIR"
_DEFAULT_CACHE_DIR = os.path.join("~", ".mnist_dashboard", "cache")
# Bumped whenever what the cache files hold changes, so older files are never read.
_CACHE_FORMAT = "arrays-v1"
_ARRAY_NAMES = ("train_images", "train_labels", "test_images", "test_labels")
# Cache files being written carry this prefix until renamed; their writer holds a lock on them.
_WRITING_PREFIX = ".writing-"
_LOG = logging.getLogger(__name__)


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

    The decoded arrays are also kept in `cache_dir()`, so later processes skip tfds's decoding;
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


def cache_dir():
    """Returns where decoded arrays are kept: $MNIST_CACHE_DIR, else ~/.mnist_dashboard/cache.

    None when $MNIST_CACHE_DIR is "off", which makes every load read tfds.
    """
    chosen = os.environ.get(CACHE_DIR_VARIABLE) or _DEFAULT_CACHE_DIR
    if chosen.strip().lower() == "off":
        return None
    return os.path.abspath(os.path.expanduser(chosen))


def _read_tfds(name, data_dir, download):
    if not is_prepared(name, data_dir):
        reason = "downloading is switched off" if not download else _offline_reason()
        if reason:
            raise DatasetUnavailableError(_missing_message(name, data_dir, reason))
    cache_file = _cache_file(name, data_dir)
    _remove_abandoned_writes(cache_file)
    cached = _read_cache(name, cache_file)
    if cached is not None:
        return cached
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
        raise DatasetUnavailableError(_missing_message(name, data_dir, _first_line(error))) from error
    dataset = Dataset(name, train_images, train_labels, test_images, test_labels)
    # A download has just prepared the folder, so the file name is known only now.
    _write_cache(dataset, cache_file or _cache_file(name, data_dir))
    return dataset


def _cache_file(name, data_dir):
    """Returns the cache file for the dataset as it is on disk now, or None without cache or data.

    The name holds a digest of the folder and one of every file tfds keeps for the dataset (path,
    size, modification time), so replacing or re-downloading the data makes a new name and the
    old arrays go unread.
    """
    root = cache_dir()
    dataset_root = os.path.join(data_dir, name)
    if root is None or not os.path.isdir(dataset_root):
        return None
    files = hashlib.sha256(_CACHE_FORMAT.encode())
    for folder, subfolders, file_names in sorted(os.walk(dataset_root)):
        subfolders.sort()
        for file_name in sorted(file_names):
            path = os.path.join(folder, file_name)
            stat = os.stat(path)
            files.update(f"{os.path.relpath(path, dataset_root)}\t{stat.st_size}\t{stat.st_mtime_ns}\n".encode())
    return os.path.join(root, f"{name}-{_short_digest(dataset_root)}-{files.hexdigest()[:16]}.npz")


def _short_digest(text):
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def _read_cache(name, cache_file):
    """Returns the `Dataset` kept in `cache_file`, or None when it is absent or unreadable."""
    if cache_file is None or not os.path.exists(cache_file):
        return None
    try:
        with np.load(cache_file, allow_pickle=False) as arrays:
            dataset = Dataset(name, *(arrays[key] for key in _ARRAY_NAMES))
        _check_arrays(dataset)
    except Exception as error:  # A truncated or foreign file is only a missed shortcut.
        _LOG.warning("Ignoring the unreadable cache file %s (%s); reading tfds instead.", cache_file, error)
        return None
    return dataset


def _check_arrays(dataset):
    for images, labels in ((dataset.train_images, dataset.train_labels), (dataset.test_images, dataset.test_labels)):
        if images.dtype != np.uint8 or images.shape[1:] != (28, 28, 1) or labels.shape != images.shape[:1]:
            raise ValueError(f"unexpected arrays {images.dtype}{images.shape} and {labels.shape}")


def _write_cache(dataset, cache_file):
    """Saves the decoded arrays for the next process; a failure only costs that shortcut."""
    if cache_file is None:
        return
    folder = os.path.dirname(cache_file)
    temporary = None
    try:
        os.makedirs(folder, exist_ok=True)
        # Written under a temporary name and renamed, so a reader never sees half a file. The lock
        # tells other processes the file is being written; a killed writer's file is unlocked.
        handle, temporary = tempfile.mkstemp(dir=folder, prefix=_WRITING_PREFIX, suffix=".npz")
        with os.fdopen(handle, "wb") as file, locked(temporary, blocking=True) as holding:
            if not holding:
                raise FileNotFoundError(f"{temporary} was removed before it could be locked")
            np.savez(file, **{key: getattr(dataset, key) for key in _ARRAY_NAMES})
            file.flush()
            os.replace(temporary, cache_file)
    except OSError as error:
        _LOG.warning("Could not keep decoded %s arrays in %s (%s).", dataset.name, folder, error)
        if temporary and os.path.exists(temporary):
            os.remove(temporary)
        return
    # Arrays of an older copy of the same folder are stale now.
    same_folder = os.path.basename(cache_file).rsplit("-", 1)[0] + "-"
    for old in os.listdir(folder):
        if old.startswith(same_folder) and old.endswith(".npz") and old != os.path.basename(cache_file):
            try:
                os.remove(os.path.join(folder, old))
            except OSError:
                pass


def _remove_abandoned_writes(cache_file):
    """Removes cache files a killed process left half-written (tens of MB each); live writers keep theirs."""
    if cache_file is None:
        return
    folder = os.path.dirname(cache_file)
    try:
        names = [name for name in os.listdir(folder) if name.startswith(_WRITING_PREFIX)]
    except OSError:
        return
    for name in names:
        remove_if_abandoned(os.path.join(folder, name))


def _offline_reason():
    """Returns why tfds cannot download right now, or "" when its server answers.

    Without this check tfds retries an unreachable server for minutes before it gives up.
    """
    try:
        socket.create_connection((_DOWNLOAD_HOST, 443), timeout=3).close()
    except OSError as error:
        return f"no connection to {_DOWNLOAD_HOST}: {error}"
    return ""


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


def _first_line(error):
    text = str(error).strip().splitlines()
    return text[0][:200] if text else type(error).__name__
