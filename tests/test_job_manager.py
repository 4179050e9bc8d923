"""Tests of mnist_core.job_manager: trainings in Ray workers, sharing, reuse, the fair queue, stops, failures."""

import dataclasses
import os
import signal
import threading
import time
import types

import psutil
import pytest

from mnist_core import cluster, job_manager, remote
from mnist_core.config import TrainConfig
from mnist_core.job_manager import JobManager, QueueFullError
from mnist_core.job_record import DONE, FAILED, FINAL_STATES, QUEUED, RUNNING, STOPPED
from mnist_core.run_store import RunStore
from mnist_core.train import HISTORY_KEYS

# Generous, because a busy machine may be slow; no test asserts on speed.
POLL_TIMEOUT = 300
POLL_INTERVAL = 0.01


def tiny(seed, **changes):
    """A network small enough to train one epoch on real MNIST in a second or two."""
    return TrainConfig(**{"hidden_size": 8, "hidden_layers": 1, "epochs": 1, "seed": seed, **changes})


@pytest.fixture
def make_manager(tmp_path, data_dir, ray_instance):
    """Builds managers that train in the session's Ray workers; afterwards stops what they still run."""
    managers = []

    def make(max_concurrent=2, data_dir=data_dir, **options):
        manager = JobManager(RunStore(tmp_path / "runs"), max_concurrent, data_dir, **options)
        managers.append(manager)
        manager.submitted_jobs, submit = [], manager.submit

        def recording_submit(*args, **kwargs):
            job = submit(*args, **kwargs)
            manager.submitted_jobs.append(job)
            return job

        manager.submit = recording_submit  # So `active_jobs` can list them through public calls only.
        return manager

    yield make
    # A failed test may leave a long training behind, which would slow every later test.
    for manager in managers:
        leftovers = active_jobs(manager)
        for job in leftovers:
            for owner in job.owners:
                manager.stop(job.job_id, owner)
        wait_until_final(*leftovers)


def active_jobs(manager):
    """Returns the manager's running jobs, then its queued ones in the order they will start."""
    jobs = list(dict.fromkeys(manager.submitted_jobs))
    snapshots = {job.job_id: job.snapshot() for job in jobs}
    running = [job for job in jobs if snapshots[job.job_id].state == RUNNING]
    queued = [job for job in jobs if snapshots[job.job_id].state == QUEUED]
    return running + sorted(queued, key=lambda job: snapshots[job.job_id].queue_position)


def queued_count(manager):
    """Returns how many of the manager's jobs wait for a worker."""
    return sum(job.state == QUEUED for job in dict.fromkeys(manager.submitted_jobs))


def wait_until(condition, on_poll=None, timeout=POLL_TIMEOUT):
    """Polls until `condition()` is true, calling `on_poll()` before each check."""
    deadline = time.monotonic() + timeout
    while True:
        if on_poll:
            on_poll()
        if condition():
            return
        if time.monotonic() > deadline:
            pytest.fail(f"Condition not met within {timeout} s.")
        time.sleep(POLL_INTERVAL)


def wait_until_final(*watched, on_poll=None):
    """Polls until every job is final; returns the snapshots taken of each, in order."""
    snapshots = {job.job_id: [] for job in watched}

    def record():
        for job in watched:
            snapshots[job.job_id].append(job.snapshot())
        if on_poll:
            on_poll()

    wait_until(lambda: all(snapshots[job.job_id][-1].state in FINAL_STATES for job in watched), record)
    return [snapshots[job.job_id] for job in watched]


def test_job_trains_in_a_worker_and_stores_its_run(make_manager):
    manager = make_manager()
    job = manager.submit(tiny(1), "alice")
    assert job.state in (QUEUED, RUNNING) and job.owner == "alice" and len(job.job_id) == 8
    final = wait_until_final(job)[0][-1]
    assert final.state == DONE and final.error is None and not final.reused
    assert final.fraction == 1.0 and final.epoch == final.epochs == 1 and final.queue_position == 0
    assert set(final.history) == set(HISTORY_KEYS) and len(final.history["loss"]) == 1
    assert 0.5 < final.history["val_accuracy"][0] <= 1
    assert final.logs["val_accuracy"] == final.history["val_accuracy"][0]
    assert final.run.config == tiny(1) and not final.run.stopped and 0.5 < final.run.test_accuracy <= 1
    stored = manager.store.load(final.run.run_id)
    assert stored.history == final.run.history and stored.load_model().parameter_count == 8 * 785 + 90
    assert final.elapsed > 0 and job.created_at <= job.started_at <= job.finished_at
    assert active_jobs(manager) == [] and manager.get(job.job_id) is job
    # Snapshots are frozen copies: changing one changes neither the job nor later snapshots.
    with pytest.raises(dataclasses.FrozenInstanceError):
        final.state = RUNNING
    final.history["loss"].append(99.0)
    final.logs["loss"] = 99.0
    assert len(job.snapshot().history["loss"]) == 1 and job.snapshot().logs["loss"] != 99.0


def test_the_embedded_ray_instance_lives_on_loopback(ray_instance):
    nodes = [node for node in ray_instance.nodes() if node["Alive"]]
    assert [node["NodeManagerAddress"] for node in nodes] == ["127.0.0.1"]
    assert ray_instance.cluster_resources()["CPU"] == 2


def test_progress_and_step_history_move_forward(make_manager):
    job = make_manager().submit(tiny(3, epochs=2), "alice")
    snapshots = wait_until_final(job)[0]
    fractions = [snapshot.fraction for snapshot in snapshots if snapshot.state not in FINAL_STATES]
    assert len(set(fractions)) >= 2 and fractions == sorted(fractions)
    assert all(0 <= fraction <= 1 for fraction in fractions)
    history_lengths = [len(snapshot.history["loss"]) for snapshot in snapshots]
    assert history_lengths == sorted(history_lengths) and history_lengths[-1] == 2
    steps = snapshots[-1].step_history
    assert set(steps) == {"position", "loss", "accuracy"} and len(steps["loss"]) == len(steps["accuracy"]) == 20
    assert steps["position"] == pytest.approx([round(0.1 * tenth, 1) for tenth in range(1, 21)])
    assert all(0 < accuracy <= 1 for accuracy in steps["accuracy"])


def test_resubmitting_a_finished_config_reuses_its_run_and_retraining_repeats_it(make_manager):
    manager = make_manager()
    first = manager.submit(tiny(4, dropout=0.2), "alice")
    trained = wait_until_final(first)[0][-1]
    again = manager.submit(tiny(4, dropout=0.2), "bob")
    reused = again.snapshot()
    assert again is not first and reused.state == DONE and reused.reused and reused.fraction == 1.0
    assert reused.run.run_id == trained.run.run_id and reused.history == trained.history
    assert again.started_at is None and queued_count(manager) == 0 and active_jobs(manager) == []
    retrained = manager.submit(tiny(4, dropout=0.2), "alice", retrain=True)
    assert retrained.state in (QUEUED, RUNNING)
    final = wait_until_final(retrained)[0][-1]
    assert final.state == DONE and not final.reused and final.run.run_id != trained.run.run_id
    # Another training of the same config, dropout included, repeats the first one exactly.
    for key in ("loss", "accuracy", "val_loss", "val_accuracy"):
        assert final.history[key] == trained.history[key]
    assert final.run.test_accuracy == trained.run.test_accuracy


def test_identical_submissions_while_running_share_one_job(make_manager):
    manager = make_manager()
    job = manager.submit(tiny(5), "alice")
    assert manager.submit(tiny(5), "alice") is job
    assert manager.submit(tiny(5), "bob") is job
    assert job.owners == ("alice", "bob") and manager.jobs_for("bob") == [job]
    final = wait_until_final(job)[0][-1]
    assert final.state == DONE and len(manager.store.list()) == 1


@pytest.mark.slow
def test_one_worker_runs_jobs_one_at_a_time_in_order(make_manager):
    manager = make_manager(max_concurrent=1)
    submitted = [manager.submit(tiny(seed), "alice") for seed in (11, 12, 13)]
    wait_until(lambda: submitted[0].state != QUEUED)
    positions = [job.snapshot() for job in submitted]
    assert positions[0].state == RUNNING, "the first tiny training ended before the queue was checked"
    assert [snapshot.queue_position for snapshot in positions] == [0, 1, 2]
    assert queued_count(manager) == 2 and active_jobs(manager) == submitted
    running_counts = []

    def count_running():
        running_counts.append(sum(job.state == RUNNING for job in submitted))

    finals = [snapshots[-1] for snapshots in wait_until_final(*submitted, on_poll=count_running)]
    assert max(running_counts) == 1
    assert [final.state for final in finals] == [DONE, DONE, DONE]
    assert len({final.run.run_id for final in finals}) == 3
    for earlier, later in zip(submitted, submitted[1:]):
        assert earlier.finished_at <= later.started_at


def test_queue_takes_owners_in_turns(make_manager):
    manager = make_manager(max_concurrent=1)
    alice_jobs = [manager.submit(tiny(seed, epochs=50), "alice") for seed in (21, 22, 23)]
    bob_job = manager.submit(tiny(24, epochs=50), "bob")
    wait_until(lambda: alice_jobs[0].state == RUNNING)
    assert active_jobs(manager) == [alice_jobs[0], bob_job, alice_jobs[1], alice_jobs[2]]
    assert [job.snapshot().queue_position for job in (bob_job, *alice_jobs[1:])] == [1, 2, 3]


def test_stopping_after_a_whole_epoch_saves_a_stopped_run(make_manager):
    manager = make_manager()
    long_config = tiny(6, epochs=50)
    job = manager.submit(long_config, "alice")
    wait_until(lambda: len(job.snapshot().history["loss"]) >= 1)
    assert manager.stop(job.job_id, "alice") is True
    assert job.snapshot().stopping or job.state == STOPPED
    final = wait_until_final(job)[0][-1]
    assert final.state == STOPPED and not final.stopping and final.run.stopped
    assert 1 <= final.run.epochs_trained < 50 and final.run.history == final.history
    assert manager.store.load(final.run.run_id).stopped and manager.store.find(long_config) is None
    # A stopped run is never reused, so asking again starts a new training.
    again = manager.submit(long_config, "alice")
    assert again is not job and not again.snapshot().reused


def test_a_stop_within_the_first_epoch_stores_nothing_unless_asked(make_manager):
    manager = make_manager()
    # Batches of one make an epoch of 54,000 steps, long enough for the stop to land within it.
    dropped = manager.submit(tiny(14, epochs=50, batch_size=1), "alice")
    kept = manager.submit(tiny(15, epochs=50, batch_size=1), "alice", keep_partial=True)
    wait_until(lambda: dropped.state == RUNNING and kept.state == RUNNING)
    manager.stop(dropped.job_id, "alice")
    manager.stop(kept.job_id, "alice")
    finals = [snapshots[-1] for snapshots in wait_until_final(dropped, kept)]
    assert [final.state for final in finals] == [STOPPED, STOPPED]
    assert finals[0].run is None and finals[0].history["epoch_fraction"] == [0.1]
    assert finals[1].run.stopped and finals[1].run.history["epoch_fraction"] == [0.1]
    assert [run.run_id for run in manager.store.list()] == [finals[1].run.run_id]


def test_stop_detaches_only_the_caller_until_nobody_is_left(make_manager):
    manager = make_manager()
    job = manager.submit(tiny(16, epochs=50), "alice")
    assert manager.submit(tiny(16, epochs=50), "bob") is job
    wait_until(lambda: job.state == RUNNING)
    assert manager.stop(job.job_id, "carol") is False, "a stranger cannot stop it"
    assert manager.stop(job.job_id, "alice") is False and job.owners == ("bob",)
    assert manager.jobs_for("alice") == [] and not job.snapshot().stopping
    assert job.state == RUNNING
    assert manager.stop(job.job_id, "bob") is True
    assert wait_until_final(job)[0][-1].state == STOPPED


def test_stopping_a_queued_job_means_it_never_starts(make_manager):
    manager = make_manager(max_concurrent=1)
    blocker = manager.submit(tiny(7, epochs=50), "alice")
    wait_until(lambda: blocker.state == RUNNING)
    waiting = manager.submit(tiny(8), "alice")
    assert waiting.snapshot().queue_position == 1
    assert manager.stop(waiting.job_id, "alice") is True
    stopped = waiting.snapshot()
    assert stopped.state == STOPPED and stopped.run is None and stopped.queue_position == 0
    assert queued_count(manager) == 0 and waiting not in active_jobs(manager)
    # The queue moves on past the stopped job, and asking again starts a fresh one.
    replacement = manager.submit(tiny(8), "alice")
    assert replacement is not waiting and replacement.snapshot().queue_position == 1
    manager.stop(blocker.job_id, "alice")
    finals = [snapshots[-1] for snapshots in wait_until_final(blocker, replacement)]
    assert [final.state for final in finals] == [STOPPED, DONE]
    assert waiting.started_at is None and waiting.snapshot().run is None


def test_missing_data_fails_with_a_one_line_message(make_manager, tmp_path):
    # Without downloads the outcome is the same whether or not this machine is online.
    manager = make_manager(max_concurrent=1, data_dir=str(tmp_path / "none"), download=False)
    first = manager.submit(tiny(9), "alice")
    final = wait_until_final(first)[0][-1]
    assert final.state == FAILED and final.run is None
    assert "TFDS_DATA_DIR" in final.error and "\n" not in final.error
    # The workers survive the failure and take the next job.
    second = manager.submit(tiny(10), "alice")
    assert wait_until_final(second)[0][-1].state == FAILED


def test_a_killed_worker_fails_its_job_only(make_manager, tmp_path):
    manager = make_manager()
    doomed = manager.submit(tiny(17, epochs=50), "alice")
    survivor = manager.submit(tiny(18, epochs=2), "bob")
    wait_until(lambda: doomed.snapshot().fraction > 0)
    # Kill the worker that trains the long job: the one still busy once the short job is done.
    wait_until(lambda: survivor.state in FINAL_STATES)
    # Only this test session's Ray counts (it runs under this process); the machine may run others.
    busy = [process for process in psutil.Process().children(recursive=True)
            if "ray::_train_remotely" in command_line(process)]
    assert len(busy) == 1
    os.kill(busy[0].pid, signal.SIGKILL)
    final = wait_until_final(doomed)[0][-1]
    assert final.state == FAILED and final.run is None and "\n" not in final.error
    assert "stopped unexpectedly" in final.error and "nothing was saved" in final.error
    assert survivor.snapshot().state == DONE
    assert [run.run_id for run in manager.store.list()] == [survivor.snapshot().run.run_id]
    assert [entry.name for entry in (tmp_path / "runs").iterdir()] == [survivor.snapshot().run.run_id]
    # The manager goes on: the next training runs in a fresh worker.
    assert wait_until_final(manager.submit(tiny(19), "alice"))[0][-1].state == DONE


def command_line(process):
    """A process's command line, or "" once it has ended (e.g. a finished background check not yet reaped)."""
    try:
        return " ".join(process.cmdline())
    except psutil.Error:
        return ""


class FakeTrainer:
    """Stands in for Ray: each started job ends at once with the next of `outcomes`."""

    address = None

    def __init__(self, outcomes=(), capacity=1, finishes=True):
        self.outcomes, self._capacity, self.finishes = list(outcomes), capacity, finishes
        self.started = []

    def connect(self):
        pass

    def capacity(self):
        return self._capacity

    def start(self, job_id, config, data_dir, download):
        self.started.append(job_id)
        return job_id

    def progress(self, job_ids):
        return {job_id: [] for job_id in job_ids}

    def request_stop(self, job_id):
        pass

    def forget(self, job_id):
        pass

    def ready(self, handles):
        return list(handles) if self.finishes else []

    def result(self, handle):
        raise self.outcomes.pop(0)


def test_unexpected_errors_become_a_one_line_failed_state(tmp_path):
    outcomes = [ValueError("weights went missing\nsecond line of detail"), MemoryError(),
                remote.WorkerLostError("the Ray worker training it stopped unexpectedly (WorkerCrashedError)")]
    manager = JobManager(RunStore(tmp_path), max_concurrent=1, trainer=FakeTrainer(outcomes))
    submitted = [manager.submit(tiny(seed), "alice") for seed in (11, 12, 13)]
    finals = [snapshots[-1] for snapshots in wait_until_final(*submitted)]
    assert [final.state for final in finals] == [FAILED, FAILED, FAILED]
    assert [final.error for final in finals] == [
        "Training failed: ValueError: weights went missing",
        "Training failed: MemoryError",
        "Training failed: the Ray worker training it stopped unexpectedly (WorkerCrashedError); nothing was "
        "saved. Press Train to try again.",
    ]
    assert not list(tmp_path.iterdir())


def test_an_owner_may_queue_only_so_many_jobs(tmp_path):
    manager = JobManager(RunStore(tmp_path), max_concurrent=1, trainer=FakeTrainer(finishes=False),
                         max_queued_per_owner=3)
    first = manager.submit(tiny(50), "alice")
    wait_until(lambda: first.state == RUNNING)
    waiting = [manager.submit(tiny(seed), "alice") for seed in (51, 52, 53)]
    with pytest.raises(QueueFullError, match="already have 3 trainings waiting") as raised:
        manager.submit(tiny(54), "alice")
    assert (raised.value.waiting, raised.value.limit) == (3, 3)
    # Joining a queued job or queueing for someone else still works, and a stop frees a place.
    assert manager.submit(tiny(51), "alice") is waiting[0]
    assert manager.submit(tiny(54), "bob").state == QUEUED
    manager.stop(waiting[0].job_id, "alice")
    assert manager.submit(tiny(54), "alice").owners == ("bob", "alice")
    assert manager.submit(tiny(55), "alice").state == QUEUED


def test_submit_searches_the_store_without_holding_the_lock(tmp_path):
    probes = []

    class WatchedStore(RunStore):
        def find(self, config):
            # Another thread (a page) must be able to take the manager's lock while the disk is read.
            def probe():
                probes.append(manager._changed.acquire(timeout=5))
                if probes[-1]:
                    manager._changed.release()

            prober = threading.Thread(target=probe)
            prober.start()
            prober.join()
            return super().find(config)

    manager = JobManager(WatchedStore(tmp_path), max_concurrent=1, trainer=FakeTrainer(finishes=False))
    assert manager.submit(tiny(60), "alice").state in (QUEUED, RUNNING)
    assert probes == [True]


def test_ray_that_cannot_be_reached_is_named_in_one_line(tmp_path, monkeypatch, caplog):
    manager = JobManager(RunStore(tmp_path), trainer=remote.RayTrainer("127.0.0.1:9"))
    job = manager.submit(tiny(61), "alice")
    final = wait_until_final(job)[0][-1]
    assert final.state == FAILED and "127.0.0.1:9" in final.error and "\n" not in final.error
    assert manager.backend_error == final.error and "127.0.0.1:9" in caplog.text
    monkeypatch.setitem(__import__("sys").modules, "ray", None)
    with pytest.raises(cluster.RayUnavailableError, match="Ray is not installed"):
        cluster.connect("auto")


def test_owners_see_only_their_own_jobs_newest_first(tmp_path):
    manager = JobManager(RunStore(tmp_path), max_concurrent=1, trainer=FakeTrainer(finishes=False))
    alice_first = manager.submit(tiny(31), "alice")
    bob_job = manager.submit(tiny(32), "bob")
    alice_second = manager.submit(tiny(33), "alice")
    assert manager.jobs_for("alice") == [alice_second, alice_first]
    assert manager.jobs_for("bob") == [bob_job] and manager.jobs_for("carol") == []


def test_finished_jobs_are_forgotten_beyond_the_limit():
    history = {key: [0.5] for key in HISTORY_KEYS}
    stored_run = types.SimpleNamespace(run_id="stored", history=history, stopped=False)
    store = types.SimpleNamespace(reusable=lambda config, retrain: stored_run)
    manager = JobManager(store, max_concurrent=1, max_finished=3, trainer=FakeTrainer())
    submitted = [manager.submit(tiny(41), "alice") for _ in range(5)]
    assert all(job.snapshot().reused for job in submitted)
    assert manager.jobs_for("alice") == submitted[:1:-1]
    assert manager.get(submitted[0].job_id) is None and manager.get(submitted[-1].job_id) is submitted[-1]


@pytest.mark.parametrize("max_concurrent", [0, 1.5, True])
def test_max_concurrent_must_be_a_positive_whole_number(max_concurrent):
    with pytest.raises(ValueError, match="max_concurrent"):
        JobManager(types.SimpleNamespace(), max_concurrent=max_concurrent, trainer=FakeTrainer())


def test_trainings_at_once_follow_the_cluster_within_the_servers_cap(tmp_path):
    # A cluster (no cap) runs one training per CPU once connected; the server's own Ray keeps its setting.
    on_cluster = JobManager(RunStore(tmp_path), max_concurrent=None, trainer=FakeTrainer(capacity=5))
    for _ in range(1000):
        if on_cluster.capacity() == 5:
            break
        time.sleep(0.01)
    assert on_cluster.capacity() == 5
    assert JobManager(RunStore(tmp_path), max_concurrent=2, trainer=FakeTrainer(capacity=5)).capacity() == 2


def test_rounds_that_keep_failing_fail_the_running_jobs_with_one_traceback(tmp_path, monkeypatch, caplog):
    class LostRay(FakeTrainer):
        def progress(self, job_ids):
            raise ConnectionError("GCS at 127.0.0.1:6379 is unreachable\nmore detail")

    monkeypatch.setattr(job_manager, "GIVE_UP_SECONDS", 1.0)
    manager = JobManager(RunStore(tmp_path), max_concurrent=1, trainer=LostRay(finishes=False))
    job = manager.submit(tiny(70), "alice")
    final = wait_until_final(job)[0][-1]
    assert final.state == FAILED
    assert final.error == ("Training failed: lost contact with Ray (GCS at 127.0.0.1:6379 is unreachable); "
                           "nothing was saved. Press Train to try again.")
    failed_rounds = [record for record in caplog.records if "round failed" in record.getMessage()]
    assert len(failed_rounds) == 1 and failed_rounds[0].exc_info, "one traceback per outage, not one per round"
    assert "Gave up 1 running training(s)" in caplog.text
    assert not list(tmp_path.iterdir()) and manager.jobs_for("alice") == [job]
