"""The core must stay usable without Streamlit."""

import subprocess
import sys

from conftest import REPO_ROOT

# Imports every module of mnist_core found on disk, so a new module is checked without being listed.
IMPORT_ALL = """
import importlib, pkgutil, sys
import mnist_core
names = [module.name for module in pkgutil.walk_packages(mnist_core.__path__, "mnist_core.")]
for name in names:
    if name != "mnist_core.__main__":  # Importing it would run the command line.
        importlib.import_module(name)
print(" ".join(sorted(names)))
print("streamlit" in sys.modules)
"""
IMPORT_JOB_MANAGER = """
import sys
import mnist_core.job_manager, mnist_core.job_record, mnist_core.remote, mnist_core.cluster
print(sorted(name for name in ('tensorflow', 'keras', 'ray', 'mnist_core.train') if name in sys.modules))
"""
# Each test's program, run in a fresh Python: what this process has imported cannot hide an import.
CHECKS = {
    "test_importing_mnist_core_does_not_import_streamlit": IMPORT_ALL,
    "test_the_job_manager_imports_neither_tensorflow_nor_ray": IMPORT_JOB_MANAGER,
}
_STARTED = {}


def start_in_background(test_name, request):
    """Starts a selected test's fresh Python; conftest calls this before the first test."""
    del request  # These checks need no fixture.
    if test_name in CHECKS and test_name not in _STARTED:
        _STARTED[test_name] = subprocess.Popen(
            [sys.executable, "-c", CHECKS[test_name]], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True, cwd=REPO_ROOT,
        )
        return _STARTED[test_name]
    return None


def finished_check(test_name):
    """Waits for the test's fresh Python and returns the lines it printed."""
    start_in_background(test_name, None)  # Does nothing when conftest has started it.
    process = _STARTED.pop(test_name)
    stdout, stderr = process.communicate(timeout=600)
    assert process.returncode == 0, stderr[-3000:]
    return stdout.strip().splitlines()


def test_importing_mnist_core_does_not_import_streamlit():
    names, streamlit_imported = finished_check("test_importing_mnist_core_does_not_import_streamlit")[-2:]
    on_disk = {path.stem for path in (REPO_ROOT / "mnist_core").glob("*.py")} - {"__init__"}
    assert set(names.split()) == {f"mnist_core.{stem}" for stem in on_disk}
    assert {"mnist_core.config", "mnist_core.train", "mnist_core.cli"} <= set(names.split())
    assert streamlit_imported == "False"


def test_the_job_manager_imports_neither_tensorflow_nor_ray():
    # The web server imports the job manager; TensorFlow belongs in the Ray workers, and Ray is
    # imported only when the manager connects, so a missing Ray becomes a message, not a crash.
    assert finished_check("test_the_job_manager_imports_neither_tensorflow_nor_ray")[-1] == "[]"
