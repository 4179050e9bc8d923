"""Shared fixtures: the offline tfds folder and one tiny trained run reused across test modules."""

import os
import pathlib
import shutil
import sys
import tempfile

import pytest

REPO_ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
DATA_DIR = os.environ.get("TFDS_DATA_DIR") or str(REPO_ROOT.parent / "shared" / "data" / "tfds")
# Every test reads the offline copy, never the network, whatever the caller's environment says.
os.environ["TFDS_DATA_DIR"] = DATA_DIR
# Decoded arrays go to a fresh folder per session (inherited by the app and CLI processes the tests
# start), so the suite never depends on what a developer's own cache holds.
CACHE_DIR = tempfile.mkdtemp(prefix="mnist-test-cache-")
os.environ["MNIST_CACHE_DIR"] = CACHE_DIR


def _show_app_errors_in_full():
    """AppTest reads .streamlit/config.toml, which hides error messages from visitors; tests need them."""
    from streamlit import config

    config.set_option("client.showErrorDetails", "full")


_show_app_errors_in_full()


@pytest.fixture(scope="session")
def data_dir():
    """The prepared tfds folder with real MNIST and Fashion-MNIST."""
    return DATA_DIR


@pytest.fixture(scope="session")
def tiny_result(data_dir):
    """One epoch of a 1×16 network on real MNIST: enough to check shapes and plumbing."""
    from mnist_core.config import TrainConfig
    from mnist_core.train import train_run

    return train_run(TrainConfig(hidden_size=16, hidden_layers=1, epochs=1), data_dir=data_dir)


_EXIT_STATUS = {}


def pytest_sessionfinish(session, exitstatus):
    """Remembers pytest's exit status for `pytest_unconfigure`."""
    _EXIT_STATUS["status"] = int(exitstatus)


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config):
    """Ends the process with pytest's own status once everything has been reported.

    Background trainings run on daemon threads inside TensorFlow's C++ code; when the interpreter
    shuts down under them, glibc aborts the process ("FATAL: exception not rethrown") and turns a
    green run into exit status 134. Skipping the interpreter's shutdown avoids that.
    """
    shutil.rmtree(CACHE_DIR, ignore_errors=True)
    if "status" in _EXIT_STATUS:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(_EXIT_STATUS["status"])
