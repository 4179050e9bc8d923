"""Everything the pages share across reruns: the run store, the job manager and session state.

All Streamlit caching of the app sits here, at module level.
"""

import os
import uuid

import streamlit as st
from streamlit.runtime.scriptrunner import script_runner

from mnist_core.data import load_dataset
from mnist_core.runs import CorruptRunError, RunNotFoundError, RunStore


def _keep_keras_state_between_reruns():
    """Stops Streamlit from calling keras.backend.clear_session() after every script run.

    Streamlit 1.67 does so whenever keras is imported, and the server still imports it to read
    runs and predict (Results, Draw). Trainings no longer run here, but that reset is a full
    garbage collection: 176 ms per run measured on this machine, after every fragment rerun of
    every watching tab, which starved page rendering (Home took 86 s while 5 sessions trained).
    """
    script_runner._clean_problem_modules = lambda: None


_keep_keras_state_between_reruns()
# How many trainings may run at once on this server's own Ray instance; others wait in a visible queue.
MAX_CONCURRENT_TRAININGS = int(os.environ.get("MNIST_MAX_TRAININGS", "2"))
_ACTIVE_RUN_KEY = "active_run_id"


@st.cache_resource
def get_store():
    """Returns the server-wide run store (folder from $MNIST_RUNS_DIR or the default)."""
    return RunStore()


@st.cache_resource
def get_job_manager():
    """Returns the server-wide training manager; it trains in Ray workers (see mnist_core.cluster)."""
    from mnist_core.cluster import configured_address
    from mnist_core.jobs import JobManager
    from mnist_core.remote import RayTrainer

    address = configured_address()
    trainer = RayTrainer(address, num_cpus=MAX_CONCURRENT_TRAININGS)
    # A cluster runs as many trainings at once as it has CPUs; the server's own Ray, its setting.
    return JobManager(get_store(), max_concurrent=None if address else MAX_CONCURRENT_TRAININGS, trainer=trainer)


def session_owner():
    """Returns an id for this browser session, so its jobs are told apart from others'."""
    if "owner_id" not in st.session_state:
        st.session_state.owner_id = uuid.uuid4().hex
    return st.session_state.owner_id


def get_dataset(name):
    """Returns the `Dataset` called `name`; the core reads it once per server and keeps it.

    Raises:
        DatasetUnavailableError: when the data is not on disk and cannot be downloaded.
    """
    with st.spinner("Loading the test images…"):
        return load_dataset(name)


def list_runs():
    """Returns the stored runs newest first, and warnings about folders that could not be read.

    The listing is read again only when the store's folder changes (a run saved or deleted), since
    every rerun of every page asks for it.
    """
    root = get_store().root
    try:
        version = os.stat(root).st_mtime_ns
    except FileNotFoundError:
        version = 0
    return _list_runs_at(root, version)


@st.cache_resource(max_entries=4, show_spinner=False)
def _list_runs_at(root, version):
    del root, version  # They only key the cache.
    store = get_store()
    runs = store.list()
    return runs, list(store.warnings)


def load_run(run_id):
    """Returns the stored run, or None (after showing why) when it is gone or broken."""
    try:
        return get_store().load(run_id)
    except (RunNotFoundError, CorruptRunError) as error:
        st.warning(f"Run {run_id} could not be loaded ({error}). The other runs still work.")
        return None


def active_run():
    """Returns this session's active run: the one chosen last, else the newest stored run."""
    runs, _ = list_runs()
    chosen = st.session_state.get(_ACTIVE_RUN_KEY)
    for run in runs:
        if run.run_id == chosen:
            return run
    return runs[0] if runs else None


def set_active_run(run_id):
    """Makes `run_id` the run the sidebar, Results and Draw pages start from."""
    st.session_state[_ACTIVE_RUN_KEY] = run_id
