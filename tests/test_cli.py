"""Tests of `python -m mnist_core`: its output lines and exit codes, run as a user would."""

import re
import subprocess
import sys

from conftest import REPO_ROOT


def run_cli(*args, runs_dir=None):
    command = [sys.executable, "-m", "mnist_core", *args]
    env_args = ["--runs-dir", str(runs_dir)] if runs_dir else []
    return subprocess.run(command + env_args, capture_output=True, text=True, cwd=REPO_ROOT, timeout=600)


def test_train_prints_keras_like_epochs_and_the_seed_test_line(tmp_path):
    completed = run_cli("train", "--hidden-size", "16", "--epochs", "2", runs_dir=tmp_path)
    assert completed.returncode == 0, completed.stderr
    lines = completed.stdout.strip().splitlines()
    epoch_lines = [line for line in lines if line.startswith("Epoch ")]
    assert len(epoch_lines) == 2
    assert re.fullmatch(
        r"Epoch 2/2 - \d+\.\d\ds - accuracy: 0\.\d{4} - loss: \d\.\d{4} - val_accuracy: 0\.\d{4} - val_loss: \d\.\d{4}",
        epoch_lines[1],
    )
    match = re.fullmatch(r"Test loss: (\d\.\d\d)\. Test accuracy: (\d\d\.\d\d)%", lines[-1])
    assert match and float(match.group(2)) > 90


def test_bad_flags_exit_2_with_one_line(tmp_path):
    for args, expected in [
        (["train", "--hidden-size", "0"], "hidden_size must be from 1 to 2048, got 0."),
        (["train", "--epochs", "many"], "invalid int value: 'many'"),
        (["train", "--optimizer", "adagrad"], "optimizer must be one of adam, sgd, rmsprop"),
        (["train", "--bogus"], "unrecognized arguments: --bogus"),
    ]:
        completed = run_cli(*args, runs_dir=tmp_path)
        assert completed.returncode == 2, args
        assert len(completed.stderr.strip().splitlines()) == 1, completed.stderr
        assert expected in completed.stderr and "Traceback" not in completed.stderr


def test_missing_data_is_one_clear_message(tmp_path):
    completed = run_cli("train", "--epochs", "1", "--data-dir", str(tmp_path / "nothing"), runs_dir=tmp_path)
    assert completed.returncode == 1
    assert "TFDS_DATA_DIR" in completed.stderr and "Traceback" not in completed.stderr
