"""Tests of the training loop: history, progress, determinism, cancellation and accuracy."""

import dataclasses
import gc

import numpy as np
import pytest
import tensorflow as tf

from mnist_core import train
from mnist_core.config import TrainConfig
from mnist_core.model import build_mlp, count_parameters
from mnist_core.train import HISTORY_KEYS, train_run

TINY = TrainConfig(hidden_size=16, hidden_layers=1, epochs=2)
# A real training on 5,000 examples: 50 steps an epoch, still in 10 progress chunks.
SMALL = TrainConfig(hidden_size=16, hidden_layers=1, epochs=2, train_examples=5000)


def test_model_shape_matches_the_seed():
    model = build_mlp(TrainConfig())
    assert [layer.name for layer in model.layers] == ["flatten", "hidden_1", "hidden_2", "output"]
    assert model.count_params() == count_parameters(TrainConfig()) == 784 * 50 + 50 + 50 * 50 + 50 + 510
    assert model.output_shape == (None, 10)
    assert model.loss == "sparse_categorical_crossentropy"


def test_dropout_adds_layers():
    names = [layer.name for layer in build_mlp(TrainConfig(dropout=0.2, hidden_layers=3)).layers]
    assert names.count("dropout_1") == 1 and len(names) == 8


def test_history_progress_and_test_metrics(data_dir, tiny_result):
    result = tiny_result
    assert set(result.history) == set(HISTORY_KEYS) and len(result.history["loss"]) == 1
    assert 0.8 < result.history["val_accuracy"][0] <= 1 and result.history["loss"][0] < 1.0
    assert 0.85 < result.evaluation.accuracy < 1 and not result.stopped
    assert result.evaluation.confusion.sum() == 10000
    assert len(result.evaluation.misclassified) == round(10000 * (1 - result.evaluation.accuracy))


def test_progress_is_reported_within_and_after_each_epoch(data_dir):
    events = []
    train_run(TINY, data_dir=data_dir, on_progress=events.append)
    steps = [event for event in events if event.kind == "step"]
    epochs = [event for event in events if event.kind == "epoch"]
    assert len(steps) == 20 and len(epochs) == 2
    fractions = [event.fraction for event in events]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert steps[0].step == 54 and steps[0].steps_per_epoch == 540
    assert set(epochs[0].logs) == set(HISTORY_KEYS)


def test_same_seed_gives_identical_runs(data_dir):
    events = []
    first = train_run(SMALL, data_dir=data_dir, on_progress=events.append)
    # train_examples really trains on the subset: 5,000 examples in batches of 100.
    assert {event.steps_per_epoch for event in events} == {50}
    assert first.evaluation.accuracy > 0.7, "far above the 10% of guessing, below a full training"
    second = train_run(SMALL, data_dir=data_dir)
    assert first.history["loss"] == second.history["loss"]
    assert first.history["val_accuracy"] == second.history["val_accuracy"]
    assert first.evaluation.accuracy == second.evaluation.accuracy
    other = train_run(dataclasses.replace(SMALL, seed=1), data_dir=data_dir)
    assert other.history["loss"] != first.history["loss"]


def test_stop_returns_a_stopped_run_within_one_chunk(data_dir):
    events = []
    result = train_run(
        TrainConfig(epochs=50), data_dir=data_dir, on_progress=events.append, should_stop=lambda: True
    )
    assert result.stopped and result.epochs_trained == 0
    assert [event.kind for event in events] == ["step", "epoch"]
    assert events[0].step == 54, "stopped after the first chunk of 54 of 540 steps"
    assert len(result.history["loss"]) == 1 and 0 < result.evaluation.accuracy < 1
    assert result.history["epoch_fraction"] == [0.1]


def test_a_stop_at_the_end_of_an_epoch_keeps_that_epoch_whole(data_dir):
    checks = []
    result = train_run(SMALL, data_dir=data_dir, should_stop=lambda: checks.append(1) or len(checks) >= 10)
    assert result.stopped and result.history["epoch_fraction"] == [1.0]
    assert result.epochs_trained == 1


def test_partial_last_batch_and_other_settings_train(data_dir):
    # 20,500 examples in batches of 1,000: the last of the 21 batches holds 500.
    config = TrainConfig(hidden_size=32, epochs=1, batch_size=1000, validation_fraction=0.1234,
                         optimizer="sgd", learning_rate=0.1, activation="tanh", dropout=0.3, train_examples=20_500)
    events = []
    result = train_run(config, data_dir=data_dir, on_progress=events.append)
    assert events[-1].steps_per_epoch == 21
    assert np.isfinite(result.history["loss"][0]) and result.evaluation.accuracy > 0.6, "far above the 10% of guessing"


@pytest.mark.slow
def test_default_config_reaches_the_seed_accuracy(data_dir):
    result = train_run(TrainConfig(), data_dir=data_dir)
    assert len(result.history["loss"]) == 5
    assert result.evaluation.accuracy >= 0.965
    assert result.history["val_accuracy"][-1] > result.history["val_accuracy"][0]


def _live_image_tensors():
    """Counts tensors alive in this process that hold at least a million values (image sets)."""
    return sum(
        1 for thing in gc.get_objects()
        if isinstance(thing, tf.Tensor) and hasattr(thing, "numpy") and (thing.shape.num_elements() or 0) >= 1_000_000
    )


def test_repeated_trainings_leave_no_image_tensors_behind(data_dir):
    # Captured by the compiled loop, each training's images (54000×28×28) outlived it: about 55 MB
    # per training, without end, in a web server or a worker that trains one run after another.
    config = TrainConfig(hidden_size=8, hidden_layers=1, epochs=1)
    train_run(config, data_dir=data_dir)
    gc.collect()
    after_first = _live_image_tensors()
    for _ in range(2):
        train_run(config, data_dir=data_dir)
    gc.collect()
    assert _live_image_tensors() == after_first == 0


def test_dropout_runs_repeat_exactly(data_dir):
    config = TrainConfig(hidden_size=16, hidden_layers=2, epochs=1, dropout=0.3, seed=5, train_examples=5000)
    first, second = (train_run(config, data_dir=data_dir) for _ in range(2))
    assert first.history["loss"] == second.history["loss"]
    assert first.evaluation.accuracy == second.evaluation.accuracy


def test_a_reused_compiled_loop_trains_exactly_like_a_fresh_one(data_dir):
    # Trainings of one network shape share a compiled loop; each must still start from scratch.
    slow = TrainConfig(hidden_size=16, hidden_layers=1, epochs=1, learning_rate=0.0001, dropout=0.2, seed=3,
                       train_examples=5000)
    fast = dataclasses.replace(slow, learning_rate=0.01, seed=4)
    train._LOOPS.clear()
    fresh = train_run(slow, data_dir=data_dir)
    other = train_run(fast, data_dir=data_dir)
    assert len(train._LOOPS) == 1, "both trainings used one compiled loop"
    reused = train_run(slow, data_dir=data_dir)
    for key in ("loss", "accuracy", "val_loss", "val_accuracy"):
        assert reused.history[key] == fresh.history[key] != other.history[key]
    assert reused.evaluation.accuracy == fresh.evaluation.accuracy
    # Each result owns its model: a later training does not change an earlier result's weights.
    assert not np.array_equal(fresh.model.get_weights()[0], other.model.get_weights()[0])
