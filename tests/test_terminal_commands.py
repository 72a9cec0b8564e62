"""The terminal client's 2.0 commands (ls, stat, get, put, rm, mv, mkdir) with
folders, globs, resume, --json and --quiet: ``run_client.py`` as a real
subprocess against the real server."""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.server_process import wait_for
from tests.terminal_support import CuttingRelay, PtyClient, client_env, interrupt_when_flowing, run_client

MTIME = 1_700_000_000
REPO = Path(__file__).resolve().parent.parent


def write(path: Path, data: bytes, mtime: float = MTIME) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    os.utime(path, (mtime, mtime))
    return path


def ok(result) -> str:
    assert (result.returncode, result.stderr) == (0, ""), result
    return result.stdout


def fails(result, *lines: str, status: int = 1) -> None:
    assert result.returncode == status, result
    assert result.stderr.splitlines() == list(lines), result.stderr


def records(stdout: str) -> list[dict]:
    return [json.loads(line) for line in stdout.splitlines()]


def tree(root: Path) -> dict[str, tuple[bytes, float] | None]:
    """Every file (content, mtime) and folder (None) under ``root``, by relative path."""
    found: dict[str, tuple[bytes, float] | None] = {}
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root).as_posix()
        if relative.startswith(".ferry-"):  # the server's own (uploads, trash)
            continue
        found[relative] = None if path.is_dir() else (path.read_bytes(), path.stat().st_mtime)
    return found


@pytest.fixture
def photos(library: Path) -> Path:
    """photos/{a.jpg, b.jpg, notes.txt, 2024/c.jpg, empty/} and top.txt."""
    write(library / "photos" / "a.jpg", b"A" * 10)
    write(library / "photos" / "b.jpg", b"B" * 20, MTIME + 1)
    write(library / "photos" / "notes.txt", b"notes")
    write(library / "photos" / "2024" / "c.jpg", b"C" * 30)
    (library / "photos" / "empty").mkdir()
    write(library / "top.txt", b"top")
    return library / "photos"


# -- ls ------------------------------------------------------------------------------


def test_ls_shows_names_and_folders_with_a_slash(addr, photos):
    assert ok(run_client(addr, "ls")) == "photos/\ntop.txt\n"
    assert ok(run_client(addr, "ls", "photos")) == "2024/\na.jpg\nb.jpg\nempty/\nnotes.txt\n"
    assert ok(run_client(addr, "ls", "/photos/2024/")) == "c.jpg\n"


def test_ls_long_is_a_table_with_folders(addr, photos):
    out = ok(run_client(addr, "ls", "-l", "photos"))
    assert out.splitlines() == [
        "SIZE  MODIFIED          NAME",
        f"   -  {_minute(photos / '2024')}  2024/",
        "10 B  2023-11-14 22:13  a.jpg",
        "20 B  2023-11-14 22:13  b.jpg",
        f"   -  {_minute(photos / 'empty')}  empty/",
        " 5 B  2023-11-14 22:13  notes.txt",
        "3 files, 35 B, 2 folders",
    ]


def _minute(path: Path) -> str:
    import time

    return time.strftime("%Y-%m-%d %H:%M", time.gmtime(path.stat().st_mtime))


def test_ls_recursive_and_json(addr, photos):
    assert ok(run_client(addr, "ls", "-R", "photos")) == "2024/\n2024/c.jpg\na.jpg\nb.jpg\nempty/\nnotes.txt\n"
    found = records(ok(run_client(addr, "ls", "-R", "--json", "photos")))
    assert [(r["name"], r["type"], r.get("size")) for r in found] == [
        ("2024", "folder", None),
        ("2024/c.jpg", "file", 30),
        ("a.jpg", "file", 10),
        ("b.jpg", "file", 20),
        ("empty", "folder", None),
        ("notes.txt", "file", 5),
    ]
    assert found[2]["mtime"] == MTIME


def test_ls_of_a_glob_and_of_a_file(addr, photos):
    assert ok(run_client(addr, "ls", "photos/*.jpg")) == "photos/a.jpg\nphotos/b.jpg\n"
    assert ok(run_client(addr, "ls", "*/*/*.jpg")) == "photos/2024/c.jpg\n"
    assert ok(run_client(addr, "ls", "photos/[ab].jpg")) == "photos/a.jpg\nphotos/b.jpg\n"
    assert ok(run_client(addr, "ls", "top.txt")) == "top.txt\n"


def test_ls_of_a_glob_that_matches_nothing(addr, photos):
    fails(run_client(addr, "ls", "photos/*.png"), "error: not_found: nothing matches 'photos/*.png'")


def test_ls_of_a_missing_folder(addr, photos):
    fails(run_client(addr, "ls", "nope"), "error: not_found: no folder on the way to 'nope'")


# -- stat ----------------------------------------------------------------------------


def test_stat_of_a_path_and_of_a_folder(addr, photos):
    out = ok(run_client(addr, "stat", "photos/2024/c.jpg"))
    assert out.splitlines()[0] == "name:     photos/2024/c.jpg"
    assert out.splitlines()[-1] == f"sha256:   {hashlib.sha256(b'C' * 30).hexdigest()}"
    assert ok(run_client(addr, "stat", "photos/2024")).splitlines()[:2] == ["name:     photos/2024/", "type:     folder"]
    [record] = records(ok(run_client(addr, "stat", "--json", "photos/empty")))
    assert (record["name"], record["type"]) == ("photos/empty", "folder")


def test_stat_takes_one_path(addr, photos):
    result = run_client(addr, "stat", "photos/*.jpg")
    assert result.returncode == 2
    assert result.stderr == "error: usage: 'photos/*.jpg' matches 2 paths; stat takes one\n"


# -- mkdir, rm, mv -------------------------------------------------------------------


def test_mkdir_with_and_without_parents(addr, library):
    ok(run_client(addr, "mkdir", "music"))
    ok(run_client(addr, "mkdir", "-p", "a/b/c", "music"))
    assert tree(library) == {"a": None, "a/b": None, "a/b/c": None, "music": None}
    fails(run_client(addr, "mkdir", "music"), "error: exists: 'music' already exists")
    fails(run_client(addr, "mkdir", "x/y"), "error: not_found: no folder on the way to 'x/y'")


def test_rm_files_globs_and_folders(addr, photos, library):
    ok(run_client(addr, "rm", "top.txt", "photos/*.jpg"))
    assert sorted(p.name for p in photos.iterdir()) == ["2024", "empty", "notes.txt"]
    assert not (library / "top.txt").exists()
    fails(
        run_client(addr, "rm", "photos/2024", "photos/empty"),
        "error: not_empty: the folder 'photos/2024' is not empty; delete it with 'recursive' to delete its content too",
    )
    assert sorted(p.name for p in photos.iterdir()) == ["2024", "notes.txt"]  # the empty one went, the other failed alone
    ok(run_client(addr, "rm", "-r", "photos"))
    assert tree(library) == {}


def test_rm_of_a_missing_path_and_an_empty_glob(addr, photos):
    fails(
        run_client(addr, "rm", "nope.txt", "*.png", "top.txt"),
        "error: not_found: nothing matches '*.png'",
        "error: not_found: no file or folder named 'nope.txt'",
    )
    assert not (photos.parent / "top.txt").exists()  # the good one was deleted


def test_mv_renames_and_moves_into_a_folder(addr, photos, library):
    ok(run_client(addr, "mv", "top.txt", "renamed.txt"))
    ok(run_client(addr, "mv", "renamed.txt", "photos"))
    ok(run_client(addr, "mv", "photos/*.jpg", "photos/2024"))
    assert sorted(p.name for p in (photos / "2024").iterdir()) == ["a.jpg", "b.jpg", "c.jpg"]
    assert (photos / "renamed.txt").read_bytes() == b"top"
    assert ((photos / "2024" / "b.jpg").read_bytes(), (photos / "2024" / "b.jpg").stat().st_mtime) == (b"B" * 20, MTIME + 1)


def test_mv_of_several_paths_needs_a_folder(addr, photos):
    result = run_client(addr, "mv", "photos/*.jpg", "one.jpg")
    assert result.returncode == 2
    assert result.stderr == "error: usage: 'photos/*.jpg' matches 2 paths: TO must be a folder\n"


def test_mv_onto_an_existing_file(addr, photos):
    fails(run_client(addr, "mv", "photos/a.jpg", "photos/b.jpg"), "error: exists: 'photos/b.jpg' already exists")


# -- get -----------------------------------------------------------------------------


def test_get_of_paths_and_globs(addr, photos, downloads):
    ok(run_client(addr, "get", "photos/*.jpg", "photos/2024/c.jpg", "-o", str(downloads)))
    assert tree(downloads) == {"a.jpg": (b"A" * 10, MTIME), "b.jpg": (b"B" * 20, MTIME + 1), "c.jpg": (b"C" * 30, MTIME)}


def test_get_of_a_glob_that_matches_nothing_names_it(addr, photos, downloads):
    fails(run_client(addr, "get", "*.png", "top.txt", "-o", str(downloads)), "error: not_found: nothing matches '*.png'")
    assert tree(downloads) == {"top.txt": (b"top", MTIME)}


def test_get_of_a_folder_needs_r(addr, photos, downloads):
    fails(run_client(addr, "get", "photos", "-o", str(downloads)), "error: not_found: 'photos' is a folder: add -r to download it")
    assert list(downloads.iterdir()) == []


def test_get_r_downloads_the_tree_with_a_summary(addr, photos, downloads):
    out = ok(run_client(addr, "get", "-r", "photos", "-o", str(downloads)))
    assert out.startswith(f"get 'photos' -> '{downloads / 'photos'}': 4 files, 65 B in ")
    assert tree(downloads / "photos") == {k: v for k, v in tree(photos).items()}


def test_get_r_c_fetches_only_what_an_earlier_get_r_left_out(addr, photos, downloads):
    ok(run_client(addr, "get", "-r", "photos", "-o", str(downloads)))
    local = downloads / "photos"
    (local / "2024" / "c.jpg").unlink()  # never arrived
    write(local / "b.jpg", b"B" * 7, MTIME + 1)  # cut short
    kept = (local / "a.jpg").stat().st_ino
    out = ok(run_client(addr, "get", "-r", "-c", "photos", "-o", str(downloads)))
    assert out.startswith(f"get 'photos' -> '{local}': 2 files, 50 B in "), out
    assert out.rstrip().endswith("; 2 already there"), out
    assert (local / "a.jpg").stat().st_ino == kept
    assert tree(local) == tree(photos)


def test_put_r_then_get_r_reproduces_the_tree_byte_for_byte_with_mtimes(addr, library, tmp_path, downloads):
    source = tmp_path / "album"
    write(source / "one.bin", os.urandom(3_000_000), MTIME + 0.5)  # larger than a pipelined small file
    write(source / "two.txt", b"two", MTIME - 86400)
    write(source / "empty.txt", b"", MTIME + 7)
    write(source / "deep" / "er" / "three.bin", os.urandom(70_000), MTIME + 3)
    (source / "nothing").mkdir()
    out = ok(run_client(addr, "put", "-r", str(source), "--to", "backups/2026"))
    assert out.startswith(f"put '{source}' -> 'backups/2026/album': 4 files, ")
    ok(run_client(addr, "get", "-r", "backups/2026/album", "-o", str(downloads)))
    assert tree(downloads / "album") == tree(source)
    assert tree(library / "backups" / "2026" / "album") == tree(source)


def test_a_tree_with_failures_exits_1_and_names_each_failed_file(addr, library, tmp_path):
    source = tmp_path / "box"
    write(source / "good.txt", b"good")
    write(source / "taken.txt", b"mine")
    write(source / ".hidden", b"h")
    write(library / "box" / "taken.txt", b"theirs")
    result = run_client(addr, "put", "-r", str(source))
    fails(
        result,
        "error: bad_name: 'box/.hidden': not sent: name starts with '.'",
        "error: exists: 'box/taken.txt': 'box/taken.txt' already exists",
    )
    assert result.stdout.startswith(f"put '{source}' -> 'box': 1 file, 4 B in ") and result.stdout.endswith("; 2 failed\n")
    assert (library / "box" / "taken.txt").read_bytes() == b"theirs"
    ok(run_client(addr, "put", "-r", "--overwrite", str(source / "taken.txt"), str(source / "good.txt"), "--to", "box"))
    assert (library / "box" / "taken.txt").read_bytes() == b"mine"


def test_put_of_a_folder_needs_r(addr, library, tmp_path):
    folder = tmp_path / "dir"
    folder.mkdir()
    fails(run_client(addr, "put", str(folder)), f"error: local_io: cannot upload '{folder}': it is a folder (add -r to upload it)")


def test_put_to_a_folder_makes_it(addr, library, tmp_path):
    source = write(tmp_path / "a.txt", b"a")
    ok(run_client(addr, "put", str(source), "--to", "/x/y"))
    assert tree(library) == {"x": None, "x/y": None, "x/y/a.txt": (b"a", MTIME)}


# -- resume --------------------------------------------------------------------------


def test_an_interrupted_get_c_continues_where_it_stopped(server, library, downloads):
    data = os.urandom(1_000_000)
    write(library / "big.bin", data)
    # Each connection passes 600,000 bytes: the first get is cut, and only a
    # continued one (400,000 bytes to go) can finish; a new one would be cut again.
    # One relay for both: resume records are kept per server address.
    with CuttingRelay(server.address, downstream_limit=600_000) as relay:
        first = run_client(relay.address, "get", "-c", "big.bin", "-o", str(downloads))
        assert first.returncode == 1 and "connection_lost" in first.stderr
        assert not (downloads / "big.bin").exists()
        ok(run_client(relay.address, "get", "-c", "big.bin", "-o", str(downloads)))
    assert (downloads / "big.bin").read_bytes() == data
    assert (downloads / "big.bin").stat().st_mtime == MTIME
    assert [p.name for p in downloads.iterdir()] == ["big.bin"]  # no temp file left


def test_an_interrupted_put_continues_when_run_again(server, library, tmp_path):
    data = os.urandom(2_000_000)
    source = write(tmp_path / "big.bin", data)
    # As for get -c: 1,200,000 bytes a connection, so only a continued upload finishes.
    with CuttingRelay(server.address, upstream_limit=1_200_000) as relay:
        first = run_client(relay.address, "put", str(source))
        assert first.returncode == 1 and "connection_lost" in first.stderr
        assert not (library / "big.bin").exists()
        assert wait_for(lambda: released(library))  # the server has seen the cut
        ok(run_client(relay.address, "put", str(source)))
    assert (library / "big.bin").read_bytes() == data
    assert (library / "big.bin").stat().st_mtime == MTIME


def released(library: Path) -> bool:
    """The server holds one interrupted upload, and no session holds it any more."""
    folder = library / ".ferry-uploads" / "resume"
    partials = list(folder.iterdir()) if folder.exists() else []
    for path in partials:
        with open(path, "rb") as held:
            try:
                fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return False
            fcntl.flock(held, fcntl.LOCK_UN)
    return len(partials) == 1


# -- --json and --quiet --------------------------------------------------------------


def test_json_on_every_command(addr, photos, library, downloads, tmp_path):
    source = write(tmp_path / "up.txt", b"up")
    assert records(ok(run_client(addr, "--json", "mkdir", "new"))) == [{"op": "mkdir", "path": "new", "ok": True}]
    [put] = records(ok(run_client(addr, "put", str(source), "--to", "new", "--json")))
    assert put == {
        "op": "put",
        "path": "new/up.txt",
        "local": str(source),
        "size": 2,
        "sha256": hashlib.sha256(b"up").hexdigest(),
        "ok": True,
    }
    assert records(ok(run_client(addr, "get", "--json", "new/up.txt", "-o", str(downloads)))) == [
        {"op": "get", "path": "new/up.txt", "local": str(downloads / "up.txt"), "ok": True}
    ]
    [folder] = records(ok(run_client(addr, "get", "--json", "-r", "photos", "-o", str(downloads))))
    assert folder == {
        "op": "get",
        "path": "photos",
        "local": str(downloads / "photos"),
        "files": 4,
        "bytes": 65,
        "failed": 0,
        "present": 0,
        "ok": True,
    }
    assert records(ok(run_client(addr, "mv", "--json", "new/up.txt", "new/down.txt"))) == [
        {"op": "mv", "path": "new/up.txt", "to": "new/down.txt", "ok": True}
    ]
    assert records(ok(run_client(addr, "rm", "--json", "-r", "new"))) == [{"op": "rm", "path": "new", "ok": True}]


def test_json_failures_are_records_too(addr, photos, downloads):
    result = run_client(addr, "get", "--json", "nope.txt", "*.png", "top.txt", "-o", str(downloads))
    assert result.returncode == 1
    assert records(result.stdout) == [
        {"op": "get", "path": "*.png", "ok": False, "error": "not_found", "message": "nothing matches '*.png'"},
        {"op": "get", "path": "nope.txt", "ok": False, "error": "not_found", "message": "no file named 'nope.txt'"},
        {"op": "get", "path": "top.txt", "local": str(downloads / "top.txt"), "ok": True},
    ]
    assert result.stderr.splitlines() == ["error: not_found: nothing matches '*.png'", "error: not_found: no file named 'nope.txt'"]


def test_quiet_leaves_out_the_summary(addr, photos, downloads):
    assert ok(run_client(addr, "-q", "get", "-r", "photos", "-o", str(downloads))) == ""
    assert len(tree(downloads / "photos")) == 6


# -- a terminal, Ctrl+C --------------------------------------------------------------


def test_a_tree_shows_one_progress_line_for_all_its_files(addr, photos, downloads):
    write(photos / "big.bin", os.urandom(3_000_000))
    with PtyClient(addr, "get", "-r", "photos", "-o", str(downloads), columns=100) as client:
        assert client.wait() == 0
    frames = client.output.replace("\r\n", "\n").split("\n")
    bars = [frame.rsplit("\r", 1)[-1] for frame in frames if "files" in frame and "[" in frame]
    assert len(bars) == 1, frames  # one line, redrawn in place, for the whole tree
    assert bars[0].startswith("photos  [") and "] 100%  5/5 files  2.9 MiB" in bars[0]
    assert f"get 'photos' -> '{downloads / 'photos'}': 5 files, 2.9 MiB in " in client.output


def test_quiet_and_a_pipe_draw_no_progress(addr, photos, downloads):
    with PtyClient(addr, "-q", "get", "-r", "photos", "-o", str(downloads)) as client:
        assert client.wait() == 0
    assert client.output == ""


def test_ctrl_c_in_the_middle_of_a_tree_exits_130(server, photos, downloads):
    write(photos / "big.bin", os.urandom(2_000_000))
    with CuttingRelay(server.address, downstream_limit=300_000, hold=True) as relay:
        proc, stdout, stderr = interrupt_when_flowing(relay, "get", "-r", "photos", "-o", str(downloads))
    assert (proc.returncode, stdout, stderr) == (130, "", "error: interrupted: stopped by Ctrl+C\n")
    leftovers = [p.name for p in (downloads / "photos").rglob("*") if p.name.endswith(".part")]
    assert leftovers == []


# -- shell completion ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("shell", "marker"), [("bash", "complete -o"), ("zsh", "#compdef run_client.py"), ("fish", "complete -c run_client.py")]
)
def test_print_completion_for_each_shell(shell, marker):
    # With site-packages: shtab is a pinned dependency, not part of the bare client.
    result = subprocess.run(
        [sys.executable, str(REPO / "run_client.py"), "--print-completion", shell],
        capture_output=True, text=True, timeout=30, env=client_env(),
    )  # fmt: skip
    assert (result.returncode, result.stderr) == (0, ""), result
    assert marker in result.stdout
    for word in ("mkdir", "recursive", "overwrite", "print-completion"):
        assert word in result.stdout


def test_bash_completion_completes_the_commands(tmp_path):
    script = subprocess.run(
        [sys.executable, str(REPO / "run_client.py"), "--print-completion", "bash"], capture_output=True, text=True, timeout=30
    ).stdout
    (tmp_path / "completion.bash").write_text(script)
    probe = f"""
source {tmp_path / "completion.bash"}
COMP_WORDS=(run_client.py 127.0.0.1 m); COMP_CWORD=2; COMP_LINE="run_client.py 127.0.0.1 m"; COMP_POINT=${{#COMP_LINE}}
$(complete -p run_client.py | sed -E 's/.*-F ([^ ]+).*/\\1/') run_client.py m 127.0.0.1
printf '%s\\n' "${{COMPREPLY[@]}}"
"""
    result = subprocess.run(["bash", "-c", probe], capture_output=True, text=True, timeout=30)
    assert set(result.stdout.split()) >= {"mkdir", "mv"}, result


def test_print_completion_without_shtab_says_what_to_install():
    result = run_client("--print-completion", "bash")  # python -S: no site-packages, so no shtab
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == "error: unavailable: shell completion needs shtab: pip install 'shtab==1.13.0'\n"
