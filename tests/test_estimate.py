"""Tests of the training-time estimate."""

import types

import pytest

from mnist_core.config import TrainConfig
from mnist_core.estimate import (
    COMPILE_SECONDS, LOAD_SECONDS, SECONDS_PER_INFERENCE_WEIGHT, calibration_factor, compile_seconds,
    estimate_epoch_seconds, estimate_train_seconds,
)
from mnist_core.model import count_parameters


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
