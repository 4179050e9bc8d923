"""Everything the pages share across reruns: the run store, the job manager and session state.

All Streamlit caching of the app sits here, at module level.
"""

import hmac
import os
import re
import uuid

import streamlit as st

from dashboard.glossary import tr
from mnist_core.data import load_dataset, resolve_data_dir
from mnist_core.run_record import CorruptRunError
from mnist_core.run_store import RunNotFoundError, RunStore, StoreNotWritableError


# How many trainings may run at once on this server's own Ray instance; others wait in a visible queue.
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
    """Returns the server-wide training manager; it trains in Ray workers (see mnist_core.cluster)."""
    from mnist_core.cluster import configured_address
    from mnist_core.job_manager import JobManager
    from mnist_core.remote import RayTrainer

    address = configured_address()
    trainer = RayTrainer(address, num_cpus=MAX_CONCURRENT_TRAININGS)
    # A cluster runs as many trainings at once as it has CPUs; the server's own Ray, its setting.
    return JobManager(get_store(), max_concurrent=None if address else MAX_CONCURRENT_TRAININGS, trainer=trainer)


def trainings_at_once():
    """Returns (how many trainings run at once, whether they run on a Ray cluster rather than this server)."""
    from mnist_core.cluster import configured_address

    return get_job_manager().capacity(), configured_address() is not None


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
    with st.spinner(tr("Loading the test images…", "正在读取测试图像…")):
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
    """Makes `run_id` the run the sidebar, Results and Draw pages start from; True when it changed."""
    changed = st.session_state.get(_ACTIVE_RUN_KEY) != run_id
    st.session_state[_ACTIVE_RUN_KEY] = run_id
    return changed


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


@st.cache_resource(max_entries=2, show_spinner=False)
def get_likeness_reference(name):
    """Returns the `LikenessReference` of dataset `name`'s training images, built once per server.

    Raises:
        DatasetUnavailableError: when the data is not on disk and cannot be downloaded.
    """
    from mnist_core.likeness import fit_likeness

    return fit_likeness(load_dataset(name).train_images)
