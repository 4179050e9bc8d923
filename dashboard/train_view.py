"""The Train page's parts: the settings form, the live training panel and a finished run's view."""

import pandas as pd
import streamlit as st

from dashboard import charts, glossary, state
from mnist_core.codegen import keras_code
from mnist_core.config import ACTIVATIONS, DATASETS, OPTIMIZERS, TrainConfig
from mnist_core.presets import PRESETS, matching_preset, preset_by_name

HIDDEN_SIZES = (8, 16, 32, 50, 64, 100, 128, 256, 512, 768, 1024, 2048)
BATCH_SIZES = (1, 8, 16, 32, 50, 64, 100, 128, 256, 512, 1000, 5000)
LEARNING_RATES = (0.0001, 0.0003, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3)
DATASET_LABELS = {"mnist": "MNIST digits", "fashion_mnist": "Fashion-MNIST clothes"}
FINAL_STATES = ("done", "stopped", "failed")
_JOB_KEY = "train_job_id"
_SAVED_SETTINGS_KEY = "train_settings_saved"
_TABLE_COLUMNS = ("loss", "accuracy", "val_loss", "val_accuracy", "seconds")


def settings_form():
    """Shows the training settings in a form; returns (config or None, train, retrain) on submit.

    A form sends its values only when a button is pressed, so moving a slider never interrupts
    anything that is running.
    """
    _restore_settings()
    with st.form("train_settings"):
        left, right = st.columns(2)
        values = {
            "hidden_size": left.select_slider(
                "Hidden size", HIDDEN_SIZES, key="hidden_size",
                help="Neurons in each hidden Dense layer: more neurons can learn more patterns, but train slower."),
            "hidden_layers": right.slider(
                "Hidden layers", 1, 6, key="hidden_layers",
                help="How many Dense layers sit between the flattened image and the output."),
            "epochs": left.slider(
                "Epochs", 1, 100, key="epochs",
                help="One epoch shows every training image to the network once."),
            "batch_size": right.select_slider(
                "Batch size", BATCH_SIZES, key="batch_size",
                help="Images averaged into one weight update; small batches give more, noisier updates."),
        }
        with st.expander("Advanced"):
            values.update(_advanced_settings())
        with st.container(horizontal=True):
            train = st.form_submit_button("Train", type="primary")
            retrain = st.form_submit_button("Retrain", help="Train again even if these settings are stored.")
    try:
        config = TrainConfig(**values)
    except ValueError as error:
        st.error(f"These settings cannot be trained: {error}")
        return None, False, False
    st.session_state[_SAVED_SETTINGS_KEY] = config.to_dict()
    return config, train, retrain


def _restore_settings():
    """Fills the controls from the settings this session used last, else from the seed's.

    Streamlit forgets a widget's value when another page is shown, so the settings are also kept
    under a key of their own and put back here.
    """
    saved = st.session_state.get(_SAVED_SETTINGS_KEY) or TrainConfig().to_dict()
    for field, value in saved.items():
        st.session_state.setdefault(field, value)


def preset_picker():
    """Shows the presets; choosing one fills the controls with its settings."""
    st.pills("Presets", [preset.name for preset in PRESETS], key="preset", on_change=_apply_preset,
             help="Ready-made settings, each with what it teaches.")


def _apply_preset():
    name = st.session_state.get("preset")
    if name:
        st.session_state.update(preset_by_name(name).config.to_dict())


def preset_note(config):
    """Says which preset the settings are, and what it teaches, when they match one."""
    preset = matching_preset(config)
    if preset is not None:
        lesson = preset.teaches_zh if glossary.language() == "zh" else preset.teaches
        st.caption(f"**{preset.name}** — {lesson}")


def code_view(config):
    """Shows the runnable Keras script for these settings (the box has a copy button)."""
    with st.expander("Show the Keras code for these settings"):
        st.caption("A plain Keras script that trains the same network: copy it into a notebook or a file.")
        st.code(keras_code(config), language="python")


def _advanced_settings():
    left, right = st.columns(2)
    return {
        "learning_rate": left.select_slider(
            "Learning rate", LEARNING_RATES, key="learning_rate",
            help="How big a step the optimizer takes; too big diverges, too small learns slowly."),
        "optimizer": right.selectbox(
            "Optimizer", OPTIMIZERS, key="optimizer",
            help="The rule that turns gradients into weight changes; Adam adapts the step per weight."),
        "activation": left.selectbox(
            "Activation", ACTIVATIONS, key="activation",
            help="The non-linearity after each hidden layer; without one, layers collapse into one."),
        "dropout": right.slider(
            "Dropout", 0.0, 0.7, step=0.05, key="dropout",
            help="Share of hidden neurons switched off at random while training, against overfitting."),
        "validation_fraction": left.slider(
            "Validation fraction", 0.05, 0.3, step=0.05, key="validation_fraction",
            help="Share of training images held out to check the network on images it never learned from."),
        "seed": right.number_input(
            "Seed", 0, 2**31 - 1, key="seed",
            help="Fixes the random start, split and shuffling: the same seed gives the same run."),
        "dataset": left.radio(
            "Dataset", DATASETS, format_func=DATASET_LABELS.get, key="dataset", horizontal=True,
            help="Handwritten digits, or the harder Fashion-MNIST clothing pictures of the same size."),
    }


def current_job():
    """Returns this session's latest training job, or None."""
    job_id = st.session_state.get(_JOB_KEY)
    return state.get_job_manager().get(job_id) if job_id else None


def start_training(config, retrain):
    """Submits `config` to the server's job manager and remembers the job for this session.

    Returns None (after saying why) when this session already has the most trainings waiting.
    """
    from mnist_core.jobs import QueueFullError

    try:
        job = state.get_job_manager().submit(config, owner=state.session_owner(), retrain=retrain)
    except QueueFullError as error:
        st.error(queue_full_message(error))
        return None
    st.session_state[_JOB_KEY] = job.job_id
    return job


def queue_full_message(error):
    """Returns the one-line message for a `QueueFullError`, in the chosen language."""
    return glossary.tr(
        f"You already have {error.waiting} trainings waiting (at most {error.limit}): wait for one to start, "
        f"or stop one, then try again.",
        f"你已有 {error.waiting} 个训练在排队（最多 {error.limit} 个）：请等其中一个开始，或停止一个，然后再试。",
    )


def backend_notice():
    """Shows one line when trainings cannot run because Ray is missing or unreachable."""
    problem = state.get_job_manager().backend_error
    job = current_job()
    if job is not None and job.state == "failed" and job.snapshot().error == problem:
        return  # The page shows the job's failure, which says the same; one line is enough.
    if problem:
        st.error(glossary.tr(f"Training is unavailable: {problem}", f"暂时无法训练：{problem}"))


def forget_job():
    """Stops following the session's job (the job itself and its run are kept)."""
    st.session_state.pop(_JOB_KEY, None)


# The progress bar is redrawn twice a second; the curves and table change only once per epoch, and
# redrawing them as often made the browser take a quarter of this 2-core machine from training.
PROGRESS_SECONDS = 0.5
HISTORY_SECONDS = 2.0


def live_panel(job_id):
    """Shows a running job: its progress and Stop button, then its curves so far."""
    _live_progress(job_id)
    _live_history(job_id)


@st.fragment(run_every=PROGRESS_SECONDS)
def _live_progress(job_id):
    job = state.get_job_manager().get(job_id)
    snapshot = job.snapshot()
    if snapshot.state in FINAL_STATES:
        if snapshot.run is not None:
            state.set_active_run(snapshot.run.run_id)
        st.rerun()
    if snapshot.state == "queued":
        st.info(
            f"Waiting for a free trainer: position {snapshot.queue_position} in the queue "
            f"({state.MAX_CONCURRENT_TRAININGS} trainings run at once on this server)."
        )
    elif snapshot.epoch == 0:
        st.progress(0.0, text="Preparing: loading the dataset into memory and compiling the network…")
    else:
        logs = snapshot.logs
        running = f" — loss {logs['loss']:.4f}, accuracy {logs['accuracy']:.2%}" if logs else ""
        st.progress(snapshot.fraction, text=f"Epoch {snapshot.epoch}/{snapshot.epochs}, step "
                    f"{snapshot.step}/{snapshot.steps_per_epoch}{running}")
    if snapshot.stopping:
        st.caption("Stopping: finishing the current steps, then testing and saving what was learned…")
    elif st.button("Stop", key=f"stop-{job_id}", help="Stop after the current chunk of steps and keep what was learned."):
        if state.get_job_manager().stop(job_id, state.session_owner()):
            st.toast("Stopping…")
        else:
            # Other sessions asked for the same training: it goes on for them, this session leaves it.
            forget_job()
            st.rerun()


@st.fragment(run_every=HISTORY_SECONDS)
def _live_history(job_id):
    job = state.get_job_manager().get(job_id)
    history_view(job.snapshot().history, label=job.config.describe())


def history_view(history, label):
    """Shows the loss and accuracy curves and a Keras-like table of the epochs so far."""
    if not history or not history.get("loss"):
        st.caption("The curves appear after the first epoch.")
        return
    st.plotly_chart(charts.curves_figure({label: history}), width="stretch")
    table = pd.DataFrame({key: history[key] for key in _TABLE_COLUMNS})
    # A stop cuts the last epoch short; its row says how much of it was trained.
    fractions = history.get("epoch_fraction") or [1.0] * len(table)
    table.index = pd.Index(
        [str(epoch) if fraction == 1.0 else f"{epoch} (stopped at {fraction:.0%})"
         for epoch, fraction in enumerate(fractions, start=1)],
        name="epoch",
    )
    st.dataframe(table.style.format({"seconds": "{:.2f} s"} | {key: "{:.4f}" for key in _TABLE_COLUMNS[:-1]}))


def run_summary(run, reused=False):
    """Shows a finished run: where it came from, its test figures and its curves."""
    if reused:
        st.success("These settings were trained before — here is the stored run. Press *Retrain* to train again.")
    elif run.stopped:
        st.warning(f"Training was stopped after {run.epochs_trained} full epoch(s); the partial run is kept, marked as stopped.")
    else:
        st.success(f"Trained in {run.timings.get('train_seconds', 0):.1f} s and stored as `{run.run_id}`.")
    columns = st.columns(3)
    columns[0].metric("Test accuracy", f"{run.test_accuracy:.2%}", help="On the 10,000 test images the network never saw.")
    columns[1].metric("Test loss", f"{run.test_loss:.4f}", help="Mean sparse categorical cross-entropy on the test images.")
    columns[2].metric("Validation accuracy", f"{run.history['val_accuracy'][-1]:.2%}",
                      help="On the held-out part of the training split, after the last epoch.")
    history_view(run.history, label=run.config.describe())
