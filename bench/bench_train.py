"""Benchmark: the seed notebook's pipeline against `train_run` on the default config, in one run.

Each side runs in its own fresh Python process (imports done before its timer starts), so neither
inherits the other's caches. The engine runs twice with an empty folder for its decoded-array cache:
"cold" decodes tfds's records as on a machine's first run, "warm" reads the arrays the cold run
kept, as every later run does. Then the CLI runs under /usr/bin/time -v for its peak memory.

    TFDS_DATA_DIR=../shared/data/tfds python bench/bench_train.py
"""

import json
import os
import re
import statistics
import subprocess
import sys
import tempfile

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ENGINE_SNIPPET = """
import json, time
import tensorflow_datasets, tensorflow
from mnist_core.config import TrainConfig
from mnist_core.train import train_run
started = time.perf_counter()
result = train_run(TrainConfig())
total = time.perf_counter() - started
print(json.dumps({**result.timings, "epoch_seconds": result.history["seconds"], "total_seconds": total,
                  "test_accuracy": result.evaluation.accuracy, "test_loss": result.evaluation.loss}))
"""


def run_python(code_or_path, extra_env=None):
    """Runs a snippet or script in a fresh interpreter and returns its last stdout line as JSON."""
    command = [sys.executable, code_or_path] if code_or_path.endswith(".py") else [sys.executable, "-c", code_or_path]
    env = {**os.environ, "PYTHONPATH": REPO_ROOT, "TF_CPP_MIN_LOG_LEVEL": "2", **(extra_env or {})}
    completed = subprocess.run(command, capture_output=True, text=True, env=env, cwd=REPO_ROOT, check=True)
    return json.loads(completed.stdout.strip().splitlines()[-1])


def peak_memory_of_cli():
    """Returns the peak resident memory in MB of a default `python -m mnist_core train` run.

    Without the cache, so tfds's decoding, the larger of the two ways in, is what is measured.
    """
    command = ["/usr/bin/time", "-v", sys.executable, "-m", "mnist_core", "train", "--no-store"]
    env = {**os.environ, "PYTHONPATH": REPO_ROOT, "MNIST_CACHE_DIR": "off"}
    completed = subprocess.run(command, capture_output=True, text=True, env=env, cwd=REPO_ROOT, check=True)
    kilobytes = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", completed.stderr).group(1))
    return kilobytes / 1024, completed.stdout.strip().splitlines()[-1]


def describe(name, timings):
    """Formats one side's figures on a line."""
    steady = statistics.median(timings["epoch_seconds"][1:])
    return steady, (
        f"{name:<7} load {timings['load_seconds']:5.2f} s | epoch 1 {timings['epoch_seconds'][0]:5.2f} s, "
        f"steady {steady:5.3f} s | test {timings['test_seconds']:4.2f} s | whole run "
        f"{timings['total_seconds']:5.2f} s | test accuracy {timings['test_accuracy']:.4f}"
    )


def main():
    if "TFDS_DATA_DIR" not in os.environ:
        sys.exit("Set TFDS_DATA_DIR to a prepared tfds folder, e.g. ../shared/data/tfds.")
    seed = run_python(os.path.join(REPO_ROOT, "bench", "seed_pipeline.py"))
    with tempfile.TemporaryDirectory(prefix="bench-cache-") as cache:
        cold = run_python(ENGINE_SNIPPET, {"MNIST_CACHE_DIR": cache})
        warm = run_python(ENGINE_SNIPPET, {"MNIST_CACHE_DIR": cache})
    seed_steady, seed_line = describe("seed", seed)
    print(seed_line)
    for name, engine in (("cold", cold), ("warm", warm)):
        print(describe(name, engine)[1])
    epoch_ratio = seed_steady / statistics.median(warm["epoch_seconds"][1:])
    print(f"steady-state epoch: engine is {epoch_ratio:.1f}x faster than the seed (target >= 10x)")
    for name, engine in (("cold", cold), ("warm", warm)):
        run_ratio = seed["total_seconds"] / engine["total_seconds"]
        print(f"whole default run, {name} cache: engine is {run_ratio:.1f}x faster than the seed (target >= 4x)")
    peak_mb, last_line = peak_memory_of_cli()
    print(f"CLI default run peak memory: {peak_mb:.0f} MB (target <= 1536 MB); it printed: {last_line}")


if __name__ == "__main__":
    main()
