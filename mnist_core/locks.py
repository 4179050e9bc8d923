"""Locks that end with their process, telling a leftover of a killed process from work in progress.

Saving a run or a decoded-data file first writes a hidden temporary folder or file, then renames
it. A process killed in between leaves the temporary behind. Its writer holds an exclusive
`flock` on it the whole time; the kernel drops that lock when the process dies, however it dies,
so anything hidden that nobody locks can be removed at once, even a second after the kill.
"""

import contextlib
import fcntl
import os
import shutil
import uuid

_ATTEMPTS = 5


@contextlib.contextmanager
def locked(path, blocking):
    """Yields True while holding an exclusive lock on the file or folder `path`, else False.

    False means another process holds it (when not blocking), or `path` is gone, a symbolic link,
    or was replaced while waiting for the lock. The lock belongs to the open file, so it survives
    renames.
    """
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError:
        yield False
        return
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False
            return
        try:
            still_there = os.stat(path, follow_symlinks=False).st_ino == os.fstat(descriptor).st_ino
        except FileNotFoundError:
            still_there = False
        yield still_there
    finally:
        os.close(descriptor)


@contextlib.contextmanager
def locked_temporary_folder(root, prefix):
    """Yields a new folder `root/<prefix><random>`, locked until the block ends; removed if it fails.

    A cleaner may remove the folder between its creation and the lock, since nobody holds it yet,
    so after locking it is checked to be the folder created, and another one is made if not.
    """
    for _ in range(_ATTEMPTS):
        temporary = os.path.join(root, f"{prefix}{uuid.uuid4().hex}")
        os.mkdir(temporary)
        with locked(temporary, blocking=True) as holding:
            if not holding:
                continue
            try:
                yield temporary
            except BaseException:
                shutil.rmtree(temporary, ignore_errors=True)
                raise
            return
    raise OSError(f"Could not create and lock a temporary folder in {root} in {_ATTEMPTS} attempts.")


def remove_if_abandoned(path):
    """Removes the file or folder `path` when no live process holds its lock; returns True if removed."""
    with locked(path, blocking=False) as abandoned:
        if not abandoned:
            return False
        if os.path.isdir(path):
            shutil.rmtree(path, ignore_errors=True)
        else:
            with contextlib.suppress(FileNotFoundError):
                os.remove(path)
        return True
