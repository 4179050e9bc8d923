"""Train page: choose the settings, train in the background and watch the curves grow."""

import streamlit as st

from dashboard import glossary, state, train_view, widgets
from mnist_core.data import is_prepared
from mnist_core.estimate import estimate_train_seconds
from mnist_core.model import count_parameters

st.set_page_config(page_title="Train · MNIST dashboard", page_icon="🧠", layout="wide")
widgets.sidebar()
st.title("Train a network")
st.caption("Flatten the 28×28 image into 784 numbers → hidden Dense layers → Dense(10, softmax).")

glossary.explain("flatten", "dense", "relu", "softmax")
train_view.preset_picker()
config, train, retrain = train_view.settings_form()
if config is None:
    st.stop()
train_view.preset_note(config)
train_view.code_view(config)
glossary.explain("epoch", "batch_size", "adam", "cross_entropy", "validation", "test")

runs, _ = state.list_runs()
estimate = estimate_train_seconds(config, runs, data_loaded=bool(runs))
st.markdown(
    f"**{count_parameters(config):,} trainable parameters** · estimated time on this machine: "
    f"**≈ {estimate:.0f} s** for {config.epochs} epoch(s) of {config.train_size:,} images."
)
if not is_prepared(config.dataset):
    st.info(f"{config.dataset} is not stored locally yet: the first training downloads it (needs internet).")

train_view.backend_notice()
if train or retrain:
    train_view.start_training(config, retrain=retrain)

job = train_view.current_job()
snapshot = job.snapshot() if job is not None else None
if snapshot is not None and snapshot.state not in train_view.FINAL_STATES:
    st.subheader(f"Training {job.config.describe()}")
    train_view.live_panel(job.job_id)
    st.stop()

if snapshot is not None:
    if snapshot.state == "failed":
        st.error(state.visible(snapshot.error))
        train_view.forget_job()
        st.stop()
    if snapshot.run is None:
        # A job stopped in the queue, or before its first whole epoch, leaves no run to show.
        st.info(glossary.tr("The training was stopped before it finished one epoch, so nothing was stored.",
                            "训练在完成第一轮之前就被停止了，因此没有保存任何结果。"))
        st.stop()
    state.set_active_run(snapshot.run.run_id)
    if job.config == config:
        st.subheader(f"Run {job.config.describe()}")
        train_view.run_summary(snapshot.run, reused=snapshot.reused)
        st.page_link(widgets.DRAW_PAGE, label="Now draw a digit for it", icon=":material/draw:")
        st.stop()

try:
    stored = state.get_store().find(config)
except OSError:
    stored = None  # A store folder that cannot be read: the sidebar already says so.
if stored is not None:
    st.subheader(f"Run {config.describe()}")
    train_view.run_summary(stored, reused=True)
else:
    st.info("Press **Train** to train these settings. You can switch pages while it trains.")
