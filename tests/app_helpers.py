"""Helpers for AppTest-based page tests: a fresh run store per test and page loading."""

import json
import time

import pyarrow as pa
import streamlit as st
from streamlit.testing.v1 import AppTest

from conftest import REPO_ROOT


def use_fresh_store(monkeypatch, folder):
    """Points the app at an empty run store and forgets every cached resource."""
    monkeypatch.setenv("MNIST_RUNS_DIR", str(folder))
    st.cache_resource.clear()
    st.cache_data.clear()


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


def rerun_until(app, condition, timeout=180):
    """Reruns the page until `condition(app)` holds, as the browser's polling would."""
    deadline = time.monotonic() + timeout
    while not condition(app):
        assert time.monotonic() < deadline, "the page never reached the expected state"
        time.sleep(0.5)
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
