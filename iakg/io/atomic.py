"""Atomic writes: a file or folder appears whole or not at all, and an interrupted run keeps the old one.

Safety rules (docs/safety.md): the tool never writes through or over a special file (device node, FIFO,
socket, symlink); it replaces a folder only if it wrote that folder itself (a ``.iakg-release`` marker) or
the folder is empty; a foreign non-empty folder is refused, or with ``force`` moved aside, never deleted;
files are flushed to disk before they are renamed into place; a replaced file keeps its permissions.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import shutil
import stat
import tempfile
import time
from collections.abc import Callable, Collection
from pathlib import Path

from iakg.errors import KGError

#: the file a release folder carries to show that iakg wrote it (and may replace it)
MARKER = ".iakg-release"


def umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _why(exc: OSError) -> str:
    return exc.strerror or str(exc)


def check_target(path: Path | str) -> Path:
    """``path`` checked as a place for a regular file: never empty, a folder, a symlink or a special file."""
    if str(path) == "":
        raise KGError("the output path is empty")
    path = Path(path)
    try:
        info = path.lstat()
    except FileNotFoundError:
        info = None
    except OSError as exc:
        raise KGError(f"{path}: cannot write: {_why(exc)}") from None
    if info is not None:
        if stat.S_ISDIR(info.st_mode):
            raise KGError(f"{path}: is a folder; give a file name")
        if stat.S_ISLNK(info.st_mode):
            raise KGError(f"{path}: is a symbolic link; iakg never writes through or over one")
        if not stat.S_ISREG(info.st_mode):
            raise KGError(f"{path}: is a special file (device, FIFO or socket); iakg writes regular files only")
    if not path.parent.is_dir():
        raise KGError(f"{path}: its folder {path.parent} does not exist")
    return path


def fsync_dir(folder: Path) -> None:
    """Flush a folder's entries (a rename in it) to disk, where the platform allows it."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_file(path: Path, data: bytes, mode: int | None = None) -> None:
    """Write a new file and flush it to disk (used inside a folder being built)."""
    with open(path, "xb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())
    if mode is not None:
        os.chmod(path, mode)


def write_bytes(path: Path | str, data: bytes) -> None:
    """Write ``data`` to a temporary file beside ``path``, flush it to disk, then rename it over ``path``.

    A new file gets the permissions a plain ``open(path, "w")`` would give (0666 less the umask); a file
    replaced keeps its permissions. A folder, symlink or special file at ``path`` is refused."""
    path = check_target(path)
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        mode = 0o666 & ~umask()
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    except OSError as exc:
        raise KGError(f"{path}: cannot write: {_why(exc)}") from None
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
        fsync_dir(path.parent)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise KGError(f"{path}: cannot write: {_why(exc)}") from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one atomic step (Linux renameat2 RENAME_EXCHANGE); False where unsupported."""
    name = ctypes.util.find_library("c")
    if not name:
        return False
    try:
        libc = ctypes.CDLL(name, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    result = renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange)
    return bool(result == 0)


def _protected(path: Path) -> str | None:
    """Why ``path`` may never be replaced, even with force (a root, the home folder, the working folder)."""
    here = Path.cwd().resolve()
    if path == Path(path.anchor):
        return "is the root of a file system"
    if path == Path.home().resolve():
        return "is your home folder"
    if path == here or path in here.parents:
        return "is the working folder or holds it"
    return None


def _check_folder(path: Path, force: bool) -> str:
    """What stands at ``path``: "none", "ours", "empty" or "foreign" (refused unless ``force``)."""
    try:
        info = path.lstat()
    except FileNotFoundError:
        return "none"
    except OSError as exc:
        raise KGError(f"{path}: cannot write: {_why(exc)}") from None
    if stat.S_ISLNK(info.st_mode):
        raise KGError(f"{path}: is a symbolic link; iakg never writes through or over one")
    if not stat.S_ISDIR(info.st_mode):
        raise KGError(f"{path}: is not a folder; iakg never replaces a file or special file with a release")
    why = _protected(path)
    if why:
        raise KGError(f"{path}: {why}; iakg never replaces it")
    if (path / MARKER).is_file():
        return "ours"
    if not any(path.iterdir()):
        return "empty"
    if not force:
        raise KGError(f"{path}: the folder is not empty and iakg did not write it; nothing was changed "
                      "(choose another --out, or --force to move it aside, never deleted)")
    return "foreign"


def aside_name(path: Path) -> Path:
    """Where a foreign file or folder at ``path`` is moved by ``--force``: ``NAME.moved-aside-<time>-<pid>``."""
    return path.with_name(f"{path.name}.moved-aside-{time.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}")


def move_aside(path: Path) -> Path:
    """Rename ``path`` (a file or folder iakg did not write) to :func:`aside_name`, never deleting it; return
    the new name. Raises ``OSError`` as ``os.rename`` does."""
    moved = aside_name(path)
    n = 1
    while moved.exists() or moved.is_symlink():  # never over something already moved aside
        moved, n = aside_name(path).with_name(f"{aside_name(path).name}-{n}"), n + 1
    os.rename(path, moved)
    return moved


def write_files(files: list[tuple[Path, bytes]], aside: Collection[Path] = ()) -> dict[Path, Path]:
    """Write several files as one step as far as a file system allows: every file is first written whole to a
    temporary file beside its target and flushed; only then are the targets in ``aside`` moved aside
    (:func:`move_aside`) and the temporary files renamed into place. An error while writing the temporary
    files leaves every target untouched. Each target is checked as :func:`write_bytes` does; a replaced file
    keeps its permissions. Return {target: where its old file was moved}."""
    targets = [(check_target(path), data) for path, data in files]
    staged: list[tuple[str, Path]] = []
    try:
        for path, data in targets:
            try:
                mode = stat.S_IMODE(path.stat().st_mode) if path not in aside else 0o666 & ~umask()
            except FileNotFoundError:
                mode = 0o666 & ~umask()
            fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
            staged.append((tmp, path))
            with os.fdopen(fd, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.chmod(tmp, mode)
        moved: dict[Path, Path] = {}
        for tmp, path in staged:
            if path in aside and path.exists():
                moved[path] = move_aside(path)
            os.replace(tmp, path)
        for folder in {path.parent for _, path in staged}:
            fsync_dir(folder)
        return moved
    except OSError as exc:
        for tmp, _ in staged:
            Path(tmp).unlink(missing_ok=True)
        where = staged[-1][1] if staged else (targets[0][0] if targets else Path("."))
        raise KGError(f"{where}: cannot write: {_why(exc)}") from None
    except BaseException:
        for tmp, _ in staged:
            Path(tmp).unlink(missing_ok=True)
        raise


def write_folder(path: Path | str, fill: Callable[[Path], None], force: bool = False) -> Path | None:
    """Build a folder with ``fill(tmpdir)`` beside ``path``, then swap it in place of ``path`` in one atomic
    step. Return where a foreign folder was moved aside (``force``), else None.

    The folder carries the :data:`MARKER` file; only a folder with it (or an empty one) is replaced.
    """
    if str(path) == "":
        raise KGError("the output folder is empty")
    path = Path(os.path.abspath(path))
    kind = _check_folder(path, force)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent))
    except OSError as exc:
        raise KGError(f"{path}: cannot write: {_why(exc)}") from None
    moved = None
    try:
        os.chmod(tmp, 0o777 & ~umask())
        fill(tmp)
        write_file(tmp / MARKER, b"written by iakg build; iakg replaces only folders holding this file\n")
        fsync_dir(tmp)
        if kind == "none":
            os.rename(tmp, path)
        elif kind == "foreign":
            moved = move_aside(path)
            os.rename(tmp, path)
        elif _exchange(tmp, path):
            shutil.rmtree(tmp, ignore_errors=True)  # it now holds the old release
        else:  # no atomic exchange here: two renames, the old kept as .NAME.old until the new is in place
            old = path.with_name(f".{path.name}.old")
            shutil.rmtree(old, ignore_errors=True)
            os.rename(path, old)
            os.rename(tmp, path)
            shutil.rmtree(old, ignore_errors=True)
        fsync_dir(path.parent)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise KGError(f"{path}: cannot write: {_why(exc)}") from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return moved
