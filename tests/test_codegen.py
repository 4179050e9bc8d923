"""Tests of the Keras script export: exact values, the dashboard's split, and a real run of the script."""

import os
import re
import subprocess
import sys

import numpy as np
import pytest

from conftest import REPO_ROOT
from mnist_core.codegen import keras_code
from mnist_core.config import TrainConfig
from mnist_core.data import load_dataset, split_train_validation

CUSTOM = TrainConfig(
    hidden_size=384, hidden_layers=3, activation="tanh", epochs=17, batch_size=64,
    optimizer="rmsprop", learning_rate=0.00025, dropout=0.35, validation_fraction=0.15, seed=42,
)


def test_default_script_compiles_and_is_the_seed_network():
    code = keras_code(TrainConfig())
    compile(code, "<keras_code>", "exec")
    assert "import keras\n" in code and "from keras import layers\n" in code
    assert "import tensorflow_datasets as tfds\n" in code and "import numpy as np\n" in code
    assert code.count('layers.Dense(50, activation="relu"),') == 2
    assert "layers.Dropout" not in code
    assert "keras.optimizers.Adam(learning_rate=0.001)" in code
    assert "x_train[:" not in code, "the full training split is used by default"
    assert code.rstrip().endswith(
        "print('Test loss: {0:.2f}. Test accuracy: {1:.2f}%'.format(test_loss, test_accuracy * 100))"
    )


def test_every_setting_appears_with_its_exact_value():
    code = keras_code(CUSTOM)
    compile(code, "<keras_code>", "exec")
    dense_lines = [line.strip() for line in code.splitlines() if "layers.Dense(" in line]
    assert dense_lines == ['layers.Dense(384, activation="tanh"),'] * 3 + ['layers.Dense(10, activation="softmax"),']
    assert [line.strip() for line in code.splitlines() if "layers.Dropout(" in line] == ["layers.Dropout(0.35),"] * 3
    assert "keras.optimizers.RMSprop(learning_rate=0.00025)" in code
    assert "epochs=17," in code and "batch_size=64," in code
    assert "keras.utils.set_random_seed(42)" in code and "np.random.default_rng(42)" in code
    assert "round(len(train_labels) * 0.15)" in code
    assert 'tfds.load("mnist", split=["train", "test"], batch_size=-1, as_supervised=True)' in code
    assert "keras.Input(shape=(28, 28, 1))" in code and "validation_data=(x_val, y_val)" in code
    assert "model.evaluate(x_test, y_test, verbose=2)" in code


def test_other_optimizers_and_datasets_are_named_as_keras_names_them():
    sgd = keras_code(TrainConfig(optimizer="sgd", learning_rate=0.1, dataset="fashion_mnist"))
    assert "keras.optimizers.SGD(learning_rate=0.1)" in sgd and 'tfds.load("fashion_mnist",' in sgd
    assert "keras.optimizers.Adam(learning_rate=1e-05)" in keras_code(TrainConfig(learning_rate=1e-5))


def test_subset_line_is_added_only_when_asked_and_checked():
    code = keras_code(TrainConfig(), max_train_examples=2000)
    compile(code, "<keras_code>", "exec")
    assert "x_train, y_train = x_train[:2000], y_train[:2000]" in code
    for bad, message in [(0, "from 1 to 54000, got 0"), (54001, "from 1 to 54000, got 54001"),
                         (2.5, "whole number, got 2.5")]:
        with pytest.raises(ValueError, match=re.escape(message)):
            keras_code(TrainConfig(), max_train_examples=bad)


@pytest.mark.slow
def test_script_holds_out_the_same_validation_images_as_the_dashboard(data_dir):
    # Only the data part runs here; the network and its training are exercised in a subprocess below.
    data_part = keras_code(CUSTOM).split("model = keras.Sequential")[0]
    namespace = {}
    exec(compile(data_part, "<keras_code>", "exec"), namespace)
    split = split_train_validation(load_dataset("mnist", data_dir), CUSTOM.validation_fraction, CUSTOM.seed)
    assert namespace["x_val"].shape == (9000, 28, 28, 1) and namespace["x_train"].dtype == np.float32
    assert 0.0 <= namespace["x_train"].min() and namespace["x_train"].max() == 1.0
    assert np.array_equal(namespace["y_val"], split.val_labels)
    assert np.array_equal(namespace["y_train"], split.train_labels)
    assert np.array_equal(np.rint(namespace["x_val"] * 255).astype(np.uint8), split.val_images)


@pytest.mark.slow
def test_generated_script_trains_when_run_as_a_program(tmp_path, data_dir):
    config = TrainConfig(hidden_size=64, epochs=1, batch_size=20, dropout=0.1)
    code = keras_code(config, max_train_examples=2000)
    env = {**os.environ, "TFDS_DATA_DIR": data_dir, "TF_CPP_MIN_LOG_LEVEL": "2"}
    completed = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, env=env, timeout=600
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    lines = completed.stdout.strip().splitlines()
    # With verbose=2 Keras prints one line per epoch: "100/100 - 1s - 9ms/step - accuracy: ... val_loss: ...".
    assert any(re.match(r"100/100 - .*accuracy: 0\.\d+.*val_accuracy: 0\.\d+", line) for line in lines), lines
    match = re.fullmatch(r"Test loss: (\d+\.\d\d)\. Test accuracy: (\d+\.\d\d)%", lines[-1])
    assert match, lines[-1]
    assert float(match.group(2)) > 50, "one epoch on 2,000 images is far above the 10% of guessing"


def test_export_and_presets_import_neither_streamlit_nor_tensorflow():
    code = (
        "import sys, mnist_core.codegen, mnist_core.presets\n"
        "print('streamlit' in sys.modules, 'tensorflow' in sys.modules)"
    )
    completed = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO_ROOT, check=True
    )
    assert completed.stdout.split() == ["False", "False"], "showing the code or a preset needs no training libraries"
