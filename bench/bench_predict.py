"""Benchmark: how long one drawing takes from canvas pixels to a prediction, against 20 ms.

Times `predict_digit` on the dashboard's 280×280 RGBA canvas (white ink on black), and its
preprocessing and network call alone, over real MNIST test digits drawn in every variant kind.
The server's NumPy network is set beside the Keras calls it replaced (the same weights), and
the seed notebook's `model.predict` on one image, measured in the same run.

    TFDS_DATA_DIR=../shared/data/tfds python bench/bench_predict.py
"""

import os
import pathlib
import sys
import time

import numpy as np

REPO_ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))
sys.path.insert(0, str(REPO_ROOT / "bench"))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from mnist_core.config import TrainConfig  # noqa: E402
from mnist_core.model import build_mlp  # noqa: E402
from mnist_core.network import network_from_keras  # noqa: E402
from mnist_core.predict import predict_digit  # noqa: E402
from mnist_core.preprocess import preprocess_drawing  # noqa: E402
from seed_pipeline import measure_seed, print_ratio  # noqa: E402
from tests import drawing_variants  # noqa: E402

TARGET_MS = 20.0  # Budget for one prediction, so that every stroke on the Draw page feels instant.
WARM_UP_CALLS = 20
TIMED_CALLS = 200
DIGITS_PER_KIND = 5


def dashboard_canvases():
    """Returns RGBA canvases as the Draw page's white pen on black produces them."""
    images, _ = drawing_variants.load_mnist_arrays(f"test[:{DIGITS_PER_KIND}]")
    rng = np.random.default_rng(0)
    canvases = []
    for kind in drawing_variants.VARIANT_KINDS:
        for image in images:
            ink = drawing_variants.make_variant(image, kind, rng)
            canvases.append(np.stack([ink, ink, ink, np.full_like(ink, 255)], axis=-1))
    return canvases


def time_calls(function, inputs):
    """Returns the median and 95th-percentile wall time and the median CPU time, in ms.

    CPU time counts every thread of this process and hardly grows when other processes share
    the machine, so it shows the cost of a call even when wall times are noisy.
    """
    for index in range(WARM_UP_CALLS):
        function(inputs[index % len(inputs)])
    wall, cpu = [], []
    for index in range(TIMED_CALLS):
        wall_started, cpu_started = time.perf_counter(), time.process_time()
        function(inputs[index % len(inputs)])
        wall.append((time.perf_counter() - wall_started) * 1000)
        cpu.append((time.process_time() - cpu_started) * 1000)
    return float(np.median(wall)), float(np.percentile(wall, 95)), float(np.median(cpu))


def keras_saliency(model, image28, digit):
    """The Draw page's saliency map before the NumPy network: TensorFlow's GradientTape."""
    import tensorflow as tf

    inputs = tf.convert_to_tensor(image28.reshape(1, 28, 28, 1))
    with tf.GradientTape() as tape:
        tape.watch(inputs)
        log_probability = tf.math.log(model(inputs, training=False)[0, digit] + 1e-7)
    return (tape.gradient(log_probability, inputs) * inputs).numpy()


def main():
    seed = measure_seed()
    # Latency does not depend on the weights, so the untrained default network will do.
    model = build_mlp(TrainConfig())
    network = network_from_keras(model)
    canvases = dashboard_canvases()
    images = [preprocess_drawing(canvas).image for canvas in canvases]
    keras_inputs = [image.reshape(1, 28, 28, 1) for image in images]
    rows = [
        ("predict_digit (MNIST style)", time_calls(lambda canvas: predict_digit(network, canvas), canvases)),
        ("preprocess_drawing alone", time_calls(preprocess_drawing, canvases)),
        ("NumPy network alone", time_calls(lambda image: network.probabilities(image[np.newaxis]), images)),
        ("Keras predict_on_batch alone", time_calls(model.predict_on_batch, keras_inputs)),
        ("Keras model(x) alone", time_calls(lambda x: model(x, training=False), keras_inputs)),
        ("NumPy saliency", time_calls(lambda image: network.saliency(image, 3), images)),
        ("Keras GradientTape saliency", time_calls(lambda image: keras_saliency(model, image, 3), images)),
        (
            "predict_digit (naive resize)",
            time_calls(lambda canvas: predict_digit(network, canvas, mnist_style=False), canvases),
        ),
    ]
    print(f"{len(canvases)} canvases of 280×280×4 uint8; {TIMED_CALLS} timed calls after warm-up")
    for name, (median, p95, cpu) in rows:
        print(f"{name:<32} median {median:6.2f} ms   p95 {p95:6.2f} ms   CPU median {cpu:6.2f} ms")
    timings = {name: median for name, (median, _, _) in rows}
    network_speedup = timings["Keras predict_on_batch alone"] / timings["NumPy network alone"]
    saliency_speedup = timings["Keras GradientTape saliency"] / timings["NumPy saliency"]
    print(f"NumPy network vs Keras predict_on_batch: {network_speedup:.1f}× faster; "
          f"saliency, NumPy vs GradientTape: {saliency_speedup:.1f}× faster")
    print_ratio("predict_digit median", timings["predict_digit (MNIST style)"], seed["predict_one_seconds"] * 1000,
                "model.predict on one image", "ms")
    median, p95, _ = rows[0][1]
    if p95 <= TARGET_MS:
        verdict = f"within the {TARGET_MS:.0f} ms target, even at the 95th percentile"
    elif median <= TARGET_MS:
        verdict = f"within the {TARGET_MS:.0f} ms target at the median, over it at the 95th percentile"
    else:
        verdict = f"over the {TARGET_MS:.0f} ms target"
    print(f"Verdict: predict_digit is {verdict} (median {median:.2f} ms, p95 {p95:.2f} ms).")
    print(f"Machine load average over the last minute: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores.")


if __name__ == "__main__":
    main()
