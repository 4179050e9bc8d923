"""The app's frame: its pages for st.navigation, the browser tab and sidebar, and the guard of every page file."""

import threading

import streamlit as st

from dashboard import widgets
from dashboard.glossary import tr

# Every page: its file (whose name gives the URL: pages/1_Train.py is served at /Train), its name in
# English and Chinese, its icon in the navigation and its icon in the browser tab. Tab icons are
# emoji, which the browser draws itself; a ":material/…:" one would be fetched from Google's servers.
PAGES = (
    (widgets.HOME_PAGE, ("Home", "首页"), ":material/home:", "🔢"),
    (widgets.TRAIN_PAGE, ("Train", "训练"), ":material/model_training:", "🧠"),
    (widgets.RESULTS_PAGE, ("Results", "结果"), ":material/insights:", "📊"),
    (widgets.DRAW_PAGE, ("Draw", "画数字"), ":material/draw:", "✏️"),
    (widgets.SWEEP_PAGE, ("Sweep", "扫参"), ":material/tune:", "🎛️"),
)

HOME_TAB_ICON = PAGES[0][3]

# Whether this thread is running a page through run_app(); Streamlit runs each session's script
# in a thread of its own, so this says whether the page at hand runs inside the app's frame.
_frame = threading.local()


def app_name():
    """Returns the dashboard's name in the chosen language."""
    return tr("MNIST dashboard", "MNIST 仪表盘")


def pages():
    """Returns the st.Page of every page, in the navigation's order and the chosen language."""
    return [st.Page(path, title=tr(*names), icon=icon, default=path == widgets.HOME_PAGE)
            for path, names, icon, _ in PAGES]


def run_app():
    """Runs the app: declares the pages, sets the browser tab, draws the sidebar, runs the chosen page.

    streamlit_app.py calls it on every rerun, and so does a page file started on its own.
    """
    # An emoji tab icon before st.navigation, or the browser would fetch the page's ":material/…:"
    # icon from Google's servers as the tab icon until the page's own emoji arrives.
    st.set_page_config(page_icon=HOME_TAB_ICON, layout="wide")
    page = st.navigation(pages())
    _set_page_config(page)
    widgets.sidebar()
    _frame.inside = True
    try:
        page.run()
    finally:
        _frame.inside = False


def require_app_frame():
    """Runs the whole app here, then stops, when this page file was started without streamlit_app.py.

    The first line of every page file. Streamlit 1.67 decides once per server process, when the
    first session starts, whether the app uses the file-based `pages/` folder (it does when the
    folder exists), and only a call of st.navigation turns that off, for every session. So when the
    first request a fresh server gets is a link such as /Train?lang=zh, Streamlit runs
    pages/1_Train.py on its own, without the tab title, sidebar and navigation. Running the app
    here calls st.navigation, which serves the same page (the link's query string is kept), and
    switches the server to st.navigation for good. No rerun is needed, so a click is not lost
    (AppTest starts every run file-based).
    """
    if getattr(_frame, "inside", False):
        return
    run_app()
    st.stop()


def _set_page_config(page):
    """Sets the browser tab's title and icon for `page` (returned by st.navigation), and the wide layout."""
    favicon = next(tab_icon for _, names, _, tab_icon in PAGES if tr(*names) == page.title)
    title = app_name() if page.url_path == "" else f"{page.title} · {app_name()}"
    st.set_page_config(page_title=title, page_icon=favicon, layout="wide")
