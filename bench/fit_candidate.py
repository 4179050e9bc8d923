"""The `model.fit` way to train a `TrainConfig`, with every feature the dashboard needs, for benchmarks.

It is what `mnist_core.train` would become with Keras's own loop: XLA (`jit_compile=True`),
`steps_per_execution` so progress arrives `CHUNKS_PER_EPOCH` times an epoch, a callback that
reports running loss/accuracy and can stop within an epoch, validation at each epoch's end, and the
same seeded split and initial weights as `train_run`. Two ways in are measured: NumPy arrays
(Keras shuffles and batches them, as the exported script does) and an in-memory `tf.data` pipeline
that keeps uint8 images and scales each batch.
"""

import math
import time

import keras
import numpy as np
import tensorflow as tf

from mnist_core.model import build_mlp
from mnist_core.train import CHUNKS_PER_EPOCH

INPUTS = ("arrays", "tfdata")


class _ProgressAndStop(keras.callbacks.Callback):
    """Records a progress point after every execution, times epochs and stops when asked."""

    def __init__(self, should_stop):
        super().__init__()
        self.should_stop = should_stop
        self.points = []
        self.epoch_seconds = []

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch_started = time.perf_counter()

    def on_train_batch_end(self, batch, logs=None):
        self.points.append((batch, float(logs["loss"]), float(logs["accuracy"])))
        if self.should_stop():
            self.model.stop_training = True

    def on_epoch_end(self, epoch, logs=None):
        self.epoch_seconds.append(time.perf_counter() - self.epoch_started)


def fit_train(config, split, inputs="arrays", should_stop=lambda: False):
    """Trains `config`'s network on `split` with `model.fit` and returns (history, callback)."""
    keras.utils.set_random_seed(config.seed)
    model = build_mlp(config)
    steps_per_epoch = math.ceil(len(split.train_labels) / config.batch_size)
    model.compile(optimizer=model.optimizer, loss=model.loss, metrics=["accuracy"], jit_compile=True,
                  steps_per_execution=math.ceil(steps_per_epoch / CHUNKS_PER_EPOCH))
    callback = _ProgressAndStop(should_stop)
    val_images = split.val_images.astype(np.float32) / 255.0
    if inputs == "arrays":
        train_images = split.train_images.astype(np.float32) / 255.0
        history = model.fit(train_images, split.train_labels, batch_size=config.batch_size, epochs=config.epochs,
                            validation_data=(val_images, split.val_labels), validation_batch_size=2000,
                            callbacks=[callback], verbose=0)
    else:
        train_ds = (
            tf.data.Dataset.from_tensor_slices((split.train_images, split.train_labels))
            .shuffle(len(split.train_labels), seed=config.seed + 1, reshuffle_each_iteration=True)
            .batch(config.batch_size)
            .map(lambda images, labels: (tf.cast(images, tf.float32) / 255.0, labels))
            .prefetch(tf.data.AUTOTUNE)
        )
        history = model.fit(train_ds, epochs=config.epochs, validation_data=(val_images, split.val_labels),
                            validation_batch_size=2000, callbacks=[callback], verbose=0)
    return history.history, callback
