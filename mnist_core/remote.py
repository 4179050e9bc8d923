"""Training in Ray workers: the remote task, the progress board it reports to, and the server's handle.

The web server never trains. It starts `_train_remotely` as a Ray task, which trains in a worker
process (kept warm: TensorFlow imported, the dataset decoded) and hands back the run record and
the `.keras` model as bytes. Progress and stop requests pass through one small `ProgressBoard`
actor per server, polled by the job manager's own thread, so no page ever waits for Ray.
"""

import os
import threading

from mnist_core import cluster
from mnist_core.config import TrainConfig

# A worker process exits after this many trainings and Ray starts a fresh one: a guard against slow
# leaks in libraries, at the cost of one TensorFlow import (about 5 s) every so often.
WORKER_MAX_TRAININGS = 50
# Workers train at a lower OS priority, so the web server on the same machine stays responsive.
WORKER_NICENESS = 10
# Threads TensorFlow uses in a worker: one per CPU that Ray reserves for a training.
TRAINING_THREADS = 1
_SHARED = {}
_SHARED_LOCK = threading.Lock()


class WorkerLostError(RuntimeError):
    """Raised when the worker process or node training a job died before handing back its result."""


class RayTrainer:
    """The job manager's side of Ray: starts trainings, relays progress and stops, fetches results."""

    def __init__(self, address=None, num_cpus=cluster.DEFAULT_MAX_TRAININGS):
        self.address, self.num_cpus = address, num_cpus
        self._ray = self._board = self._task = None

    def connect(self):
        """Connects to Ray and warms one worker per CPU; raises cluster.RayUnavailableError."""
        self._ray = cluster.connect(self.address, self.num_cpus)
        with _SHARED_LOCK:
            # Every manager of this process (tests and cache resets make several) shares one board.
            if not _SHARED:
                _SHARED["board"] = _board_class(self._ray).remote()
                warm_up = self._ray.remote(num_cpus=1, max_retries=0)(_warm_up)
                for _ in range(self.capacity()):
                    warm_up.remote()
            self._board = _SHARED["board"]
        self._task = self._ray.remote(num_cpus=1, max_retries=0, max_calls=WORKER_MAX_TRAININGS)(_train_remotely)

    def capacity(self):
        """Returns how many trainings the Ray cluster can run at once (one per CPU)."""
        return max(1, int(self._ray.cluster_resources().get("CPU", 1)))

    def start(self, job_id, config, data_dir, download):
        """Starts training `config` in a worker; returns the handle `ready` and `result` take."""
        return self._task.remote(job_id, config.to_dict(), data_dir, download, self._board)

    def progress(self, job_ids):
        """Returns {job_id: [progress dicts]} reported since the last call."""
        return self._ray.get(self._board.take.remote(list(job_ids)))

    def request_stop(self, job_id):
        self._board.request_stop.remote(job_id)

    def forget(self, job_id):
        self._board.forget.remote(job_id)

    def ready(self, handles):
        """Returns the handles among `handles` whose training has ended, without waiting."""
        done, _ = self._ray.wait(list(handles), num_returns=len(handles), timeout=0)
        return done

    def result(self, handle):
        """Returns (record, model_bytes, worker) of an ended training, or raises what stopped it.

        Raises:
            WorkerLostError: the worker process or its machine died (killed, out of memory).
            Exception: the error the training itself raised, e.g. DatasetUnavailableError.
        """
        exceptions = self._ray.exceptions
        try:
            return self._ray.get(handle)
        except exceptions.RayTaskError as error:
            # The worker's own exception, e.g. DatasetUnavailableError, is carried as its cause.
            raise (error.cause if isinstance(error.cause, Exception) else error) from None
        except (exceptions.WorkerCrashedError, exceptions.NodeDiedError, exceptions.ObjectLostError,
                exceptions.RayActorError) as error:
            raise WorkerLostError(f"the Ray worker training it stopped unexpectedly ({type(error).__name__})") from None


def _board_class(ray):
    # An actor with no CPU of its own, so it never takes a trainer's place.
    return ray.remote(num_cpus=0)(ProgressBoard)


class ProgressBoard:
    """Holds progress reports and stop requests between the workers and the server (a Ray actor)."""

    def __init__(self):
        self._reports, self._stops = {}, set()

    def report(self, job_id, event):
        """Keeps one progress dict; returns True when the job should stop."""
        self._reports.setdefault(job_id, []).append(event)
        return job_id in self._stops

    def take(self, job_ids):
        return {job_id: self._reports.pop(job_id, []) for job_id in job_ids}

    def request_stop(self, job_id):
        self._stops.add(job_id)

    def forget(self, job_id):
        self._reports.pop(job_id, None)
        self._stops.discard(job_id)


def _train_remotely(job_id, config_values, data_dir, download, board):
    """Trains in a Ray worker; returns (run record without id or time, `.keras` bytes, worker info).

    The worker info says where it trained: {"node_id": Ray's node id, "pid": the process id}.
    """
    import ray

    from mnist_core.run_record import model_to_bytes, result_to_record
    from mnist_core.train import train_run

    _prepare_worker()
    stop = [False]

    def on_progress(event):
        report = {"kind": event.kind, "epoch": event.epoch, "epochs": event.epochs, "step": event.step,
                  "steps_per_epoch": event.steps_per_epoch, "logs": dict(event.logs)}
        # One round trip per chunk of steps (10 per epoch) both reports and reads the stop flag.
        stop[0] = ray.get(board.report.remote(job_id, report))

    result = train_run(TrainConfig.from_dict(config_values), data_dir=data_dir, on_progress=on_progress,
                       should_stop=lambda: stop[0], download=download)
    worker = {"node_id": ray.get_runtime_context().get_node_id(), "pid": os.getpid()}
    return result_to_record(result, created_at=None), model_to_bytes(result.model), worker


def _warm_up():
    """Imports TensorFlow and reads MNIST in a fresh worker, so its first training starts at once."""
    _prepare_worker()
    from mnist_core import train  # noqa: F401  (the import is the point)
    from mnist_core.data import DatasetUnavailableError, load_dataset

    try:
        load_dataset("mnist", download=False)
    except DatasetUnavailableError:
        pass  # The training itself will report the missing data to the user.


_PREPARED = []


def _prepare_worker():
    """Lowers this worker process's priority and fits TensorFlow to one CPU, once per process.

    Ray gives each training one CPU, but TensorFlow would spread every training over all cores:
    two trainings on two CPUs then fight over both cores, and a node added to a cluster on the
    same machine gained nothing. Workers live on between tasks, so this runs once.
    """
    if _PREPARED:
        return
    os.nice(WORKER_NICENESS)
    import tensorflow as tf

    # Must happen before TensorFlow runs its first operation in this process.
    tf.config.threading.set_intra_op_parallelism_threads(TRAINING_THREADS)
    tf.config.threading.set_inter_op_parallelism_threads(TRAINING_THREADS)
    _PREPARED.append(True)
