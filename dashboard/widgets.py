"""Widgets more than one page shows: the sidebar with the active run, and the run picker."""

import streamlit as st

from dashboard import glossary, state
from dashboard.glossary import tr
from mnist_core.model import count_parameters

HOME_PAGE = "pages/0_Home.py"
TRAIN_PAGE = "pages/1_Train.py"
RESULTS_PAGE = "pages/2_Results.py"
DRAW_PAGE = "pages/3_Draw.py"
SWEEP_PAGE = "pages/4_Sweep.py"


def sidebar():
    """Shows the language switch, and the active run's key settings and test accuracy.

    The entrypoint draws it under the pages' navigation, for every page.
    """
    run = state.active_run()
    _, warnings = state.list_runs()
    with st.sidebar:
        # Right under the navigation, so a reader of either language finds it without scrolling.
        glossary.language_switch()
        st.divider()
        st.subheader(tr("Active run", "当前运行"))
        if run is None:
            st.info(tr("No run trained yet.", "还没有训练过的运行。"))
            st.page_link(TRAIN_PAGE, label=tr("Train your first network", "训练你的第一个网络"),
                         icon=":material/model_training:")
        else:
            _active_run_summary(run)
        for warning in warnings:
            st.warning(state.visible(warning))
    return run


def _active_run_summary(run):
    """Shows the active run's settings, test accuracy and where to pick another one."""
    config = run.config
    st.markdown(f"**{run_name(run)}**")
    stopped = tr(" · stopped early", " · 提前停止") if run.stopped else ""
    st.metric(tr("Test accuracy", "测试准确率"), f"{run.test_accuracy:.2%}",
              help=tr("Share of the 10,000 test images classified correctly.", "10,000 张测试图像中被正确分类的比例。"))
    parameters = count_parameters(config)
    st.caption(tr(f"{parameters:,} parameters · {config.optimizer}, lr {config.learning_rate:g}",
                  f"{parameters:,} 个参数 · {config.optimizer}，学习率 {config.learning_rate:g}")
               + f" · {config.dataset}{stopped}")
    st.caption(tr(f"Run `{run.run_id}`. Pick another on Results or Draw; train a new one on Train.",
                  f"运行 `{run.run_id}`。可在“结果”或“画数字”页选择其他运行；在“训练”页训练新的运行。"))


def no_run_message():
    """Tells a student with no stored run where to go first, then stops the page."""
    st.info(tr("No network has been trained yet. Train one first — the seed network takes a few seconds.",
               "还没有训练过网络。请先训练一个——种子网络只需几秒钟。"))
    st.page_link(TRAIN_PAGE, label=tr("Go to Train", "去训练"), icon=":material/model_training:")
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
        chosen = _multiselect_per_language(label, labels, default, key)
        return [run for run in runs if run.run_id in chosen]
    # One widget per language, so a language switch renames the choice; the active run carries it over.
    chosen = st.selectbox(label, list(labels), index=list(labels).index(default_id), format_func=labels.get,
                          key=language_key(key))
    state.set_active_run(chosen)
    return next(run for run in runs if run.run_id == chosen)


def language_key(key):
    """Returns `key` for the chosen language, for a widget whose option labels are translated.

    The browser keeps a select widget's shown labels for as long as its key stays the same, so
    after a language switch it would still name the chosen option in the old language.
    """
    return f"{key}_{glossary.language()}"


def _multiselect_per_language(label, labels, default, key):
    """A multiselect whose choice lives in st.session_state[key], one widget per language.

    Each language has its own widget (see `language_key`), and the choice is copied between
    them through `key`, which is also where a callback (such as deleting a run) changes it.
    """
    widget_key = language_key(key)
    kept = [run_id for run_id in st.session_state.get(key, default) if run_id in labels]
    st.session_state[key] = kept
    if st.session_state.get(widget_key) != kept:
        st.session_state[widget_key] = kept
    return st.multiselect(label, list(labels), format_func=labels.get, key=widget_key,
                          on_change=lambda: st.session_state.update({key: st.session_state[widget_key]}))


def charts_side_by_side(specs, height, key=None):
    """Draws two Vega-Lite specs in two columns; a `key` keeps each chart across reruns, updated in place."""
    for index, (column, spec) in enumerate(zip(st.columns(2), specs)):
        column.vega_lite_chart(spec, width="stretch", height=height, key=f"{key}-{index}" if key else None)
