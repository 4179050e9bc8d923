"""The job manager: background trainings that outlive page reruns, queued fairly between users."""

import collections
import logging
import threading

from mnist_core.data import DatasetUnavailableError
# The job record and its states are re-exported, so imports from jobs keep working.
from mnist_core.job import DONE, FAILED, FINAL_STATES, QUEUED, RUNNING, STOPPED, Job, JobSnapshot
from mnist_core.train import train_run

# Finished jobs beyond this many are forgotten, oldest first; their runs stay in the store.
FINISHED_JOBS_KEPT = 50

_logger = logging.getLogger(__name__)


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

    def submit(self, config, owner, retrain=False, keep_partial=False):
        """Returns the job that gives `owner` a run of `config`.

        Without `retrain`, an identical queued or running job is shared, and a stored finished run
        comes back at once as a done job with `reused=True`; otherwise a new job is queued. A run
        stopped before its first full epoch is stored only with `keep_partial`.
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
            job.keep_partial = keep_partial
            if not retrain:
                self._sharable[config.key()] = job
            self._queued.append(job)
            self._remember(job)
            self._changed.notify()
            return job

    def stop(self, job_id, owner):
        """Detaches `owner` from the job, or stops the job when `owner` is the only one left."""
        job = self.get(job_id)
        if job is None or owner not in job.owners:
            return
        with job._lock:
            last = job._owners == [owner]
            if not last:
                job._owners.remove(owner)
        if last:
            job.stop()

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
            keep = not result.stopped or result.epochs_completed >= 1 or job.keep_partial
            run = self.store.save(result) if keep else None
        except DatasetUnavailableError as error:
            job._finish(FAILED, error=_first_line(error) or "The dataset is not available.")
        except Exception as error:  # A worker must survive any failure and hand its message to the page.
            _logger.exception("Training job %s (%s) failed.", job.job_id, job.config.describe())
            detail = _first_line(error)
            message = f"Training failed: {type(error).__name__}" + (f": {detail}" if detail else "")
            job._finish(FAILED, error=message)
        else:
            job._finish(STOPPED if result.stopped else DONE, run=run)

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
