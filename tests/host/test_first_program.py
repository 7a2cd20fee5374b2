"""README "Your first program": examples/first/hello.{c,rs,zig,ts}, one per language. Each
greets $NAME, echoes its arguments, writes /data/hello.txt in the preopened directory and reads
it back, and exits with the number of its arguments. The committed .wasm files run on both
runtimes with no compiler; where a toolchain is installed (tools/install_toolchains.sh) the
program is rebuilt from source with exactly the README's command and run the same way."""
import glob
import os
import shutil
import subprocess
import sys

import pytest

from test_wasi_guest import REPO, run_cli

FIRST = os.path.join(REPO, "examples", "first")
INSTALL = "tools/install_toolchains.sh"

# language -> (source, module, build command run in examples/first/). The README and
# examples/build.sh show these exact lines (test_commands_are_shown_verbatim).
BUILDS = {
    "C": ("hello.c", "hello_c.wasm",
          "clang --target=wasm32-wasi --sysroot=/usr -O2 -s -o hello_c.wasm hello.c"),
    "Rust": ("hello.rs", "hello_rust.wasm",
             "rustc --target wasm32-wasi -O -C strip=symbols -o hello_rust.wasm hello.rs"),
    "Zig": ("hello.zig", "hello_zig.wasm",
            "python3 -m ziglang build-exe hello.zig -target wasm32-wasi -O ReleaseSmall"
            " --stack 65536 -femit-bin=hello_zig.wasm"),
    "AssemblyScript": ("hello.ts", "hello_as.wasm",
                       "npx asc hello.ts --config"
                       " ./node_modules/@assemblyscript/wasi-shim/asconfig.json -O"
                       " -o hello_as.wasm"),
}
LANGUAGES = sorted(BUILDS)
RUNTIMES = ["cpython", "micropython"]
ARGS = ["first", "second", "third"]


def _path(first_dir=None):
    dirs = os.environ["PATH"].split(os.pathsep)
    return os.pathsep.join(([first_dir] if first_dir else []) + dirs)


def _c_toolchain():
    """-> (PATH for the build, None) or (None, why it is skipped)."""
    clang = shutil.which("clang")
    if clang is None or not os.path.exists("/usr/include/wasm32-wasi/stdio.h"):
        return None, "clang with wasi-libc not installed"
    rt = subprocess.run([clang, "--target=wasm32-wasi", "-print-libgcc-file-name"],
                        stdout=subprocess.PIPE).stdout.decode().strip()
    if not os.path.exists(rt):
        return None, "clang's wasm32 builtins (libclang-rt-dev-wasm32) not installed"
    return _path(), None


def _rust_toolchain():
    # The first rustc on PATH may be rustup's without the target: use one that has it.
    for d in os.environ["PATH"].split(os.pathsep):
        rustc = os.path.join(d, "rustc")
        if not os.access(rustc, os.X_OK):
            continue
        p = subprocess.run([rustc, "--print", "sysroot"], stdout=subprocess.PIPE)
        root = p.stdout.decode().strip()
        if p.returncode == 0 and os.path.isdir(os.path.join(root, "lib", "rustlib",
                                                            "wasm32-wasi")):
            return _path(d), None
    return None, ("no rustc with the wasm32-wasi std (Debian: libstd-rust-dev-wasm32; "
                  "rustc 1.84+ names the target wasm32-wasip1)")


def _zig_toolchain():
    # `python3` in the command must be this Python, where ziglang is installed.
    bindir = os.path.dirname(sys.executable)
    p = subprocess.run([os.path.join(bindir, "python3"), "-c", "import ziglang"],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if p.returncode != 0:
        return None, "ziglang (PyPI) not installed next to %s" % sys.executable
    return _path(bindir), None


def _as_toolchain():
    modules = os.path.join(FIRST, "node_modules")
    if shutil.which("npx") is None or not os.path.isdir(
            os.path.join(modules, "@assemblyscript", "wasi-shim")):
        return None, "assemblyscript and its WASI shim not in examples/first/node_modules"
    return _path(), None


TOOLCHAINS = {"C": _c_toolchain, "Rust": _rust_toolchain, "Zig": _zig_toolchain,
              "AssemblyScript": _as_toolchain}


def _check_run(language, wasm, runtime, tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    # A longer stale file: the program must replace it, not write over its start.
    (data / "hello.txt").write_text("a stale greeting, longer than the new one\n")
    for env, name, args in ((["--env", "NAME=world"], "world", ARGS), ([], "stranger", [])):
        rc, out, err = run_cli(runtime, ["--dir", str(data) + "::/data"] + env + [wasm] + args)
        assert (out, err, rc) == ("hello %s from %s, args:%s\n/data/hello.txt: hello %s\n" % (
            name, language, "".join(" " + a for a in args), name), "", len(args))
        assert os.listdir(str(data)) == ["hello.txt"]
        assert (data / "hello.txt").read_text() == "hello %s\n" % name


@pytest.mark.parametrize("runtime", RUNTIMES)
@pytest.mark.parametrize("language", LANGUAGES)
def test_committed_module_runs(language, runtime, tmp_path):
    _check_run(language, os.path.join(FIRST, BUILDS[language][1]), runtime, tmp_path)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """language -> the module built from source with its README command, or a skip reason."""
    cache = {}

    def build(language):
        if language not in cache:
            source, module, command = BUILDS[language]
            path, why = TOOLCHAINS[language]()
            if path is None:
                cache[language] = "%s: %s" % (why, INSTALL)
                return cache[language]
            work = tmp_path_factory.mktemp(module.split(".")[0])
            shutil.copy(os.path.join(FIRST, source), str(work))
            if language == "AssemblyScript":
                os.symlink(os.path.join(FIRST, "node_modules"), str(work / "node_modules"))
            p = subprocess.run(command, shell=True, cwd=str(work), stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, env=dict(os.environ, PATH=path))
            assert p.returncode == 0, p.stdout.decode()
            cache[language] = str(work / module)
        return cache[language]
    return build


@pytest.mark.parametrize("runtime", RUNTIMES)
@pytest.mark.parametrize("language", LANGUAGES)
def test_readme_build_runs(language, runtime, built, tmp_path):
    wasm = built(language)
    if not wasm.endswith(".wasm"):
        pytest.skip(wasm)
    _check_run(language, wasm, runtime, tmp_path)


def test_every_example_is_tested():
    sources = sorted(os.path.basename(p) for p in glob.glob(os.path.join(FIRST, "hello.*"))
                     if not p.endswith(".wasm"))
    assert sources == sorted(b[0] for b in BUILDS.values())


@pytest.mark.parametrize("doc", ["README.md", "examples/build.sh"])
def test_commands_are_shown_verbatim(doc):
    with open(os.path.join(REPO, doc)) as f:
        lines = [l.strip() for l in f.read().splitlines()]
    missing = [b[2] for b in BUILDS.values() if b[2] not in lines]
    assert missing == [], "%s lacks these build lines" % doc
