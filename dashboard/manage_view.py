"""Who may delete which run on the Results page: the run's own student, or a teacher with the token."""

import streamlit as st

from dashboard import state
from dashboard.glossary import tr
from mnist_core.run_store import RunNotFoundError

TEACHER_TOKEN_KEY = "results_teacher_token"
CONFIRM_DELETE_KEY = "results_confirm_delete"


def delete_controls(run, compared_key):
    """Shows the confirmation and Delete button for a run this session may delete, else says who may.

    `compared_key` is the session state key of the page's compared runs, which a deletion updates.
    """
    if not state.may_delete(run):
        st.caption(tr("Only the student who trained this run, or the teacher, can delete it.",
                      "只有训练这个运行的学生或老师才能删除它。"))
        return
    confirmed = st.checkbox(tr("Yes, delete this run and its model for good", "是的，永久删除这个运行及其模型"),
                            key=CONFIRM_DELETE_KEY)
    st.button(tr("Delete run", "删除运行"), type="primary", disabled=not confirmed, icon=":material/delete:",
              key="results_delete", on_click=delete_run, args=(run.run_id, compared_key))


def delete_run(run_id, compared_key):
    """Deletes a stored run; a button callback, so the page that follows no longer shows it.

    It also unticks the confirmation and drops the run from the compared runs (the picker's session
    state key `compared_key`); when it was the only one compared, the active run (the newest, once
    the deleted one is gone) takes its place. The permission is checked again here, as the callback runs on what the browser sent.
    """
    runs, _ = state.list_runs()
    run = next((stored for stored in runs if stored.run_id == run_id), None)
    if run is not None and not state.may_delete(run):
        st.toast(tr("Only the student who trained this run, or the teacher, can delete it.",
                    "只有训练这个运行的学生或老师才能删除它。"), icon=":material/block:")
        return
    try:
        state.get_store().delete(run_id)
    except RunNotFoundError:
        pass  # Another session deleted it first, which is all that was asked for.
    except OSError as error:
        st.toast(tr(f"Run {run_id} could not be deleted: {state.visible(error)}",
                    f"无法删除运行 {run_id}：{state.visible(error)}"), icon=":material/error:")
        return
    st.session_state[CONFIRM_DELETE_KEY] = False
    remaining = [chosen for chosen in st.session_state.get(compared_key, []) if chosen != run_id]
    fallback = state.active_run()
    if not remaining and fallback is not None:
        remaining = [fallback.run_id]
    # Assigning the value, rather than removing the key, also updates the widget in the browser.
    st.session_state[compared_key] = remaining
    st.toast(tr(f"Deleted run {run_id}.", f"已删除运行 {run_id}。"), icon=":material/delete:")


def teacher_login():
    """Lets a teacher enter the server's token once, after which this session may delete any run."""
    if not state.admin_mode_available():
        return
    if state.is_admin():
        st.caption(tr("Teacher mode: you may delete any run.", "教师模式：你可以删除任何运行。"))
        unreadable_runs_controls()
        return
    with st.expander(tr("Teacher mode", "教师模式")):
        st.text_input(tr("Teacher token", "教师口令"), type="password", key=TEACHER_TOKEN_KEY,
                      on_change=_check_teacher_token)
        if st.session_state.get(TEACHER_TOKEN_KEY):
            st.error(tr("That is not the teacher token.", "教师口令不正确。"))


def unreadable_runs_controls():
    """In teacher mode, lets the teacher delete run folders that cannot be read (named in the sidebar)."""
    names = state.unreadable_run_ids() if state.is_admin() else []
    if not names:
        return
    chosen = st.selectbox(tr("Unreadable run folder (see the sidebar)", "无法读取的运行文件夹（见侧边栏）"), names,
                          key="results_unreadable_run")
    st.button(tr("Delete this folder", "删除这个文件夹"), icon=":material/delete:", key="results_delete_unreadable",
              on_click=_delete_unreadable, args=(chosen,))


def _delete_unreadable(name):
    if not state.is_admin():
        return
    try:
        state.get_store().delete(name)
    except RunNotFoundError:
        pass  # Already gone.
    except OSError as error:
        st.toast(tr(f"{name} could not be deleted: {state.visible(error)}", f"无法删除 {name}：{state.visible(error)}"),
                 icon=":material/error:")
        return
    st.toast(tr(f"Deleted {name}.", f"已删除 {name}。"), icon=":material/delete:")


def _check_teacher_token():
    if state.enter_admin_token(st.session_state.get(TEACHER_TOKEN_KEY, "")):
        st.session_state[TEACHER_TOKEN_KEY] = ""
