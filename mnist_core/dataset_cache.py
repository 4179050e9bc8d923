"""The disk cache of decoded dataset arrays: one npz file per dataset folder, shared between processes.

Decoding the PNGs inside tfds's records takes seconds, while reading the decoded arrays back takes
a few milliseconds, so every process after the first reads them from here.
"""

import hashlib
import logging
import os
import tempfile

import numpy as np

from mnist_core.config import IMAGE_SHAPE
from mnist_core.locks import locked, remove_if_abandoned

CACHE_DIR_VARIABLE = "MNIST_CACHE_DIR"
_DEFAULT_CACHE_DIR = os.path.join("~", ".mnist_dashboard", "cache")
# Bumped whenever what the cache files hold changes, so older files are never read.
_CACHE_FORMAT = "arrays-v1"
ARRAY_NAMES = ("train_images", "train_labels", "test_images", "test_labels")
# Cache files being written carry this prefix until renamed; their writer holds a lock on them.
_WRITING_PREFIX = ".writing-"
_LOG = logging.getLogger(__name__)


def cache_dir():
    """Returns where decoded arrays are kept: $MNIST_CACHE_DIR, else ~/.mnist_dashboard/cache.

    None when $MNIST_CACHE_DIR is "off", which makes every load read tfds.
    """
    chosen = os.environ.get(CACHE_DIR_VARIABLE) or _DEFAULT_CACHE_DIR
    if chosen.strip().lower() == "off":
        return None
    return os.path.abspath(os.path.expanduser(chosen))


def cache_file(name, data_dir):
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


def read_arrays(path):
    """Returns the arrays kept in cache file `path` by ARRAY_NAMES, or None when absent or unreadable."""
    if path is None or not os.path.exists(path):
        return None
    try:
        with np.load(path, allow_pickle=False) as stored:
            arrays = {key: stored[key] for key in ARRAY_NAMES}
        _check_arrays(arrays)
    except Exception as error:  # A truncated or foreign file is only a missed shortcut.
        _LOG.warning("Ignoring the unreadable cache file %s (%s); reading tfds instead.", path, error)
        return None
    return arrays


def _check_arrays(arrays):
    for split in ("train", "test"):
        images, labels = arrays[f"{split}_images"], arrays[f"{split}_labels"]
        if images.dtype != np.uint8 or images.shape[1:] != IMAGE_SHAPE or labels.shape != images.shape[:1]:
            raise ValueError(f"unexpected arrays {images.dtype}{images.shape} and {labels.shape}")


def write_arrays(path, arrays, label):
    """Saves `arrays` (by ARRAY_NAMES) to cache file `path` for the next process; a failure only costs that shortcut.

    `label` names the dataset in the warning logged when the file cannot be written.
    """
    if path is None:
        return
    folder = os.path.dirname(path)
    temporary = None
    try:
        os.makedirs(folder, exist_ok=True)
        # Written under a temporary name and renamed, so a reader never sees half a file. The lock
        # tells other processes the file is being written; a killed writer's file is unlocked.
        handle, temporary = tempfile.mkstemp(dir=folder, prefix=_WRITING_PREFIX, suffix=".npz")
        with os.fdopen(handle, "wb") as file, locked(temporary, blocking=True) as holding:
            if not holding:
                raise FileNotFoundError(f"{temporary} was removed before it could be locked")
            np.savez(file, **{key: arrays[key] for key in ARRAY_NAMES})
            file.flush()
            os.replace(temporary, path)
    except OSError as error:
        _LOG.warning("Could not keep decoded %s arrays in %s (%s).", label, folder, error)
        if temporary and os.path.exists(temporary):
            os.remove(temporary)
        return
    _remove_stale(path)


def _remove_stale(path):
    """Removes the arrays of older copies of the same dataset folder, which `path` replaces."""
    folder, kept = os.path.dirname(path), os.path.basename(path)
    same_folder = kept.rsplit("-", 1)[0] + "-"
    for old in os.listdir(folder):
        if old.startswith(same_folder) and old.endswith(".npz") and old != kept:
            try:
                os.remove(os.path.join(folder, old))
            except OSError:
                pass


def remove_abandoned_writes(path):
    """Removes cache files a killed process left half-written (tens of MB each); live writers keep theirs."""
    if path is None:
        return
    folder = os.path.dirname(path)
    try:
        names = [name for name in os.listdir(folder) if name.startswith(_WRITING_PREFIX)]
    except OSError:
        return
    for name in names:
        remove_if_abandoned(os.path.join(folder, name))
