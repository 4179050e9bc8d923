"""The Sweep page's live part: the status of each value's training and the result plot."""

import streamlit as st

from dashboard import charts, glossary, state, train_view
from mnist_core.sweep import sweep_table

_SWEEP_KEY = "sweep"


def start_sweep(field, configs):
    """Submits every config of the sweep; stored ones come back at once instead of training."""
    from mnist_core.jobs import QueueFullError

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


@st.fragment(run_every=1.0)
def sweep_panel():
    """Shows each value's progress, then test accuracy and training time against the value."""
    field, jobs = current_sweep()
    snapshots = [job.snapshot() for job in jobs]
    status = [
        {field: getattr(snapshot.config, field), "state": snapshot.state + (" (stored)" if snapshot.reused else ""),
         "progress": snapshot.fraction, "queue": snapshot.queue_position or None}
        for snapshot in snapshots
    ]
    st.dataframe(status, column_config={"progress": st.column_config.ProgressColumn(min_value=0, max_value=1)},
                 hide_index=True)
    for snapshot in snapshots:
        if snapshot.state == "failed":
            st.error(f"{field} = {getattr(snapshot.config, field)}: {snapshot.error}")
    runs_by_key = {snapshot.config.key(): snapshot.run for snapshot in snapshots if snapshot.run is not None}
    rows = sweep_table(field, [snapshot.config for snapshot in snapshots], runs_by_key)
    if rows:
        st.plotly_chart(charts.sweep_figure(rows, field), width="stretch")
    if len(rows) < len(snapshots):
        st.caption("The plot fills in as each value finishes.")
