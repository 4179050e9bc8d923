"""The Sweep page's live part: the status of each value's training and the result plot."""

import streamlit as st

from dashboard import glossary, state, train_view, widgets
from dashboard.curve_charts import format_value, sweep_specs
from mnist_core.job_record import DONE, FAILED, QUEUED, RUNNING, STOPPED
from mnist_core.sweep import sweep_table

_SWEEP_KEY = "sweep"
# The name a student reads for each sweepable setting, in English and Chinese.
FIELD_NAMES = {
    "hidden_size": ("Hidden size", "隐藏层大小"),
    "hidden_layers": ("Hidden layers", "隐藏层数"),
    "epochs": ("Epochs", "轮数"),
    "batch_size": ("Batch size", "批大小"),
    "learning_rate": ("Learning rate", "学习率"),
    "dropout": ("Dropout", "Dropout（随机失活）"),
}
SWEEP_CHART_HEIGHT = 340
_STATES = {
    QUEUED: ("waiting", "排队中"), RUNNING: ("training", "训练中"), DONE: ("done", "完成"),
    STOPPED: ("stopped", "已停止"), FAILED: ("failed", "失败"),
}


def field_name(field):
    """Returns the human name of a sweepable setting in the chosen language, e.g. "Hidden size"."""
    return glossary.tr(*FIELD_NAMES[field])


def choice_label(field):
    """Returns a setting's name in both languages, e.g. "Hidden size · 隐藏层大小", for the chooser.

    Streamlit keeps a choice by its label, so a label that changed with the language switch would
    lose the student's choice.
    """
    return " · ".join(FIELD_NAMES[field])


def start_sweep(field, configs):
    """Submits every config of the sweep; stored ones come back at once instead of training."""
    state.stop_unless_store_writable()
    from mnist_core.job_manager import QueueFullError

    manager = state.get_job_manager()
    jobs = []
    for config in configs:
        try:
            jobs.append(manager.submit(config, owner=state.session_owner()))
        except QueueFullError as error:
            queued = glossary.tr(f"Only the first {len(jobs)} values were queued. ", f"只排入了前 {len(jobs)} 个取值。")
            st.error(queued + train_view.queue_full_message(error))
            break
    st.session_state[_SWEEP_KEY] = {"field": field, "job_ids": [job.job_id for job in jobs]}


def current_sweep():
    """Returns this session's sweep as (field, jobs), or None."""
    sweep = st.session_state.get(_SWEEP_KEY)
    if not sweep:
        return None
    manager = state.get_job_manager()
    jobs = [manager.get(job_id) for job_id in sweep["job_ids"]]
    return sweep["field"], [job for job in jobs if job is not None]


def status_text(snapshot):
    """Returns one value's status in words: "waiting (2nd in the queue)", "epoch 2/3, 40%", "done (stored)"."""
    tr = glossary.tr
    if snapshot.state == QUEUED:
        return tr(f"waiting (queue position {snapshot.queue_position})", f"排队中（第 {snapshot.queue_position} 位）")
    if snapshot.state == RUNNING:
        if snapshot.epoch == 0:
            return tr("preparing", "准备中")
        return tr(f"epoch {snapshot.epoch}/{snapshot.epochs}, step {snapshot.step}/{snapshot.steps_per_epoch}",
                  f"第 {snapshot.epoch}/{snapshot.epochs} 轮，第 {snapshot.step}/{snapshot.steps_per_epoch} 步")
    text = tr(*_STATES[snapshot.state])
    return text + (tr(" (stored)", "（已保存）") if snapshot.reused else "")


@st.fragment(run_every=1.0)
def sweep_panel():
    """Shows each value's progress, then test accuracy and training time against the value."""
    tr = glossary.tr
    field, jobs = current_sweep()
    snapshots = [job.snapshot() for job in jobs]
    name, state_column, progress_column = field_name(field), tr("Status", "状态"), tr("Progress", "进度")
    status = [{name: format_value(getattr(snapshot.config, field)), state_column: status_text(snapshot),
               progress_column: snapshot.fraction} for snapshot in snapshots]
    st.dataframe(status, column_config={progress_column: st.column_config.ProgressColumn(min_value=0, max_value=1)},
                 hide_index=True)
    for snapshot in snapshots:
        if snapshot.state == FAILED:
            st.error(f"{name} = {format_value(getattr(snapshot.config, field))}: {state.visible(snapshot.error)}")
    runs_by_key = {snapshot.config.key(): snapshot.run for snapshot in snapshots if snapshot.run is not None}
    table = sweep_table(field, [snapshot.config for snapshot in snapshots], runs_by_key)
    rows = sorted(({"value": row[field], **row} for row in table), key=lambda row: row["value"])
    if rows:
        all_values = sorted(getattr(snapshot.config, field) for snapshot in snapshots)
        widgets.charts_side_by_side(sweep_specs(rows, name, all_values), SWEEP_CHART_HEIGHT)
    if len(rows) < len(snapshots):
        st.caption(tr("The plot fills in as each value finishes.", "每个取值训练完成后，图上就会多一个点。"))
