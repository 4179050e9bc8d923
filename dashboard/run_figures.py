"""A run's headline figures in one row of metrics, shown alike on the Train and Results pages."""

import streamlit as st

from dashboard.glossary import tr


def show_run_figures(run, with_time=False):
    """Shows test accuracy, test loss and validation accuracy, and the training time when `with_time`."""
    columns = st.columns(4 if with_time else 3)
    columns[0].metric(tr("Test accuracy", "测试准确率"), f"{run.test_accuracy:.2%}",
                      help=tr("Share of the 10,000 test images, never seen in training, classified correctly.",
                              "10,000 张训练时从未见过的测试图像中分类正确的比例。"))
    columns[1].metric(tr("Test loss", "测试损失"), f"{run.test_loss:.4f}",
                      help=tr("Mean cross-entropy on the test images.", "测试图像上的平均交叉熵。"))
    columns[2].metric(tr("Validation accuracy", "验证准确率"), f"{run.history['val_accuracy'][-1]:.2%}",
                      help=tr("On the held-out part of the training split, after the last epoch.",
                              "最后一轮结束后，在训练数据中留出的那部分图像上。"))
    if with_time:
        seconds = run.timings["train_seconds"]
        columns[3].metric(tr("Training time", "训练时间"), tr(f"{seconds:.1f} s", f"{seconds:.1f} 秒"))
