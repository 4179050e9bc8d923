"""The network probe: whether tfds could download a dataset right now, asked before it tries."""

import socket

# tfds downloads MNIST-style datasets from this host; reaching it tells whether a download can work.
DOWNLOAD_HOST = "storage.googleapis.com"


def offline_reason():
    """Returns why tfds cannot download right now, or "" when its server answers.

    Without this check tfds retries an unreachable server for minutes before it gives up.
    """
    try:
        socket.create_connection((DOWNLOAD_HOST, 443), timeout=3).close()
    except OSError as error:
        return f"no connection to {DOWNLOAD_HOST}: {error}"
    return ""
