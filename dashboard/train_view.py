"""The Train page's parts: presets, the plan, the live training panel and a finished run's view."""

import pandas as pd
import streamlit as st

from dashboard import glossary, state, widgets
from dashboard.curve_charts import CURVES_HEIGHT, curves_specs
from dashboard.run_figures import show_run_figures
from dashboard.train_settings import KEEP_PARTIAL_KEY
from mnist_core.codegen import keras_code
from mnist_core.data import is_prepared
from mnist_core.estimate import estimate_train_seconds
from mnist_core.job_record import FAILED, FINAL_STATES, QUEUED, RUNNING
from mnist_core.model import count_parameters
from mnist_core.presets import PRESETS, matching_preset, preset_by_name

_JOB_KEY = "train_job_id"
_TABLE_COLUMNS = ("loss", "accuracy", "val_loss", "val_accuracy", "seconds")
tr = glossary.tr
SETTINGS_BOX_KEY = "train_settings_box"
CODE_BOX_KEY = "train_code_box"
# On a phone the two columns stack; the training column (plan, Train button, progress and
# results) then comes first, so the test accuracy is on screen without scrolling past every
# control. Chromium has supported :has() since version 105.
PHONE_LAYOUT_CSS = f"""<style>
@media (max-width: 640px) {{
  [data-testid="stColumn"]:has(.st-key-{SETTINGS_BOX_KEY}) {{ order: 2; }}
}}
</style>"""


def preset_picker():
    """Shows the presets; choosing one fills the controls with its settings."""
    st.pills(tr("Presets", "预设"), [preset.name for preset in PRESETS], key="preset", on_change=_apply_preset,
             format_func=lambda name: tr(name, preset_by_name(name).name_zh),
             help=tr("Ready-made settings, each with what it teaches.", "现成的设置，每个都说明它能教你什么。"))


def _apply_preset():
    name = st.session_state.get("preset")
    if name:
        st.session_state.update(preset_by_name(name).config.to_dict())


def preset_note(config):
    """Says which preset the settings are, and what it teaches, when they match one."""
    preset = matching_preset(config)
    if preset is not None:
        st.caption(f"**{tr(preset.name, preset.name_zh)}** — {tr(preset.teaches, preset.teaches_zh)}")


def code_view(config):
    """Shows the runnable Keras script for these settings (the box has a copy button) once it is opened.

    The listing is drawn only while its box is open: highlighting it took the browser about 0.7 s
    of the Train page's 2 s of main-thread work on every load, for a box most loads never open.
    """
    with st.expander(tr("Show the Keras code for these settings", "显示这些设置对应的 Keras 代码"), key=CODE_BOX_KEY,
                     on_change="rerun") as box:
        if not box.open:
            return
        st.caption(tr("A plain Keras script that trains the same network: copy it into a notebook or a file.",
                      "一段训练同样网络的普通 Keras 脚本：可复制到笔记本或文件中运行。"))
        st.code(keras_code(config), language="python")


def show_plan(config):
    """Shows the network's size and how long it should take; both follow the controls at once."""
    runs, _ = state.list_runs()
    estimate = estimate_train_seconds(config, runs, data_loaded=bool(runs))
    parameters = count_parameters(config)
    st.markdown(tr(
        f"**{parameters:,} trainable parameters** · estimated time on this machine: **≈ {estimate:.0f} s** "
        f"for {config.epochs} epoch(s) of {config.train_size:,} images.",
        f"**{parameters:,} 个可训练参数** · 在本机上预计用时：**≈ {estimate:.0f} 秒**"
        f"（{config.epochs} 轮，每轮 {config.train_size:,} 张图像）。",
    ))
    if not is_prepared(config.dataset):
        st.info(tr(f"{config.dataset} is not stored locally yet: the first training downloads it (needs internet).",
                   f"{config.dataset} 尚未保存在本地：第一次训练会下载它（需要联网）。"))


def train_buttons():
    """Shows Train and Retrain; returns (train, retrain), True for the one just pressed."""
    with st.container(horizontal=True):
        train = st.button(tr("Train", "训练"), type="primary", key="train_button", icon=":material/play_arrow:")
        retrain = st.button(tr("Retrain", "重新训练"), key="retrain_button",
                            help=tr("Train again even if these settings are stored.", "即使这些设置已有保存的运行，也重新训练。"))
    return train, retrain


def current_job():
    """Returns the job this page follows: this session's latest, else the browser's running one.

    After a reload or in another tab the session is new, but the owner id (a cookie) is the same,
    so a running or queued training of this browser is found again in the job manager.
    """
    manager = state.get_job_manager()
    job_id = st.session_state.get(_JOB_KEY)
    job = manager.get(job_id) if job_id else None
    if job is None:
        active = [job for job in manager.jobs_for(state.session_owner()) if job.state not in FINAL_STATES]
        # A running job before a queued one, then the newest.
        active.sort(key=lambda job: job.state != RUNNING)
        job = active[0] if active else None
        if job is not None:
            st.session_state[_JOB_KEY] = job.job_id
    return job


def start_training(config, retrain):
    """Submits `config` to the server's job manager and remembers the job for this session.

    Returns None (after saying why) when this session already has the most trainings waiting.
    When the run store could not keep the result it says so and stops the page instead.
    """
    from mnist_core.job_manager import QueueFullError

    state.stop_unless_store_writable()
    try:
        job = state.get_job_manager().submit(config, owner=state.session_owner(), retrain=retrain,
                                                 keep_partial=bool(st.session_state.get(KEEP_PARTIAL_KEY)))
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
    if job is not None and job.state == FAILED and job.snapshot().error == problem:
        return  # The page shows the job's failure, which says the same; one line is enough.
    if problem:
        st.error(glossary.tr(f"Training is unavailable: {problem}", f"暂时无法训练：{problem}"))


def forget_job():
    """Stops following the session's job (the job itself and its run are kept)."""
    st.session_state.pop(_JOB_KEY, None)


def show_training(config):
    """Shows what the student should see next to the controls: the live job, its outcome or a run."""
    job = current_job()
    snapshot = job.snapshot() if job is not None else None
    if snapshot is not None and snapshot.state not in FINAL_STATES:
        st.subheader(tr("Training ", "正在训练 ") + widgets.config_name(job.config))
        live_panel(job.job_id, snapshot)
        return
    if snapshot is not None and _show_outcome(job, snapshot, config):
        return
    try:
        stored = state.get_store().find(config) if config is not None else None
    except OSError:
        stored = None  # A store folder that cannot be read: the sidebar already says so.
    if stored is not None:
        st.subheader(tr("Run ", "运行 ") + widgets.config_name(config))
        run_summary(stored, reused=True)
    else:
        st.info(tr("Press **Train** to train these settings. You can switch pages while it trains.",
                   "按 **训练** 开始训练这些设置。训练时可以切换到其他页面。"))


def _show_outcome(job, snapshot, config):
    """Shows how the session's finished job ended; returns False when the controls moved on."""
    if snapshot.state == FAILED:
        st.error(state.visible(snapshot.error))
        forget_job()
        return True
    if snapshot.run is None:
        forget_job()
        if snapshot.elapsed > 0:
            st.warning(tr(
                "Stopped before the first full epoch ended, so nothing was kept. To keep such a run, tick "
                "*Keep a run I stop before its first full epoch* under **Advanced**.",
                "在第一轮完整结束前停止，因此没有保存任何东西。若想保留这样的运行，请在 **高级设置** 中勾选"
                "*在第一轮结束前停止时也保留该运行*。"))
        else:
            st.info(tr("The training was stopped before it left the queue, so nothing was trained.",
                       "训练在排队时就被停止了，所以什么也没有训练。"))
        return True
    if not snapshot.run.stopped and state.set_active_run(snapshot.run.run_id):
        # The sidebar above was drawn before this run existed; draw the page again with it.
        st.rerun()
    if job.config != config:
        return False
    st.subheader(tr("Run ", "运行 ") + widgets.run_name(snapshot.run))
    run_summary(snapshot.run, reused=snapshot.reused, step_history=snapshot.step_history)
    st.page_link(widgets.DRAW_PAGE, label=tr("Now draw a digit for it", "现在为它画一个数字"), icon=":material/draw:")
    return True


# How often a live panel asks the job manager for news. A running training's panel redraws its
# progress and its curves together once a second; a queued one only says where it waits, every two
# seconds, since its place changes only when a whole training ends. Five students' pages used to
# rerun three times a second each (progress twice, curves once, empty charts while queued), and
# their redraws took a quarter of a core from the machine that also serves and trains.
LIVE_SECONDS = 1.0
QUEUED_SECONDS = 2.0


def live_panel(job_id, snapshot):
    """Shows a job that has not ended (`snapshot`): its place in the queue, or its progress and curves so far."""
    if snapshot.state == QUEUED:
        _queued_panel(job_id)
    else:
        _running_panel(job_id)


@st.fragment(run_every=QUEUED_SECONDS)
def _queued_panel(job_id):
    job, snapshot = _followed_job(job_id)
    if snapshot.state != QUEUED:
        st.rerun()  # It left the queue: the page draws the running panel instead.
    at_once, on_cluster = state.trainings_at_once()
    place, place_zh = ("the Ray cluster", "Ray 集群") if on_cluster else ("this server", "本服务器")
    at_once_text = "1 training runs" if at_once == 1 else f"{at_once} trainings run"
    st.info(tr(
        f"Waiting for a free trainer: position {snapshot.queue_position} in the queue "
        f"({at_once_text} at once on {place}). The curves appear once it starts.",
        f"等待空闲的训练位：排在队列第 {snapshot.queue_position} 位"
        f"（{place_zh}同时运行 {at_once} 个训练）。训练开始后会出现曲线。"))
    _stop_button(job, snapshot)


@st.fragment(run_every=LIVE_SECONDS)
def _running_panel(job_id):
    job, snapshot = _followed_job(job_id)
    _progress_line(snapshot)
    _stop_button(job, snapshot)
    # The chart is drawn empty while the training prepares. Its spec stays the same as points
    # arrive, so each redraw only swaps the rows of the chart in the browser, which never flickers.
    specs = curves_specs(snapshot.history, snapshot.step_history, epochs=snapshot.epochs)
    show_curves(specs, key=f"live-curves-{job_id}")
    if not snapshot.step_history.get("position"):
        st.caption(tr("The curves start after the first tenth of an epoch.", "第一轮训练到十分之一后，曲线开始出现。"))


def _followed_job(job_id):
    """Returns (job, snapshot) of the job a live panel shows; reruns the page when it has no more to show."""
    job = state.get_job_manager().get(job_id)
    snapshot = job.snapshot() if job is not None else None
    if snapshot is None or (state.session_owner() not in job.owners and not snapshot.stopping
                            and snapshot.state not in FINAL_STATES):
        # This student left a training that goes on for the others who asked for the same settings.
        forget_job()
        st.rerun()
    if snapshot.state in FINAL_STATES:
        st.rerun()
    return job, snapshot


def _stop_button(job, snapshot):
    if snapshot.stopping:
        st.caption(tr("Stopping: finishing the current steps, then testing and saving what was learned…",
                      "正在停止：先完成当前这几步，再测试并保存已学到的内容…"))
    elif st.button(tr("Stop", "停止"), key=f"stop-{job.job_id}", icon=":material/stop:",
                   help=tr("Stop after the current chunk of steps and keep what was learned.",
                           "在当前这批步骤之后停止，并保留已学到的内容。")):
        if state.get_job_manager().stop(job.job_id, state.session_owner()):
            st.toast(tr("Stopping…", "正在停止…"))
        else:
            # Other students asked for the same training: it goes on for them, this student leaves it.
            forget_job()
            st.rerun()


def _progress_line(snapshot):
    if snapshot.epoch == 0:
        st.progress(0.0, text=tr("Preparing: loading the dataset into memory and compiling the network…",
                                 "准备中：把数据集读入内存并编译网络…"))
    else:
        logs = snapshot.logs
        running = tr(f" — loss {logs['loss']:.4f}, accuracy {logs['accuracy']:.2%}",
                     f" — 损失 {logs['loss']:.4f}，准确率 {logs['accuracy']:.2%}") if logs else ""
        st.progress(snapshot.fraction, text=tr(
            f"Epoch {snapshot.epoch}/{snapshot.epochs}, step {snapshot.step}/{snapshot.steps_per_epoch}{running}",
            f"第 {snapshot.epoch}/{snapshot.epochs} 轮，第 {snapshot.step}/{snapshot.steps_per_epoch} 步{running}"))


def history_view(history, step_history=None):
    """Shows the loss and accuracy curves and a Keras-like table of the epochs so far."""
    if not history or not history.get("loss"):
        st.caption(tr("The curves appear after the first epoch.", "第一轮结束后出现曲线。"))
        return
    show_curves(curves_specs(history, step_history))
    with st.expander(tr("Epoch by epoch, as Keras prints it", "逐轮数据（与 Keras 的输出相同）")):
        table, columns = epoch_table(history)
        st.dataframe(table, column_config=columns, hide_index=True)


def show_curves(specs, key=None):
    """Draws the loss and accuracy charts side by side, then what their two lines are."""
    widgets.charts_side_by_side(specs, CURVES_HEIGHT, key=key)
    st.caption(tr("Blue: the training images, loss and accuracy averaged over each epoch (while an epoch trains, over "
                  "its steps so far). Orange: the held-out validation images, measured at the end of each epoch.",
                  "蓝色：训练图像，损失和准确率按每轮取平均（一轮训练进行中时，取这一轮到目前为止的平均）。"
                  "橙色：留出的验证图像，在每轮结束时测得。"))


def epoch_table(history):
    """Returns (table, column settings) of the epochs, narrow enough for a phone (314 px in all)."""
    # A stop cuts the last epoch short; its row says how much of it was trained.
    fractions = history.get("epoch_fraction") or [1.0] * len(history["loss"])
    epochs = [str(epoch) if fraction == 1.0 else tr(f"{epoch} ({fraction:.0%})", f"{epoch}（{fraction:.0%}）")
              for epoch, fraction in enumerate(fractions, start=1)]
    table = pd.DataFrame({"epoch": epochs} | {key: history[key] for key in _TABLE_COLUMNS})
    titles = {"epoch": (tr("epoch", "轮"), tr("A partly trained last epoch shows the share trained.",
                                             "未训练完的最后一轮显示已训练的比例。")),
              "loss": ("loss", tr("Training loss, averaged over the epoch.", "训练损失，对整轮取平均。")),
              "accuracy": ("acc", tr("Training accuracy, averaged over the epoch.", "训练准确率，对整轮取平均。")),
              "val_loss": ("val loss", tr("Validation loss at the end of the epoch.", "每轮结束时的验证损失。")),
              "val_accuracy": ("val acc", tr("Validation accuracy at the end of the epoch.", "每轮结束时的验证准确率。")),
              "seconds": (tr("s", "秒"), tr("Seconds the epoch took.", "这一轮用的秒数。"))}
    columns = {key: st.column_config.NumberColumn(titles[key][0], help=titles[key][1], format="%.4f", width=56)
               for key in _TABLE_COLUMNS}
    columns["seconds"] = st.column_config.NumberColumn(titles["seconds"][0], help=titles["seconds"][1], format="%.2f",
                                                       width=44)
    columns["epoch"] = st.column_config.TextColumn(titles["epoch"][0], help=titles["epoch"][1], width=46)
    return table, columns


def run_summary(run, reused=False, step_history=None):
    """Shows a finished run: where it came from, its test figures and its curves."""
    if reused:
        st.success(tr("These settings were trained before — here is the stored run. Press *Retrain* to train again.",
                      "这些设置以前训练过——这是保存的运行。按 *重新训练* 可再训练一次。"))
    elif run.stopped:
        st.warning(tr(f"Training was stopped after {run.epochs_trained} full epoch(s); the partial run is kept, "
                      "marked as stopped.",
                      f"训练在完整的 {run.epochs_trained} 轮后被停止；这次未完成的运行已保存，并标记为已停止。"))
    else:
        st.success(tr(f"Trained in {run.timings.get('train_seconds', 0):.1f} s and stored as `{run.run_id}`.",
                      f"用时 {run.timings.get('train_seconds', 0):.1f} 秒训练完成，已保存为 `{run.run_id}`。"))
    show_run_figures(run)
    history_view(run.history, step_history)
