"""Results: how stored networks learned, how they do on the test set, and where they go wrong."""

import streamlit as st

from dashboard import charts, glossary, inside_view, manage_view, results_view, state, widgets
from dashboard.glossary import tr
from mnist_core.data import CLASS_NAMES, DatasetUnavailableError
from mnist_core.runs import MODEL_FILE, RUN_FILE, CorruptRunError, RunNotFoundError

st.set_page_config(page_title="Results · MNIST dashboard", page_icon=":material/insights:", layout="wide")
widgets.sidebar()
st.title("Results")
glossary.explain("epoch", "cross_entropy", "validation", "test")

# Run folders that cannot be read are skipped here; the sidebar already names each of them.
runs, _ = state.list_runs()
if not runs:
    widgets.no_run_message()

selected = widgets.run_picker("Runs to compare", runs, key=results_view.RUNS_KEY, multiple=True)
if not selected:
    st.info("Pick at least one run above to see its training curves and test results.")
else:
    st.plotly_chart(charts.comparison_curves_figure(results_view.curve_histories(selected)), width="stretch")
    st.caption("Solid lines: the training images, averaged over each epoch. Dashed: the held-out "
               "validation images, measured at the end of each epoch. Hover for the values.")
    run = results_view.detail_run(selected)
    results_view.show_test_summary(run)
    cell = inside_view.show_class_charts(run, CLASS_NAMES[run.config.dataset])
    try:
        dataset = state.get_dataset(run.config.dataset)
    except DatasetUnavailableError as error:
        st.error(f"The image galleries need the test images, which could not be loaded. {error}")
    else:
        inside_view.show_cell_images(run, dataset, cell)
        results_view.show_mistakes(run, dataset)
    inside_view.show_first_layer_weights(run)

st.subheader("All runs")
st.caption("Click a column header to sort.")
st.dataframe(results_view.runs_table(runs), column_config=results_view.TABLE_COLUMNS, hide_index=True, width="stretch")
titles = {stored.run_id: results_view.run_title(stored) for stored in runs}
chosen_id = st.selectbox("Run to download or delete", list(titles), format_func=titles.get, key="results_manage_run")
download_column, delete_column = st.columns(2)
with download_column:
    try:
        files = state.get_store().export(chosen_id)
    except (RunNotFoundError, CorruptRunError, OSError) as error:
        st.error(tr(f"This run can no longer be read ({state.visible(error)}). Reload the page to refresh the list.",
                    f"这个运行已无法读取（{state.visible(error)}）。请刷新页面以更新列表。"))
    else:
        st.download_button("Download the model (.keras)", files[MODEL_FILE], file_name=f"{chosen_id}.keras",
                           mime="application/octet-stream", on_click="ignore", icon=":material/download:")
        st.download_button("Download settings and results (.json)", files[RUN_FILE], file_name=f"{chosen_id}.json",
                           mime="application/json", on_click="ignore", icon=":material/description:")
with delete_column:
    manage_view.delete_controls(next(stored for stored in runs if stored.run_id == chosen_id))
    manage_view.teacher_login()
