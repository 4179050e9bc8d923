"""Training: one call turns a `TrainConfig` into a trained network, its history and test figures."""

import collections
import contextlib
import dataclasses
import threading
import time

import keras
import numpy as np
import tensorflow as tf

from mnist_core.config import HISTORY_KEYS, VALIDATION_BATCH_SIZE
from mnist_core.data import load_dataset, split_train_validation
from mnist_core.evaluate import evaluate_probabilities
from mnist_core.model import build_mlp
from mnist_core.network import network_from_keras

# Compiled networks kept for the shapes trained last; see `_CompiledNetwork`.
COMPILED_NETWORKS_KEPT = 4
_NETWORKS = collections.OrderedDict()
_NETWORKS_LOCK = threading.Lock()


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
    """Trains the network described by `config` with Keras's `model.fit` and tests it.

    The exported script (`mnist_core.codegen`) makes the same calls, so it reproduces this
    history exactly for the same config.

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
    # Seeds Python's, NumPy's, TensorFlow's and Keras' random state: initial weights, shuffling, dropout.
    keras.utils.set_random_seed(config.seed)
    model = build_mlp(config)
    reporter = _Reporter(config, on_progress or _ignore, should_stop or _never)
    with _compiled_network(config) as network:
        network.start_from(model)
        network.model.fit(_scaled(split.train_images), split.train_labels, batch_size=config.batch_size,
                          epochs=config.epochs, validation_data=(_scaled(split.val_images), split.val_labels),
                          validation_batch_size=VALIDATION_BATCH_SIZE, callbacks=[reporter], verbose=0)
        trained = time.perf_counter()
        probabilities = network.predict_probabilities(dataset.test_images)
        model.set_weights(network.model.get_weights())
    evaluation = evaluate_probabilities(probabilities, dataset.test_labels)
    timings = {
        "load_seconds": loaded - started,
        "train_seconds": trained - loaded,
        "test_seconds": time.perf_counter() - trained,
    }
    return TrainResult(config, model, reporter.history, evaluation, reporter.stopped, timings)


class _Reporter(keras.callbacks.Callback):
    """Turns `fit`'s callbacks into `ProgressEvent`s and the history, and stops the run when asked."""

    def __init__(self, config, on_progress, should_stop):
        super().__init__()
        self.epochs, self.steps_per_epoch = config.epochs, config.steps_per_epoch
        self.on_progress, self.should_stop = on_progress, should_stop
        self.history = {key: [] for key in HISTORY_KEYS}
        self.stopped = False

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch, self.epoch_started, self.step = epoch + 1, time.perf_counter(), 0

    def on_train_batch_end(self, batch, logs=None):
        # `batch` is the last step the chunk ran, counted from 0; logs hold the epoch's running means.
        self.step = batch + 1
        running = {"loss": float(logs["loss"]), "accuracy": float(logs["accuracy"])}
        self._report("step", running)
        self._stop_if_asked()

    def on_epoch_end(self, epoch, logs=None):
        figures = {key: float(logs[key]) for key in ("loss", "accuracy", "val_loss", "val_accuracy")}
        figures.update(seconds=time.perf_counter() - self.epoch_started,
                       epoch_fraction=self.step / self.steps_per_epoch)
        for key in HISTORY_KEYS:
            self.history[key].append(figures[key])
        self._report("epoch", figures)
        if self.epoch < self.epochs:
            self._stop_if_asked()

    def _report(self, kind, logs):
        self.on_progress(ProgressEvent(kind, self.epoch, self.epochs, self.step, self.steps_per_epoch, logs))

    def _stop_if_asked(self):
        if not self.stopped and self.should_stop():
            self.stopped = self.model.stop_training = True


class _CompiledNetwork:
    """A network compiled for `fit` and for inference, reused by later trainings of its shape.

    XLA-compiling the training step takes seconds, and every compiled function stays in memory for
    the life of the process (TensorFlow keeps it: about 20 MB a training, measured), so a process
    that trains again and again (a Ray worker) compiles each shape once and reloads the weights of
    each new training. The calls are the exported script's, so the figures are the same.
    """

    def __init__(self, config):
        self.model = build_mlp(config)
        # XLA compiles each gradient step, and one call runs a tenth of an epoch's steps: most of the
        # seed's time was Python and input-pipeline overhead between steps. Progress follows each call.
        self.model.compile(optimizer=self.model.optimizer, loss=self.model.loss, metrics=["accuracy"],
                           jit_compile=True, steps_per_execution=config.steps_per_execution)
        self.model.optimizer.build(self.model.trainable_variables)

    def predict_probabilities(self, images):
        """Returns the current weights' probabilities, computed as the dashboard computes them for stored runs."""
        return network_from_keras(self.model).probabilities(images)

    def start_from(self, model):
        """Starts a training: `model`'s initial weights and dropout seeds, and a fresh optimizer."""
        for target, source in zip(self.model.variables, model.variables, strict=True):
            target.assign(source)
        optimizer = self.model.optimizer
        for variable in optimizer.variables:
            variable.assign(tf.zeros_like(variable))
        optimizer.learning_rate = model.optimizer.learning_rate


@contextlib.contextmanager
def _compiled_network(config):
    """Lends the compiled network for `config`'s shape, building it on first use.

    A network is out of the cache while lent, so two threads training the same shape never share one.
    """
    key = (config.hidden_size, config.hidden_layers, config.activation, config.dropout, config.optimizer,
           config.batch_size, config.steps_per_execution)
    with _NETWORKS_LOCK:
        network = _NETWORKS.pop(key, None)
    if network is None:
        network = _CompiledNetwork(config)
    yield network
    with _NETWORKS_LOCK:
        _NETWORKS[key] = network
        while len(_NETWORKS) > COMPILED_NETWORKS_KEPT:
            _NETWORKS.popitem(last=False)


def _scaled(images):
    """Returns uint8 images as float32 in [0, 1], the range the network trains on."""
    return images.astype(np.float32) / 255.0


def _ignore(event):
    del event


def _never():
    return False
