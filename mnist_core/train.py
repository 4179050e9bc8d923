"""Training: one call turns a `TrainConfig` into a trained network, its history and test figures."""

import collections
import contextlib
import dataclasses
import math
import threading
import time

import keras
import numpy as np
import tensorflow as tf

from mnist_core.config import HISTORY_KEYS
from mnist_core.data import load_dataset, split_train_validation
from mnist_core.evaluate import evaluate_probabilities, loss_and_accuracy
from mnist_core.model import build_mlp
from mnist_core.network import network_from_keras

# Progress is reported this many times per epoch, which moves a progress bar smoothly.
CHUNKS_PER_EPOCH = 10
# Compiled loops kept for the network shapes trained last; see `_CompiledLoop`.
COMPILED_LOOPS_KEPT = 4
_LOOPS = collections.OrderedDict()
_LOOPS_LOCK = threading.Lock()


@dataclasses.dataclass(frozen=True)
class ProgressEvent:
    """What the training loop tells its caller after each chunk of steps and each epoch.

    Attributes:
        kind: "step" within an epoch, "epoch" when an epoch (with validation) is done.
        epoch: the current epoch, counted from 1.
        epochs: the number of epochs asked for.
        step: steps finished in the current epoch.
        steps_per_epoch: steps in a full epoch.
        logs: running "loss" and "accuracy"; "epoch" events add "val_loss", "val_accuracy",
            "seconds" and "epoch_fraction".
    """

    kind: str
    epoch: int
    epochs: int
    step: int
    steps_per_epoch: int
    logs: dict

    @property
    def fraction(self):
        """Share of the whole run done, from 0 to 1."""
        return ((self.epoch - 1) * self.steps_per_epoch + self.step) / (self.epochs * self.steps_per_epoch)


@dataclasses.dataclass(frozen=True)
class TrainResult:
    """A finished (or stopped) training run.

    Attributes:
        config: the settings trained.
        model: the trained Keras model.
        history: per-epoch lists under HISTORY_KEYS; a stopped run's last entry is its partial epoch.
        evaluation: the test-set `Evaluation`.
        stopped: True when the caller stopped the run before its last epoch ended.
        timings: seconds spent loading data, training and testing.
    """

    config: object
    model: keras.Model
    history: dict
    evaluation: object
    stopped: bool
    timings: dict

    @property
    def epochs_trained(self):
        """Number of whole epochs trained (a stop can cut the last one short), as `Run.epochs_trained`."""
        return sum(fraction == 1.0 for fraction in self.history["epoch_fraction"])


def train_run(config, data_dir=None, on_progress=None, should_stop=None, download=True):
    """Trains the network described by `config` and tests it.

    Args:
        config: a `TrainConfig`.
        data_dir: tfds data folder (None: $TFDS_DATA_DIR or ~/tensorflow_datasets).
        on_progress: called with a `ProgressEvent` after every chunk of steps and every epoch.
        should_stop: called between chunks; when it returns True the run stops and is returned
            with `stopped=True`.
        download: whether tfds may download a missing dataset.

    Returns:
        A `TrainResult`. The same config on the same machine gives the same history.
    """
    started = time.perf_counter()
    dataset = load_dataset(config.dataset, data_dir, download)
    split = split_train_validation(dataset, config.validation_fraction, config.seed, config.train_examples)
    loaded = time.perf_counter()
    # Seeds Python's, NumPy's and Keras' global random state, which initial weights and dropout use.
    keras.utils.set_random_seed(config.seed)
    model = build_mlp(config)
    with _compiled_loop(config) as loop:
        loop.load_weights_from(model)
        history, stopped = _fit(loop, split, config, on_progress or _ignore, should_stop or _never)
        trained = time.perf_counter()
        probabilities = loop.predict_probabilities(dataset.test_images)
        model.set_weights(loop.model.get_weights())
    evaluation = evaluate_probabilities(probabilities, dataset.test_labels)
    timings = {
        "load_seconds": loaded - started,
        "train_seconds": trained - loaded,
        "test_seconds": time.perf_counter() - trained,
    }
    return TrainResult(config, model, history, evaluation, stopped, timings)


def _fit(loop, split, config, on_progress, should_stop):
    train_steps, predict_probabilities = loop.train_steps, loop.predict_probabilities
    # The arrays go in as arguments, not as constants the compiled function captures: captured
    # constants lived as long as the traced graph, which kept every earlier training's images in memory.
    images, labels = tf.constant(split.train_images), tf.constant(split.train_labels)
    steps_per_epoch = math.ceil(len(split.train_labels) / config.batch_size)
    chunk = math.ceil(steps_per_epoch / CHUNKS_PER_EPOCH)
    shuffler = np.random.default_rng(config.seed + 1)
    history = {key: [] for key in HISTORY_KEYS}
    for epoch in range(1, config.epochs + 1):
        epoch_started = time.perf_counter()
        order = _padded_order(shuffler, len(split.train_labels), steps_per_epoch * config.batch_size)
        loss_sum = correct = seen = 0.0
        stopped = False
        for first_step in range(0, steps_per_epoch, chunk):
            last_step = min(first_step + chunk, steps_per_epoch)
            sums = train_steps(images, labels, order, tf.constant(first_step), tf.constant(last_step))
            loss_sum, correct, seen = (total + float(part) for total, part in zip((loss_sum, correct, seen), sums))
            logs = {"loss": loss_sum / seen, "accuracy": correct / seen}
            on_progress(ProgressEvent("step", epoch, config.epochs, last_step, steps_per_epoch, logs))
            stopped = should_stop()
            if stopped:
                break
        val_loss, val_accuracy = loss_and_accuracy(predict_probabilities(split.val_images), split.val_labels)
        logs.update(val_loss=val_loss, val_accuracy=val_accuracy, seconds=time.perf_counter() - epoch_started,
                    epoch_fraction=last_step / steps_per_epoch)
        for key in HISTORY_KEYS:
            history[key].append(logs[key])
        on_progress(ProgressEvent("epoch", epoch, config.epochs, last_step, steps_per_epoch, dict(logs)))
        if stopped or (epoch < config.epochs and should_stop()):
            return history, True
    return history, False


class _CompiledLoop:
    """A network with its compiled training and inference functions, reused by later trainings.

    Tracing and XLA-compiling the loop takes seconds, and every traced graph stays in memory for
    the life of the process (TensorFlow keeps it), so a process that trains again and again (a Ray
    worker) compiles each network shape once and reloads the weights of each new training.
    """

    def __init__(self, config):
        self.model = build_mlp(config)
        self.train_steps = _make_train_steps(self.model, config.batch_size)

    def predict_probabilities(self, images):
        """Returns the current weights' probabilities, computed as the dashboard computes them for stored runs."""
        return network_from_keras(self.model).probabilities(images)

    def load_weights_from(self, model):
        """Starts a training: `model`'s initial weights and dropout seeds, and a fresh optimizer."""
        for target, source in zip(self.model.variables, model.variables, strict=True):
            target.assign(source)
        optimizer = self.model.optimizer
        for variable in optimizer.variables:
            variable.assign(tf.zeros_like(variable))
        optimizer.learning_rate = model.optimizer.learning_rate


@contextlib.contextmanager
def _compiled_loop(config):
    """Lends the compiled loop for `config`'s network shape, building it on first use.

    A loop is out of the cache while lent, so two threads training the same shape never share one.
    """
    key = (config.hidden_size, config.hidden_layers, config.activation, config.dropout, config.optimizer,
           config.batch_size)
    with _LOOPS_LOCK:
        loop = _LOOPS.pop(key, None)
    if loop is None:
        loop = _CompiledLoop(config)
    yield loop
    with _LOOPS_LOCK:
        _LOOPS[key] = loop
        while len(_LOOPS) > COMPILED_LOOPS_KEPT:
            _LOOPS.popitem(last=False)


def _make_train_steps(model, batch_size):
    """Returns one XLA-compiled function that runs a range of gradient steps of an epoch.

    Running many steps per call, on images already in memory, removes the per-step Python and
    input-pipeline overhead that dominates the seed notebook's training time. Keras's `model.fit`
    with `jit_compile=True`, `steps_per_execution` and a progress callback took 2.2× this loop's
    steady epoch on the seed settings and 1.7× on 3×256 (`bench/bench_train.py --only-fit-vs-loop`,
    quiet machine), so the loop stays.
    """
    optimizer = model.optimizer
    optimizer.build(model.trainable_variables)

    # reduce_retracing lets one trace serve every validation fraction (the images' length varies).
    @tf.function(jit_compile=True, reduce_retracing=True)
    def train_steps(images, labels, order, first_step, last_step):
        def one_step(step, loss_sum, correct, seen):
            index = tf.slice(order, [step * batch_size], [batch_size])
            # Padding entries (-1) fill the last short batch; they get zero weight.
            weight = tf.cast(index >= 0, tf.float32)
            index = tf.maximum(index, 0)
            batch_images = tf.cast(tf.gather(images, index), tf.float32) / 255.0
            batch_labels = tf.gather(labels, index)
            with tf.GradientTape() as tape:
                probabilities = model(batch_images, training=True)
                per_example = keras.losses.sparse_categorical_crossentropy(batch_labels, probabilities)
                loss = tf.reduce_sum(per_example * weight) / tf.reduce_sum(weight)
            gradients = tape.gradient(loss, model.trainable_variables)
            optimizer.apply(gradients, model.trainable_variables)
            hits = tf.cast(tf.argmax(probabilities, axis=1) == batch_labels, tf.float32)
            return (
                step + 1,
                loss_sum + tf.reduce_sum(per_example * weight),
                correct + tf.reduce_sum(hits * weight),
                seen + tf.reduce_sum(weight),
            )

        zero = tf.constant(0.0)
        _, loss_sum, correct, seen = tf.while_loop(
            lambda step, *_: step < last_step, one_step, (first_step, zero, zero, zero)
        )
        return loss_sum, correct, seen

    return train_steps


def _padded_order(shuffler, num_examples, padded_length):
    order = np.full(padded_length, -1, dtype=np.int32)
    order[:num_examples] = shuffler.permutation(num_examples)
    return tf.constant(order)


def _ignore(event):
    del event


def _never():
    return False
