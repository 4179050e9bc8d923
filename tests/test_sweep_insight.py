"""Tests of sweep configs and tables, and of the first-layer weight images."""

import types

import numpy as np
import pytest

from mnist_core.config import TrainConfig
from mnist_core.network import network_from_keras
from mnist_core.sweep import SWEEPABLE, parse_values, sweep_configs, sweep_table


def test_sweep_varies_only_the_chosen_field():
    configs = sweep_configs(TrainConfig(epochs=3), "hidden_size", [8, 32, 32, 128])
    assert [config.hidden_size for config in configs] == [8, 32, 128]
    assert {config.epochs for config in configs} == {3}
    assert [config.hidden_size for config in sweep_configs(TrainConfig(), "hidden_size", SWEEPABLE["hidden_size"])] == [
        8, 32, 128, 512]


def test_bad_sweeps_are_rejected_with_the_reason():
    with pytest.raises(ValueError, match="field must be one of"):
        sweep_configs(TrainConfig(), "seed", [1, 2])
    with pytest.raises(ValueError, match="hidden_size must be from 1 to 2048, got 4096"):
        sweep_configs(TrainConfig(), "hidden_size", [4096])


def test_sweep_table_lists_the_values_that_have_runs():
    configs = sweep_configs(TrainConfig(), "dropout", [0.0, 0.2])
    run = types.SimpleNamespace(test_accuracy=0.97, timings={"train_seconds": 2.5}, run_id="r1")
    rows = sweep_table("dropout", configs, {configs[1].key(): run})
    assert rows == [{"dropout": 0.2, "test_accuracy": 0.97, "train_seconds": 2.5, "run_id": "r1"}]


def test_first_layer_weights_are_one_image_per_unit(tiny_result):
    network = network_from_keras(tiny_result.model)
    images = network.first_layer_weights(max_units=64)
    assert images.shape == (16, 28, 28)
    kernel = tiny_result.model.get_layer("hidden_1").get_weights()[0]
    assert np.array_equal(images[3].reshape(784), kernel[:, 3])
    assert network.first_layer_weights(max_units=4).shape == (4, 28, 28)


def test_sweep_values_are_read_from_text():
    assert parse_values("hidden_size", " 8, 32,,128 ") == [8, 32, 128]
    assert parse_values("dropout", "0.1,0.3") == [0.1, 0.3]
    assert parse_values("epochs", "") == [1, 3, 5, 10]
    with pytest.raises(ValueError, match="invalid literal"):
        parse_values("hidden_size", "8, lots")
