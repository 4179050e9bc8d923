"""Tests of `python -m mnist_core`: its output lines and exit codes, run as a user would."""

import json
import re
import subprocess
import sys

import pytest

from conftest import REPO_ROOT
from mnist_core import cli


def run_cli(*args, runs_dir=None):
    command = [sys.executable, "-m", "mnist_core", *args]
    env_args = ["--runs-dir", str(runs_dir)] if runs_dir else []
    return subprocess.run(command + env_args, capture_output=True, text=True, cwd=REPO_ROOT, timeout=600)


@pytest.mark.slow
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


def test_train_reuses_then_runs_lists_shows_and_deletes_in_process(tmp_path, capsys):
    # The same commands as below, through cli.main in this process: no TensorFlow import per command.
    tiny = ["--hidden-size", "12", "--layers", "1", "--epochs", "1", "--train-examples", "2000"]
    runs_dir = ["--runs-dir", str(tmp_path)]

    def run(*args):
        status = cli.main([*args, *runs_dir])
        captured = capsys.readouterr()
        return status, captured.out, captured.err

    status, first, _ = run("train", *tiny)
    assert status == 0 and "Saved run" in first
    run_id = first.split("Saved run ")[1].split(".")[0]
    status, again, _ = run("train", *tiny)
    assert status == 0 and f"Reusing stored run {run_id}" in again
    assert again.strip().splitlines()[-1] == first.strip().splitlines()[-1]
    status, listed, _ = run("runs", "list")
    assert status == 0 and run_id in listed and "1×12 relu, 1 ep, batch 100, 2,000 examples" in listed
    status, shown, _ = run("runs", "show", run_id)
    assert json.loads(shown)["config"]["hidden_size"] == 12 and json.loads(shown)["config"]["train_examples"] == 2000
    status, _, error = run("runs", "show", "no-such-run")
    assert status == 2 and "no-such-run" in error and "Traceback" not in error
    assert run("runs", "delete", run_id)[0] == 0 and "No stored runs" in run("runs", "list")[1]


@pytest.mark.slow  # Two of its seven processes import TensorFlow; the in-process twin above stays fast.
def test_train_reuses_then_runs_lists_shows_and_deletes(tmp_path):
    tiny = ("--hidden-size", "12", "--layers", "1", "--epochs", "1", "--train-examples", "2000")
    first = run_cli("train", *tiny, runs_dir=tmp_path)
    assert first.returncode == 0 and "Saved run" in first.stdout
    run_id = first.stdout.split("Saved run ")[1].split(".")[0]
    again = run_cli("train", *tiny, runs_dir=tmp_path)
    assert f"Reusing stored run {run_id}" in again.stdout
    assert again.stdout.strip().splitlines()[-1] == first.stdout.strip().splitlines()[-1]

    listed = run_cli("runs", "list", runs_dir=tmp_path)
    assert listed.returncode == 0 and run_id in listed.stdout and "1×12 relu, 1 ep, batch 100, 2,000 examples" in listed.stdout
    shown = run_cli("runs", "show", run_id, runs_dir=tmp_path)
    assert json.loads(shown.stdout)["config"]["hidden_size"] == 12
    assert json.loads(shown.stdout)["config"]["train_examples"] == 2000
    missing = run_cli("runs", "show", "no-such-run", runs_dir=tmp_path)
    assert missing.returncode == 2 and "no-such-run" in missing.stderr and "Traceback" not in missing.stderr
    deleted = run_cli("runs", "delete", run_id, runs_dir=tmp_path)
    assert deleted.returncode == 0 and "No stored runs" in run_cli("runs", "list", runs_dir=tmp_path).stdout


@pytest.mark.slow
def test_predict_prints_json_per_image_and_reports_bad_files(tmp_path, data_dir):
    from PIL import Image

    from mnist_core.data import load_dataset

    trained = run_cli("train", "--epochs", "2", "--train-examples", "10000", runs_dir=tmp_path / "runs")
    run_id = trained.stdout.split("Saved run ")[1].split(".")[0]
    dataset = load_dataset("mnist", data_dir=data_dir)
    digit_image = tmp_path / "digit.png"
    Image.fromarray(dataset.test_images[0, :, :, 0]).resize((280, 280)).save(digit_image)
    (tmp_path / "broken.png").write_bytes(b"not an image")
    completed = run_cli("predict", "--run", run_id, str(digit_image), str(tmp_path / "missing.png"),
                        str(tmp_path / "broken.png"), str(digit_image), runs_dir=tmp_path / "runs")
    assert completed.returncode == 2
    outputs = [json.loads(line) for line in completed.stdout.strip().splitlines()]
    assert len(outputs) == 2, "the good files are still predicted"
    assert outputs[0]["digit"] == int(dataset.test_labels[0])
    assert len(outputs[0]["probabilities"]) == 10 and abs(sum(outputs[0]["probabilities"]) - 1) < 0.01
    errors = completed.stderr.strip().splitlines()
    assert len(errors) == 2 and "missing.png" in errors[0] and "broken.png" in errors[1]
    assert "Traceback" not in completed.stderr
    unknown = run_cli("predict", "--run", "nope", str(digit_image), runs_dir=tmp_path / "runs")
    assert unknown.returncode == 2 and "nope" in unknown.stderr
