"""The core must stay usable without Streamlit."""

import subprocess
import sys

from conftest import REPO_ROOT


def test_importing_mnist_core_does_not_import_streamlit():
    modules = "config data model train evaluate cli runs run_record predict preprocess jobs job"
    code = (
        "import importlib, sys\n"
        f"for name in {modules.split()!r}:\n"
        "    try:\n"
        "        importlib.import_module('mnist_core.' + name)\n"
        "    except ModuleNotFoundError as error:\n"
        "        if error.name != 'mnist_core.' + name: raise\n"
        "print('streamlit' in sys.modules)\n"
    )
    completed = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO_ROOT, check=True
    )
    assert completed.stdout.strip().splitlines()[-1] == "False"


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
