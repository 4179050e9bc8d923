"""Training jobs: background trainings that outlive page reruns, queued fairly between users."""

import collections
import dataclasses
import logging
import threading
import time
import uuid

from mnist_core.data import DatasetUnavailableError
from mnist_core.train import HISTORY_KEYS, train_run

QUEUED, RUNNING, DONE, STOPPED, FAILED = "queued", "running", "done", "stopped", "failed"
FINAL_STATES = (DONE, STOPPED, FAILED)
# Finished jobs beyond this many are forgotten, oldest first; their runs stay in the store.
FINISHED_JOBS_KEPT = 50

_logger = logging.getLogger(__name__)


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
    history: dict  # Per-epoch lists of loss, accuracy, val_loss, val_accuracy and seconds so far.
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
    """One requested training, written by a worker thread and read by any number of pages.

    Attributes:
        job_id: 8 hex digits.
        config: the `TrainConfig` to train.
        owner: the session that first asked for it; `owners` adds sessions that joined later.
        retrain: whether a stored run of the config was deliberately ignored.
        created_at: submission time in seconds since the epoch, like started_at and finished_at.
    """

    state = _guarded("_state", "One of QUEUED, RUNNING, DONE, STOPPED and FAILED.")
    started_at = _guarded("_started_at", "When training started, or None if it never did.")
    finished_at = _guarded("_finished_at", "When the job reached a final state, or None.")

    def __init__(self, config, owner, retrain=False, manager=None, stored_run=None):
        self.job_id = uuid.uuid4().hex[:8]
        self.config, self.owner, self.retrain = config, owner, retrain
        self.created_at = time.time()
        self._manager = manager  # The JobManager that queues the job; None for a reused run.
        self._stop_event = threading.Event()
        self._lock = threading.Lock()
        self._owners = [owner]
        self._state, self._started_at, self._finished_at = QUEUED, None, None
        self._event, self._history = None, {key: [] for key in HISTORY_KEYS}
        self._run, self._error, self._reused = None, None, False
        if stored_run is not None:
            # A run found in the store leaves nothing to train, so the job is done from the start.
            self._history = {key: list(stored_run.history[key]) for key in HISTORY_KEYS}
            self._state, self._run, self._reused, self._finished_at = DONE, stored_run, True, self.created_at

    @property
    def owners(self):
        """Every session that asked for this training, the first one first."""
        with self._lock:
            return tuple(self._owners)

    def stop(self):
        """Ends the job: a queued one at once and with no run, a running one within about a second."""
        self._stop_event.set()
        with self._lock:
            # Checking and finishing under one lock keeps a worker from starting the job in between.
            withdrawn = self._state == QUEUED
            if withdrawn:
                self._state, self._finished_at = STOPPED, time.time()
        if withdrawn and self._manager:
            self._manager._release(self)

    def snapshot(self):
        """Returns a `JobSnapshot` of the job as it is now."""
        # The manager's lock is never taken while holding the job's, so the position is read first.
        position = self._manager._queue_position(self) if self._manager else 0
        with self._lock:
            event, state = self._event, self._state
            return JobSnapshot(
                job_id=self.job_id, config=self.config, state=state,
                fraction=1.0 if state == DONE else (event.fraction if event else 0.0),
                epoch=event.epoch if event else len(self._history["loss"]),
                epochs=self.config.epochs,
                step=event.step if event else 0,
                steps_per_epoch=event.steps_per_epoch if event else 0,
                logs=dict(event.logs) if event else {},
                history={key: list(values) for key, values in self._history.items()},
                run=self._run, reused=self._reused, error=self._error,
                queue_position=position if state == QUEUED else 0,
                elapsed=(self._finished_at or time.time()) - self._started_at if self._started_at else 0.0,
                stopping=state == RUNNING and self._stop_event.is_set(),
            )

    def _on_progress(self, event):
        """Records a `ProgressEvent`; called by the training thread."""
        with self._lock:
            self._event = event
            if event.kind == "epoch":
                for key in HISTORY_KEYS:
                    self._history[key].append(event.logs[key])

    def _start(self):
        """Moves a queued job to running; returns False when it was stopped first."""
        with self._lock:
            if self._state != QUEUED:
                return False
            self._state, self._started_at = RUNNING, time.time()
            return True

    def _finish(self, state, run=None, error=None):
        with self._lock:
            self._state, self._run, self._error, self._finished_at = state, run, error, time.time()

    def _add_owner(self, owner):
        with self._lock:
            if owner not in self._owners:
                self._owners.append(owner)


class JobManager:
    """Runs submitted trainings on `max_concurrent` daemon worker threads; one per server.

    Waiting jobs start in rounds: a job waits behind every job whose owner has fewer jobs running
    or queued ahead of it, so one student submitting many configs cannot fill the machine.
    """

    def __init__(self, store, max_concurrent=2, data_dir=None, max_finished=FINISHED_JOBS_KEPT, download=True):
        if isinstance(max_concurrent, bool) or not isinstance(max_concurrent, int) or max_concurrent < 1:
            raise ValueError(f"max_concurrent must be a whole number of at least 1, got {max_concurrent!r}.")
        self.store, self.max_concurrent, self.data_dir = store, max_concurrent, data_dir
        self._max_finished, self._download = max_finished, download
        # One condition guards every field below; idle workers wait on it for a queued job.
        self._changed = threading.Condition()
        self._jobs = {}  # Every remembered job by id, in submission order.
        self._queued, self._running = [], []  # The queue stays in submission order.
        self._sharable = {}  # Config key to the queued or running job that a plain resubmit joins.
        for _ in range(max_concurrent):
            threading.Thread(target=self._work, daemon=True).start()

    def submit(self, config, owner, retrain=False):
        """Returns the job that gives `owner` a run of `config`.

        Without `retrain`, an identical queued or running job is shared, and a stored finished run
        comes back at once as a done job with `reused=True`; otherwise a new job is queued.
        """
        with self._changed:
            shared = None if retrain else self._sharable.get(config.key())
            if shared is not None and not shared._stop_event.is_set():
                shared._add_owner(owner)
                return shared
            # Searching under the lock means a job saving right now is either still sharable above
            # or already found here, so no plain resubmit trains the same config twice.
            stored = None if retrain else self.store.find(config)
            if stored is not None:
                return self._remember(Job(config, owner, stored_run=stored))
            job = Job(config, owner, retrain, manager=self)
            if not retrain:
                self._sharable[config.key()] = job
            self._queued.append(job)
            self._remember(job)
            self._changed.notify()
            return job

    def get(self, job_id):
        """Returns the remembered job `job_id`, or None."""
        with self._changed:
            return self._jobs.get(job_id)

    def jobs_for(self, owner):
        """Returns the remembered jobs `owner` asked for or joined, newest first."""
        with self._changed:
            return [job for job in reversed(self._jobs.values()) if owner in job.owners]

    def active_jobs(self):
        """Returns the running jobs, then the queued ones in the order they will start."""
        with self._changed:
            return self._running + self._queue_order()

    def queue_length(self):
        """Returns the number of jobs waiting for a worker."""
        with self._changed:
            return len(self._queued)

    def _work(self):
        """Trains one job after another, for as long as the process lives."""
        while True:
            job = self._next_job()
            try:
                self._train(job)
            finally:
                self._release(job)

    def _train(self, job):
        try:
            result = train_run(
                job.config, data_dir=self.data_dir, on_progress=job._on_progress,
                should_stop=job._stop_event.is_set, download=self._download,
            )
            run = self.store.save(result)
        except DatasetUnavailableError as error:
            job._finish(FAILED, error=_first_line(error) or "The dataset is not available.")
        except Exception as error:  # A worker must survive any failure and hand its message to the page.
            _logger.exception("Training job %s (%s) failed.", job.job_id, job.config.describe())
            detail = _first_line(error)
            message = f"Training failed: {type(error).__name__}" + (f": {detail}" if detail else "")
            job._finish(FAILED, error=message)
        else:
            job._finish(STOPPED if run.stopped else DONE, run=run)

    def _next_job(self):
        """Waits for a queued job, marks it running and returns it."""
        with self._changed:
            while True:
                self._changed.wait_for(lambda: self._queued)
                job = self._queue_order()[0]
                self._queued.remove(job)
                # A job stopped while queued stays listed until its stop() releases it; skip it.
                if job._start():
                    self._running.append(job)
                    return job

    def _release(self, job):
        """Forgets a job that a worker has finished with, running or stopped while queued."""
        with self._changed:
            for waiting in (self._running, self._queued):
                if job in waiting:
                    waiting.remove(job)
            if self._sharable.get(job.config.key()) is job:
                del self._sharable[job.config.key()]
            self._trim()

    def _remember(self, job):
        self._jobs[job.job_id] = job
        self._trim()
        return job

    def _trim(self):
        finished = [job for job in self._jobs.values() if job.state in FINAL_STATES]
        for job in finished[: max(0, len(finished) - self._max_finished)]:
            del self._jobs[job.job_id]

    def _queue_order(self):
        """Returns the queued jobs in start order: by their owner's turn, then by submission."""
        turns = collections.Counter(job.owner for job in self._running)
        ranked = []
        for arrival, job in enumerate(self._queued):  # The queue is in submission order.
            ranked.append((turns[job.owner], arrival, job))
            turns[job.owner] += 1
        return [job for _, _, job in sorted(ranked, key=lambda entry: entry[:2])]

    def _queue_position(self, job):
        """Returns the 1-based place of `job` in the start order, or 0 when it is not queued."""
        with self._changed:
            order = self._queue_order()
            return order.index(job) + 1 if job in order else 0


def _first_line(error):
    lines = str(error).strip().splitlines()
    return lines[0] if lines else ""
