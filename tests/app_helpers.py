"""Helpers for AppTest-based page tests: a fresh run store per test and page loading."""

import json
import time

import pyarrow as pa
import streamlit as st
from streamlit.runtime.caching.cache_utils import CachedFunc
from streamlit.testing.v1 import AppTest

from conftest import REPO_ROOT
from dashboard import state


def forget_cached_resources():
    """Forgets every resource the app caches, but the training images' likeness reference.

    The store, job manager and run listing read $MNIST_RUNS_DIR once, so each test starts without
    them. The likeness reference depends only on a dataset's training images, which no test
    changes, and building it took 0.7 s of every Draw test that followed a cleared cache.
    """
    for cached in vars(state).values():
        if isinstance(cached, CachedFunc) and cached is not state.get_likeness_reference:
            cached.clear()
    st.cache_data.clear()


def use_fresh_store(monkeypatch, folder):
    """Points the app at an empty run store and forgets the cached resources that depend on it."""
    monkeypatch.setenv("MNIST_RUNS_DIR", str(folder))
    forget_cached_resources()


def open_page(relative_path, timeout=120):
    """Returns an AppTest of one page, opened through the entrypoint as the browser does, run once.

    Page links resolve against the entrypoint, so a page file must not be the AppTest's root.
    """
    app = AppTest.from_file(str(REPO_ROOT / "streamlit_app.py"), default_timeout=timeout)
    if relative_path != "streamlit_app.py":
        app.switch_page(relative_path)
    app.run()
    assert not app.exception, app.exception
    return app


# A page rerun takes 0.05–0.3 s here, and the job manager reads Ray's progress every 0.2 s, so a
# shorter pause than the page's own redraws (every 1 or 2 s) finds a finished training sooner at little cost.
RERUN_PAUSE_SECONDS = 0.2


def rerun_until(app, condition, timeout=180):
    """Reruns the page until `condition(app)` holds, as the browser's polling would."""
    deadline = time.monotonic() + timeout
    while not condition(app):
        assert time.monotonic() < deadline, "the page never reached the expected state"
        time.sleep(RERUN_PAUSE_SECONDS)
        app.run()
        assert not app.exception, app.exception
    return app


def texts(app):
    """Returns every markdown, caption, info, success, warning and error text on the page."""
    elements = [*app.markdown, *app.caption, *app.info, *app.success, *app.warning, *app.error]
    return " ".join(element.value for element in elements)


def vega_spec(chart):
    """Returns an AppTest vega_lite_chart element's spec with its data rows back under "data".

    Streamlit moves a spec's data out into Arrow bytes; they are put back as "values" here.
    """
    spec = json.loads(chart.proto.spec)
    if chart.proto.data.data:
        spec["data"] = {"values": pa.ipc.open_stream(chart.proto.data.data).read_pandas().to_dict("records")}
    return spec
