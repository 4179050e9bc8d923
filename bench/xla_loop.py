"""The hand-written XLA training loop `train_run` used before it moved to `model.fit`, for benchmarks.

Kept so bench/bench_train.py can still measure `model.fit` against it in the same run: one
XLA-compiled `tf.while_loop` runs a tenth of an epoch's steps per call on images already in memory,
reports running loss/accuracy after each call, checks a stop function, and validates at epoch end.
"""

import math
import time

import keras
import numpy as np
import tensorflow as tf

from mnist_core.config import PROGRESS_POINTS_PER_EPOCH
from mnist_core.evaluate import loss_and_accuracy
from mnist_core.model import build_mlp
from mnist_core.network import network_from_keras


def loop_train(config, split, should_stop=lambda: False):
    """Trains `config`'s network on `split` and returns (epoch seconds, progress points)."""
    keras.utils.set_random_seed(config.seed)
    model = build_mlp(config)
    train_steps = _make_train_steps(model, config.batch_size)
    images, labels = tf.constant(split.train_images), tf.constant(split.train_labels)
    steps_per_epoch = math.ceil(len(split.train_labels) / config.batch_size)
    chunk = math.ceil(steps_per_epoch / PROGRESS_POINTS_PER_EPOCH)
    shuffler = np.random.default_rng(config.seed + 1)
    epoch_seconds, points = [], []
    for _ in range(config.epochs):
        epoch_started = time.perf_counter()
        order = np.full(steps_per_epoch * config.batch_size, -1, dtype=np.int32)
        order[:len(split.train_labels)] = shuffler.permutation(len(split.train_labels))
        order = tf.constant(order)
        totals = np.zeros(3)
        for first_step in range(0, steps_per_epoch, chunk):
            last_step = min(first_step + chunk, steps_per_epoch)
            totals += [float(part) for part in train_steps(images, labels, order, tf.constant(first_step),
                                                           tf.constant(last_step))]
            points.append((last_step, totals[0] / totals[2], totals[1] / totals[2]))
            if should_stop():
                break
        loss_and_accuracy(network_from_keras(model).probabilities(split.val_images), split.val_labels)
        epoch_seconds.append(time.perf_counter() - epoch_started)
    return epoch_seconds, points


def _make_train_steps(model, batch_size):
    """Returns one XLA-compiled function that runs a range of gradient steps of an epoch."""
    optimizer = model.optimizer
    optimizer.build(model.trainable_variables)

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
            return (step + 1, loss_sum + tf.reduce_sum(per_example * weight),
                    correct + tf.reduce_sum(hits * weight), seen + tf.reduce_sum(weight))

        zero = tf.constant(0.0)
        _, loss_sum, correct, seen = tf.while_loop(
            lambda step, *_: step < last_step, one_step, (first_step, zero, zero, zero)
        )
        return loss_sum, correct, seen

    return train_steps
