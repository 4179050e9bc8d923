"""Tests of the training-time estimate."""

import types

import pytest

from mnist_core.config import TrainConfig
from mnist_core.estimate import calibration_factor, estimate_epoch_seconds, estimate_train_seconds


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
