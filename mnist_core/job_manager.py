"""The job manager: trainings queued fairly between users and run in Ray workers, never in the server."""

import collections
import logging
import os
import threading
import time

from mnist_core.job_record import DONE, FAILED, FINAL_STATES, STOPPED, Job
from mnist_core.messages import first_line
from mnist_core.remote import RayTrainer, WorkerLostError

# Finished jobs beyond this many are forgotten, oldest first; their runs stay in the store.
FINISHED_JOBS_KEPT = 50
# One owner may have at most this many jobs waiting, so a 300-value sweep or endless Retrain
# clicks cannot fill the queue; $MNIST_MAX_QUEUED_PER_OWNER overrides it.
MAX_QUEUED_PER_OWNER = int(os.environ.get("MNIST_MAX_QUEUED_PER_OWNER", "8"))
# How often the manager's thread relays progress and looks for finished trainings.
POLL_SECONDS = 0.2
# When every round fails for this long (the Ray cluster went away, or Ray was shut down under the
# server), the running trainings are given up as failed: their pages say so instead of showing
# progress that never moves. A shorter hiccup is retried without a word to the students.
GIVE_UP_SECONDS = 30.0
# Attempts to find a stored run while no other save interleaves; see `submit`.
_FIND_ATTEMPTS = 3

_logger = logging.getLogger(__name__)


class QueueFullError(RuntimeError):
    """Raised when an owner already has the maximum number of jobs waiting.

    Attributes:
        waiting: how many jobs the owner has waiting.
        limit: the most one owner may have waiting.
    """

    def __init__(self, waiting, limit):
        super().__init__(f"You already have {waiting} trainings waiting (at most {limit}); "
                         f"wait for one to start or stop one, then try again.")
        self.waiting, self.limit = waiting, limit


class JobManager:
    """Runs submitted trainings in Ray workers, one per CPU of the Ray cluster; one per server.

    `max_concurrent` caps the trainings at once below the cluster's CPUs (None: no cap).

    Waiting jobs start in rounds: a job waits behind every job whose owner has fewer jobs running
    or queued ahead of it, so one student submitting many configs cannot fill the machine. A single
    thread of the manager starts jobs, relays their progress and stores their results; pages only
    read the jobs' own records, so they never wait for Ray.
    """

    def __init__(self, store, max_concurrent=2, data_dir=None, max_finished=FINISHED_JOBS_KEPT, download=True,
                 trainer=None, max_queued_per_owner=MAX_QUEUED_PER_OWNER):
        if max_concurrent is not None and (
            isinstance(max_concurrent, bool) or not isinstance(max_concurrent, int) or max_concurrent < 1
        ):
            raise ValueError(f"max_concurrent must be None or a whole number of at least 1, got {max_concurrent!r}.")
        self.store, self.max_concurrent, self.data_dir = store, max_concurrent, data_dir
        self._max_finished, self._download, self._max_queued = max_finished, download, max_queued_per_owner
        self.trainer = trainer or RayTrainer(num_cpus=max_concurrent or 2)
        # One condition guards every field below; the manager's thread waits on it for work.
        self._changed = threading.Condition()
        self._jobs = {}  # Every remembered job by id, in submission order.
        self._queued, self._running = [], {}  # The queue stays in submission order; running: job → handle.
        self._sharable = {}  # Config key to the queued or running job that a plain resubmit joins.
        self._saves = 0  # Done jobs whose run this manager saved, so `submit` sees a save that raced its search.
        self._connected, self.backend_error = False, None
        threading.Thread(target=self._work, daemon=True, name="job-manager").start()

    def submit(self, config, owner, retrain=False, keep_partial=False):
        """Returns the job that gives `owner` a run of `config`.

        Without `retrain`, an identical queued or running job is shared, and a stored finished run
        comes back at once as a done job with `reused=True`; otherwise a new job is queued. A stop
        before the first whole epoch stores nothing unless `keep_partial`.

        Raises:
            QueueFullError: when `owner` already has `max_queued_per_owner` jobs waiting.
        """
        for attempt in range(_FIND_ATTEMPTS):
            with self._changed:
                shared = self._join_shared(config, owner, retrain, keep_partial)
                if shared is not None:
                    return shared
                saves_seen = self._saves
            # The store is searched without the lock, so no page waits for the disk.
            stored = self.store.reusable(config, retrain)
            with self._changed:
                # A run saved meanwhile might be this config's; search again rather than train it twice.
                if self._saves != saves_seen and attempt + 1 < _FIND_ATTEMPTS:
                    continue
                shared = self._join_shared(config, owner, retrain, keep_partial)
                if shared is not None:
                    return shared
                if stored is not None:
                    return self._remember(Job(config, owner, stored_run=stored))
                return self._enqueue(Job(config, owner, retrain, manager=self, keep_partial=keep_partial))

    def stop(self, job_id, owner):
        """Detaches `owner` from job `job_id`; the training stops once no owner is left.

        A queued job with no owner left ends at once with no run; a running one ends within about a
        second, storing what it learned (see `submit` for runs shorter than one epoch).

        Returns:
            True when the training itself is stopping or stopped, False when others still want it.
        """
        with self._changed:
            job = self._jobs.get(job_id)
            if job is None or owner not in job.owners:
                return False
            if not job._remove_owner(owner):
                return False
            if self._sharable.get(job.config.key()) is job:
                del self._sharable[job.config.key()]
            if job in self._queued:
                self._queued.remove(job)
                job._finish(STOPPED)
                self._trim()
            self._changed.notify_all()
            return True

    def get(self, job_id):
        """Returns the remembered job `job_id`, or None."""
        with self._changed:
            return self._jobs.get(job_id)

    def jobs_for(self, owner):
        """Returns the remembered jobs `owner` asked for or joined, newest first."""
        with self._changed:
            return [job for job in reversed(self._jobs.values()) if owner in job.owners]

    def _join_shared(self, config, owner, retrain, keep_partial):
        shared = None if retrain else self._sharable.get(config.key())
        if shared is not None:
            shared._add_owner(owner, keep_partial)
        return shared

    def _enqueue(self, job):
        waiting = sum(queued.owner == job.owner for queued in self._queued)
        if waiting >= self._max_queued:
            raise QueueFullError(waiting, self._max_queued)
        if not job.retrain:
            self._sharable[job.config.key()] = job
        self._queued.append(job)
        self._changed.notify_all()
        return self._remember(job)

    def _work(self):
        """The manager's thread: connects, starts jobs, relays progress, stores results."""
        # Ray is started here, on this thread that lives as long as the server, never on a page's
        # thread: ray.init starts the local GCS and raylet with PR_SET_PDEATHSIG, which Linux fires
        # when the *thread* that started them ends. Started from a Streamlit script thread, they were
        # killed as soon as that page run finished and the server died a minute later ("Failed to
        # connect to GCS within 60 seconds"), checked with Ray 2.60 on this machine.
        self._connect()  # At once, so workers are warm before the first Train click.
        failing_since = None
        while True:
            with self._changed:
                self._changed.wait_for(lambda: self._queued or self._running)
            try:
                if self._connect():
                    self._start_jobs()
                    self._relay_progress()
                    self._collect_results()
                if failing_since is not None:
                    _logger.warning("The job manager's rounds work again.")
                failing_since = None
            except Exception as error:  # The thread must outlive any Ray hiccup; the next round retries.
                # The whole story once per outage, not five tracebacks a second.
                if failing_since is None:
                    failing_since = time.monotonic()
                    _logger.exception("The job manager's round failed; retrying every %.1f s.", POLL_SECONDS)
                elif time.monotonic() - failing_since >= GIVE_UP_SECONDS:
                    self._give_up_running(error)
                    failing_since = None
            time.sleep(POLL_SECONDS)

    def _give_up_running(self, error):
        """Fails every running job after rounds failed for GIVE_UP_SECONDS; nothing of them is saved."""
        reason = first_line(error, limit=None, default=type(error).__name__)
        message = f"Training failed: lost contact with Ray ({reason}); nothing was saved. Press Train to try again."
        with self._changed:
            running = list(self._running)
        _logger.error("Gave up %d running training(s) after %.0f s of failed rounds: %s",
                      len(running), GIVE_UP_SECONDS, reason)
        for job in running:
            try:
                self.trainer.forget(job.job_id)
            except Exception:  # Ray is what failed; there may be nothing left to forget.
                pass
            self._release(job, FAILED, error=message)

    def _connect(self):
        """Connects to Ray once; on failure, fails the waiting jobs with a message naming the address."""
        if self._connected:
            return True
        try:
            self.trainer.connect()
        except Exception as error:  # RayUnavailableError, or whatever else Ray raised on the way.
            self.backend_error = first_line(error, limit=None)
            _logger.error("Trainings cannot run: %s", self.backend_error)
            with self._changed:
                failed, self._queued = self._queued, []
                for job in failed:
                    self._forget_sharable(job)
                    job._finish(FAILED, error=self.backend_error)
            return False
        self._connected, self.backend_error = True, None
        return True

    def capacity(self):
        """Returns how many trainings run at once: one per CPU of the Ray cluster, within `max_concurrent`."""
        cpus = self.trainer.capacity() if self._connected else self.max_concurrent or 1
        return min(cpus, self.max_concurrent or cpus)

    def _start_jobs(self):
        capacity = self.capacity()
        while True:
            with self._changed:
                if len(self._running) >= capacity or not self._queued:
                    return
                job = self._queue_order()[0]
                self._queued.remove(job)
                if not job._start():
                    continue
                self._running[job] = None
            # Outside the lock: a Ray call may take a moment, and pages must not wait for it.
            try:
                handle = self.trainer.start(job.job_id, job.config, self._data_dir(), self._download)
            except Exception as error:  # Ray refused the task; say so for this job and go on.
                _logger.exception("Could not start training job %s.", job.job_id)
                reason = first_line(error, limit=None)
                self._release(job, FAILED, error=f"Training could not start: {reason}")
                continue
            with self._changed:
                self._running[job] = handle

    def _data_dir(self):
        # An embedded Ray's workers share this machine, so they read the data folder the server reads
        # now; a cluster's workers use their own TFDS_DATA_DIR unless one was given explicitly.
        if self.data_dir or self.trainer.address:
            return self.data_dir
        return os.environ.get("TFDS_DATA_DIR")

    def _relay_progress(self):
        with self._changed:
            running = dict(self._running)
        for job_id, events in self.trainer.progress(job.job_id for job in running).items():
            job = next(job for job in running if job.job_id == job_id)
            for event in events:
                job._on_progress(event)
        for job in running:
            if job.stop_requested:
                self.trainer.request_stop(job.job_id)

    def _collect_results(self):
        with self._changed:
            handles = {handle: job for job, handle in self._running.items() if handle is not None}
        for handle in self.trainer.ready(list(handles)) if handles else []:
            job = handles[handle]
            outcome = {"state": FAILED, "error": "Training failed: the job manager stopped while saving it."}
            try:
                outcome = self._outcome(job, handle)
            finally:
                self.trainer.forget(job.job_id)
                self._release(job, **outcome)

    def _outcome(self, job, handle):
        """Stores the result of the ended training `job`; returns its final state and run, or its error."""
        from mnist_core.data import DatasetUnavailableError  # Arrives with a worker's error anyway.

        try:
            record, model_bytes, job.worker = self.trainer.result(handle)
            for event in self.trainer.progress([job.job_id])[job.job_id]:
                job._on_progress(event)  # The last reports may arrive after the previous round.
            run = None
            if not record["stopped"] or job.keep_partial or 1.0 in record["history"]["epoch_fraction"]:
                run = self.store.save_serialized(record, model_bytes, owner=job.owner)
        except DatasetUnavailableError as error:
            return {"state": FAILED, "error": first_line(error, limit=None, default="The dataset is not available.")}
        except WorkerLostError as error:
            _logger.error("Training job %s (%s) failed: %s.", job.job_id, job.config.describe(), error)
            message = f"Training failed: {error}; nothing was saved. Press Train to try again."
            return {"state": FAILED, "error": message}
        except Exception as error:  # The manager must survive any failure and hand its message to the page.
            _logger.exception("Training job %s (%s) failed.", job.job_id, job.config.describe())
            detail = first_line(error, limit=None, default="")
            message = f"Training failed: {type(error).__name__}" + (f": {detail}" if detail else "")
            return {"state": FAILED, "error": message}
        return {"state": STOPPED if record["stopped"] else DONE, "run": run}

    def _release(self, job, state, run=None, error=None):
        """Ends a job that left the running list, all under the lock: a page sees it running and
        sharable, or final and gone from both, never in between."""
        with self._changed:
            job._finish(state, run=run, error=error)
            self._running.pop(job, None)
            self._forget_sharable(job)
            if state == DONE:
                self._saves += 1
            self._trim()

    def _forget_sharable(self, job):
        if self._sharable.get(job.config.key()) is job:
            del self._sharable[job.config.key()]

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
