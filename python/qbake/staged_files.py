"""All-or-nothing output files, as the qbake CLI writes them (cli/staged_outputs.h).

Each output is written to a hidden temporary (".NAME.qbake-XXXXXXXX") in its
destination's folder; commit() moves them all into place, each existing destination
first hard-linked to a backup so that a failed step takes back the ones already moved;
anything not committed is removed, folders made for it included. An output replaces
only a regular file that is no input of the bake (compared by identity). Not
thread-safe.
"""

import os
import secrets
import shutil
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import BinaryIO, Dict, List, Optional, Set, Tuple, Type

_Identity = Tuple[int, int]  # (st_dev, st_ino)


def file_identity(path: Path) -> _Identity:
    status = os.stat(path)
    return (status.st_dev, status.st_ino)


@dataclass
class _Staged:
    destination: Path
    temporary: Path
    file: BinaryIO
    backup: Optional[Path] = None
    moved: bool = False


class StagedOutputs:
    """Use as a context manager: leaving it without commit() removes what was staged."""

    def __init__(self) -> None:
        self._protected: Dict[_Identity, str] = {}
        self._staged: List[_Staged] = []
        self._made_folders: List[Path] = []
        self._destinations: Set[Path] = set()

    def __enter__(self) -> "StagedOutputs":
        return self

    def __exit__(self, kind: Optional[Type[BaseException]], error: Optional[BaseException],
                 trace: Optional[TracebackType]) -> None:
        self.discard()

    def protect(self, path: Path, what: str) -> None:
        """No output may replace the file at `path` (an input, named `what`)."""
        self._protected[file_identity(path)] = what

    def stage(self, destination: Path) -> BinaryIO:
        """A new empty temporary for `destination`, open for reading and writing."""
        destination = Path(os.path.abspath(destination))
        self._check_destination(destination)
        self._make_folder(destination.parent)
        descriptor, name = tempfile.mkstemp(prefix="." + destination.name + ".qbake-",
                                            dir=destination.parent)
        os.fchmod(descriptor, _new_file_mode())
        staged = _Staged(destination, Path(name), os.fdopen(descriptor, "w+b"))
        self._staged.append(staged)
        self._destinations.add(destination)
        return staged.file

    def stage_copy(self, destination: Path, source: Path) -> BinaryIO:
        """A temporary for `destination` holding a copy of `source`."""
        file = self.stage(destination)
        with open(source, "rb") as original:
            shutil.copyfileobj(original, file, 1 << 20)
        file.flush()
        return file

    def commit(self) -> None:
        """Moves every temporary into place, or (raising the error) none."""
        try:
            for staged in self._staged:
                staged.file.close()
            for staged in self._staged:
                self._move_into_place(staged)
        except BaseException:
            self._take_back()
            raise
        for staged in self._staged:
            if staged.backup is not None:
                os.unlink(staged.backup)
        self._staged.clear()
        self._made_folders.clear()

    def discard(self) -> None:
        """Removes every temporary and the folders made for them."""
        for staged in self._staged:
            staged.file.close()
            _unlink_if_there(staged.temporary)
        self._staged.clear()
        for folder in reversed(self._made_folders):
            try:
                os.rmdir(folder)
            except OSError:
                pass  # not empty: something else was put there meanwhile
        self._made_folders.clear()

    def _check_destination(self, destination: Path) -> None:
        if destination in self._destinations:
            raise ValueError("'%s' is given as two outputs" % destination)
        try:
            status = os.lstat(destination)
        except FileNotFoundError:
            return
        if not stat.S_ISREG(status.st_mode):
            raise ValueError("output '%s' exists and is not a regular file" % destination)
        protected = self._protected.get((status.st_dev, status.st_ino))
        if protected is not None:
            raise ValueError("output '%s' would replace %s" % (destination, protected))

    def _make_folder(self, folder: Path) -> None:
        missing = []
        while not folder.exists():
            missing.append(folder)
            folder = folder.parent
        for made in reversed(missing):
            os.mkdir(made)
            self._made_folders.append(made)

    def _move_into_place(self, staged: _Staged) -> None:
        if os.path.lexists(staged.destination):
            staged.backup = _link_to_backup(staged.destination)
        os.replace(staged.temporary, staged.destination)
        staged.moved = True

    def _take_back(self) -> None:
        for staged in self._staged:
            if staged.moved and staged.backup is not None:
                os.replace(staged.backup, staged.destination)
            elif staged.moved:
                os.unlink(staged.destination)
            elif staged.backup is not None:
                os.unlink(staged.backup)
            staged.moved = False
            staged.backup = None
        self.discard()


def _new_file_mode() -> int:
    """The mode of a file made by open(): 0666 less the umask."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def _link_to_backup(path: Path) -> Path:
    """A new hidden hard link to `path` in its folder."""
    while True:
        backup = path.with_name(".%s.qbake-%s" % (path.name, secrets.token_hex(4)))
        try:
            os.link(path, backup)
            return backup
        except FileExistsError:
            continue


def _unlink_if_there(path: Path) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
