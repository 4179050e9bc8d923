"""The job record: one requested training's state, progress and result, and snapshots of it."""

import dataclasses
import threading
import time
import uuid

from mnist_core.config import HISTORY_KEYS

QUEUED, RUNNING, DONE, STOPPED, FAILED = "queued", "running", "done", "stopped", "failed"
FINAL_STATES = (DONE, STOPPED, FAILED)
# Running figures recorded after every chunk of steps, for curves that move within an epoch.
STEP_HISTORY_KEYS = ("position", "loss", "accuracy")


@dataclasses.dataclass(frozen=True)
class JobSnapshot:
    """A consistent copy of one job at one moment; its dicts are copies, safe to render anywhere."""

    job_id: str
    config: object  # The `TrainConfig` being trained.
    state: str  # "queued", "running", "done", "stopped" or "failed".
    fraction: float  # Share of the whole training done, from 0 to 1 (1 when done).
    epoch: int  # Epoch of the last progress report, from 1 (0 before any report).
    epochs: int  # Epochs asked for.
    step: int  # Steps finished in that epoch.
    steps_per_epoch: int  # Steps in a full epoch (0 before any report).
    logs: dict  # Running loss and accuracy; validation figures and seconds after an epoch.
    # Per-epoch lists under config.HISTORY_KEYS so far: loss, accuracy, val_loss, val_accuracy, seconds
    # and epoch_fraction (1.0 for a whole epoch, less for the part a stop cut short).
    history: dict
    # Equal-length lists "position" (epochs done, e.g. 0.1, 0.2 … 1.0, 1.1), "loss" and "accuracy"
    # (running training figures of the epoch), one entry per progress report within epochs.
    step_history: dict
    run: object  # The stored `Run` once done or stopped after training, else None.
    reused: bool  # True when the run came from the store without training.
    error: str | None  # A one-line message for the user when failed.
    queue_position: int  # 1 for the next job to start, 2 for the one after; 0 when not queued.
    elapsed: float  # Seconds since training started (until it ended); 0 before the start.
    stopping: bool  # True when a stop was asked for and training has not ended yet.


def _guarded(name, doc):
    """Returns a read-only property that reads the field `name` under the job's lock."""

    def read(job):
        with job._lock:
            return getattr(job, name)

    return property(read, doc=doc)


class Job:
    """One requested training, updated by the job manager and read by any number of pages.

    Progress arrives as plain dicts relayed from the worker process that trains (see
    `mnist_core.remote`), so reading a job never waits for that process.

    Attributes:
        job_id: 8 hex digits.
        config: the `TrainConfig` to train.
        owner: the session that first asked for it; `owners` lists every session still attached.
        retrain: whether a stored run of the config was deliberately ignored.
        keep_partial: whether a stop before the first whole epoch still stores the run.
        created_at: submission time in seconds since the epoch, like started_at and finished_at.
        worker: where it trained once it ended, {"node_id": Ray's node id, "pid": ...}, else None.
    """

    state = _guarded("_state", "One of QUEUED, RUNNING, DONE, STOPPED and FAILED.")
    started_at = _guarded("_started_at", "When training started, or None if it never did.")
    finished_at = _guarded("_finished_at", "When the job reached a final state, or None.")
    stop_requested = _guarded("_stop_requested", "True once every owner has let go of the job.")

    def __init__(self, config, owner, retrain=False, manager=None, stored_run=None, keep_partial=False):
        self.job_id = uuid.uuid4().hex[:8]
        self.config, self.owner, self.retrain = config, owner, retrain
        self.keep_partial = keep_partial
        self.created_at = time.time()
        self.worker = None
        self._manager = manager  # The JobManager that queues the job; None for a reused run.
        self._lock = threading.Lock()
        self._owners = [owner]
        self._state, self._started_at, self._finished_at = QUEUED, None, None
        self._stop_requested = False
        self._event, self._history = None, {key: [] for key in HISTORY_KEYS}
        self._step_history = {key: [] for key in STEP_HISTORY_KEYS}
        self._run, self._error, self._reused = None, None, False
        if stored_run is not None:
            # A run found in the store leaves nothing to train, so the job is done from the start.
            self._history = {key: list(stored_run.history[key]) for key in HISTORY_KEYS}
            self._state, self._run, self._reused, self._finished_at = DONE, stored_run, True, self.created_at

    @property
    def owners(self):
        """Every session still attached to this training, the first one first."""
        with self._lock:
            return tuple(self._owners)

    def snapshot(self):
        """Returns a `JobSnapshot` of the job as it is now."""
        # The manager's lock is never taken while holding the job's, so the position is read first.
        position = self._manager._queue_position(self) if self._manager else 0
        with self._lock:
            event, state = self._event or {}, self._state
            return JobSnapshot(
                job_id=self.job_id, config=self.config, state=state,
                fraction=1.0 if state == DONE else _fraction(event),
                epoch=event.get("epoch", len(self._history["loss"])),
                epochs=self.config.epochs,
                step=event.get("step", 0),
                steps_per_epoch=event.get("steps_per_epoch", 0),
                logs=dict(event.get("logs", {})),
                history={key: list(values) for key, values in self._history.items()},
                step_history={key: list(values) for key, values in self._step_history.items()},
                run=self._run, reused=self._reused, error=self._error,
                queue_position=position if state == QUEUED else 0,
                elapsed=(self._finished_at or time.time()) - self._started_at if self._started_at else 0.0,
                stopping=state == RUNNING and self._stop_requested,
            )

    def _on_progress(self, event):
        """Records one progress report, a dict with the fields of `mnist_core.train.ProgressEvent`."""
        with self._lock:
            self._event = event
            logs = event["logs"]
            if event["kind"] == "epoch":
                for key in HISTORY_KEYS:
                    self._history[key].append(logs[key])
            else:
                position = event["epoch"] - 1 + event["step"] / event["steps_per_epoch"]
                for key, value in zip(STEP_HISTORY_KEYS, (position, logs["loss"], logs["accuracy"])):
                    self._step_history[key].append(value)

    def _start(self):
        """Moves a queued job to running; returns False when it was withdrawn first."""
        with self._lock:
            if self._state != QUEUED:
                return False
            self._state, self._started_at = RUNNING, time.time()
            return True

    def _finish(self, state, run=None, error=None):
        with self._lock:
            self._state, self._run, self._error, self._finished_at = state, run, error, time.time()

    def _add_owner(self, owner, keep_partial=False):
        with self._lock:
            if owner not in self._owners:
                self._owners.append(owner)
            self.keep_partial = self.keep_partial or keep_partial

    def _remove_owner(self, owner):
        """Detaches `owner`; returns True when that leaves nobody, so the training should stop."""
        with self._lock:
            if owner in self._owners:
                self._owners.remove(owner)
            if not self._owners:
                self._stop_requested = True
            return self._stop_requested


def _fraction(event):
    """Share of the whole run done at a progress report, from 0 to 1 (0 before any report)."""
    if not event:
        return 0.0
    return ((event["epoch"] - 1) * event["steps_per_epoch"] + event["step"]) / (
        event["epochs"] * event["steps_per_epoch"]
    )
