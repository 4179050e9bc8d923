"""Results: how stored networks learned, how they do on the test set, and where they go wrong."""

import streamlit as st

from dashboard import curve_charts, glossary, inside_view, manage_view, navigation, results_view, state, widgets
from mnist_core.data import CLASS_NAMES
from mnist_core.run_record import MODEL_FILE, RUN_FILE

navigation.require_app_frame()
tr = glossary.tr
st.title(tr("Results", "结果"))
glossary.explain("epoch", "cross_entropy", "validation", "test")

# Run folders that cannot be read are skipped here; the sidebar already names each of them.
runs, _ = state.list_runs()
if not runs:
    widgets.no_run_message()

selected = widgets.run_picker(tr("Runs to compare", "要比较的运行"), runs, key=results_view.RUNS_KEY, multiple=True)
if not selected:
    st.info(tr("Pick at least one run above to see its training curves and test results.",
               "在上面至少选一个运行，查看它的训练曲线和测试结果。"))
else:
    specs = curve_charts.comparison_curves_specs(results_view.curve_histories(selected, short=True))
    widgets.charts_side_by_side(specs, curve_charts.CURVES_HEIGHT)
    st.caption(tr("Solid lines: the training images, averaged over each epoch. Dashed lines: the held-out validation "
                  "images, measured at the end of each epoch. Hover for the values.",
                  "实线：训练图像，每轮内取平均。虚线：留出的验证图像，每轮结束时测得。鼠标悬停可看数值。"))
    run = results_view.detail_run(selected)
    results_view.show_test_summary(run)
    class_tab, mistakes_tab, weights_tab = inside_view.detail_tabs()
    if class_tab.open:
        with class_tab:
            cell = inside_view.show_class_charts(run, CLASS_NAMES[run.config.dataset])
            inside_view.show_cell_images(run, cell)
    if mistakes_tab.open:
        with mistakes_tab:
            dataset = inside_view.test_dataset(run)
            if dataset is not None:
                results_view.show_mistakes(run, dataset)
    if weights_tab.open:
        with weights_tab:
            inside_view.show_first_layer_weights(run)

st.subheader(tr("All runs", "全部运行"))
st.caption(tr("Click a column header to sort.", "点击列标题可排序。"))
st.dataframe(results_view.runs_table(runs), column_config=results_view.table_columns(), hide_index=True,
             width="stretch")
titles = {stored.run_id: widgets.run_title(stored) for stored in runs}
active = state.active_run()
chosen_id = st.selectbox(tr("Run to download or delete", "要下载或删除的运行"), list(titles), format_func=titles.get,
                         index=list(titles).index(active.run_id) if active and active.run_id in titles else 0,
                         key=widgets.language_key("results_manage_run"))
download_column, delete_column = st.columns(2)
with download_column:
    # The files are read when a button is pressed, not on every visit: the browser fetched a run's
    # model (8 MB for 2×1024) each time Results was shown. If the run is gone by then, the browser
    # says "Failed to generate file for download" and the server log names the error.
    store = state.get_store()
    st.download_button(tr("Download the model (.keras)", "下载模型（.keras）"),
                       lambda: store.export(chosen_id, [MODEL_FILE])[MODEL_FILE], file_name=f"{chosen_id}.keras",
                       mime="application/octet-stream", on_click="ignore", icon=":material/download:")
    st.download_button(tr("Download settings and results (.json)", "下载设置和结果（.json）"),
                       lambda: store.export(chosen_id, [RUN_FILE])[RUN_FILE], file_name=f"{chosen_id}.json",
                       mime="application/json", on_click="ignore", icon=":material/description:")
with delete_column:
    manage_view.delete_controls(next(stored for stored in runs if stored.run_id == chosen_id), results_view.RUNS_KEY)
    manage_view.teacher_login()
