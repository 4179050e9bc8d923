"""Everything the pages share across reruns: the run store, the job manager and session state.

All Streamlit caching of the app sits here, at module level.
"""

import os
import re
import uuid

import streamlit as st
from streamlit.runtime.scriptrunner import script_runner

from mnist_core.data import load_dataset
from mnist_core.runs import CorruptRunError, RunNotFoundError, RunStore


def _keep_keras_state_between_reruns():
    """Stops Streamlit from calling keras.backend.clear_session() after every script run.

    Streamlit 1.67 does so whenever keras is imported. Here trainings run on background threads
    across reruns, and that reset (a full garbage collection and a cleared kernel cache, twice a
    second per watching tab) took most of the server's time and reset Keras' global state under
    the running trainings.
    """
    script_runner._clean_problem_modules = lambda: None


_keep_keras_state_between_reruns()
# How many trainings may run at once on this server; others wait in a visible queue.
MAX_CONCURRENT_TRAININGS = int(os.environ.get("MNIST_MAX_TRAININGS", "2"))
_ACTIVE_RUN_KEY = "active_run_id"
# The browser keeps the owner id in this cookie, so a reload or another tab is the same student.
OWNER_COOKIE = "mnist_owner"
_OWNER_COOKIE_DAYS = 30
_OWNER_PATTERN = re.compile(r"[0-9a-f]{32}")


@st.cache_resource
def get_store():
    """Returns the server-wide run store (folder from $MNIST_RUNS_DIR or the default)."""
    return RunStore()


@st.cache_resource
def get_job_manager():
    """Returns the server-wide background training manager."""
    from mnist_core.jobs import JobManager

    return JobManager(get_store(), max_concurrent=MAX_CONCURRENT_TRAININGS)


def session_owner():
    """Returns an id for this browser, so its jobs are told apart from others' and survive a reload.

    The id comes from the browser's cookie when it has one (a reload, another tab); otherwise it
    is new, and `remember_owner` asks the browser to keep it. It never goes in the URL, so a shared
    link does not share someone's trainings.
    """
    if "owner_id" not in st.session_state:
        cookie = _owner_cookie()
        st.session_state.owner_id = cookie if _OWNER_PATTERN.fullmatch(cookie) else uuid.uuid4().hex
    return st.session_state.owner_id


def remember_owner():
    """Stores the owner id in a browser cookie when the browser does not hold it yet.

    Streamlit reads cookies but cannot set them, so a one-line script does; the id is 32 hex
    digits, so nothing from outside reaches the script.
    """
    owner = session_owner()
    if _owner_cookie() == owner:
        return
    seconds = _OWNER_COOKIE_DAYS * 24 * 3600
    st.html(f"<script>document.cookie = '{OWNER_COOKIE}={owner}; path=/; max-age={seconds}; SameSite=Strict';"
            "</script>", unsafe_allow_javascript=True)


def _owner_cookie():
    """Returns the browser's owner cookie, or "" (AppTest has no browser, so no real cookies)."""
    cookie = st.context.cookies.get(OWNER_COOKIE, "")
    return cookie if isinstance(cookie, str) else ""


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
    """Returns this session's active run: the one chosen last, else the newest finished run.

    A stopped run is the default only when no finished run is stored.
    """
    runs, _ = list_runs()
    chosen = st.session_state.get(_ACTIVE_RUN_KEY)
    for run in runs:
        if run.run_id == chosen:
            return run
    finished = [run for run in runs if not run.stopped]
    return (finished or runs or [None])[0]


def set_active_run(run_id):
    """Makes `run_id` the run the sidebar, Results and Draw pages start from."""
    st.session_state[_ACTIVE_RUN_KEY] = run_id
