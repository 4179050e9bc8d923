"""Tests of mnist_core.jobs: background trainings, sharing, reuse, the fair queue, stopping, failures."""

import dataclasses
import time
import types

import pytest

from mnist_core import jobs
from mnist_core.config import TrainConfig
from mnist_core.jobs import DONE, FAILED, FINAL_STATES, QUEUED, RUNNING, STOPPED, JobManager
from mnist_core.runs import RunStore
from mnist_core.train import HISTORY_KEYS

# Generous, because a busy machine may be slow; no test asserts on speed.
POLL_TIMEOUT = 300
POLL_INTERVAL = 0.005


def tiny(seed, **changes):
    """A network small enough to train one epoch on real MNIST in a second or two."""
    return TrainConfig(**{"hidden_size": 8, "hidden_layers": 1, "epochs": 1, "seed": seed, **changes})


@pytest.fixture
def make_manager(tmp_path, data_dir):
    """Builds managers on a fresh store; after the test, stops whatever they still run."""
    managers = []

    def make(max_concurrent=2, data_dir=data_dir, **options):
        manager = JobManager(RunStore(tmp_path / "runs"), max_concurrent, data_dir, **options)
        managers.append(manager)
        return manager

    yield make
    # A failed test may leave a long training behind, which would slow every later test.
    leftovers = [job for manager in managers for job in manager.active_jobs()]
    for job in leftovers:
        job.stop()
    wait_until_final(*leftovers)


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


def test_job_runs_to_done_with_a_stored_run_and_history(make_manager):
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
    assert manager.store.load(final.run.run_id).history == final.run.history
    assert final.elapsed > 0 and job.created_at <= job.started_at <= job.finished_at
    assert manager.active_jobs() == [] and manager.get(job.job_id) is job
    # Snapshots are frozen copies: changing one changes neither the job nor later snapshots.
    with pytest.raises(dataclasses.FrozenInstanceError):
        final.state = RUNNING
    final.history["loss"].append(99.0)
    final.logs["loss"] = 99.0
    assert len(job.snapshot().history["loss"]) == 1 and job.snapshot().logs["loss"] != 99.0


def test_progress_fraction_moves_forward(make_manager):
    job = make_manager().submit(tiny(3, epochs=2), "alice")
    snapshots = wait_until_final(job)[0]
    fractions = [snapshot.fraction for snapshot in snapshots if snapshot.state not in FINAL_STATES]
    assert len(set(fractions)) >= 2 and fractions == sorted(fractions)
    assert all(0 <= fraction <= 1 for fraction in fractions)
    history_lengths = [len(snapshot.history["loss"]) for snapshot in snapshots]
    assert history_lengths == sorted(history_lengths) and history_lengths[-1] == 2


def test_resubmitting_a_finished_config_reuses_its_run(make_manager):
    manager = make_manager()
    first = manager.submit(tiny(4), "alice")
    trained = wait_until_final(first)[0][-1]
    again = manager.submit(tiny(4), "bob")
    reused = again.snapshot()
    assert again is not first and reused.state == DONE and reused.reused and reused.fraction == 1.0
    assert reused.run.run_id == trained.run.run_id and reused.history == trained.history
    assert again.started_at is None and manager.queue_length() == 0 and manager.active_jobs() == []
    retrained = manager.submit(tiny(4), "alice", retrain=True)
    assert retrained.state in (QUEUED, RUNNING)
    final = wait_until_final(retrained)[0][-1]
    assert final.state == DONE and not final.reused and final.run.run_id != trained.run.run_id


def test_identical_submissions_while_running_share_one_job(make_manager):
    manager = make_manager()
    job = manager.submit(tiny(5), "alice")
    assert manager.submit(tiny(5), "alice") is job
    assert manager.submit(tiny(5), "bob") is job
    assert job.owners == ("alice", "bob") and manager.jobs_for("bob") == [job]
    assert manager.queue_length() + sum(active.state == RUNNING for active in manager.active_jobs()) == 1
    final = wait_until_final(job)[0][-1]
    assert final.state == DONE and len(manager.store.list()) == 1


def test_one_worker_runs_jobs_one_at_a_time_in_order(make_manager):
    manager = make_manager(max_concurrent=1)
    submitted = [manager.submit(tiny(seed), "alice") for seed in (11, 12, 13)]
    wait_until(lambda: submitted[0].state != QUEUED)
    positions = [job.snapshot() for job in submitted]
    assert positions[0].state == RUNNING, "the first tiny training ended before the queue was checked"
    assert [snapshot.queue_position for snapshot in positions] == [0, 1, 2]
    assert manager.queue_length() == 2 and manager.active_jobs() == submitted
    running_counts = []

    def count_running():
        running_counts.append(sum(job.state == RUNNING for job in submitted))

    finals = [snapshots[-1] for snapshots in wait_until_final(*submitted, on_poll=count_running)]
    assert max(running_counts) == 1
    assert [final.state for final in finals] == [DONE, DONE, DONE]
    assert len({final.run.run_id for final in finals}) == 3
    assert all(final.run.config == job.config for final, job in zip(finals, submitted))
    for earlier, later in zip(submitted, submitted[1:]):
        assert earlier.finished_at <= later.started_at


def test_queue_takes_owners_in_turns(make_manager):
    manager = make_manager(max_concurrent=1)
    alice_jobs = [manager.submit(tiny(seed, epochs=50), "alice") for seed in (21, 22, 23)]
    bob_job = manager.submit(tiny(24, epochs=50), "bob")
    wait_until(lambda: alice_jobs[0].state == RUNNING)
    assert manager.active_jobs() == [alice_jobs[0], bob_job, alice_jobs[1], alice_jobs[2]]
    assert [job.snapshot().queue_position for job in (bob_job, *alice_jobs[1:])] == [1, 2, 3]
    for job in (bob_job, *alice_jobs):
        job.stop()
    wait_until_final(*alice_jobs, bob_job)


def test_stopping_a_running_job_saves_a_stopped_run(make_manager):
    manager = make_manager()
    long_config = tiny(6, epochs=50)
    job = manager.submit(long_config, "alice")
    # A run stopped before its first full epoch is not kept by default, so one epoch is awaited.
    wait_until(lambda: len(job.snapshot().history["loss"]) >= 1)
    job.stop()
    assert job.snapshot().stopping or job.state == STOPPED
    final = wait_until_final(job)[0][-1]
    assert final.state == STOPPED and not final.stopping and final.run.stopped
    assert len(final.history["loss"]) < 50 and final.run.history == final.history
    assert manager.store.load(final.run.run_id).stopped and manager.store.find(long_config) is None
    # A stopped run is never reused, so asking again starts a new training.
    again = manager.submit(long_config, "alice")
    assert again is not job and not again.snapshot().reused
    again.stop()
    wait_until_final(again)


def test_stopping_a_queued_job_means_it_never_starts(make_manager):
    manager = make_manager(max_concurrent=1)
    blocker = manager.submit(tiny(7, epochs=50), "alice")
    wait_until(lambda: blocker.state == RUNNING)
    waiting = manager.submit(tiny(8), "alice")
    assert waiting.snapshot().queue_position == 1
    waiting.stop()
    stopped = waiting.snapshot()
    assert stopped.state == STOPPED and stopped.run is None and stopped.queue_position == 0
    assert manager.queue_length() == 0 and waiting not in manager.active_jobs()
    # The queue moves on past the stopped job, and asking again starts a fresh one.
    replacement = manager.submit(tiny(8), "alice")
    assert replacement is not waiting and replacement.snapshot().queue_position == 1
    blocker.stop()
    finals = [snapshots[-1] for snapshots in wait_until_final(blocker, replacement)]
    assert [final.state for final in finals] == [STOPPED, DONE]
    assert waiting.started_at is None and waiting.snapshot().run is None and waiting.state == STOPPED


def test_missing_data_fails_with_a_one_line_message(make_manager, tmp_path):
    # Without downloads the outcome is the same whether or not this machine is online.
    manager = make_manager(max_concurrent=1, data_dir=str(tmp_path / "none"), download=False)
    first = manager.submit(tiny(9), "alice")
    final = wait_until_final(first)[0][-1]
    assert final.state == FAILED and final.run is None
    assert "TFDS_DATA_DIR" in final.error and "\n" not in final.error
    # The worker survives the failure and takes the next job.
    second = manager.submit(tiny(10), "alice")
    assert wait_until_final(second)[0][-1].state == FAILED


def test_unexpected_errors_become_a_failed_state(make_manager, monkeypatch):
    errors = iter([ValueError("weights went missing\nsecond line of detail"), MemoryError()])

    def broken_train_run(config, **kwargs):
        raise next(errors)

    monkeypatch.setattr(jobs, "train_run", broken_train_run)
    manager = make_manager(max_concurrent=1)
    submitted = [manager.submit(tiny(seed), "alice") for seed in (11, 12)]
    finals = [snapshots[-1] for snapshots in wait_until_final(*submitted)]
    assert [final.state for final in finals] == [FAILED, FAILED]
    assert [final.error for final in finals] == [
        "Training failed: ValueError: weights went missing",
        "Training failed: MemoryError",
    ]


def test_owners_see_only_their_own_jobs_newest_first(make_manager):
    manager = make_manager(max_concurrent=1)
    alice_first = manager.submit(tiny(31, epochs=50), "alice")
    bob_job = manager.submit(tiny(32, epochs=50), "bob")
    alice_second = manager.submit(tiny(33, epochs=50), "alice")
    assert manager.jobs_for("alice") == [alice_second, alice_first]
    assert manager.jobs_for("bob") == [bob_job] and manager.jobs_for("carol") == []
    for job in (alice_first, bob_job, alice_second):
        job.stop()
    wait_until_final(alice_first, bob_job, alice_second)


def test_finished_jobs_are_forgotten_beyond_the_limit():
    history = {key: [0.5] for key in HISTORY_KEYS}
    stored_run = types.SimpleNamespace(run_id="stored", history=history, stopped=False)
    store = types.SimpleNamespace(find=lambda config: stored_run)
    manager = JobManager(store, max_concurrent=1, max_finished=3)
    submitted = [manager.submit(tiny(41), "alice") for _ in range(5)]
    assert all(job.snapshot().reused for job in submitted)
    assert manager.jobs_for("alice") == submitted[:1:-1]
    assert manager.get(submitted[0].job_id) is None and manager.get(submitted[-1].job_id) is submitted[-1]


@pytest.mark.parametrize("max_concurrent", [0, 1.5, True])
def test_max_concurrent_must_be_a_positive_whole_number(max_concurrent):
    with pytest.raises(ValueError, match="max_concurrent"):
        JobManager(types.SimpleNamespace(), max_concurrent=max_concurrent)


def test_step_history_grows_within_each_epoch(make_manager):
    manager = make_manager()
    final = wait_until_final(manager.submit(tiny(20, epochs=2), "alice"))[0][-1]
    steps = final.step_history
    assert set(steps) == {"position", "loss", "accuracy"}
    assert len(steps["position"]) == len(steps["loss"]) == len(steps["accuracy"]) >= 20, "at least 10 per epoch"
    assert steps["position"] == sorted(steps["position"]) and steps["position"][-1] == pytest.approx(2.0)
    assert 0 < steps["position"][0] <= 0.1 + 1e-9
    assert all(0 <= accuracy <= 1 for accuracy in steps["accuracy"])
    # The last step of each epoch reports the epoch's average, which is what the history keeps.
    assert steps["loss"][-1] == pytest.approx(final.history["loss"][-1])


def stop_within_the_first_epoch(manager, config, **options):
    job = manager.submit(config, "alice", **options)
    wait_until(lambda: job.snapshot().step_history.get("position"))
    job.stop()
    return wait_until_final(job)[0][-1]


def test_a_stop_before_the_first_full_epoch_keeps_nothing_unless_asked(make_manager):
    manager = make_manager()
    dropped = stop_within_the_first_epoch(manager, tiny(21, hidden_size=256, epochs=5, batch_size=8))
    assert dropped.state == STOPPED and dropped.run is None and dropped.elapsed > 0
    assert manager.store.list() == []
    kept = stop_within_the_first_epoch(manager, tiny(22, hidden_size=256, epochs=5, batch_size=8), keep_partial=True)
    assert kept.state == STOPPED and kept.run.stopped and kept.run.epochs_trained == 0
    assert [run.run_id for run in manager.store.list()] == [kept.run.run_id]


def test_stop_detaches_only_the_caller_of_a_shared_job(make_manager):
    manager = make_manager()
    config = tiny(23, epochs=50)
    job = manager.submit(config, "alice")
    assert manager.submit(config, "bob") is job
    manager.stop(job.job_id, "alice")
    assert job.owners == ("bob",) and not job.snapshot().stopping
    manager.stop(job.job_id, "mallory")  # Not an owner: nothing happens.
    assert job.owners == ("bob",) and not job.snapshot().stopping
    manager.stop(job.job_id, "bob")
    assert wait_until_final(job)[0][-1].state == STOPPED
