"""Tests for mnist_core.run_store: saving, listing, reusing, deleting and exporting stored runs."""

import datetime
import json
import os
import pathlib
import re
import shutil
import signal
import subprocess
import sys
import time
import types

import numpy as np
import pytest

from mnist_core import local_training, locks, run_record, run_store
from mnist_core.config import TrainConfig
from mnist_core.data import load_dataset
from mnist_core.run_record import CorruptRunError
from mnist_core.local_training import train_or_reuse
from mnist_core.run_store import RunNotFoundError, RunStore
from mnist_core.train import train_run

DATA_DIR = os.environ.get("TFDS_DATA_DIR", "/work/shared/data/tfds")
REPO_ROOT = pathlib.Path(__file__).resolve().parents[1]
TINY_CONFIG = TrainConfig(epochs=1, hidden_size=16, train_examples=2000)
RUN_ID_PATTERN = re.compile(r"^\d{8}-\d{6}-[0-9a-f]{8}-[0-9a-f]{4}$")
SUBPROCESS_TIMEOUT = 180

KILL_SCRIPT = """
import sys
from mnist_core.config import TrainConfig
from mnist_core.local_training import train_or_reuse
from mnist_core.run_store import RunStore

def report(event):
    print(event.kind, event.epoch, event.step, flush=True)

train_or_reuse(TrainConfig(epochs=50), RunStore(sys.argv[1]), data_dir=sys.argv[2], download=False,
               on_progress=report)
"""

# Each saver stores a fake (untrained) result, since the test is about the store, not training.
SAVE_SCRIPT = """
import os, sys, time
import numpy as np
from mnist_core.config import TrainConfig
from mnist_core.evaluate import evaluate_probabilities
from mnist_core.model import build_mlp
from mnist_core.run_store import RunStore
from mnist_core.train import HISTORY_KEYS, TrainResult

root, ready_file, go_file = sys.argv[1:]
config = TrainConfig(epochs=1, hidden_size=8)
evaluation = evaluate_probabilities(np.eye(10)[[1, 2, 3, 4, 5, 6, 7, 8, 9, 0]], np.arange(10))
history = {key: [0.5] for key in HISTORY_KEYS}
result = TrainResult(config, build_mlp(config), history, evaluation, False, {"train_seconds": 0.0})
open(ready_file, "w").close()
while not os.path.exists(go_file):
    time.sleep(0.005)
store = RunStore(root)
for _ in range(3):
    print(store.save(result).run_id, flush=True)
"""


class _FixedClock(datetime.datetime):
    """A datetime whose now() never moves, so that two saves get the same timestamp in their ids."""

    @classmethod
    def now(cls, tz=None):
        return cls(2026, 12, 1, 8, 15, 30, tzinfo=tz)


@pytest.fixture(scope="module")
def trained():
    """One tiny real training shared by the tests that only need a result to store."""
    return train_run(TINY_CONFIG, data_dir=DATA_DIR, download=False)


@pytest.fixture
def store(tmp_path):
    return RunStore(tmp_path / "runs")


def _start_python(script, args, log_dir, name):
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")]))
    stdout = open(log_dir / f"{name}.out", "w")
    stderr = open(log_dir / f"{name}.err", "w")
    command = [sys.executable, "-c", script, *map(str, args)]
    process = subprocess.Popen(command, env=env, stdout=stdout, stderr=stderr)
    stdout.close()
    stderr.close()
    return process


def _wait_until(condition, processes, what):
    deadline = time.monotonic() + SUBPROCESS_TIMEOUT
    while not condition():
        crashed = [process.args for process in processes if process.poll() is not None]
        assert not crashed, f"subprocess exited before {what}: {crashed}"
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def _visible_entries(root):
    if not os.path.isdir(root):
        return []
    return sorted(name for name in os.listdir(root) if not name.startswith("."))


def _rewrite_record(run_path, change):
    record_path = os.path.join(run_path, run_record.RUN_FILE)
    with open(record_path) as file:
        record = json.load(file)
    change(record)
    with open(record_path, "w") as file:
        json.dump(record, file)


def test_save_list_load_roundtrip(store, trained):
    saved = store.save(trained)

    assert RUN_ID_PATTERN.match(saved.run_id)
    assert sorted(os.listdir(saved.path)) == ["model.keras", "run.json"]
    assert [run.run_id for run in store.list()] == [saved.run_id]
    loaded = store.load(saved.run_id)
    assert loaded.config == TINY_CONFIG and loaded.config_key == TINY_CONFIG.key()
    assert loaded.history == trained.history
    assert loaded.test_loss == trained.evaluation.loss
    assert loaded.test_accuracy == trained.evaluation.accuracy
    np.testing.assert_array_equal(loaded.confusion, trained.evaluation.confusion)
    np.testing.assert_array_equal(loaded.per_class_accuracy, trained.evaluation.per_class_accuracy)
    np.testing.assert_array_equal(loaded.misclassified, trained.evaluation.misclassified)
    np.testing.assert_allclose(
        loaded.misclassified_probabilities, trained.evaluation.misclassified_probabilities, atol=5.1e-5
    )
    assert loaded.stopped is False and loaded.epochs_trained == 1
    assert loaded.timings == trained.timings
    assert set(loaded.versions) == {"python", "tensorflow", "keras", "numpy", "tfds"}
    assert loaded.created_at == saved.created_at
    assert datetime.datetime.fromisoformat(loaded.created_at).utcoffset() == datetime.timedelta(0)

    images = load_dataset("mnist", DATA_DIR, download=False).test_images[:8].astype(np.float32) / 255.0
    original = trained.model(images, training=False).numpy()
    restored = loaded.load_model().probabilities(images)
    np.testing.assert_allclose(restored, original, rtol=0, atol=1e-6)
    assert loaded.load_model() is saved.load_model(), "the loaded model should be cached per file"


def test_run_json_holds_rounded_probabilities_and_metadata(store, trained):
    saved = store.save(trained)

    with open(os.path.join(saved.path, "run.json")) as file:
        record = json.load(file)
    assert record["format_version"] == run_record.FORMAT_VERSION
    assert record["run_id"] == saved.run_id
    assert record["config"] == TINY_CONFIG.to_dict() and record["config_key"] == TINY_CONFIG.key()
    probabilities = np.array(record["test"]["misclassified_probabilities"])
    assert probabilities.shape == (len(trained.evaluation.misclassified), 10)
    np.testing.assert_array_equal(probabilities, np.round(probabilities, 4))
    assert record["versions"]["keras"] == "3.15.1"
    assert saved.config == TINY_CONFIG and saved.test_accuracy == pytest.approx(trained.evaluation.accuracy)


def test_run_ids_are_unique_and_listed_newest_first(store, trained):
    first, second, third = (store.save(trained) for _ in range(3))

    assert len({first.run_id, second.run_id, third.run_id}) == 3
    assert [run.run_id for run in store.list()] == [third.run_id, second.run_id, first.run_id]
    assert store.find(TINY_CONFIG).run_id == third.run_id


def test_id_clash_is_retried_with_a_new_id(store, trained, monkeypatch):
    suffixes = iter(["aaaa", "aaaa", "bbbb"])
    monkeypatch.setattr(run_store.secrets, "token_hex", lambda length: next(suffixes))
    frozen_datetime_module = types.SimpleNamespace(datetime=_FixedClock, timezone=datetime.timezone)
    monkeypatch.setattr(run_store, "datetime", frozen_datetime_module)

    first, second = store.save(trained), store.save(trained)

    assert first.run_id.endswith("-aaaa") and second.run_id.endswith("-bbbb")
    assert first.run_id[:-4] == second.run_id[:-4]
    assert json.loads(pathlib.Path(second.path, "run.json").read_text())["run_id"] == second.run_id
    assert len(store.list()) == 2


def test_train_or_reuse_trains_once_then_reuses(store, trained, monkeypatch):
    calls = []

    # The spy hands back the shared result instead of training; a real training is used below.
    def spy_train_run(config, **kwargs):
        calls.append(kwargs)
        assert config == TINY_CONFIG
        return trained

    monkeypatch.setattr(local_training, "train_run", spy_train_run)

    first, first_reused = train_or_reuse(TINY_CONFIG, store, data_dir=DATA_DIR, download=False)
    second, second_reused = train_or_reuse(TINY_CONFIG, store, data_dir=DATA_DIR, download=False)

    assert (first_reused, second_reused) == (False, True)
    assert second.run_id == first.run_id
    assert calls == [{"data_dir": DATA_DIR, "download": False}], "the second call must not train"
    assert second.history == first.history

    retrained, retrained_reused = train_or_reuse(TINY_CONFIG, store, retrain=True, data_dir=DATA_DIR)
    assert retrained_reused is False and len(calls) == 2
    assert retrained.run_id != first.run_id
    assert {run.run_id for run in store.list()} == {first.run_id, retrained.run_id}
    assert store.find(TINY_CONFIG).run_id == retrained.run_id


def test_stopped_run_is_saved_but_never_reused_and_real_training_is_stored(store):
    run, reused = train_or_reuse(
        TINY_CONFIG, store, data_dir=DATA_DIR, download=False, should_stop=lambda: True
    )

    assert reused is False and run.stopped is True
    assert len(run.history["loss"]) == 1 and run.epochs_trained == 0
    assert [listed.run_id for listed in store.list()] == [run.run_id]
    assert store.load(run.run_id).stopped is True
    assert store.find(TINY_CONFIG) is None

    finished, reused_again = train_or_reuse(TINY_CONFIG, store, data_dir=DATA_DIR, download=False)
    assert reused_again is False and finished.stopped is False
    assert store.find(TINY_CONFIG).run_id == finished.run_id


@pytest.mark.slow
def test_kill_during_training_leaves_nothing(tmp_path):
    root = tmp_path / "runs"
    process = _start_python(KILL_SCRIPT, [root, DATA_DIR], tmp_path, "trainer")
    output = tmp_path / "trainer.out"
    try:
        _wait_until(lambda: "step 1 " in output.read_text(), [process], "training to start")
        os.kill(process.pid, signal.SIGKILL)
        assert process.wait(timeout=30) == -signal.SIGKILL
    finally:
        if process.poll() is None:
            process.kill()

    store = RunStore(root)
    assert store.list() == [] and store.warnings == []
    assert _visible_entries(root) == []


def test_interrupted_save_leaves_no_run(store, trained, monkeypatch):
    complete = store.save(trained)
    # A save killed just before its rename leaves a full copy under a temporary name.
    leftover = os.path.join(store.root, ".tmp-0123456789abcdef")
    shutil.copytree(complete.path, leftover)
    store.delete(complete.run_id)

    assert store.list() == [] and store.warnings == []
    assert store.find(TINY_CONFIG) is None
    with pytest.raises(RunNotFoundError):
        store.load(".tmp-0123456789abcdef")
    assert not os.path.exists(leftover), "a temporary folder nobody locks was left by a killed process"

    # A save in progress holds a lock on its folder, which keeps it however old it is.
    in_progress = os.path.join(store.root, ".tmp-fedcba9876543210")
    os.mkdir(in_progress)
    two_hours_ago = time.time() - 2 * 3600
    os.utime(in_progress, (two_hours_ago, two_hours_ago))
    with locks.locked(in_progress, blocking=False) as holding:
        assert holding
        store.list()
        assert os.path.isdir(in_progress), "a locked temporary folder belongs to a live save"
    store.list()
    assert os.listdir(store.root) == [], "once its lock is gone the folder is a leftover"

    def failing_rename(source, destination):
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(run_store.os, "rename", failing_rename)
    with pytest.raises(OSError, match="Input/output error"):
        store.save(trained)
    monkeypatch.undo()
    assert os.listdir(store.root) == [], "a failed save should remove its temporary folder"


def test_broken_folders_are_skipped_with_a_warning(store, trained):
    good = store.save(trained)
    root = pathlib.Path(store.root)
    (root / "garbage-json").mkdir()
    (root / "garbage-json" / "run.json").write_text("{not json")
    (root / "empty-folder").mkdir()
    for name in ("future-format", "missing-model", "invalid-config"):
        shutil.copytree(good.path, root / name)
    _rewrite_record(root / "future-format", lambda record: record.update(format_version=999))
    (root / "missing-model" / "model.keras").unlink()
    _rewrite_record(root / "invalid-config", lambda record: record["config"].update(hidden_size=-1))
    (root / "notes.txt").write_text("Files next to the runs are ignored.")
    broken = ["empty-folder", "future-format", "garbage-json", "invalid-config", "missing-model"]

    assert [run.run_id for run in store.list()] == [good.run_id]
    assert len(store.warnings) == len(broken)
    for name in broken:
        assert sum(f"'{name}'" in warning for warning in store.warnings) == 1, (name, store.warnings)
        with pytest.raises(CorruptRunError, match=name):
            store.load(name)
    assert "999" in next(warning for warning in store.warnings if "future-format" in warning)
    assert store.find(TINY_CONFIG).run_id == good.run_id

    for name in broken:
        store.delete(name)
    store.list()
    assert store.warnings == [], "warnings should be refreshed by every list()"


@pytest.mark.slow
def test_concurrent_saves_from_two_processes_all_succeed(tmp_path):
    root, go_file = tmp_path / "runs", tmp_path / "go"
    ready_files = [tmp_path / f"ready-{index}" for index in range(2)]
    processes = [
        _start_python(SAVE_SCRIPT, [root, ready, go_file], tmp_path, f"saver-{index}")
        for index, ready in enumerate(ready_files)
    ]
    try:
        _wait_until(lambda: all(ready.exists() for ready in ready_files), processes, "both savers")
        go_file.touch()
        return_codes = [process.wait(timeout=SUBPROCESS_TIMEOUT) for process in processes]
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()

    errors = [(tmp_path / f"saver-{index}.err").read_text()[-2000:] for index in range(2)]
    assert return_codes == [0, 0], errors
    saved_ids = [line for index in range(2) for line in (tmp_path / f"saver-{index}.out").read_text().split()]
    assert len(saved_ids) == 6 and len(set(saved_ids)) == 6
    store = RunStore(root)
    assert sorted(run.run_id for run in store.list()) == sorted(saved_ids)
    assert store.warnings == [] and _visible_entries(root) == sorted(saved_ids)


def test_delete_and_export(store, trained):
    kept, doomed = store.save(trained), store.save(trained)

    files = store.export(doomed.run_id)
    assert sorted(files) == ["model.keras", "run.json"]
    assert json.loads(files["run.json"])["run_id"] == doomed.run_id
    assert files["model.keras"] == pathlib.Path(doomed.path, "model.keras").read_bytes()
    assert files["model.keras"][:2] == b"PK", "a .keras file is a zip archive"

    store.delete(doomed.run_id)
    assert [run.run_id for run in store.list()] == [kept.run_id]
    assert not os.path.exists(doomed.path)
    for action in (store.load, store.delete, store.export):
        with pytest.raises(RunNotFoundError, match=doomed.run_id):
            action(doomed.run_id)
    for unsafe_id in ("..", ".", "", "../runs", kept.run_id + "/model.keras"):
        with pytest.raises(RunNotFoundError):
            store.delete(unsafe_id)
    assert [run.run_id for run in store.list()] == [kept.run_id]


def test_default_runs_dir_and_lazy_root(tmp_path, monkeypatch):
    monkeypatch.setenv("MNIST_RUNS_DIR", str(tmp_path / "from-env"))
    assert run_store.default_runs_dir() == str(tmp_path / "from-env")
    assert RunStore().root == str(tmp_path / "from-env")

    monkeypatch.delenv("MNIST_RUNS_DIR")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert run_store.default_runs_dir() == str(tmp_path / "home" / ".mnist_dashboard" / "runs")

    lazy = RunStore(tmp_path / "lazy")
    assert lazy.list() == [] and lazy.find(TINY_CONFIG) is None
    assert not os.path.exists(lazy.root), "only a save should create the folder"


def test_runs_saved_before_epoch_fractions_existed_still_load(store, trained):
    saved = store.save(trained)
    _rewrite_record(saved.path, lambda record: record["history"].pop("epoch_fraction"))
    loaded = store.load(saved.run_id)
    assert loaded.history["epoch_fraction"] == [1.0] and loaded.epochs_trained == 1
    assert loaded.history["loss"] == trained.history["loss"]
    assert store.warnings == []


def test_a_history_with_lists_of_different_lengths_is_reported(store, trained):
    saved = store.save(trained)
    _rewrite_record(saved.path, lambda record: record["history"]["loss"].append(0.1))
    assert store.list() == []
    assert "differ in length" in store.warnings[0]
