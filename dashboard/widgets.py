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


# How many runs the comparison starts with: the active one and the newest other finished runs.
COMPARED_BY_DEFAULT = 3


def config_name(config, trained=None):
    """Returns settings in a few words, like config.describe() but in the chosen language.

    Args:
        config: a `TrainConfig`.
        trained: for a stopped run, the whole epochs it really trained.
    """
    network = f"{config.hidden_layers}×{config.hidden_size} {config.activation}"
    if trained is None:
        epochs = glossary.tr(f"{config.epochs} ep", f"{config.epochs} 轮")
    else:
        epochs = glossary.tr(f"stopped after {trained} of {config.epochs} ep", f"{config.epochs} 轮中训练 {trained} 轮后停止")
    name = glossary.tr(f"{network}, {epochs}, batch {config.batch_size}", f"{network}，{epochs}，批大小 {config.batch_size}")
    return name + (f", {config.dataset}" if config.dataset != "mnist" else "")


def run_name(run):
    """Returns a run's settings in a few words; a stopped run names the epochs it really trained.

    For example "2×50 relu, 5 ep, batch 100", or "2×50 relu, stopped after 3 of 20 ep, batch 100".
    """
    return config_name(run.config, trained=run.epochs_trained if run.stopped else None)


def run_title(run):
    """Returns the label a picker shows: the run's name, test accuracy and the end of its id."""
    return f"{run_name(run)} · {run.test_accuracy:.2%} · {run.run_id[-4:]}"


def default_compared(runs, active):
    """Returns the ids a comparison starts with: the active run, then the newest finished runs."""
    chosen = [active.run_id] if active is not None else []
    for run in runs:  # Newest first.
        if len(chosen) >= COMPARED_BY_DEFAULT:
            break
        if not run.stopped and run.run_id not in chosen:
            chosen.append(run.run_id)
    return chosen or [runs[0].run_id]


def run_picker(label, runs, key, multiple=False):
    """Lets the student pick one run (or the latest few) by name, starting from the active run."""
    labels = {run.run_id: run_title(run) for run in runs}
    active = state.active_run()
    default_id = active.run_id if active and active.run_id in labels else runs[0].run_id
    if multiple:
        default = default_compared(runs, active if active and active.run_id in labels else None)
        chosen = st.multiselect(label, list(labels), default=default, format_func=labels.get, key=key)
        return [run for run in runs if run.run_id in chosen]
    chosen = st.selectbox(label, list(labels), index=list(labels).index(default_id), format_func=labels.get, key=key)
    state.set_active_run(chosen)
    return next(run for run in runs if run.run_id == chosen)
