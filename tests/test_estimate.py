"""Tests of the training-time estimate."""

import time
import types

import pytest

from mnist_core.config import TrainConfig
from mnist_core.data import load_dataset
from mnist_core.estimate import (
    COMPILE_SECONDS, LOAD_SECONDS, SECONDS_PER_INFERENCE_WEIGHT, calibration_factor, compile_seconds,
    estimate_epoch_seconds, estimate_train_seconds,
)
from mnist_core.model import count_parameters
from mnist_core.train import train_run


def fake_run(config, epoch_seconds, stopped=False):
    return types.SimpleNamespace(config=config, history={"seconds": epoch_seconds}, stopped=stopped)


def test_estimate_grows_with_size_epochs_and_small_batches():
    base = estimate_train_seconds(TrainConfig())
    assert estimate_train_seconds(TrainConfig(hidden_size=512)) > base
    assert estimate_train_seconds(TrainConfig(epochs=10)) > base
    assert estimate_train_seconds(TrainConfig(batch_size=16)) > base
    assert estimate_train_seconds(TrainConfig(), data_loaded=True) < base


def test_past_runs_calibrate_the_model_to_this_machine():
    config = TrainConfig()
    modelled = estimate_epoch_seconds(config)
    slow_machine = [fake_run(config, [2.0, modelled * 3, modelled * 3])]
    assert calibration_factor(slow_machine) == pytest.approx(3.0)
    assert calibration_factor([fake_run(config, [2.0, 9.9], stopped=True)]) == 1.0
    assert estimate_train_seconds(config, slow_machine) > estimate_train_seconds(config)


def test_a_past_run_of_the_same_network_gives_its_own_epoch_and_compile_times():
    past = fake_run(TrainConfig(epochs=3, seed=7), [4.0, 1.0, 1.2, 1.1])
    estimate = estimate_train_seconds(TrainConfig(epochs=10), [past], data_loaded=True)
    testing = 10_000 * count_parameters(TrainConfig()) * SECONDS_PER_INFERENCE_WEIGHT
    # Compile: the first epoch's 4.0 s minus a steady 1.1 s; then ten steady epochs.
    assert estimate == pytest.approx(2.9 + 10 * 1.1 + testing)
    assert compile_seconds([past]) == pytest.approx(2.9)
    assert compile_seconds([]) == COMPILE_SECONDS


def test_other_networks_scale_the_model_by_the_measured_speed():
    past = fake_run(TrainConfig(hidden_size=16), [3.0] + [estimate_epoch_seconds(TrainConfig(hidden_size=16)) * 2] * 3)
    wide = TrainConfig(hidden_size=512, epochs=4)
    estimate = estimate_train_seconds(wide, [past])
    testing = 10_000 * count_parameters(wide) * SECONDS_PER_INFERENCE_WEIGHT
    expected = compile_seconds([past]) + 4 * 2 * estimate_epoch_seconds(wide) + testing + LOAD_SECONDS
    assert estimate == pytest.approx(expected)


@pytest.mark.slow
def test_estimates_are_within_30_percent_of_real_trainings_on_this_machine(data_dir, tiny_result):
    """Trains the seed and a wider, smaller-batch network for real; each is estimated from the other.

    `tiny_result` has already initialised TensorFlow in this process, as earlier trainings have in
    a running dashboard, so no training pays that one-time cost. The seed trains before and after
    the wide network, so a change in how busy the shared machine is affects both sides alike.
    """
    del tiny_result
    load_dataset("mnist", data_dir)  # The trainings then find the data in memory, hence data_loaded=True.
    seed, wide = TrainConfig(), TrainConfig(hidden_size=128, epochs=10, batch_size=32)
    runs, seconds = [], []
    for config in (seed, wide, seed):
        started = time.perf_counter()
        runs.append(train_run(config, data_dir=data_dir))
        seconds.append(time.perf_counter() - started)
    seed_runs, wide_run = [runs[2], runs[0]], runs[1]
    report = {
        seed.describe(): (estimate_train_seconds(seed, [wide_run], data_loaded=True), (seconds[0] + seconds[2]) / 2),
        # The seed runs are other networks here (not the same shape): the model scales their speed.
        wide.describe(): (estimate_train_seconds(wide, seed_runs, data_loaded=True), seconds[1]),
    }
    report = {label: (round(estimate, 1), round(actual, 1)) for label, (estimate, actual) in report.items()}
    print("estimate vs actual seconds:", report)
    for label, (estimate, actual) in report.items():
        assert 0.7 * actual <= estimate <= 1.3 * actual, f"{label}: estimated {estimate} s, took {actual} s"
