"""The Ray connection: a local Ray instance started on loopback, or an existing cluster by address."""

import logging
import os
import socket
import threading
from urllib.parse import urlsplit

# With this set (e.g. "auto" on a cluster node, or "ray://head:10001"), trainings go to that Ray
# cluster; unset, the server starts a Ray instance of its own on 127.0.0.1.
ADDRESS_VARIABLE = "MNIST_RAY_ADDRESS"
# How many trainings run at once on an embedded Ray instance (its number of CPUs).
MAX_TRAININGS_VARIABLE = "MNIST_MAX_TRAININGS"
DEFAULT_MAX_TRAININGS = 2
# Environment variables a worker on this machine takes over from the server.
_FORWARDED_VARIABLES = ("TFDS_DATA_DIR", "MNIST_CACHE_DIR", "TF_CPP_MIN_LOG_LEVEL")
_PROJECT_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_PACKAGE_DIR = os.path.join(_PROJECT_ROOT, "mnist_core")
_CONNECT_LOCK = threading.Lock()
_LOG = logging.getLogger(__name__)


class RayUnavailableError(RuntimeError):
    """Raised when Ray is not installed or the cluster at the configured address does not answer."""


def configured_address():
    """Returns $MNIST_RAY_ADDRESS, or None for an embedded Ray instance."""
    return os.environ.get(ADDRESS_VARIABLE, "").strip() or None


def max_trainings():
    """Returns $MNIST_MAX_TRAININGS (default 2): the trainings an embedded Ray runs at once."""
    text = os.environ.get(MAX_TRAININGS_VARIABLE, str(DEFAULT_MAX_TRAININGS))
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise ValueError(f"{MAX_TRAININGS_VARIABLE} must be a whole number of at least 1, got {text!r}.")
    return value


def describe(address):
    """Returns how a message names where trainings run."""
    return f"the Ray cluster at {address}" if address else "the local Ray instance on 127.0.0.1"


def connect(address=None, num_cpus=DEFAULT_MAX_TRAININGS):
    """Connects this process to Ray once; later calls return the same module at once.

    Args:
        address: a Ray address ("auto", "host:port", "ray://host:10001"), or None to start a local
            instance bound to 127.0.0.1 with `num_cpus` CPUs, no dashboard and token auth left on.
        num_cpus: CPUs (trainings at once) of a local instance; ignored for a cluster.

    Returns:
        The `ray` module, connected.

    Raises:
        RayUnavailableError: Ray is not installed, or nothing answers at `address`.
    """
    with _CONNECT_LOCK:
        if address is None:
            # Ray's own `_node_ip_address="127.0.0.1"` and `ray start --node-ip-address 127.0.0.1`
            # are both turned into the machine's public address; only with this switch does Ray
            # (2.60) bind its servers to loopback. Ray reads it when it is first imported.
            os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
        try:
            import ray
        except ImportError as error:
            raise RayUnavailableError(
                f"Ray is not installed ({error}), so nothing can be trained: run "
                f"`pip install -r requirements.txt`."
            ) from None
        if address is not None:
            _check_reachable(address)
        if ray.is_initialized():
            return ray
        try:
            ray.init(**_init_options(address, num_cpus))
        except Exception as error:  # Ray raises ConnectionError, ValueError, RuntimeError… for one cause.
            raise RayUnavailableError(f"Could not connect to {describe(address)}: {_first_line(error)}") from None
        _LOG.info("Connected to %s: %s CPUs.", describe(address), ray.cluster_resources().get("CPU", 0))
        return ray


def _init_options(address, num_cpus):
    forwarded = {name: os.environ[name] for name in _FORWARDED_VARIABLES if name in os.environ}
    options = {"log_to_driver": False, "configure_logging": False}
    if address is None:
        # Workers here run the server's own copy of the project and see its data folders.
        python_path = os.pathsep.join(filter(None, (_PROJECT_ROOT, os.environ.get("PYTHONPATH"))))
        env_vars = {**forwarded, "PYTHONPATH": python_path}
        # "local" always starts a new instance: without it ray.init joins any Ray that another
        # program on this machine started (found through /tmp/ray), and then refuses num_cpus.
        return {**options, "address": "local", "num_cpus": num_cpus, "include_dashboard": False,
                "runtime_env": {"env_vars": env_vars}}
    # Workers elsewhere get this server's mnist_core shipped to them; their own TFDS_DATA_DIR wins.
    return {**options, "address": address, "runtime_env": {"py_modules": [_PACKAGE_DIR]}}


def _check_reachable(address):
    """Fails fast when nothing listens at a host:port address; Ray itself would retry for minutes."""
    if address == "auto":
        return
    parts = urlsplit(address if "://" in address else f"tcp://{address}")
    if not parts.hostname or not parts.port:
        raise RayUnavailableError(f"{ADDRESS_VARIABLE}={address!r} is not a Ray address such as auto, "
                                  f"host:6379 or ray://host:10001.")
    try:
        socket.create_connection((parts.hostname, parts.port), timeout=3).close()
    except OSError as error:
        raise RayUnavailableError(f"Nothing answers at {describe(address)} ({error}).") from None


def _first_line(error):
    lines = str(error).strip().splitlines()
    return lines[0][:300] if lines else type(error).__name__
