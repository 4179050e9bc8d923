"""Errors told in one line: the first line of an exception's message, for users and logs."""

LINE_LIMIT = 200  # Characters of a message kept; longer first lines are cut here.


def first_line(error, limit=LINE_LIMIT, default=None):
    """Returns the first line of `error`'s message, at most `limit` characters (None: all of it).

    An error with an empty message gives `default`, or the error's type name when `default` is None.
    """
    lines = str(error).strip().splitlines()
    if lines:
        return lines[0][:limit]
    return type(error).__name__ if default is None else default
