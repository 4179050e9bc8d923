"""Everything the pages share across reruns: the run store, the job manager and session state.

All Streamlit caching of the app sits here, at module level.
"""

import hmac
import os
import uuid

import streamlit as st
from streamlit.runtime.scriptrunner import script_runner

from dashboard.glossary import tr
from mnist_core.data import load_dataset, resolve_data_dir
from mnist_core.runs import CorruptRunError, RunNotFoundError, RunStore, StoreNotWritableError


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
    return _listing()[:2]


def unreadable_run_ids():
    """Returns the names of the run folders the last listing skipped, for the teacher to delete."""
    return _listing()[2]


def _listing():
    root = get_store().root
    try:
        version = os.stat(root).st_mtime_ns
    except OSError:
        version = 0
    return _list_runs_at(root, version)


@st.cache_resource(max_entries=4, show_spinner=False)
def _list_runs_at(root, version):
    del root, version  # They only key the cache.
    store = get_store()
    try:
        runs = store.list()
    except OSError as error:
        # A store path that is a file or unreadable leaves every page working, with no runs.
        return [], [f"The run store cannot be read ({error})."], []
    return runs, list(store.warnings), list(store.skipped)


def load_run(run_id):
    """Returns the stored run, or None (after showing why) when it is gone or broken."""
    try:
        return get_store().load(run_id)
    except (RunNotFoundError, CorruptRunError) as error:
        st.warning(tr(f"Run {run_id} could not be loaded ({visible(error)}). The other runs still work.",
                      f"无法读取运行 {run_id}（{visible(error)}）。其他运行不受影响。"))
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


# Who may delete what: a visitor deletes only the runs their own session trained; whoever enters
# the token in this variable (a teacher) may delete any run. Without it there is no teacher mode.
ADMIN_TOKEN_VARIABLE = "MNIST_ADMIN_TOKEN"
_ADMIN_KEY = "is_admin"


def admin_mode_available():
    """Tells whether the server was started with a teacher token to enter."""
    return bool(os.environ.get(ADMIN_TOKEN_VARIABLE))


def enter_admin_token(token):
    """Switches this session to teacher mode when `token` matches; returns whether it did."""
    expected = os.environ.get(ADMIN_TOKEN_VARIABLE, "")
    granted = bool(expected) and hmac.compare_digest(str(token).encode(), expected.encode())
    st.session_state[_ADMIN_KEY] = granted
    return granted


def is_admin():
    """Tells whether this session entered the teacher token (and the server still has one)."""
    return admin_mode_available() and st.session_state.get(_ADMIN_KEY, False)


def may_delete(run):
    """Tells whether this session may delete `run`: its own run, or any run in teacher mode."""
    return is_admin() or (run.owner is not None and run.owner == session_owner())


def stop_unless_store_writable():
    """Says so and stops the page when the run store could not keep a new run.

    Called before submitting any training: training first and failing to save minutes later would
    throw the student's work away.
    """
    try:
        get_store().check_writable()
    except StoreNotWritableError:
        st.error(tr(
            "This server cannot store new runs right now (its run store is not writable), so training "
            "would be lost. Ask whoever runs the server to fix it.",
            "服务器现在无法保存新的运行（运行存储不可写），训练结果会丢失。请联系服务器管理员修复。"))
        st.stop()


def developer_mode():
    """Tells whether the server runs for a developer: `--client.showErrorDetails full`.

    The same switch that shows tracebacks in the browser shows the server's folders on the pages;
    by default visitors see neither (the server log keeps the details).
    """
    return str(st.get_option("client.showErrorDetails")).lower() in ("full", "true")


def visible(message):
    """Returns `message` with the server's store, data and home folders hidden from visitors."""
    text = str(message)
    if developer_mode():
        return text
    folders = {get_store().root: "<run store>", resolve_data_dir(): "<data folder>",
               os.path.expanduser("~"): "~"}
    for folder, placeholder in sorted(folders.items(), key=lambda item: -len(item[0])):
        if len(folder) > 1:
            text = text.replace(folder, placeholder)
    return text
