"""The seed notebook's pipeline, verbatim but for timers, for benchmarks to compare against.

Run directly it prints one JSON line of timings: `python bench/seed_pipeline.py`.
"""

import json
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
    return {
        "load_seconds": loaded - started,
        "epoch_seconds": epoch_seconds,
        "train_seconds": trained - loaded,
        "test_seconds": finished - trained,
        "total_seconds": finished - started,
        "test_accuracy": test_accuracy,
        "test_loss": test_loss,
    }


if __name__ == "__main__":
    print(json.dumps(run_seed()))
