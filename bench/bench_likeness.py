"""Benchmark: how often the Draw page's "unlike any digit" check flags digits and non-digits.

Fits `mnist_core.likeness` on the MNIST training split, then measures the share flagged among
real test digits (raw 28×28 and redrawn on the canvas in each of `VARIANT_KINDS`, through the
MNIST-style preprocessing) and among horizontal lines, scribbles and capital letters drawn with
the page's pen. Digits should almost never be flagged; non-digits as often as possible.

    python bench/bench_likeness.py [--digits 1000] [--others 200]
"""

import argparse
import collections
import os
import pathlib
import sys
import time

import numpy as np

REPO_ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from mnist_core.likeness import fit_likeness, measure_likeness  # noqa: E402
from mnist_core.preprocess import preprocess_drawing  # noqa: E402
from seed_pipeline import measure_seed, print_ratio  # noqa: E402
from tests import drawing_variants, unlike_drawings  # noqa: E402


def flagged(reference, canvases):
    """Returns (share flagged, Counter of reasons) for canvases put through the MNIST-style recipe."""
    inputs = np.stack([preprocess_drawing(canvas).image for canvas in canvases])
    results = measure_likeness(reference, inputs)
    return float(np.mean([result.is_unlike for result in results])), collections.Counter(
        result.reason for result in results if result.is_unlike)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--digits", type=int, default=1000, help="test digits per variant kind")
    parser.add_argument("--others", type=int, default=200, help="drawings per non-digit kind")
    arguments = parser.parse_args()
    seed = measure_seed()
    train_images, _ = drawing_variants.load_mnist_arrays("train")
    started = time.perf_counter()
    reference = fit_likeness(train_images)
    print(f"Fitted in {time.perf_counter() - started:.1f} s: distance limit {reference.distance_limit:.2f}, "
          f"ink at least {reference.min_ink_height} px tall")
    print_ratio("fitting the likeness reference", time.perf_counter() - started, seed["total_seconds"],
                "run to test accuracy", "s")
    images, _ = drawing_variants.load_mnist_arrays(f"test[:{arguments.digits}]")
    raw = measure_likeness(reference, images)
    print(f"\n{'input':<18}{'flagged':>9}  reasons")
    print(f"{'raw 28×28 test':<18}{np.mean([result.is_unlike for result in raw]):>9.3f}")
    for kind in drawing_variants.VARIANT_KINDS:
        rng = np.random.default_rng(0)
        share, reasons = flagged(reference, [drawing_variants.make_variant(image, kind, rng) for image in images])
        print(f"{kind:<18}{share:>9.3f}  {dict(reasons)}")
    for kind in unlike_drawings.UNLIKE_KINDS:
        share, reasons = flagged(reference, unlike_drawings.make_unlike(kind, arguments.others))
        print(f"{kind:<18}{share:>9.3f}  {dict(reasons)}")
    letters = {name: flagged(reference, [unlike_drawings.letter(np.random.default_rng(seed), name)
                                         for seed in range(20)])[0]
               for name in sorted(unlike_drawings.LETTER_STROKES)}
    print("letters, 20 each: " + ", ".join(f"{name} {share:.2f}" for name, share in letters.items()))


if __name__ == "__main__":
    main()
