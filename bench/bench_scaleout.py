"""Benchmark: 4 trainings through the dashboard's job manager on 1 Ray node × 1 CPU, then 2 nodes × 1 CPU.

Each layout is a real multi-process Ray cluster on this machine (`ray.cluster_utils.Cluster`, all
on 127.0.0.1), joined by address as a teacher's dashboard joins a cluster (so `mnist_core` is
shipped to the workers). Workers are warmed with one training per CPU first; then 4 seed-notebook
trainings are timed. Prints which node ran each training and the wall-time ratio.

    TFDS_DATA_DIR=../shared/data/tfds python bench/bench_scaleout.py
"""

import json
import os
import subprocess
import sys
import tempfile
import time

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TRAININGS = 4


def run_layout(num_nodes, seed_offset=0):
    """Runs in a fresh process: starts the cluster, trains, prints one JSON line, shuts down."""
    # Ray binds to loopback only with this switch (see mnist_core.cluster); it is read at import.
    os.environ["RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"] = "0"
    sys.path.insert(0, REPO_ROOT)
    from ray.cluster_utils import Cluster

    from mnist_core.config import TrainConfig
    from mnist_core.job_manager import JobManager
    from mnist_core.job_record import FINAL_STATES
    from mnist_core.remote import RayTrainer
    from mnist_core.run_store import RunStore

    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 1, "include_dashboard": False})
    for _ in range(num_nodes - 1):
        cluster.add_node(num_cpus=1)
    cluster.wait_for_nodes()
    try:
        manager = JobManager(RunStore(tempfile.mkdtemp()), max_concurrent=None,
                             trainer=RayTrainer(address=cluster.address))

        def train_all(configs):
            started = time.perf_counter()
            jobs = [manager.submit(config, owner=f"student-{index}") for index, config in enumerate(configs)]
            while any(job.state not in FINAL_STATES for job in jobs):
                time.sleep(0.1)
            return time.perf_counter() - started, jobs

        # Warm a worker on every node (TensorFlow imported, MNIST read, the seed network's loop
        # compiled) before anything is timed.
        warmed, round_number = set(), 0
        while len(warmed) < num_nodes and round_number < 5:
            seeds = [900 + 10 * round_number + node for node in range(num_nodes)]
            _, warm_jobs = train_all([TrainConfig(epochs=1, seed=seed) for seed in seeds])
            warmed |= {job.worker["node_id"] for job in warm_jobs}
            round_number += 1
        seconds, jobs = train_all([TrainConfig(seed=seed_offset + index) for index in range(TRAININGS)])
        import ray

        node_ips = {node["NodeID"]: node["NodeManagerAddress"] for node in ray.nodes()}
        print(json.dumps({
            "nodes": num_nodes, "seconds": seconds, "states": [job.state for job in jobs],
            "node_of_each_training": [job.worker["node_id"][:8] for job in jobs],
            "distinct_nodes_used": len({job.worker["node_id"] for job in jobs}),
            "node_addresses": sorted(set(node_ips.values())),
            "test_accuracy": [round(job.snapshot().run.test_accuracy, 4) for job in jobs],
            "train_seconds": [round(job.snapshot().run.timings["train_seconds"], 1) for job in jobs],
        }))
    finally:
        import ray

        ray.shutdown()
        cluster.shutdown()


def measure(num_nodes):
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    completed = subprocess.run([sys.executable, __file__, str(num_nodes)], capture_output=True, text=True,
                               env=env, cwd=REPO_ROOT, timeout=1200)
    if completed.returncode != 0:
        raise RuntimeError(completed.stderr[-3000:])
    return json.loads(completed.stdout.strip().splitlines()[-1])


def main():
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from seed_pipeline import measure_seed, print_ratio

    seed = measure_seed()
    one, two = measure(1), measure(2)
    for layout in (one, two):
        print(f"{layout['nodes']} node(s) × 1 CPU: {TRAININGS} trainings in {layout['seconds']:.1f} s, "
              f"on nodes {layout['node_of_each_training']} ({layout['distinct_nodes_used']} distinct), "
              f"addresses {layout['node_addresses']}, states {layout['states']}, accuracy {layout['test_accuracy']}, "
              f"train seconds {layout['train_seconds']}")
    print(f"wall time 2 nodes / 1 node: {two['seconds'] / one['seconds']:.2f}")
    print_ratio(f"{TRAININGS} trainings on 2 nodes", two["seconds"], TRAININGS * seed["total_seconds"],
                f"time for {TRAININGS} runs one after another", "s")
    print(f"load average: {os.getloadavg()}")


if __name__ == "__main__":
    if len(sys.argv) > 1:
        run_layout(int(sys.argv[1]))
    else:
        main()
