"""Remote paths as typed (terminal_client/remote_paths.py) and the prompt's Tab
completion (terminal_client/completion.py), without a server: the commands'
tests drive both through the real client."""

from __future__ import annotations

import sys

import pytest
from ferry_files.shared.errors import FerryError
from ferry_files.terminal_client import line_editing
from ferry_files.terminal_client.completion import LineCompleter
from ferry_files.terminal_client.remote_paths import resolve


@pytest.mark.parametrize(
    ("cwd", "text", "path"),
    [
        ("", "", ""),
        ("", "a/b", "a/b"),
        ("", "/a//b/", "a/b"),
        ("x/y", "z", "x/y/z"),
        ("x/y", "/z", "z"),
        ("x/y", "..", "x"),
        ("x/y", "../../a", "a"),
        ("x", "./a/./b", "x/a/b"),
    ],
)
def test_resolve(cwd, text, path):
    assert resolve(cwd, text) == path


def test_resolve_never_goes_above_the_root():
    with pytest.raises(FerryError) as raised:
        resolve("x", "../../etc")
    assert (raised.value.code, raised.value.message) == ("bad_name", "'../../etc': goes above the root folder")


def test_completion_of_commands_then_remote_names():
    asked: list[str] = []

    def names(folder: str) -> list[str]:
        asked.append(folder)
        return {"": ["photos/", "top.txt"], "photos/": ["a.jpg", "b.jpg"], "/": ["photos/", "top.txt"]}[folder]

    completer = LineCompleter(["get", "ls", "list", "mkdir"], names)
    assert completer.candidates("l", "l") == ["list ", "ls "]
    assert completer.candidates("", "") == ["get ", "list ", "ls ", "mkdir "]
    assert completer.candidates("get ", "") == ["photos/", "top.txt"]
    assert completer.candidates("get p", "p") == ["photos/"]
    assert completer.candidates("get photos/", "photos/") == ["photos/a.jpg", "photos/b.jpg"]
    assert completer.candidates("get /t", "/t") == ["/top.txt"]
    assert completer.candidates("get -", "-") == []
    assert completer.candidates("get 'open p", "p") == ["photos/"]  # an open quote is no error
    assert asked == ["", "", "photos/", "/", ""]


def test_completion_never_offers_a_name_that_would_act_on_the_terminal():
    completer = LineCompleter(["get"], lambda folder: ["csi\x9b2J.txt", "rtl\u202etxt/", "plain.txt"])
    assert completer.candidates("get ", "") == ["plain.txt"]


class _PlatformReadline:
    """Stands in for the platform's readline module, as macOS's libedit-based one
    (or none at all, as on Windows): what line_editing asks of it is recorded."""

    def __init__(self, doc: str) -> None:
        self.__doc__ = doc
        self.bindings: list[str] = []
        self.written: list[str] = []

    def set_completer(self, complete) -> None:
        self.complete = complete

    def set_completer_delims(self, delims: str) -> None:
        self.delims = delims

    def parse_and_bind(self, text: str) -> None:
        self.bindings.append(text)

    def read_history_file(self, path) -> None:
        raise FileNotFoundError(path)  # a first run: no history yet

    def set_history_length(self, length: int) -> None:
        self.length = length

    def write_history_file(self, path) -> None:
        self.written.append(str(path))


@pytest.mark.parametrize(
    ("doc", "binding"),
    [
        ("Importing this module enables command line editing using libedit readline.", "bind ^I rl_complete"),
        ("GNU readline", "tab: complete"),
    ],
)
def test_line_editing_binds_tab_for_gnu_readline_and_libedit(monkeypatch, tmp_path, doc, binding):

    fake = _PlatformReadline(doc)
    monkeypatch.setitem(sys.modules, "readline", fake)
    save = line_editing.start(lambda text, state: None, tmp_path / "ferry" / "history")
    assert fake.bindings == [binding] and fake.delims == " \t\n"
    save()
    assert fake.written == [str(tmp_path / "ferry" / "history")] and (tmp_path / "ferry").is_dir()


def test_line_editing_without_readline_is_a_no_op(monkeypatch, tmp_path):

    monkeypatch.setitem(sys.modules, "readline", None)  # import readline raises ImportError
    save = line_editing.start(lambda text, state: None, tmp_path / "history")
    save()
    assert list(tmp_path.iterdir()) == []
