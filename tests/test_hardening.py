"""Issue 12, row by row: every bad input and broken file gets one clear line, and students cannot
undo each other's work. Each test names the row of the issue it covers; each failed before the fix.

The browser test that sends forged canvas messages from Chromium is in test_e2e_hardening.py.
"""

import base64
import contextlib
import io
import json
import os
import pathlib
import shutil
import signal
import subprocess
import sys
import time
import tomllib

import keras
import numpy as np
import pytest
from PIL import Image
from streamlit import config as streamlit_config

from app_helpers import open_page, texts, use_fresh_store
from broken_runs import copy_run, corrupt_weights
from conftest import REPO_ROOT
from dashboard import draw_view, manage_view, state
from mnist_core import cli, data, dataset_cache, image_files, local_training, locks, run_store
from mnist_core.preprocess import preprocess_drawing
from mnist_core.run_record import MODEL_FILE, RUN_FILE, read_run, record_to_run
from mnist_core.run_record import CorruptRunError
from mnist_core.run_store import RunStore, StoreNotWritableError

RESULTS_PAGE, DRAW_PAGE, TRAIN_PAGE = "pages/2_Results.py", "pages/3_Draw.py", "pages/1_Train.py"
FIRST_CANVAS_KEY = f"{draw_view.CANVAS_KEY_PREFIX}0"
SUBPROCESS_TIMEOUT = 300


# ---------------------------------------------------------------- helpers


def run_cli(*args):
    command = [sys.executable, "-m", "mnist_core", *map(str, args)]
    return subprocess.run(command, capture_output=True, text=True, cwd=REPO_ROOT, timeout=SUBPROCESS_TIMEOUT)


def assert_one_line(completed, status, fragment):
    """The CLI failed with `status` and exactly one stderr line holding `fragment`, no traceback."""
    lines = completed.stderr.strip().splitlines()
    assert completed.returncode == status, (completed.returncode, completed.stderr[-2000:])
    assert len(lines) == 1 and fragment in lines[0], completed.stderr[-2000:]
    assert "Traceback" not in completed.stderr


@contextlib.contextmanager
def read_only(folder):
    """Makes `folder` refuse new entries, renames and removals, even for root (chattr +i)."""
    folder = pathlib.Path(folder)
    as_root = os.geteuid() == 0
    if as_root:
        subprocess.run(["chattr", "+i", str(folder)], check=True)
    else:
        folder.chmod(0o555)
    try:
        with pytest.raises(OSError):
            (folder / "probe").mkdir()
        yield folder
    finally:
        if as_root:
            subprocess.run(["chattr", "-i", str(folder)], check=True)
        else:
            folder.chmod(0o755)


def png_data_url(pixels):
    """The canvas' data URL of a PNG of `pixels`; the array's dtype and channels choose the PNG's mode."""
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def huge_png_bytes(width, height, mode="L"):
    """A PNG of width × height pixels that compresses to a few hundred kilobytes."""
    buffer = io.BytesIO()
    Image.new(mode, (width, height)).save(buffer, format="PNG", optimize=False, compress_level=9)
    return buffer.getvalue()


def ink_digit(side=280, paper=0.0, ink=1.0):
    """A white-on-black (or ink-on-paper) slanted "1" stroke on a side × side float image."""
    image = np.full((side, side), paper, np.float64)
    for row in range(int(side * 0.15), int(side * 0.85)):
        centre = int(side * 0.52 - side * 0.04 * (row - side * 0.15) / (side * 0.7))
        image[row, centre - side // 28:centre + side // 28] = ink
    return image


@pytest.fixture(scope="module")
def good_run(tmp_path_factory, tiny_result):
    """One stored 1×16 run owned by "student-a", whose folder the tests copy and break."""
    return RunStore(tmp_path_factory.mktemp("good")).save(tiny_result, owner="student-a")


@pytest.fixture
def store_dir(tmp_path):
    return tmp_path / "runs"


@pytest.fixture
def as_visitor():
    """Runs the app as configured for visitors; conftest shows every error in full for tests."""
    previous = streamlit_config.get_option("client.showErrorDetails")
    configured = tomllib.loads((REPO_ROOT / ".streamlit" / "config.toml").read_text())["client"]["showErrorDetails"]
    streamlit_config.set_option("client.showErrorDetails", configured)
    yield
    streamlit_config.set_option("client.showErrorDetails", previous)


# The cached run store reads $MNIST_RUNS_DIR once, so each test starts without it.
pytestmark = pytest.mark.usefixtures("forgotten_caches")


# ---------------------------------------------------------------- tracebacks where one line is due


def test_runs_dir_that_is_a_file_is_one_line(tmp_path):
    a_file = tmp_path / "passwd"
    a_file.write_text("root:x:0:0\n")
    assert_one_line(run_cli("runs", "list", "--runs-dir", a_file), 1, "is a file, not a folder")
    # Training refuses before it starts: no "Epoch" line, one error line.
    completed = run_cli("train", "--epochs", "1", "--hidden-size", "8", "--runs-dir", a_file)
    assert_one_line(completed, 1, str(a_file))
    assert "Epoch" not in completed.stdout


def corrupt_model_runs(tmp_path, good_run):
    """A store with a run whose model file is random bytes and one whose weights are damaged, and a
    digit image; returns the store, the image and (run id, expected message fragment) pairs."""
    root = tmp_path / "runs"
    random_bytes = copy_run(good_run, root, "20261201-000000-aaaaaaaa-0001")
    (random_bytes / MODEL_FILE).write_bytes(os.urandom(4000))
    bad_weights = copy_run(good_run, root, "20261201-000000-aaaaaaaa-0002")
    corrupt_weights(bad_weights / MODEL_FILE)
    image = tmp_path / "digit.png"
    Image.fromarray((ink_digit(56) * 255).astype(np.uint8)).save(image)
    cases = ((random_bytes.name, "not a readable .keras archive"), (bad_weights.name, "cannot be loaded"))
    return root, image, cases


def test_predict_with_a_corrupt_model_is_one_line_in_process(tmp_path, good_run, capsys):
    # The same command line as below, called in this process: seconds instead of two fresh
    # TensorFlow imports, so it stays in the fast tier.
    root, image, cases = corrupt_model_runs(tmp_path, good_run)
    for run_id, fragment in cases:
        status = cli.main(["predict", "--run", run_id, str(image), "--runs-dir", str(root)])
        lines = capsys.readouterr().err.strip().splitlines()
        assert status == 2 and len(lines) == 1 and fragment in lines[0], lines


@pytest.mark.slow  # Two processes that each import TensorFlow and Keras.
def test_predict_with_a_corrupt_model_is_one_line(tmp_path, good_run):
    root, image, cases = corrupt_model_runs(tmp_path, good_run)
    for run_id, fragment in cases:
        completed = run_cli("predict", "--run", run_id, image, "--runs-dir", root)
        assert_one_line(completed, 2, fragment)


@pytest.mark.slow  # A process that imports TensorFlow and trains on the full split until interrupted.
def test_ctrl_c_during_training_is_one_line_and_status_130(tmp_path):
    output = tmp_path / "train.out"
    with open(output, "w") as stdout, open(tmp_path / "train.err", "w") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "mnist_core", "train", "--epochs", "50", "--runs-dir", str(tmp_path / "runs")],
            cwd=REPO_ROOT, stdout=stdout, stderr=stderr,
            # A shell starts a background job (`.ci/run &`) with Ctrl-C ignored, and children inherit
            # that: the CLI then trained all 50 epochs and ended with status 0. A user's terminal
            # delivers Ctrl-C, so the CLI here gets it as the user's would.
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        )
    try:
        deadline = time.monotonic() + SUBPROCESS_TIMEOUT
        while "Epoch 1/50" not in output.read_text():
            assert process.poll() is None and time.monotonic() < deadline, (tmp_path / "train.err").read_text()
            time.sleep(0.2)
        process.send_signal(signal.SIGINT)
        status = process.wait(timeout=SUBPROCESS_TIMEOUT)
    finally:
        if process.poll() is None:
            process.kill()
    error = (tmp_path / "train.err").read_text()
    assert status == cli.INTERRUPTED_STATUS, f"stderr: {error!r}; end of stdout: {output.read_text()[-1500:]!r}"
    assert error.strip().splitlines() == ["error: interrupted; a run was stored only if 'Saved run' was printed."]
    assert [name for name in os.listdir(tmp_path / "runs")] == [], "an interrupted training stores nothing"


def test_ctrl_c_during_saving_leaves_no_folder(tmp_path, tiny_result, monkeypatch, capsys):
    monkeypatch.setattr(local_training, "train_run", lambda config, **kwargs: tiny_result)

    def interrupted(path):
        raise KeyboardInterrupt

    monkeypatch.setattr(run_store, "_fsync_path", interrupted)
    status = cli.main(["train", "--hidden-size", "16", "--layers", "1", "--epochs", "1",
                       "--runs-dir", str(tmp_path / "runs")])
    assert status == cli.INTERRUPTED_STATUS
    assert capsys.readouterr().err.strip().startswith("error: interrupted")
    assert os.listdir(tmp_path / "runs") == [], "the half-written run folder is removed"


def test_read_only_store_cli_refuses_before_training_and_delete_is_one_line(tmp_path, good_run):
    root = tmp_path / "runs"
    copy_run(good_run, root, good_run.run_id)
    with read_only(root):
        completed = run_cli("train", "--epochs", "1", "--hidden-size", "8", "--runs-dir", root)
        assert_one_line(completed, 1, "cannot be written")
        assert "Epoch" not in completed.stdout, "nothing is trained that could not be saved"
        assert_one_line(run_cli("runs", "delete", good_run.run_id, "--runs-dir", root), 1, good_run.run_id)
    assert os.listdir(root) == [good_run.run_id]


def test_check_writable_names_the_store(tmp_path):
    RunStore(tmp_path / "fine").check_writable()
    (tmp_path / "file").write_text("")
    with pytest.raises(StoreNotWritableError, match="cannot be written"):
        RunStore(tmp_path / "file").check_writable()


def test_read_only_store_dashboard_train_refuses_and_delete_is_one_line(store_dir, good_run, monkeypatch):
    copy_run(good_run, store_dir, good_run.run_id)
    use_fresh_store(monkeypatch, store_dir)
    monkeypatch.setattr(state, "session_owner", lambda: "student-a")
    with read_only(store_dir):
        app = open_page(TRAIN_PAGE)
        app.select_slider(key="hidden_size").set_value(8)
        next(button for button in app.button if button.label == "Train").click().run()
        assert not app.exception
        assert any("cannot store new runs" in error.value for error in app.main.error)
        assert "train_job_id" not in app.session_state, "no job was submitted"

        app = open_page(RESULTS_PAGE)
        app.checkbox(key="results_confirm_delete").check().run()
        app.button(key="results_delete").click().run()
        assert not app.exception
        assert any("could not be deleted" in toast.value for toast in app.toast)
    assert os.listdir(store_dir) == [good_run.run_id]


def test_a_symlink_in_the_store_is_deleted_as_a_link(tmp_path, good_run):
    root = tmp_path / "runs"
    root.mkdir()
    target = copy_run(good_run, tmp_path, "elsewhere")
    (root / "linked-run").symlink_to(target, target_is_directory=True)
    completed = run_cli("runs", "delete", "linked-run", "--runs-dir", root)
    assert completed.returncode == 0 and "Traceback" not in completed.stderr, completed.stderr
    assert os.listdir(root) == [], "no link and no .tmp-deleted-* folder are left"
    assert (target / MODEL_FILE).is_file(), "what the link pointed to is untouched"


def results_app(monkeypatch, store_dir, owner="student-b"):
    use_fresh_store(monkeypatch, store_dir)
    monkeypatch.setattr(state, "session_owner", lambda: owner)
    return open_page(RESULTS_PAGE)


def test_results_skips_a_run_whose_model_is_random_bytes(store_dir, good_run, monkeypatch, as_visitor):
    copy_run(good_run, store_dir, good_run.run_id)
    broken = copy_run(good_run, store_dir, "20261201-000000-bbbbbbbb-0001")
    (broken / MODEL_FILE).write_bytes(os.urandom(4000))
    app = results_app(monkeypatch, store_dir)
    assert [row["Run id"] for row in app.main.dataframe[0].value.to_dict("records")] == [good_run.run_id]
    warnings = " ".join(warning.value for warning in app.sidebar.warning)
    assert broken.name in warnings and str(store_dir) not in warnings, "named, without the server's path"


def test_corrupt_weights_are_one_line_on_results_and_draw(store_dir, good_run, monkeypatch):
    broken = copy_run(good_run, store_dir, good_run.run_id)
    corrupt_weights(broken / MODEL_FILE)
    app = results_app(monkeypatch, store_dir, owner="student-a")
    # The weights, which need the model, are drawn when their tab is opened.
    app.session_state["results_detail_tab"] = "First-layer weights"
    app.run()
    assert any("model file cannot be read" in error.value for error in app.main.error)
    assert app.button(key="results_delete"), "the Delete controls still follow"

    use_fresh_store(monkeypatch, store_dir)
    app = open_page("streamlit_app.py")
    app.session_state[FIRST_CANVAS_KEY] = {"drawing": {"raw": {"objects": []}, "data": png_data_url(
        (ink_digit() * 255).astype(np.uint8))}}
    app.switch_page(DRAW_PAGE).run()
    assert not app.exception
    assert any("cannot be used" in error.value for error in app.main.error)


def test_a_model_with_three_outputs_is_skipped_and_never_loaded(store_dir, good_run):
    three = copy_run(good_run, store_dir, "20261201-000000-cccccccc-0001")
    model = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Flatten(), keras.layers.Dense(16),
                              keras.layers.Dense(3, activation="softmax")])
    model.save(three / MODEL_FILE)
    store = RunStore(store_dir)
    assert store.list() == [] and "[16, 3] units" in store.warnings[0]
    # Even read without the store's checks, loading refuses the model instead of predicting with it.
    unchecked = record_to_run(json.loads((three / RUN_FILE).read_text()), str(three))
    with pytest.raises(CorruptRunError, match=r"\(None, 3\)"):
        unchecked.load_model()


BAD_RECORDS = {
    "empty-history": (lambda record: record["history"].update({key: [] for key in record["history"]}),
                      "no epochs"),
    "no-train-seconds": (lambda record: record["timings"].pop("train_seconds"), "train_seconds"),
    "index-99999": (lambda record: record["test"]["misclassified"].__setitem__(0, 99999), "0–9999"),
    "nan-accuracy": (lambda record: record["test"].update(accuracy=float("nan")), "test accuracy"),
    "negative-counts": (lambda record: record["test"]["confusion"][0].__setitem__(0, -5), "negative"),
    "config-not-the-model": (lambda record: record["config"].update(hidden_size=32), "settings say"),
    "owner-not-a-string": (lambda record: record.update(owner=42), "owner"),
}


@pytest.mark.parametrize("name", BAD_RECORDS)
def test_bad_figures_are_skipped_with_a_warning(store_dir, good_run, name):
    change, fragment = BAD_RECORDS[name]
    copy_run(good_run, store_dir, good_run.run_id)
    copy_run(good_run, store_dir, name, change)
    store = RunStore(store_dir)
    assert [run.run_id for run in store.list()] == [good_run.run_id]
    assert len(store.warnings) == 1 and name in store.warnings[0] and fragment in store.warnings[0], store.warnings
    with pytest.raises(CorruptRunError, match=fragment):
        read_run(str(store_dir / name))


def test_bad_runs_never_hide_the_results_table_or_the_delete_controls(store_dir, good_run, monkeypatch):
    copy_run(good_run, store_dir, good_run.run_id)
    for name, (change, _) in BAD_RECORDS.items():
        copy_run(good_run, store_dir, name, change)
    app = results_app(monkeypatch, store_dir, owner="student-a")
    assert len(app.main.dataframe[0].value) == 1
    assert app.button(key="results_delete").label == "Delete run"
    assert len(app.sidebar.warning) == len(BAD_RECORDS)


# ---------------------------------------------------------------- crafted canvas messages


def forged_draw_page(monkeypatch, store_dir, good_run, data_url):
    copy_run(good_run, store_dir, good_run.run_id)
    use_fresh_store(monkeypatch, store_dir)
    app = open_page("streamlit_app.py")
    app.session_state[FIRST_CANVAS_KEY] = {"drawing": {"raw": {"objects": []}, "data": data_url}}
    app.switch_page(DRAW_PAGE).run()
    assert not app.exception, [error.message for error in app.exception]
    return [error.value for error in app.main.error]


FORGED_MESSAGES = {
    "bad base64": ("data:image/png;base64,@@@not base64@@@", "base64"),
    "no ;base64,": ("data:image/png,iVBORw0KGgo=", "base64"),
    "not a string": (12345, "base64"),
    "not an image": ("data:image/png;base64," + base64.b64encode(b"hello").decode(), "not a PNG"),
    "4×4": (png_data_url(np.full((4, 4, 4), 255, np.uint8)), "at least 8×8"),
    "huge": ("data:image/png;base64," + base64.b64encode(huge_png_bytes(9000, 9000)).decode(), "megapixels"),
}


@pytest.mark.parametrize("name", FORGED_MESSAGES)
def test_forged_canvas_messages_are_one_line(store_dir, good_run, monkeypatch, name):
    data_url, fragment = FORGED_MESSAGES[name]
    errors = forged_draw_page(monkeypatch, store_dir, good_run, data_url)
    assert len(errors) == 1 and fragment in errors[0], errors


@pytest.mark.parametrize("mode", ["I;16", "LA"])
def test_16_bit_and_2_channel_canvas_messages_are_read(store_dir, good_run, monkeypatch, mode):
    ink = ink_digit()
    pixels = (ink * 65535).astype(np.uint16) if mode == "I;16" else np.dstack(
        [(ink * 255).astype(np.uint8), np.full(ink.shape, 255, np.uint8)])
    errors = forged_draw_page(monkeypatch, store_dir, good_run, png_data_url(pixels))
    assert errors == []


# ---------------------------------------------------------------- resource limits


@pytest.mark.parametrize("size, mode", [((12000, 12000), "L"), ((9000, 9000), "RGBA")])
def test_huge_images_are_refused_before_decoding(tmp_path, monkeypatch, size, mode):
    path = tmp_path / "huge.png"
    path.write_bytes(huge_png_bytes(*size, mode=mode))
    assert path.stat().st_size < 1_000_000

    def no_decoding(picture):
        raise AssertionError("the pixels were decoded")

    monkeypatch.setattr(Image.Image, "load", no_decoding)
    with pytest.raises(ValueError, match=f"{size[0]}×{size[1]} pixels; images of at most 16 megapixels"):
        image_files.load_image_file(path)


@pytest.mark.parametrize("bits", [16, 32, "float"])
def test_wide_images_are_scaled_not_clipped(tmp_path, bits):
    # Dark ink on grey paper: in 8 bits this reads as a digit; clipping made every pixel white.
    grey = ink_digit(paper=0.75, ink=0.1)
    eight_bit = preprocess_drawing((grey * 255).round().astype(np.uint8))
    if bits == 16:
        picture, path = Image.fromarray((grey * 65535).astype(np.uint16)), tmp_path / "scan.png"
    elif bits == 32:
        picture, path = Image.fromarray((grey * 65535).astype(np.int32)), tmp_path / "scan.tif"
    else:
        picture, path = Image.fromarray(grey.astype(np.float32)), tmp_path / "scan.tif"
    picture.save(path)
    wide = preprocess_drawing(image_files.load_image_file(path))
    assert not wide.is_empty
    assert np.corrcoef(wide.image.ravel(), eight_bit.image.ravel())[0, 1] > 0.99


def test_an_animated_gif_says_only_its_first_frame_is_read(tmp_path, good_run, capsys):
    frames = [Image.fromarray((ink_digit(56) * 255).astype(np.uint8)), Image.new("L", (56, 56))]
    path = tmp_path / "two.gif"
    frames[0].save(path, save_all=True, append_images=frames[1:])
    loaded = image_files.read_image(path)
    assert loaded.notes == (image_files.FIRST_FRAME_NOTE,)
    assert not preprocess_drawing(loaded.pixels).is_empty, "the first frame, with the digit, is read"
    copy_run(good_run, tmp_path / "runs", good_run.run_id)
    assert cli.main(["predict", "--run", good_run.run_id, str(path), "--runs-dir", str(tmp_path / "runs")]) == 0
    output = capsys.readouterr()
    assert json.loads(output.out)["digit"] is not None
    assert output.err.strip() == f"note: {path}: {image_files.FIRST_FRAME_NOTE}."


def test_tiff_images_are_accepted(tmp_path):
    path = tmp_path / "scan.tiff"
    Image.fromarray((ink_digit(56) * 255).astype(np.uint8)).save(path)
    assert not preprocess_drawing(image_files.load_image_file(path)).is_empty


def test_an_abandoned_cache_write_is_removed_and_a_live_one_kept(tmp_path, monkeypatch, data_dir):
    cache = tmp_path / "cache"
    # A copy of the session's decoded arrays (when an earlier test made them) spares a tfds decoding.
    shutil.copytree(os.environ[dataset_cache.CACHE_DIR_VARIABLE], cache)
    monkeypatch.setenv(dataset_cache.CACHE_DIR_VARIABLE, str(cache))
    abandoned, live = cache / ".writing-abandoned.npz", cache / ".writing-live.npz"
    abandoned.write_bytes(b"x" * 1000)
    live.write_bytes(b"y" * 1000)
    try:
        with locks.locked(str(live), blocking=False) as holding:
            assert holding
            data.clear_cache()
            data.load_dataset("mnist", data_dir=data_dir, download=False)
            assert not abandoned.exists(), "a half-written file nobody writes is removed on the next load"
            assert live.exists(), "a file a live process is writing is kept"
    finally:
        data.clear_cache()


def test_a_killed_savers_hidden_folder_is_removed_at_once(tmp_path):
    root = tmp_path / "runs"
    root.mkdir()
    script = ("import sys, time\nfrom mnist_core.locks import locked_temporary_folder\n"
              "with locked_temporary_folder(sys.argv[1], '.tmp-') as folder:\n"
              "    print(folder, flush=True)\n    time.sleep(600)\n")
    process = subprocess.Popen([sys.executable, "-c", script, str(root)], cwd=REPO_ROOT,
                               stdout=subprocess.PIPE, text=True)
    try:
        folder = process.stdout.readline().strip()
        assert os.path.isdir(folder)
        RunStore(root).list()
        assert os.path.isdir(folder), "the live saver's folder is kept"
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    RunStore(root).list()
    assert os.listdir(root) == [], "a second after the kill, the next listing removes the leftover"


def test_a_truncated_tfds_record_is_reported_as_damaged(tmp_path, monkeypatch, data_dir):
    copy = tmp_path / "tfds"
    shutil.copytree(pathlib.Path(data_dir) / "mnist", copy / "mnist")
    record = next((copy / "mnist").glob("*/mnist-test.tfrecord*"))
    record.chmod(0o644)
    record.write_bytes(record.read_bytes()[: record.stat().st_size // 2])
    monkeypatch.setenv(dataset_cache.CACHE_DIR_VARIABLE, "off")
    with pytest.raises(data.DatasetCorruptError, match="is damaged and cannot be read \\(truncated record") as caught:
        data.load_dataset("mnist", data_dir=str(copy), download=False)
    assert caught.value.__cause__ is not None, "the cause is kept"
    assert "could not be downloaded" not in str(caught.value)


# ---------------------------------------------------------------- students cannot undo each other's work


def test_runs_record_their_owner(tmp_path, tiny_result, good_run):
    assert good_run.owner == "student-a"
    assert json.loads(pathlib.Path(good_run.path, RUN_FILE).read_text())["owner"] == "student-a"
    cli_run = RunStore(tmp_path).save(tiny_result)
    assert cli_run.owner is None and RunStore(tmp_path).load(cli_run.run_id).owner is None


def test_an_older_run_without_owner_reads_as_nobodys(store_dir, good_run):
    copy_run(good_run, store_dir, good_run.run_id, lambda record: record.pop("owner"))
    assert RunStore(store_dir).load(good_run.run_id).owner is None


def test_only_the_owner_or_the_teacher_is_offered_delete(store_dir, good_run, monkeypatch):
    copy_run(good_run, store_dir, good_run.run_id)
    monkeypatch.setenv(state.ADMIN_TOKEN_VARIABLE, "s3cret-teacher")
    other = results_app(monkeypatch, store_dir, owner="student-b")
    assert not [b for b in other.button if b.key == "results_delete"]
    assert "Only the student who trained this run" in texts(other)

    other.text_input(key="results_teacher_token").input("wrong").run()
    assert any("not the teacher token" in error.value for error in other.main.error)
    other.text_input(key="results_teacher_token").input("s3cret-teacher").run()
    assert "Teacher mode: you may delete any run." in texts(other)
    assert [b for b in other.button if b.key == "results_delete"], "the teacher may delete any run"

    owner = results_app(monkeypatch, store_dir, owner="student-a")
    owner.checkbox(key="results_confirm_delete").check().run()
    owner.button(key="results_delete").click().run()
    assert os.listdir(store_dir) == [], "the owner deleted their own run"


def test_the_teacher_can_delete_a_run_folder_that_cannot_be_read(store_dir, good_run, monkeypatch):
    copy_run(good_run, store_dir, good_run.run_id)
    copy_run(good_run, store_dir, "broken", lambda record: record["timings"].clear())
    monkeypatch.setenv(state.ADMIN_TOKEN_VARIABLE, "s3cret-teacher")
    app = results_app(monkeypatch, store_dir, owner="student-a")
    assert not [button for button in app.button if button.key == "results_delete_unreadable"]
    app.text_input(key=manage_view.TEACHER_TOKEN_KEY).input("s3cret-teacher").run()
    assert app.selectbox(key="results_unreadable_run").value == "broken"
    app.button(key="results_delete_unreadable").click().run()
    assert not app.exception
    assert os.listdir(store_dir) == [good_run.run_id]


def test_without_an_admin_token_there_is_no_teacher_mode(store_dir, good_run, monkeypatch):
    copy_run(good_run, store_dir, good_run.run_id, lambda record: record.update(owner=None))
    monkeypatch.delenv(state.ADMIN_TOKEN_VARIABLE, raising=False)
    app = results_app(monkeypatch, store_dir, owner="student-a")
    assert not [b for b in app.button if b.key == "results_delete"], "a CLI run belongs to no visitor"
    assert not [box for box in app.text_input if box.key == "results_teacher_token"]


def test_stop_is_offered_only_to_the_student_who_started_the_training(store_dir, monkeypatch):
    from mnist_core.config import TrainConfig

    use_fresh_store(monkeypatch, store_dir)
    monkeypatch.setattr(state, "session_owner", lambda: "student-b")
    job = state.get_job_manager().submit(TrainConfig(epochs=100, hidden_size=8), owner="student-a")
    try:
        app = open_page("streamlit_app.py")
        app.session_state["train_job_id"] = job.job_id
        app.switch_page(TRAIN_PAGE).run()
        assert not app.exception
        assert not [button for button in app.button if button.key and button.key.startswith("stop-")]

        monkeypatch.setattr(state, "session_owner", lambda: "student-a")
        owner_app = open_page("streamlit_app.py")
        owner_app.switch_page(TRAIN_PAGE).run()
        assert [button for button in owner_app.button if button.key == f"stop-{job.job_id}"]
    finally:
        state.get_job_manager().stop(job.job_id, "student-a")


def test_visitors_see_no_paths_and_no_error_details(store_dir, good_run, monkeypatch):
    config = tomllib.loads((REPO_ROOT / ".streamlit" / "config.toml").read_text())
    assert config["client"]["showErrorDetails"] == "type"
    copy_run(good_run, store_dir, good_run.run_id)
    use_fresh_store(monkeypatch, store_dir)
    # conftest shows errors in full for every test; here the app runs as configured for visitors.
    previous = streamlit_config.get_option("client.showErrorDetails")
    streamlit_config.set_option("client.showErrorDetails", config["client"]["showErrorDetails"])
    try:
        home = open_page("streamlit_app.py")
        shown = texts(home) + " ".join(item.value for item in [*home.sidebar.markdown, *home.sidebar.caption])
        assert str(store_dir) not in shown and data.resolve_data_dir() not in shown
        assert "MNIST is on this machine, ready to train on." in shown
        streamlit_config.set_option("client.showErrorDetails", "full")
        assert str(store_dir) in texts(open_page("streamlit_app.py")), "the developer switch shows the folders"
    finally:
        streamlit_config.set_option("client.showErrorDetails", previous)


def test_the_readme_documents_the_listening_address():
    readme = (REPO_ROOT / "README.md").read_text()
    assert "--server.address 127.0.0.1" in readme and "--server.address 0.0.0.0" in readme
    assert "MNIST_ADMIN_TOKEN" in readme and "--client.showErrorDetails full" in readme
