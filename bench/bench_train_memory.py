"""Benchmark: memory of one process that calls `train_run` 20 times (as a warm Ray worker does).

Prints the RSS after each call and the growth from the 1st to the 20th (target: within 100 MB),
with the seed settings and with a tiny network, then the load average.

    TFDS_DATA_DIR=../shared/data/tfds python bench/bench_train_memory.py
"""

import gc
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from mnist_core.config import TrainConfig  # noqa: E402
from mnist_core.train import train_run  # noqa: E402
from seed_pipeline import measure_seed, print_ratio  # noqa: E402

CALLS = 20


def rss_mb():
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) / 1024 for line in status if line.startswith("VmRSS:"))


def main():
    seed = measure_seed()
    for name, config in (("seed settings", TrainConfig()),
                         ("tiny, seeds vary", TrainConfig(hidden_size=16, hidden_layers=1, epochs=1))):
        sizes = []
        for call in range(CALLS):
            train_run(TrainConfig(**{**config.to_dict(), "seed": call}))
            gc.collect()
            sizes.append(rss_mb())
        print(f"{name}: RSS after each call {[round(size) for size in sizes]} MB")
        print(f"{name}: after the 1st {sizes[0]:.0f} MB, after the {CALLS}th {sizes[-1]:.0f} MB "
              f"({sizes[-1] - sizes[0]:+.0f} MB; target within 100 MB)", flush=True)
        print_ratio(f"{name}: RSS growth over {CALLS} calls", sizes[-1] - sizes[0], seed["peak_rss_mb"], "peak RSS", "MB")
    print(f"load average: {os.getloadavg()}")


if __name__ == "__main__":
    main()
