"""Shared fixtures: the offline tfds folder and one tiny trained run reused across test modules."""

import os
import pathlib
import sys

import pytest

REPO_ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
DATA_DIR = os.environ.get("TFDS_DATA_DIR") or str(REPO_ROOT.parent / "shared" / "data" / "tfds")
# Every test reads the offline copy, never the network, whatever the caller's environment says.
os.environ["TFDS_DATA_DIR"] = DATA_DIR


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
