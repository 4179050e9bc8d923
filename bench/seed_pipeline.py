"""The seed notebook's pipeline, verbatim but for timers, for benchmarks to compare against.

Run directly it prints one JSON line of timings: `python bench/seed_pipeline.py`. Benches call
`measure_seed()` to run it in a fresh process during their own run, so the machine's load (shared
by several people) weighs on both sides alike, and `print_ratio` to set a figure beside it.
"""

import json
import os
import resource
import subprocess
import sys
import time

import tensorflow as tf
import tensorflow_datasets as tfds


def run_seed(num_epochs=5):
    """Runs the notebook's cells in order and returns their timings and test figures."""
    started = time.perf_counter()
    mnist_dataset, mnist_info = tfds.load(name="mnist", with_info=True, as_supervised=True)
    mnist_train, mnist_test = mnist_dataset["train"], mnist_dataset["test"]
    num_validation_samples = 0.1 * mnist_info.splits["train"].num_examples
    num_validation_samples = tf.cast(num_validation_samples, tf.int64)

    def scale(image, label):
        image = tf.cast(image, tf.float32)
        image /= 255.0
        return image, label

    scaled_train_and_validation_data = mnist_train.map(scale)
    test_data = mnist_test.map(scale)
    shuffled_train_and_validation_data = scaled_train_and_validation_data.shuffle(10000)
    validation_data = shuffled_train_and_validation_data.take(num_validation_samples)
    train_data = shuffled_train_and_validation_data.skip(num_validation_samples)
    train_data = train_data.batch(100)
    validation_data = validation_data.batch(num_validation_samples)
    test_data = test_data.batch(100)
    validation_inputs, validation_targets = next(iter(validation_data))
    loaded = time.perf_counter()

    model = tf.keras.Sequential([
        tf.keras.Input(shape=(28, 28, 1)),
        tf.keras.layers.Flatten(),
        tf.keras.layers.Dense(50, activation="relu"),
        tf.keras.layers.Dense(50, activation="relu"),
        tf.keras.layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    epoch_seconds = []
    timer = tf.keras.callbacks.LambdaCallback(
        on_epoch_begin=lambda epoch, logs: epoch_seconds.append(time.perf_counter()),
        on_epoch_end=lambda epoch, logs: epoch_seconds.__setitem__(-1, time.perf_counter() - epoch_seconds[-1]),
    )
    model.fit(train_data, epochs=num_epochs, validation_data=(validation_inputs, validation_targets),
              verbose=0, callbacks=[timer])
    trained = time.perf_counter()
    test_loss, test_accuracy = model.evaluate(test_data, verbose=0)
    finished = time.perf_counter()
    # How the seed's network answers about one image, as a notebook user would ask it.
    one_image = validation_inputs[:1]
    predict_seconds = []
    for _ in range(6):
        predict_started = time.perf_counter()
        model.predict(one_image, verbose=0)
        predict_seconds.append(time.perf_counter() - predict_started)
    return {
        "load_seconds": loaded - started,
        "epoch_seconds": epoch_seconds,
        "train_seconds": trained - loaded,
        "test_seconds": finished - trained,
        "total_seconds": finished - started,
        "predict_one_seconds": sorted(predict_seconds[1:])[2],
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "test_accuracy": test_accuracy,
        "test_loss": test_loss,
    }


def measure_seed():
    """Runs the seed pipeline in a fresh Python process and returns its figures (the dict above).

    total_seconds is what one seed run takes from start to test accuracy, predict_one_seconds the
    median of its `model.predict` on one image, peak_rss_mb its process's peak memory.
    """
    repo_root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    environment = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    completed = subprocess.run([sys.executable, os.path.abspath(__file__)], capture_output=True, text=True,
                               env=environment, cwd=repo_root, check=True)
    figures = json.loads(completed.stdout.strip().splitlines()[-1])
    print(f"seed pipeline in this run: {figures['total_seconds']:.1f} s to test accuracy "
          f"{figures['test_accuracy']:.4f}; model.predict on one image {figures['predict_one_seconds'] * 1000:.1f} ms; "
          f"peak RSS {figures['peak_rss_mb']:.0f} MB", flush=True)
    return figures


def print_ratio(name, value, seed_value, seed_name, unit):
    """Prints a bench figure beside the seed pipeline's figure from the same run, with their ratio."""
    print(f"{name}: {value:.3g} {unit} = {value / seed_value:.3g} × the seed pipeline's {seed_name} "
          f"({seed_value:.3g} {unit}) in this run", flush=True)


if __name__ == "__main__":
    print(json.dumps(run_seed()))
