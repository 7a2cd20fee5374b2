#!/usr/bin/env python3
"""Run the official WASI testsuite programs through the wasi_micro CLI (host CPython script).

    tests/wasi_testsuite.py [--runtime cpython|micropython] [--tier off|auto|all] [--heap SIZE]
                            [--timeout S] [--jobs N] [DIR...]

DIR defaults to the suite's c/ and assemblyscript/ folders under the shared data
(WASI_MICRO_SHARED, else ../shared). Each NAME.wasm runs as a subprocess with the settings of
NAME.json (args, env, root preopened as "/" on a fresh scratch copy, exit_code, stdout,
stderr), with empty stdin and exactly the given environment; --tier is the CLI's (the native
tier). Prints each failure and a last
line "wasi-testsuite: P passed, F failed"; exit status 1 if F > 0.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def shared_dir():
    return os.environ.get("WASI_MICRO_SHARED") or os.path.join(REPO, "..", "shared")


def default_dirs():
    base = os.path.join(shared_dir(), "wasi-testsuite")
    return [os.path.join(base, "c"), os.path.join(base, "assemblyscript")]


def cli_command(runtime, heap, tier="off"):
    """The interpreter command line and environment that run `-m wasi_micro`."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    run = ["-m", "wasi_micro", "run", "--tier", tier]
    if runtime == "micropython":
        env["MICROPYPATH"] = REPO
        return ["micropython", "-X", "heapsize=%s" % heap] + run, env
    env["PYTHONPATH"] = REPO
    return [sys.executable] + run, env


def _remove_cleanup(root):
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            if name.endswith(".cleanup"):
                p = os.path.join(dirpath, name)
                if os.path.isdir(p) and not os.path.islink(p):
                    shutil.rmtree(p)
                else:
                    os.remove(p)


def run_one(wasm, runtime="cpython", heap="256M", timeout=600, tier="off"):
    """Run one test program; returns a list of failure messages (empty when it passed)."""
    spec = {}
    js = wasm[:-5] + ".json"
    if os.path.exists(js):
        with open(js) as f:
            spec = json.load(f)
    cmd, env = cli_command(runtime, heap, tier)
    with tempfile.TemporaryDirectory(prefix="wasi-ts-") as scratch:
        root = spec.get("root")
        if root is not None:
            copy = os.path.join(scratch, os.path.basename(root.rstrip("/")) or "root")
            shutil.copytree(os.path.join(os.path.dirname(wasm), root), copy, symlinks=True)
            _remove_cleanup(copy)
            cmd += ["--dir", copy + "::/"]
        for k, v in spec.get("env", {}).items():
            cmd += ["--env", "%s=%s" % (k, v)]
        cmd += [wasm] + list(spec.get("args", []))
        try:
            p = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, env=env, cwd=scratch, timeout=timeout)
        except subprocess.TimeoutExpired:
            return ["timed out after %d s" % timeout]
    out = p.stdout.decode("utf-8", "replace")
    err = p.stderr.decode("utf-8", "replace")
    fails = []
    want = spec.get("exit_code", 0)
    if p.returncode != want:
        fails.append("exit code %d, expected %d" % (p.returncode, want))
    for key, got in (("stdout", out), ("stderr", err)):
        if key in spec and got != spec[key]:
            fails.append("%s %r, expected %r" % (key, got[:200], spec[key]))
    if fails and err:
        fails.append("stderr: " + err.strip()[-400:])
    return fails


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    runtime, tier, heap, timeout, jobs, dirs = "cpython", "off", "256M", 600, 2, []
    while argv:
        a = argv.pop(0)
        if a in ("--runtime", "--tier", "--heap", "--timeout", "--jobs") and argv:
            v = argv.pop(0)
            if a == "--runtime":
                runtime = v
            elif a == "--tier":
                tier = v
            elif a == "--heap":
                heap = v
            elif a == "--timeout":
                timeout = int(v)
            else:
                jobs = int(v)
        elif a.startswith("-"):
            print("usage: %s [--runtime cpython|micropython] [--tier off|auto|all] [--heap SIZE] "
                  "[--timeout S] [--jobs N] [DIR...]" % sys.argv[0], file=sys.stderr)
            return 2
        else:
            dirs.append(a)
    if runtime not in ("cpython", "micropython"):
        print("unknown runtime %r" % runtime, file=sys.stderr)
        return 2
    tests = []
    for d in dirs or default_dirs():
        if not os.path.isdir(d):
            print("no such test folder: %s" % d, file=sys.stderr)
            return 2
        tests += sorted(os.path.join(d, f) for f in os.listdir(d) if f.endswith(".wasm"))
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        results = list(pool.map(lambda t: run_one(t, runtime, heap, timeout, tier), tests))
    failed = 0
    for t, fails in zip(tests, results):
        if fails:
            failed += 1
            name = os.path.join(os.path.basename(os.path.dirname(t)), os.path.basename(t))
            print("FAIL %s (%s, tier %s): %s" % (name, runtime, tier, "; ".join(fails)))
    print("wasi-testsuite: %d passed, %d failed" % (len(tests) - failed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
