"""The core must stay usable without Streamlit, and the job manager without TensorFlow and Ray."""

import json
import subprocess
import sys

import pytest

from conftest import REPO_ROOT

# One fresh interpreter answers both questions (each start of one that imports TensorFlow costs
# seconds): first what importing the job manager pulled in, then, after importing every module of
# mnist_core found on disk (so a new module is checked without being listed), whether Streamlit came.
IMPORT_ALL = """
import importlib, json, pkgutil, sys
import mnist_core.jobs, mnist_core.job, mnist_core.remote, mnist_core.cluster
after_job_manager = sorted(name for name in ('tensorflow', 'keras', 'ray', 'mnist_core.train') if name in sys.modules)
import mnist_core
names = [module.name for module in pkgutil.walk_packages(mnist_core.__path__, "mnist_core.")]
for name in names:
    if name != "mnist_core.__main__":  # Importing it would run the command line.
        importlib.import_module(name)
print(json.dumps({"after_job_manager": after_job_manager, "modules": sorted(names),
                  "streamlit_imported": "streamlit" in sys.modules}))
"""


@pytest.fixture(scope="module")
def imported():
    completed = subprocess.run(
        [sys.executable, "-c", IMPORT_ALL], capture_output=True, text=True, cwd=REPO_ROOT, check=True
    )
    return json.loads(completed.stdout.strip().splitlines()[-1])


def test_importing_mnist_core_does_not_import_streamlit(imported):
    names = set(imported["modules"])
    on_disk = {path.stem for path in (REPO_ROOT / "mnist_core").glob("*.py")} - {"__init__"}
    assert names == {f"mnist_core.{stem}" for stem in on_disk}
    assert {"mnist_core.config", "mnist_core.train", "mnist_core.cli"} <= names
    assert imported["streamlit_imported"] is False


def test_the_job_manager_imports_neither_tensorflow_nor_ray(imported):
    # The web server imports the job manager; TensorFlow belongs in the Ray workers, and Ray is
    # imported only when the manager connects, so a missing Ray becomes a message, not a crash.
    assert imported["after_job_manager"] == []
