"""Shared fixtures: the offline tfds folder, one tiny trained run and the Ray instance trainings use."""

import functools
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


def _scan_installed_components_once_per_session():
    """Every new AppTest scans all ~270 installed packages' metadata for Streamlit components.

    That scan took about 0.5 s of each AppTest's first run, over a hundred times a session, and its
    answer cannot change while the tests run (nothing installs packages mid-session). Each AppTest
    still builds and fills its own component registry from the answer; only the scan is shared.
    """
    from streamlit.components.v2 import manifest_scanner

    scan = functools.lru_cache(maxsize=1)(manifest_scanner.scan_component_manifests)
    manifest_scanner.scan_component_manifests = lambda max_workers=None: list(scan())


_scan_installed_components_once_per_session()


def _clean_after_each_script_run_as_the_keras_free_server_does():
    """After every script run Streamlit calls `keras.backend.clear_session()` if Keras is imported.

    The dashboard's server never imports Keras (tests/test_keras_free_server.py checks it), so
    there that cleanup does nothing. The test process imports Keras because it trains runs, and the
    cleanup's full garbage collection then cost 0.25 s or more of every AppTest run, a cost the
    product never pays. The other module it cleans up, matplotlib, the app does not use.
    """
    from streamlit.runtime.scriptrunner import script_runner

    script_runner._clean_problem_modules = lambda: None


_clean_after_each_script_run_as_the_keras_free_server_does()


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


def _needs_ray(item):
    """Whether a test trains in Ray: it asks for `ray_instance`, or it runs the app in this process.

    An app run in this process (AppTest) may open the Train or Sweep page, whose job manager
    connects to Ray from its own thread at once; browser tests run the app in its own process.
    """
    if "ray_instance" in item.fixturenames:
        return True
    runs_the_app_here = any(hasattr(item.module, name) for name in ("AppTest", "open_page"))
    return runs_the_app_here and item.get_closest_marker("e2e") is None


@pytest.fixture(scope="session")
def ray_instance():
    """One embedded Ray instance (2 CPUs, bound to 127.0.0.1) shared by every test that trains.

    It is the same instance the dashboard starts for itself, so the pages' trainings run in Ray
    workers in tests too; it is shut down when the session ends. As on the server, connecting a
    trainer starts warming one worker per CPU (TensorFlow import, dataset read, ~5 s each) without
    waiting, so that happens beside the tests that come before the first training.
    """
    from mnist_core import cluster
    from mnist_core.remote import RayTrainer

    ray = cluster.connect(None, num_cpus=2)
    RayTrainer(None, num_cpus=2).connect()
    yield ray
    ray.shutdown()


@pytest.fixture(scope="session", autouse=True)
def _ray_before_any_test(request):
    """Starts Ray before the first test when any selected test needs it, and not at all otherwise.

    Before the first test, because a job manager that started Ray from its own thread while a page
    computed with NumPy in another once hung the whole test process (ray.init forks helper
    processes; see the closing note). Not at all when nothing selected trains in Ray, which saves
    its start (seconds) when working on, say, test_config.py alone.
    """
    if any(_needs_ray(item) for item in request.session.items):
        request.getfixturevalue("ray_instance")


@pytest.fixture(scope="session", autouse=True)
def _fresh_process_checks_before_any_test(request, _ray_before_any_test):
    """Starts the selected tests' fresh-process checks before the first test, and stops leftovers.

    Those checks each start a new Python that imports TensorFlow or Streamlit and waits ~5 s; begun
    here, they run on the second core beside the tests before them instead of one after another,
    alone. A test module offers this with `start_in_background(test_name, request)`, which returns
    the started `subprocess.Popen` (or None), and collects the output in the test itself.
    """
    started = []
    for item in request.session.items:
        start = getattr(item.module, "start_in_background", None)
        process = start(item.originalname, request) if start is not None else None
        if process is not None:
            started.append(process)
    yield
    for process in started:
        if process.poll() is None:
            process.kill()
            process.communicate()


@pytest.fixture
def forgotten_caches():
    """Forgets the app's cached store, job manager and run listing before and after a page test."""
    from app_helpers import forget_cached_resources

    forget_cached_resources()
    yield
    forget_cached_resources()


def pytest_sessionfinish(session, exitstatus):
    """Removes the session's decoded-array cache."""
    shutil.rmtree(CACHE_DIR, ignore_errors=True)


# The browser-test fixtures are registered here, once, so that every browser test module shares one
# Playwright and one Chromium: a module that imported them itself would start a second Playwright
# inside the first one's event loop, which fails.
from e2e_server import app_server, browser, fresh_server, new_page, page  # noqa: E402,F401
