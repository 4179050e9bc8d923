"""Code export: the runnable, self-contained Keras script that trains what a `TrainConfig` describes."""

import string

from mnist_core.config import IMAGE_SHAPE, NUM_CLASSES

# Keras class names of the optimizers a `TrainConfig` can name.
OPTIMIZER_CLASSES = {"adam": "Adam", "sgd": "SGD", "rmsprop": "RMSprop"}

# The script is written as text with $-placeholders, so it reads like the file it produces.
# string.Template leaves the braces of the seed's print line alone, which str.format would not.
_SCRIPT = string.Template('''\
"""Trains a multilayer perceptron on $dataset with Keras, using the dashboard's settings.

Settings: $description, $optimizer_class at learning rate $learning_rate, dropout $dropout, seed $seed.
The validation split, the network and the training settings are the dashboard's. Keras's model.fit
trains it here, while the dashboard runs the same steps in its own XLA-compiled loop
(about twice as fast) that shuffles each epoch with NumPy instead of TensorFlow, so the figures agree
to within noise but not digit for digit.
tfds reads the dataset from $$TFDS_DATA_DIR when that is set, else from ~/tensorflow_datasets.
"""

import keras
import numpy as np
import tensorflow_datasets as tfds
from keras import layers

# One seed fixes the initial weights, the shuffling and dropout, so a second run repeats the first.
keras.utils.set_random_seed($seed)

# batch_size=-1 returns each whole split as one batch, which tfds.as_numpy turns into arrays.
(train_images, train_labels), (test_images, test_labels) = tfds.as_numpy(
    tfds.load("$dataset", split=["train", "test"], batch_size=-1, as_supervised=True)
)

# Pixels are scaled from 0..255 to [0, 1], the range the network trains best on.
train_images = train_images.astype("float32") / 255.0
x_test, y_test = test_images.astype("float32") / 255.0, test_labels

# A fixed random $validation_percent of the training split is held out once, so validation
# accuracy is measured on images the network never trains on (the dashboard picks the same ones).
num_validation = round(len(train_labels) * $validation_fraction)
order = np.random.default_rng($seed).permutation(len(train_labels))
val_index, train_index = np.sort(order[:num_validation]), np.sort(order[num_validation:])
x_val, y_val = train_images[val_index], train_labels[val_index]
x_train, y_train = train_images[train_index], train_labels[train_index]
$subset
model = keras.Sequential([
    keras.Input(shape=$image_shape),
    layers.Flatten(),
$model_layers
])
model.compile(
    optimizer=keras.optimizers.$optimizer_class(learning_rate=$learning_rate),
    loss="sparse_categorical_crossentropy",
    metrics=["accuracy"],
)

model.fit(
    x_train,
    y_train,
    epochs=$epochs,
    batch_size=$batch_size,
    validation_data=(x_val, y_val),
    verbose=2,
)

# verbose=2 prints one summary line instead of a progress bar, which logs and pipes garble.
test_loss, test_accuracy = model.evaluate(x_test, y_test, verbose=2)
print('Test loss: {0:.2f}. Test accuracy: {1:.2f}%'.format(test_loss, test_accuracy * 100))
''')

_SUBSET = string.Template('''
# Only the first $max_train_examples training examples are kept: a quick check that the script runs,
# not a real training. Remove this line to train on the whole training split.
x_train, y_train = x_train[:$max_train_examples], y_train[:$max_train_examples]
''')


def keras_code(config, max_train_examples=None):
    """Returns a Python script that loads the data, builds, trains and tests `config`'s network.

    Args:
        config: the `TrainConfig` to export; every value appears literally in the script.
        max_train_examples: when set, the script trains on only this many examples (a line
            marked as a quick check), which lets tests run it in seconds.

    Returns:
        The script's source text, runnable as `python script.py` with Keras and tfds installed.

    Raises:
        ValueError: when max_train_examples is neither None nor a whole number from 1 to
            config.train_size.
    """
    return _SCRIPT.substitute(
        description=config.describe(),
        dataset=config.dataset,
        seed=repr(config.seed),
        dropout=repr(config.dropout),
        validation_fraction=repr(config.validation_fraction),
        validation_percent=f"{config.validation_fraction:.0%}",
        subset=_subset_lines(config, max_train_examples),
        image_shape=repr(IMAGE_SHAPE),
        model_layers="\n".join(_layer_lines(config)),
        optimizer_class=OPTIMIZER_CLASSES[config.optimizer],
        learning_rate=repr(config.learning_rate),
        epochs=repr(config.epochs),
        batch_size=repr(config.batch_size),
    )


def _layer_lines(config):
    """Returns one line per layer after Flatten, each hidden layer followed by its dropout."""
    hidden = f'    layers.Dense({config.hidden_size!r}, activation="{config.activation}"),'
    dropout = f"    layers.Dropout({config.dropout!r}),"
    lines = []
    for _ in range(config.hidden_layers):
        lines.append(hidden)
        if config.dropout > 0:
            lines.append(dropout)
    lines.append(f'    layers.Dense({NUM_CLASSES}, activation="softmax"),')
    return lines


def _subset_lines(config, max_train_examples):
    """Returns the block that shortens the training split, or one blank line when there is none."""
    if max_train_examples is None:
        return ""
    if isinstance(max_train_examples, bool) or not isinstance(max_train_examples, int):
        raise ValueError(
            f"max_train_examples must be None or a whole number, got {max_train_examples!r}."
        )
    if not 1 <= max_train_examples <= config.train_size:
        raise ValueError(
            f"max_train_examples must be from 1 to {config.train_size}, got {max_train_examples}."
        )
    return _SUBSET.substitute(max_train_examples=max_train_examples)
