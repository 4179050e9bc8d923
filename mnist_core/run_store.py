"""The run store: each finished training kept on disk as a folder, then found, listed, loaded, deleted."""

import contextlib
import datetime
import errno
import json
import os
import pathlib
import secrets
import shutil
import tempfile
import uuid

from mnist_core.locks import locked, locked_temporary_folder, remove_if_abandoned
from mnist_core.run_record import (
    MODEL_FILE,
    RUN_FILE,
    CorruptRunError,
    model_to_bytes,
    read_run,
    record_to_run,
    result_to_record,
)

RUNS_DIR_VARIABLE = "MNIST_RUNS_DIR"
# Folders still being written (or being deleted) carry this prefix, so listings never see them.
# The process writing or deleting one holds a lock on it, so a folder nobody locks was left by a
# killed process and any listing may remove it, however young it is.
TEMPORARY_PREFIX = ".tmp-"
_ID_ATTEMPTS = 5


class RunNotFoundError(LookupError):
    """Raised when the store holds no run with the asked-for id."""


class StoreNotWritableError(OSError):
    """Raised when the store's folder cannot take a new run (read-only, a file, full, no permission)."""


def default_runs_dir():
    """Returns $MNIST_RUNS_DIR if set, else ~/.mnist_dashboard/runs, as an absolute path."""
    chosen = os.environ.get(RUNS_DIR_VARIABLE) or os.path.join("~", ".mnist_dashboard", "runs")
    return os.path.abspath(os.path.expanduser(chosen))


class RunStore:
    """A folder holding one subfolder per run, safe for several processes saving at once.

    There is no index file: listing scans the subfolders, and a save becomes visible only when
    one atomic rename gives its folder the final name, so readers and savers share no lock. Locks
    only mark hidden folders still being written or deleted (see `locks`).

    Attributes:
        root: the folder holding the runs; the first save creates it.
        warnings: one message per unreadable run folder met by the last `list()`, naming the folder.
        skipped: the names of those folders, which `delete` can still remove.
    """

    def __init__(self, root=None):
        self.root = os.path.abspath(os.path.expanduser(root or default_runs_dir()))
        self.warnings, self.skipped = [], []

    def save(self, result, owner=None):
        """Stores a `TrainResult` (finished or stopped) of this process and returns it as a `Run`."""
        return self.save_serialized(result_to_record(result, created_at=None), model_to_bytes(result.model), owner)

    def save_serialized(self, record, model_bytes, owner=None):
        """Stores a run handed over as data (its run.json dict and `.keras` bytes); returns the `Run`.

        This is how runs trained in other processes or machines arrive. The store stamps the save
        time and the run id. Everything is written and flushed in a hidden temporary folder that is
        then renamed to the run id, so a process killed at any moment leaves either a complete run
        or a hidden folder.
        """
        record = dict(record)
        if owner is not None:
            record["owner"] = owner
        os.makedirs(self.root, exist_ok=True)
        with locked_temporary_folder(self.root, TEMPORARY_PREFIX) as temporary:
            _write_bytes(os.path.join(temporary, MODEL_FILE), model_bytes)
            # The store stamps the save time here, where the run id that embeds it is chosen too.
            record["created_at"] = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="microseconds")
            run_path = self._publish(temporary, record)
        return record_to_run(record, run_path)

    def check_writable(self):
        """Raises StoreNotWritableError unless a run could be saved now.

        Called before training, so a store that cannot take the run fails in a second, not after
        minutes of training whose result would then be lost.
        """
        try:
            os.makedirs(self.root, exist_ok=True)
            probe = tempfile.mkdtemp(prefix=f"{TEMPORARY_PREFIX}probe-", dir=self.root)
        except OSError as error:
            reason = error.strerror or type(error).__name__
            raise StoreNotWritableError(f"The run store {self.root} cannot be written ({reason}).") from error
        # A listing may have removed the unlocked probe already, which is just as good.
        with contextlib.suppress(OSError):
            os.rmdir(probe)

    def list(self):
        """Returns every readable run, newest first.

        Folders with a missing or broken run.json, an unknown format_version, no model, figures
        out of range or a model that does not match the settings (see `run_checks`) are skipped,
        and `self.warnings` is replaced by one message per skipped folder.
        """
        names = self._run_names()
        runs, self.warnings = self._read_runs(names)
        readable = {run.run_id for run in runs}
        self.skipped = [name for name in names if name not in readable]
        return sorted(runs, key=_recency, reverse=True)

    def find(self, config):
        """Returns the newest complete (not stopped) run trained with exactly `config`, or None."""
        key = config.key()
        # Run ids embed the start of the config key, so only those folders need to be read.
        runs, _ = self._read_runs(name for name in self._run_names() if f"-{key[:8]}-" in name)
        matches = [run for run in runs if run.config_key == key and not run.stopped]
        return max(matches, key=_recency, default=None)

    def reusable(self, config, retrain=False):
        """Returns the stored run a request for `config` gets instead of a training, or None.

        The one reuse rule of the project, for the job manager and the CLI alike: nothing when
        `retrain` asks for a fresh training, else the newest complete run of exactly `config`.
        """
        return None if retrain else self.find(config)

    def load(self, run_id):
        """Returns the run `run_id`; raises RunNotFoundError or CorruptRunError."""
        return read_run(self._existing_path(run_id))

    def delete(self, run_id):
        """Removes the run `run_id` (even a corrupt one); raises RunNotFoundError for unknown ids.

        A symbolic link in the store is removed itself; what it points to is left alone.
        """
        path = self._existing_path(run_id)
        if os.path.islink(path):
            os.unlink(path)
            return
        # Renaming first hides the run at once, even if removing its files is interrupted; the lock
        # tells listings that the hidden folder is still being removed by a live process.
        doomed = os.path.join(self.root, f"{TEMPORARY_PREFIX}deleted-{uuid.uuid4().hex}")
        with locked(path, blocking=True) as holding:
            if not holding:
                raise RunNotFoundError(f"No run with id {run_id!r} in {self.root}.")
            try:
                os.rename(path, doomed)
            except FileNotFoundError:
                raise RunNotFoundError(f"No run with id {run_id!r} in {self.root}.") from None
            shutil.rmtree(doomed)

    def export(self, run_id, names=(RUN_FILE, MODEL_FILE)):
        """Returns {name: bytes} of the files `names` of the run `run_id` (both by default), for downloads."""
        run = self.load(run_id)
        return {name: pathlib.Path(run.path, name).read_bytes() for name in names}

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
                runs.append(read_run(os.path.join(self.root, name)))
            except CorruptRunError as error:
                warnings.append(f"Skipped run folder {name!r}: {error}")
        return runs, warnings

    def _run_names(self):
        """Returns the run folder names, removing temporary folders left by killed processes."""
        try:
            entries = [entry for entry in os.scandir(self.root) if entry.is_dir()]
        except FileNotFoundError:
            return []
        except NotADirectoryError:
            raise NotADirectoryError(f"The run store {self.root} is a file, not a folder.") from None
        for entry in entries:
            if entry.name.startswith(TEMPORARY_PREFIX):
                remove_if_abandoned(entry.path)
        return [entry.name for entry in entries if not entry.name.startswith(".")]

    def _existing_path(self, run_id):
        valid = isinstance(run_id, str) and os.path.basename(run_id) == run_id and not run_id.startswith(".")
        path = os.path.join(self.root, run_id) if valid and run_id else None
        if path is None or not (os.path.isdir(path) or os.path.islink(path)):
            raise RunNotFoundError(f"No run with id {run_id!r} in {self.root}.")
        return path


def _recency(run):
    return run.created_at, run.run_id


def _write_json(path, record):
    with open(path, "w", encoding="utf-8") as file:
        # json.dumps encodes in C; json.dump into a file takes Python's encoder, about three times slower.
        file.write(json.dumps(record, separators=(",", ":")))
        file.flush()
        os.fsync(file.fileno())


def _write_bytes(path, data):
    with open(path, "wb") as file:
        file.write(data)
        file.flush()
        os.fsync(file.fileno())


def _fsync_path(path):
    """Flushes a file or folder entry to disk, so a crash after the rename cannot lose its contents."""
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
