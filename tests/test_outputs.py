"""Every output written exactly as asked: atomically for files (mode from the umask or the old
file, symlinks followed), directly for devices and FIFOs, never replacing either; refused before
any work when it cannot be; no temporary file left by a signal; one line for a full disk or a
closed stream, and a filter's silence for a closed pipe."""

from __future__ import annotations

import os
import signal
import socket
import stat
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest
from typer.testing import CliRunner

from boundcalc.cli import app
from boundcalc.outputs import PARTIAL_SUFFIX, open_output, resolve_target, write_output

runner = CliRunner()
ROOT = Path(__file__).resolve().parents[1]
COVERAGE = ["coverage", "--classes", "10", "--k", "31"]


def run(*args: str):
    return runner.invoke(app, list(args))


def cli(*args: str, **kw):
    """The command line in a fresh interpreter (signals, file descriptors and users are real there)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    if "stdout" not in kw:
        kw["capture_output"] = True
    return subprocess.run([sys.executable, "-m", "boundcalc", *args], text=True, timeout=120, env=env, **kw)


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(PARTIAL_SUFFIX))


# ------------------------------------------------------------------ refused before any work
def test_unknown_suffix_is_refused_before_any_work(tmp_path, monkeypatch):
    import boundcalc.reports

    def boom(*a, **k):
        raise AssertionError("the work started before the output was checked")

    monkeypatch.setattr(boundcalc.reports, "coverage_report", boom)
    res = run(*COVERAGE, "-o", str(tmp_path / "x.xlsx"))
    assert res.exit_code == 2
    assert "--output: x.xlsx: unknown suffix .xlsx; known: .json, .jsonl, .csv, .tsv, .md, .markdown, .tex, .txt" in res.output
    assert len(res.output.strip().splitlines()) == 1 and not any(tmp_path.iterdir())
    for bad, word in ((tmp_path, "is a folder"), (tmp_path / "no" / "x.csv", "does not exist")):
        res = run(*COVERAGE, "-o", str(bad))
        assert res.exit_code == 2 and word in res.output, res.output
    monkeypatch.undo()
    res = run(*COVERAGE, "-f", "csv", "-o", str(tmp_path / "x.xlsx"))  # --format says which: any name
    assert res.exit_code == 0 and (tmp_path / "x.xlsx").read_text().startswith("k,draws")


def test_unknown_figure_suffix_is_refused_before_matplotlib(tmp_path):
    code = textwrap.dedent("""
        import sys
        from typer.testing import CliRunner
        from boundcalc.cli import app
        res = CliRunner().invoke(app, ["plot", "bounds", "-c", "10", "--loss", "2", "--k", "31", "-o", "x.gif"])
        print(res.exit_code, res.output.strip())
        print("matplotlib" in sys.modules)
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, timeout=120,
                         env={**os.environ, "PYTHONPATH": str(ROOT)}).stdout.splitlines()
    assert out[0].startswith("2 ") and ".png, .svg, .pdf" in out[0]
    assert out[1] == "False"


# ------------------------------------------------------------------ modes and owners
@pytest.mark.parametrize("umask,mode", [(0o022, "-rw-r--r--"), (0o077, "-rw-------"), (0o002, "-rw-rw-r--")])
def test_new_files_get_the_mode_open_gives(tmp_path, umask, mode):
    out = tmp_path / "x.csv"
    res = cli(*COVERAGE, "-o", str(out), preexec_fn=lambda: os.umask(umask))
    assert res.returncode == 0, res.stderr
    assert stat.filemode(out.stat().st_mode) == mode
    plain = tmp_path / "plain"
    subprocess.run([sys.executable, "-c", f"open({str(plain)!r}, 'w')"], preexec_fn=lambda: os.umask(umask), check=True)
    assert out.stat().st_mode == plain.stat().st_mode  # what a plain open() gives


def test_existing_files_keep_their_mode_and_owner(tmp_path):
    out = tmp_path / "x.csv"
    out.write_text("old")
    out.chmod(0o640)
    owner = (out.stat().st_uid, out.stat().st_gid)
    if os.geteuid() == 0:  # root can give the file away, and the rewrite must give it back
        os.chown(out, 65534, 65534)
        owner = (65534, 65534)
    assert run(*COVERAGE, "-o", str(out)).exit_code == 0
    st = out.stat()
    assert stat.S_IMODE(st.st_mode) == 0o640 and (st.st_uid, st.st_gid) == owner
    assert out.read_text().startswith("k,draws")


# ------------------------------------------------------------------ symbolic links
def test_a_symlink_writes_its_target_next_to_the_target(tmp_path):
    there = tmp_path / "there"
    there.mkdir()
    target = there / "data.csv"
    target.write_text("old")
    link = tmp_path / "link.csv"
    link.symlink_to(target)
    res = run(*COVERAGE, "-o", str(link))
    assert res.exit_code == 0 and str(target) in res.output
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert target.read_text().startswith("k,draws") and link.read_text() == target.read_text()
    dangling = tmp_path / "new.csv"
    dangling.symlink_to(there / "made.csv")
    assert run(*COVERAGE, "-o", str(dangling)).exit_code == 0
    assert dangling.is_symlink() and (there / "made.csv").read_text().startswith("k,draws")
    assert sorted(p.name for p in there.iterdir()) == ["data.csv", "made.csv"]


def test_resolve_target_kinds(tmp_path):
    assert resolve_target("-").kind == "stdout"
    assert resolve_target(tmp_path / "a.csv").kind == "file"
    assert resolve_target("/dev/null").kind == "direct"
    with pytest.raises(ValueError, match="folder"):
        resolve_target(tmp_path)


# ------------------------------------------------------------------ devices, FIFOs, sockets
def test_devices_and_fifos_are_written_directly_never_replaced(tmp_path):
    res = run(*COVERAGE, "-o", "/dev/null")
    assert res.exit_code == 0 and "written directly" in res.output
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    got: list[str] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_text()))
    reader.start()
    res = run(*COVERAGE, "-o", str(fifo))
    reader.join(60)
    assert res.exit_code == 0 and got and got[0].startswith("k,draws")
    assert stat.S_ISFIFO(fifo.stat().st_mode)


def test_a_socket_is_refused(tmp_path):
    path = tmp_path / "s.csv"
    sock = socket.socket(socket.AF_UNIX)
    try:
        sock.bind(str(path))
        res = run(*COVERAGE, "-o", str(path))
        assert res.exit_code == 2 and "is a socket" in res.output
        assert stat.S_ISSOCK(path.stat().st_mode)
    finally:
        sock.close()


def test_long_names_fit_with_their_temporary_name(tmp_path):
    out = tmp_path / ("b" * 250 + ".csv")  # 254 bytes: the most a name may have, and the temporary one is longer
    res = run(*COVERAGE, "-o", str(out))
    assert res.exit_code == 0, res.output
    assert out.read_text().startswith("k,draws") and not leftovers(tmp_path)


# ------------------------------------------------------------------ standard streams
def test_dev_stdout_works_for_any_user():
    """click refused /dev/stdout when the pipe behind it was not readable by the user (it belongs to
    whoever made it); it is the process's own standard output, written as ``-`` is."""
    res = cli(*COVERAGE, "-f", "csv", "-o", "/dev/stdout")
    assert res.returncode == 0 and res.stdout.startswith("k,draws") and res.stderr == ""
    if os.geteuid() != 0:
        return
    try:
        other = cli(*COVERAGE, "-f", "csv", "-o", "/dev/stdout", cwd="/", preexec_fn=lambda: (os.setgid(65534), os.setuid(65534)))
    except PermissionError:
        pytest.skip("the interpreter is not reachable by another user here")
    if "Permission denied" in other.stderr and "boundcalc" not in other.stderr:
        pytest.skip("the project is not readable by another user here")
    assert other.returncode == 0, other.stderr
    assert other.stdout.startswith("k,draws")


@pytest.mark.parametrize("how", ["-o /dev/full", "> /dev/full", "closed stdout"])
def test_full_disk_and_closed_stdout_are_one_line(how):
    if not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full")
    if how == "-o /dev/full":
        res = cli(*COVERAGE, "-o", "/dev/full")
    elif how == "> /dev/full":
        with open("/dev/full", "w") as full:
            res = cli(*COVERAGE, stdout=full, stderr=subprocess.PIPE)
    else:
        res = cli(*COVERAGE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                  preexec_fn=lambda: os.close(1))
    assert res.returncode == 2
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:"), res.stderr
    assert ("No space left" in lines[0]) != (how == "closed stdout") and "Traceback" not in res.stderr
    assert ("--output" in lines[0]) == (how == "-o /dev/full")  # no option named that was not given


def test_a_closed_pipe_is_a_filters_silence():
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader (head) has gone
    try:
        res = cli("coverage", "--classes", "10", "--k", "0..2000", "-f", "csv", stdout=write_end, stderr=subprocess.PIPE)
    finally:
        os.close(write_end)
    assert res.returncode == 141 and res.stderr == ""


# ------------------------------------------------------------------ signals
_SLOW_WRITE = """
import sys, time
import boundcalc.outputs as o
real = o._fdopen
def slow(fd, binary):
    fh = real(fd, binary)
    write = fh.write
    def paced(data):
        write(data[: len(data) // 2]); fh.flush()
        sys.stderr.write("writing\\n"); sys.stderr.flush()
        time.sleep(60)
        return write(data[len(data) // 2:])
    fh.write = paced
    return fh
o._fdopen = slow
sys.argv = ["boundcalc", *sys.argv[1:]]
from boundcalc.cli import main
main()
"""


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP])
def test_a_signal_during_the_write_leaves_no_partial_file(tmp_path, sig):
    out = tmp_path / "out.csv"
    out.write_text("old")
    proc = subprocess.Popen([sys.executable, "-c", _SLOW_WRITE, *COVERAGE, "-o", str(out)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.stderr is not None
    assert proc.stderr.readline() == "writing\n"
    assert len(leftovers(tmp_path)) == 1  # the half-written temporary file, named for what it is
    proc.send_signal(sig)
    code = proc.wait(60)
    rest = proc.stderr.read()
    assert leftovers(tmp_path) == [] and out.read_text() == "old"
    if sig == signal.SIGINT:
        assert code == 130 and "Traceback" not in rest  # KeyboardInterrupt, as the command line reports it
    else:
        assert code == -sig  # the signal then takes its course


def test_the_library_removes_its_file_on_a_signal_and_keeps_callers_handlers(tmp_path):
    code = textwrap.dedent(f"""
        import os, signal, time
        from boundcalc.outputs import open_output
        seen = []
        signal.signal(signal.SIGTERM, lambda s, f: seen.append(s))
        try:
            with open_output({str(tmp_path / 'x.txt')!r}) as fh:
                fh.write("half")
                os.kill(os.getpid(), signal.SIGTERM)
                time.sleep(30)
        except OSError as exc:
            print(type(exc).__name__, exc)
        print(seen, signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL, sorted(os.listdir({str(tmp_path)!r})))
    """)
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                         env={**os.environ, "PYTHONPATH": str(ROOT)})
    lines = res.stdout.splitlines()
    assert lines[0].startswith("OutputError output:") and "not written" in lines[0]
    assert lines[1] == f"[{int(signal.SIGTERM)}] True []"  # the caller's handler ran, and is back in place


def test_stale_partial_files_are_removed_by_the_next_run(tmp_path):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = tmp_path / f".out.csv.{dead.pid}.0123abcd{PARTIAL_SUFFIX}"
    live = tmp_path / f".out.csv.{os.getpid()}.0123abcd{PARTIAL_SUFFIX}"
    other = tmp_path / f".other.csv.{dead.pid}.0123abcd{PARTIAL_SUFFIX}"
    for p in (stale, live, other):
        p.write_text("partial")
    assert run(*COVERAGE, "-o", str(tmp_path / "out.csv")).exit_code == 0
    assert not stale.exists() and live.exists() and other.exists()  # only this file's, only of a process gone


def test_library_writes_text_and_bytes(tmp_path):
    out = tmp_path / "t.bin"
    assert write_output(out, b"\x00\x01").kind == "file" and out.read_bytes() == b"\x00\x01"
    with pytest.raises(RuntimeError), open_output(out, binary=True) as fh:
        fh.write(b"new")
        raise RuntimeError("a failure half-way")
    assert out.read_bytes() == b"\x00\x01" and not leftovers(tmp_path)
    write_output(out, "υ_(K+1)")
    assert out.read_text(encoding="utf-8") == "υ_(K+1)"
