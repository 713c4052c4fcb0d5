"""write_atomic: whole file or nothing, readable permissions, clear errors."""
import os
import stat

import pytest

from audiollm.base.errors import AudiollmError
from audiollm.base.files import write_atomic


def test_writes_text_and_bytes_with_readable_permissions(tmp_path):
    text_path, bytes_path = tmp_path / "a.md", tmp_path / "b.bin"
    assert write_atomic(text_path, "héllo\n") == text_path
    write_atomic(bytes_path, b"\x00\x01")
    assert text_path.read_bytes() == "héllo\n".encode("utf-8") and bytes_path.read_bytes() == b"\x00\x01"
    assert stat.S_IMODE(os.stat(text_path).st_mode) == 0o644  # not mkstemp's private 0o600
    assert sorted(os.listdir(tmp_path)) == ["a.md", "b.bin"]


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temp(tmp_path, monkeypatch):
    path = tmp_path / "keep.md"
    write_atomic(path, "old")

    def full_disk(src, dst):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(os, "replace", full_disk)
    with pytest.raises(AudiollmError, match="path: cannot write .*No space left"):
        write_atomic(path, "new")
    assert path.read_text() == "old" and os.listdir(tmp_path) == ["keep.md"]


@pytest.mark.parametrize("path, words", [(None, "file path"), ("", "file path"),
                                         (os.path.join("no", "such", "x.md"), "does not exist")])
def test_bad_paths_are_named(path, words):
    with pytest.raises(AudiollmError, match="path") as err:
        write_atomic(path, "x")
    assert words in str(err.value)


def test_data_must_be_bytes_or_str(tmp_path):
    with pytest.raises(AudiollmError, match="data"):
        write_atomic(tmp_path / "x", None)
    assert os.listdir(tmp_path) == []
