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


def test_importing_mnist_core_does_not_import_streamlit():
    completed = subprocess.run(
        [sys.executable, "-c", IMPORT_ALL], capture_output=True, text=True, cwd=REPO_ROOT, check=True
    )
    names, streamlit_imported = completed.stdout.strip().splitlines()[-2:]
    on_disk = {path.stem for path in (REPO_ROOT / "mnist_core").glob("*.py")} - {"__init__"}
    assert set(names.split()) == {f"mnist_core.{stem}" for stem in on_disk}
    assert {"mnist_core.config", "mnist_core.train", "mnist_core.cli"} <= set(names.split())
    assert streamlit_imported == "False"


def test_the_job_manager_imports_neither_tensorflow_nor_ray():
    # The web server imports the job manager; TensorFlow belongs in the Ray workers, and Ray is
    # imported only when the manager connects, so a missing Ray becomes a message, not a crash.
    code = (
        "import sys\n"
        "import mnist_core.jobs, mnist_core.job, mnist_core.remote, mnist_core.cluster\n"
        "print(sorted(name for name in ('tensorflow', 'keras', 'ray', 'mnist_core.train') if name in sys.modules))\n"
    )
    completed = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO_ROOT, check=True
    )
    assert completed.stdout.strip().splitlines()[-1] == "[]"
