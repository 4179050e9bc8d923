"""Tests of TrainConfig: seed defaults, validation messages and the stable key."""

import dataclasses

import pytest

from mnist_core.config import TrainConfig


def test_defaults_are_the_seed_notebook():
    config = TrainConfig()
    assert (config.hidden_size, config.hidden_layers, config.activation) == (50, 2, "relu")
    assert (config.epochs, config.batch_size, config.optimizer) == (5, 100, "adam")
    assert (config.learning_rate, config.dropout, config.dataset, config.seed) == (0.001, 0.0, "mnist", 0)
    assert (config.validation_size, config.train_size) == (6000, 54000)


@pytest.mark.parametrize(
    "field, value, expected",
    [
        ("hidden_size", 0, "hidden_size must be from 1 to 2048, got 0."),
        ("hidden_size", 4096, "hidden_size must be from 1 to 2048, got 4096."),
        ("hidden_size", 5.5, "hidden_size must be a whole number from 1 to 2048, got 5.5."),
        ("hidden_layers", 7, "hidden_layers must be from 1 to 6, got 7."),
        ("epochs", 0, "epochs must be from 1 to 100, got 0."),
        ("epochs", True, "epochs must be a whole number from 1 to 100, got True."),
        ("batch_size", 0, "batch_size must be from 1 to 54000, got 0."),
        ("batch_size", 54001, "batch_size must be from 1 to 54000, got 54001."),
        ("activation", "gelu", "activation must be one of relu, tanh, sigmoid, elu, got 'gelu'."),
        ("optimizer", "adagrad", "optimizer must be one of adam, sgd, rmsprop, got 'adagrad'."),
        ("learning_rate", 0.0, "learning_rate must be from 1e-05 to 1.0, got 0.0."),
        ("dropout", 0.9, "dropout must be from 0.0 to 0.7, got 0.9."),
        ("validation_fraction", 0.0, "validation_fraction must be from 0.01 to 0.5, got 0.0."),
        ("dataset", "cifar10", "dataset must be one of mnist, fashion_mnist, got 'cifar10'."),
        ("seed", -1, "seed must be from 0 to 2147483647, got -1."),
    ],
)
def test_each_bad_field_names_field_value_and_range(field, value, expected):
    with pytest.raises(ValueError) as caught:
        TrainConfig(**{field: value})
    assert str(caught.value) == expected


def test_batch_size_limit_follows_validation_fraction():
    assert TrainConfig(validation_fraction=0.5, batch_size=30000).train_size == 30000
    with pytest.raises(ValueError, match="batch_size must be from 1 to 30000"):
        TrainConfig(validation_fraction=0.5, batch_size=30001)


def test_config_is_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        TrainConfig().epochs = 3


def test_key_is_stable_and_covers_every_setting():
    assert TrainConfig().key() == TrainConfig().key()
    assert len(TrainConfig().key()) == 16
    keys = {TrainConfig(seed=1).key(), TrainConfig(dataset="fashion_mnist").key(), TrainConfig().key()}
    assert len(keys) == 3


def test_dict_roundtrip_and_unknown_names():
    config = TrainConfig(hidden_size=128, dropout=0.2)
    assert TrainConfig.from_dict(config.to_dict()) == config
    with pytest.raises(ValueError, match="Unknown setting"):
        TrainConfig.from_dict({"hidden": 3})


def test_describe_is_short_and_names_the_shape():
    assert TrainConfig().describe() == "2×50 relu, 5 ep, batch 100"
    assert TrainConfig(dataset="fashion_mnist").describe().endswith("fashion_mnist")


def test_train_examples_default_to_all_and_stay_out_of_old_keys():
    config = TrainConfig()
    assert config.train_examples is None and config.train_size == 54000
    assert "train_examples" not in config.to_dict()
    # The key of the seed settings as stored before train_examples existed.
    assert config.key() == "cfbe4220ee750b21"


def test_train_examples_shrink_the_training_part_and_change_the_key():
    small = TrainConfig(train_examples=2000, batch_size=100)
    assert small.train_size == 2000 and small.validation_size == 6000
    assert small.to_dict()["train_examples"] == 2000
    assert TrainConfig.from_dict(small.to_dict()) == small
    assert small.key() != TrainConfig().key()
    assert small.describe() == "2×50 relu, 5 ep, batch 100, 2,000 examples"


@pytest.mark.parametrize(
    "changes, expected",
    [
        ({"train_examples": 0}, "train_examples must be from 1 to 54000, got 0."),
        ({"train_examples": 54001}, "train_examples must be from 1 to 54000, got 54001."),
        ({"train_examples": 12.5}, "train_examples must be a whole number from 1 to 54000, got 12.5."),
        ({"train_examples": 500, "batch_size": 501}, "batch_size must be from 1 to 500, got 501."),
    ],
)
def test_bad_train_examples_are_named(changes, expected):
    with pytest.raises(ValueError) as caught:
        TrainConfig(**changes)
    assert str(caught.value) == expected
