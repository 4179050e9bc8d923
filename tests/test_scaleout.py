"""Scale-out: the job manager spreads trainings over the nodes of a real two-node Ray cluster."""

import json
import os
import subprocess
import sys

import pytest

from conftest import REPO_ROOT


@pytest.mark.slow
def test_four_trainings_run_on_both_nodes_of_a_two_node_cluster():
    # A separate process, because one Python process connects to one Ray cluster only.
    completed = subprocess.run(
        [sys.executable, str(REPO_ROOT / "bench" / "bench_scaleout.py"), "2"],
        capture_output=True, text=True, cwd=REPO_ROOT, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"},
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    layout = json.loads(completed.stdout.strip().splitlines()[-1])
    assert layout["states"] == ["done"] * 4
    assert layout["distinct_nodes_used"] == 2 and layout["node_addresses"] == ["127.0.0.1"]
    assert all(accuracy > 0.95 for accuracy in layout["test_accuracy"])


@pytest.mark.slow
def test_the_embedded_instance_is_the_servers_own_whatever_ray_address_says():
    # With no address Ray would join $RAY_ADDRESS or the last cluster `ray start` left on the
    # machine (anyone's); the server's embedded instance must start its own with its CPU count.
    script = (
        "import json, ray\n"
        "from mnist_core import cluster\n"
        "cluster.connect(None, num_cpus=1)\n"
        "print(json.dumps({'cpus': ray.cluster_resources().get('CPU'), 'gcs': ray.get_runtime_context().gcs_address}))\n"
        "ray.shutdown()\n"
    )
    completed = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=REPO_ROOT,
                               env={**os.environ, "RAY_ADDRESS": "127.0.0.1:1"}, timeout=300)
    assert completed.returncode == 0, completed.stderr[-3000:]
    started = json.loads(completed.stdout.strip().splitlines()[-1])
    assert started["cpus"] == 1.0
    assert not started["gcs"].endswith(":1")
