"""Adversarial capability tests: every escape attempt from a preopened directory we could think
of, against host symlinks pointing outside, `..` games, absolute paths, trailing slashes, forged
and closed descriptors. An attempt is an escape if it succeeds, or if anything outside the
sandbox changed. The count of escapes must be zero.

Runs the WASI handlers directly (CPython, with real symlinks), and the C guest
tests/wasm/wasi_escape.wasm through the CLI under CPython and MicroPython (whose os module has no
lstat/readlink: host symlinks must still be seen and refused).
"""
import os
import shutil
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
TESTS = os.path.dirname(HERE)
REPO = os.path.dirname(TESTS)
sys.path.insert(0, TESTS)

from test_wasi_helpers import Guest  # noqa: E402

CREAT, DIRECTORY, EXCL, TRUNC = 1, 2, 4, 8
SECRET = b"top secret"


def make_world(tmp):
    """tmp/outside (secret, an empty dir) and tmp/root/sandbox (the preopen) with traps."""
    out = tmp / "outside"
    out.mkdir()
    (out / "secret.txt").write_bytes(SECRET)
    (out / "emptydir").mkdir()
    box = tmp / "root" / "sandbox"
    box.mkdir(parents=True)
    (box / "file").write_bytes(b"inside")
    (box / "sub").mkdir()
    (box / "sub" / "deeper").mkdir()
    links = {
        "up": "..",
        "upslash": "../",
        "abs": str(out / "secret.txt"),
        "absdir": str(out),
        "absroot": "/",
        "rel_out": "../../outside/secret.txt",
        "deep": "sub/../../../outside",
        "sub/uplink": "../../..",
        "sub/deeper/up3": "../../../../outside/secret.txt",
        "chain1": "chain2",
        "chain2": "chain3",
        "chain3": "../../outside",
        "dang": "../../outside/created_by_guest",
        "loop1": "loop2",
        "loop2": "loop1",
        "self": "self",
        "inside_ok": "sub/deeper",
        "tricky": "sub/deeper/../../../../outside/secret.txt",
        "dotdot_dir": "sub/..",
    }
    for name, target in links.items():
        os.symlink(target, str(box / name))
    return box, out


def snapshot(path):
    """Everything outside the sandbox that an escape could change."""
    state = {}
    for dirpath, dirnames, filenames in os.walk(str(path)):
        for n in dirnames + filenames:
            p = os.path.join(dirpath, n)
            st = os.lstat(p)
            data = open(p, "rb").read() if os.path.isfile(p) else None
            state[p] = (st.st_mode, st.st_size, st.st_mtime_ns, data)
    return state


def attempts(g):
    """[(description, errno)] for each attempt; 0 means it succeeded."""
    res = []

    def open_(desc, path, oflags=0, dirfd=3, follow=1):
        r, fd = g.open(path, oflags, dirfd=dirfd, follow=follow)
        if r == 0 and fd is not None:
            # a successful open must not read the secret
            rr, data = g.read(fd, 100)
            if rr == 0 and SECRET in data:
                r = 0
            else:
                r = -1  # opened something harmless inside: not an escape
        res.append((desc, r))

    open_("dotdot", "../../outside/secret.txt")
    open_("single dotdot", "../file")
    open_("absolute", "/etc/passwd")
    open_("absolute secret", "/" + "outside/secret.txt")
    open_("dotdot after subdir", "sub/../../outside/secret.txt")
    open_("dot dotdot", "./../outside/secret.txt")
    open_("double slash dotdot", "sub//..//..//outside/secret.txt")
    open_("absolute symlink", "abs")
    open_("absolute dir symlink", "absdir/secret.txt")
    open_("symlink to /", "absroot/etc/passwd")
    open_("relative symlink out", "rel_out")
    open_("symlink up", "up/../outside/secret.txt")
    open_("symlink up with slash", "upslash/outside/secret.txt")
    open_("symlink with dotdot inside", "deep/secret.txt")
    open_("nested uplink", "sub/uplink/outside/secret.txt")
    open_("deep uplink", "sub/deeper/up3")
    open_("chain of symlinks", "chain1/secret.txt")
    open_("tricky lexical", "tricky")
    open_("symlink then dotdot", "inside_ok/../../../outside/secret.txt")
    open_("create through dangling link", "dang", CREAT)
    open_("create outside", "../../outside/new", CREAT)
    open_("create excl outside", "../../outside/new2", CREAT | EXCL)
    open_("truncate secret", "../../outside/secret.txt", TRUNC)
    open_("open dir up", "up", DIRECTORY)
    open_("symlink loop", "loop1")
    open_("self loop", "self")
    open_("nofollow abs link", "abs", follow=0)
    open_("forged dirfd", "file", dirfd=77)
    open_("stdout as dirfd", "file", dirfd=1)
    open_("NUL in path", "file\0/../../../outside/secret.txt")
    open_("dotdot_dir then out", "dotdot_dir/../../outside/secret.txt")
    # a subdirectory descriptor is a sandbox of its own
    r, sub = g.open("sub", DIRECTORY)
    open_("subdir fd dotdot", "../file", dirfd=sub)
    open_("subdir fd far dotdot", "../../../outside/secret.txt", dirfd=sub)
    open_("subdir fd uplink", "uplink/outside/secret.txt", dirfd=sub)
    g.call("fd_close", sub)
    open_("closed subdir fd", "deeper", dirfd=sub)

    def stat_(desc, path, follow=1):
        res.append((desc, g.filestat(3, path, follow)[0]))

    stat_("stat dotdot", "../../outside/secret.txt")
    stat_("stat abs link", "abs")
    stat_("stat through link", "absdir/secret.txt")

    def path_(desc, name, path, *rest):
        res.append((desc, g.path(name, 3, path, *rest)))

    path_("mkdir outside", "path_create_directory", "../../outside/newdir")
    path_("mkdir through link", "path_create_directory", "absdir/newdir")
    path_("mkdir through up", "path_create_directory", "up/newdir")
    path_("rmdir outside", "path_remove_directory", "../../outside/emptydir")
    path_("rmdir through link", "path_remove_directory", "absdir/emptydir")
    path_("unlink outside", "path_unlink_file", "../../outside/secret.txt")
    path_("unlink through link", "path_unlink_file", "absdir/secret.txt")
    path_("unlink through chain", "path_unlink_file", "chain1/secret.txt")
    path_("set times outside", "path_filestat_set_times", "absdir/secret.txt", 0, 0, 10)

    def two(desc, name, a, b, flags=None):
        pa, na = g.put(a)
        pb, nb = g.put(b)
        if name == "path_link":
            r = g.call(name, 3, flags, pa, na, 3, pb, nb)
        else:
            r = g.call(name, 3, pa, na, 3, pb, nb)
        res.append((desc, r))

    two("rename out", "path_rename", "file", "../../outside/moved")
    two("rename in", "path_rename", "../../outside/secret.txt", "stolen")
    two("rename through link", "path_rename", "absdir/secret.txt", "stolen2")
    two("rename into link dir", "path_rename", "file", "absdir/moved")
    two("hard link outside file", "path_link", "../../outside/secret.txt", "hard", 0)
    two("hard link via abs link followed", "path_link", "abs", "hard2", 1)
    two("hard link via rel link followed", "path_link", "rel_out", "hard3", 1)
    two("hard link into outside", "path_link", "file", "absdir/planted", 0)

    # symlinks the guest makes itself
    for i, target in enumerate(("../../outside/secret.txt", "/etc/passwd", str(
            "../" * 10) + "etc/passwd", "up/../outside/secret.txt")):
        name = "guest_link%d" % i
        pt, nt = g.put(target)
        pl, nl = g.put(name)
        g.call("path_symlink", pt, nt, 3, pl, nl)
        open_("guest symlink %r" % target, name)
    pt, nt = g.put("x")
    pl, nl = g.put("absdir/planted_link")
    res.append(("symlink planted outside", g.call("path_symlink", pt, nt, 3, pl, nl)))

    # readdir of a forged or closed fd, renumber onto a forged fd
    p, used = g.alloc(256), g.alloc(4)
    res.append(("readdir forged fd", g.call("fd_readdir", 99, p, 256, 0, used)))
    res.append(("renumber to forged fd", g.call("fd_renumber", 3, 4096)))
    return res


def test_no_escapes_direct(tmp_path):
    box, out = make_world(tmp_path)
    before = snapshot(tmp_path / "outside")
    g = Guest(preopens=[(str(box), "/")])
    res = attempts(g)
    assert len(res) >= 30
    escapes = [(d, r) for d, r in res if r == 0]
    assert escapes == []
    assert snapshot(tmp_path / "outside") == before
    assert sorted(os.listdir(str(tmp_path))) == ["outside", "root"]
    # spot-check the errnos: escapes are EPERM as in wasmtime, loops ELOOP, bad fds EBADF
    errs = dict(res)
    assert errs["dotdot"] == 63 and errs["absolute"] == 63 and errs["absolute symlink"] == 63
    assert errs["symlink loop"] == 32 and errs["forged dirfd"] == 8
    assert errs["closed subdir fd"] == 8 and errs["subdir fd dotdot"] == 63


def _wasm(name):
    p = os.path.join(TESTS, "wasm", name)
    if not os.path.exists(p):
        pytest.skip("%s not built (tests/wasm/build.sh)" % name)
    return p


@pytest.mark.parametrize("runtime", ["cpython", "micropython"])
def test_no_escapes_guest(tmp_path, runtime):
    if runtime == "micropython" and shutil.which("micropython") is None:
        pytest.skip("micropython not installed")
    wasm = _wasm("wasi_escape.wasm")
    box, out = make_world(tmp_path)
    before = snapshot(tmp_path / "outside")
    if runtime == "micropython":
        cmd = ["micropython", "-X", "heapsize=64M", "-m", "wasi_micro"]
        env = {"MICROPYPATH": REPO, "PATH": os.environ["PATH"]}
    else:
        cmd = [sys.executable, "-m", "wasi_micro"]
        env = {"PYTHONPATH": REPO, "PATH": os.environ["PATH"]}
    p = subprocess.run(cmd + ["run", "--dir", str(box) + "::/", wasm], env=env,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=600)
    text = p.stdout.decode()
    assert p.returncode == 0, (text, p.stderr.decode())
    lines = text.splitlines()
    assert lines[-1].startswith("attempts: ")
    n = int(lines[-1].split()[1].rstrip(","))
    assert n >= 30
    assert "ESCAPED" not in text and lines[-1] == "attempts: %d, escapes: 0" % n
    assert snapshot(tmp_path / "outside") == before
