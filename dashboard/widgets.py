"""Widgets more than one page shows: the sidebar with the active run, and the run picker."""

import streamlit as st

from dashboard import glossary, state
from mnist_core.model import count_parameters

HOME_PAGE = "streamlit_app.py"
TRAIN_PAGE = "pages/1_Train.py"
RESULTS_PAGE = "pages/2_Results.py"
DRAW_PAGE = "pages/3_Draw.py"
SWEEP_PAGE = "pages/4_Sweep.py"
NAVIGATION = (
    (HOME_PAGE, "Home", ":material/home:"),
    (TRAIN_PAGE, "Train", ":material/model_training:"),
    (RESULTS_PAGE, "Results", ":material/insights:"),
    (DRAW_PAGE, "Draw", ":material/draw:"),
    (SWEEP_PAGE, "Sweep", ":material/tune:"),
)


def sidebar():
    """Shows the active run's key settings and test accuracy, and how to change it."""
    run = state.active_run()
    _, warnings = state.list_runs()
    with st.sidebar:
        for page, label, icon in NAVIGATION:
            st.page_link(page, label=label, icon=icon)
        st.divider()
        st.subheader("Active run")
        if run is None:
            st.info("No run trained yet.")
            st.page_link(TRAIN_PAGE, label="Train your first network", icon=":material/model_training:")
        else:
            config = run.config
            st.markdown(f"**{config.describe()}**")
            stopped = " · stopped early" if run.stopped else ""
            st.metric("Test accuracy", f"{run.test_accuracy:.2%}", help="Share of the 10,000 test images classified correctly.")
            st.caption(
                f"{count_parameters(config):,} parameters · {config.optimizer}, lr {config.learning_rate:g}"
                f" · {config.dataset}{stopped}"
            )
            st.caption(f"Run `{run.run_id}`. Pick another on Results or Draw; train a new one on Train.")
        for warning in warnings:
            st.warning(state.visible(warning))
        st.divider()
        glossary.language_switch()
    return run


def no_run_message():
    """Tells a student with no stored run where to go first, then stops the page."""
    st.info("No network has been trained yet. Train one first — the seed network takes a few seconds.")
    st.page_link(TRAIN_PAGE, label="Go to Train", icon=":material/model_training:")
    st.stop()


def run_picker(label, runs, key, multiple=False):
    """Lets the student pick one run (or several) by label, starting from the active run."""
    labels = {run.run_id: f"{run.label} · {run.run_id[-9:]}" for run in runs}
    active = state.active_run()
    default_id = active.run_id if active and active.run_id in labels else runs[0].run_id
    if multiple:
        chosen = st.multiselect(label, list(labels), default=[default_id], format_func=labels.get, key=key)
        return [run for run in runs if run.run_id in chosen]
    chosen = st.selectbox(label, list(labels), index=list(labels).index(default_id), format_func=labels.get, key=key)
    state.set_active_run(chosen)
    return next(run for run in runs if run.run_id == chosen)
