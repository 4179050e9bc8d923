"""Benchmark: accuracy on real MNIST test digits drawn on the canvas, with and without the recipe.

Trains the default network (`train_run(TrainConfig())`, 5 epochs), then reads the same test
digits raw (28×28) and redrawn on a 280×280 canvas in each of `VARIANT_KINDS`, once with
MNIST-style preprocessing (crop, fit into 20×20, centre by mass) and once with a naive resize.

    /work/venv/bin/python bench/bench_drawings.py [--digits 1000]
"""

import argparse
import os
import pathlib
import sys
import time

import numpy as np

REPO_ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from mnist_core.config import TrainConfig  # noqa: E402
from mnist_core.network import network_from_keras  # noqa: E402
from mnist_core.preprocess import preprocess_drawing  # noqa: E402
from mnist_core.train import train_run  # noqa: E402
from tests import drawing_variants  # noqa: E402


def accuracy(model, images28, labels):
    """Returns the share of (N, 28, 28) network inputs the model reads correctly."""
    return float(np.mean(network_from_keras(model).probabilities(images28).argmax(axis=1) == labels))


def preprocessed(canvases, mnist_style):
    return np.stack([preprocess_drawing(canvas, mnist_style=mnist_style).image for canvas in canvases])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--digits", type=int, default=1000, help="test digits per variant kind")
    num_digits = parser.parse_args().digits
    started = time.perf_counter()
    result = train_run(TrainConfig(), data_dir=drawing_variants.data_dir(), download=False)
    print(f"Trained {result.config.describe()} in {time.perf_counter() - started:.1f} s; "
          f"test accuracy on all 10,000 digits {result.evaluation.accuracy:.4f}")
    images, labels = drawing_variants.load_mnist_arrays(f"test[:{num_digits}]")
    print(f"\nAccuracy on the first {num_digits} test digits")
    print(f"{'input':<14}{'MNIST style':>12}{'naive resize':>14}")
    print(f"{'raw 28×28':<14}{accuracy(result.model, images, labels):>12.3f}{'':>14}")
    raw_recipe = accuracy(result.model, preprocessed(images, mnist_style=True), labels)
    print(f"{'raw, recipe':<14}{raw_recipe:>12.3f}{'':>14}")
    for kind in drawing_variants.VARIANT_KINDS:
        rng = np.random.default_rng(0)
        canvases = [drawing_variants.make_variant(image, kind, rng) for image in images]
        recipe = accuracy(result.model, preprocessed(canvases, mnist_style=True), labels)
        naive = accuracy(result.model, preprocessed(canvases, mnist_style=False), labels)
        print(f"{kind:<14}{recipe:>12.3f}{naive:>14.3f}")


if __name__ == "__main__":
    main()
