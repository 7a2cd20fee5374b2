// The Rust part of the official WASI testsuite (WebAssembly/wasi-testsuite tests/rust, the
// preview1 programs wasmtime's test-programs share), ported to C over the raw preview1 calls
// with the same assertions, one function per test. A test stops at its first failed assertion
// (as the Rust one panics) and prints `FAIL name: what (got errno N)`, else `ok name`; the run
// goes on with the next. Errnos are checked in the suite's Permissive mode (any listed one
// passes); NO_DANGLING_FILESYSTEM, NO_FD_ALLOCATE, NO_RENAME_DIR_TO_EMPTY_DIR and
// NO_FDFLAGS_SYNC_SUPPORT in the environment switch the suite's optional parts off.
// Usage: wasi_rust.wasm [TEST...] with the scratch directory preopened as `fs-tests.dir`.
// The scratch directory is opened once (as each Rust main does) and shared; the tests that
// close or renumber preopens or stdio run last.
// The test logic follows those programs (Apache License 2.0, the WASI testsuite's
// contributors: https://github.com/WebAssembly/wasi-testsuite); this C rendering is ours.
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wasi/api.h>

#define SCRATCH "fs-tests.dir"
#define CREAT __WASI_OFLAGS_CREAT
#define DIRECTORY __WASI_OFLAGS_DIRECTORY
#define FOLLOW __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW
#define R(x) __WASI_RIGHTS_##x
#define E(x) __WASI_ERRNO_##x
typedef __wasi_fd_t fd_t;

// path_open with an explicit length, for the path with a trailing NUL.
int32_t raw_path_open(int32_t fd, int32_t dirflags, int32_t path, int32_t path_len,
                      int32_t oflags, int64_t base, int64_t inheriting, int32_t fdflags,
                      int32_t out)
    __attribute__((import_module("wasi_snapshot_preview1"), import_name("path_open")));

static const char *T;    // the running test
static int bad;          // it failed
static fd_t out_fd = 1;  // where results go (stdio moves stdout)

static void say(const char *fmt, ...) {
    char b[300];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(b, sizeof b, fmt, ap);
    va_end(ap);
    __wasi_ciovec_t v = {(const uint8_t *)b, n < (int)sizeof b ? n : (int)sizeof b - 1};
    __wasi_size_t w;
    (void)__wasi_fd_write(out_fd, &v, 1, &w);
}

static void fail(const char *what, int e) {
    say("FAIL %s: %s (got errno %d)\n", T, what, e);
    bad = 1;
}

static int errno_in(int e, const int *list) {
    for (; *list >= 0; list++)
        if (e == *list)
            return 1;
    return 0;
}

static int cfg(const char *name) { return getenv(name) != NULL; }

// Rust's .expect(): the call must succeed.
#define CK(call, what)                                                                            \
    do {                                                                                          \
        int e_ = (call);                                                                          \
        if (e_) {                                                                                 \
            fail(what, e_);                                                                       \
            return;                                                                               \
        }                                                                                         \
    } while (0)
// assert_errno!(call.expect_err(), ...): the call must fail with one of the errnos.
#define ERR(call, what, ...)                                                                      \
    do {                                                                                          \
        int e_ = (call);                                                                          \
        if (!errno_in(e_, (const int[]){__VA_ARGS__, -1})) {                                      \
            fail(what, e_);                                                                       \
            return;                                                                               \
        }                                                                                         \
    } while (0)
// .expect_err() with any errno.
#define ANYERR(call, what)                                                                        \
    do {                                                                                          \
        if ((call) == 0) {                                                                        \
            fail(what, 0);                                                                        \
            return;                                                                               \
        }                                                                                         \
    } while (0)
#define TRUE(cond, what)                                                                          \
    do {                                                                                          \
        if (!(cond)) {                                                                            \
            fail(what, 0);                                                                        \
            return;                                                                               \
        }                                                                                         \
    } while (0)

static int open_(fd_t dir, int dirflags, const char *path, int oflags, __wasi_rights_t base,
                 __wasi_rights_t inh, int fdflags, fd_t *fd) {
    return __wasi_path_open(dir, dirflags, path, oflags, base, inh, fdflags, fd);
}

static int write_(fd_t fd, const void *buf, size_t len, __wasi_size_t *n) {
    __wasi_ciovec_t v = {buf, len};
    return __wasi_fd_write(fd, &v, 1, n);
}

static int read_(fd_t fd, void *buf, size_t len, __wasi_size_t *n) {
    __wasi_iovec_t v = {buf, len};
    return __wasi_fd_read(fd, &v, 1, n);
}

static int create_file(fd_t dir, const char *name) {
    fd_t fd;
    int e = open_(dir, 0, name, CREAT, 0, 0, 0, &fd);
    if (e)
        return e;
    return fd > 2 ? __wasi_fd_close(fd) : E(BADF);
}

static __wasi_fdstat_t fdstat(fd_t fd) {
    __wasi_fdstat_t st;
    memset(&st, 0, sizeof st);
    (void)__wasi_fd_fdstat_get(fd, &st);
    return st;
}

static int drop_rights(fd_t fd, __wasi_rights_t base, __wasi_rights_t inh) {
    __wasi_fdstat_t st = fdstat(fd);
    return __wasi_fd_fdstat_set_rights(fd, st.fs_rights_base & ~base,
                                       st.fs_rights_inheriting & ~inh);
}

// lib.rs: the first preopen named `path`, reopened with its own rights.
static fd_t open_scratch_directory(const char *path) {
    for (fd_t i = 3;; i++) {
        __wasi_prestat_t ps;
        if (__wasi_fd_prestat_get(i, &ps))
            return (fd_t)-1;
        if (ps.tag != __WASI_PREOPENTYPE_DIR)
            continue;
        char name[256];
        size_t n = ps.u.dir.pr_name_len;
        if (n >= sizeof name || __wasi_fd_prestat_dir_name(i, (uint8_t *)name, n))
            continue;
        if (n == strlen(path) && !memcmp(name, path, n)) {
            __wasi_fdstat_t st = fdstat(i);
            fd_t fd;
            if (open_(i, 0, ".", DIRECTORY, st.fs_rights_base, st.fs_rights_inheriting, 0, &fd))
                return (fd_t)-1;
            return fd;
        }
    }
}

// --- tests on the scratch directory itself ---

static void big_random_buf(fd_t dir) {
    (void)dir;
    uint8_t buf[1024] = {0};
    CK(__wasi_random_get(buf, sizeof buf), "failed to call random_get");
    int any = 0;
    for (size_t i = 0; i < sizeof buf; i++)
        any |= buf[i];
    TRUE(any, "random_get returned all zeros");
}

static void clock_time_get(fd_t dir) {
    (void)dir;
    __wasi_timestamp_t t0, t1;
    CK(__wasi_clock_time_get(__WASI_CLOCKID_MONOTONIC, 1, &t0), "precision 1 should work");
    CK(__wasi_clock_time_get(__WASI_CLOCKID_MONOTONIC, 0, &t0), "precision 0 should work");
    CK(__wasi_clock_time_get(__WASI_CLOCKID_MONOTONIC, 0, &t1), "re-fetch time should work");
    TRUE(t0 <= t1, "CLOCK_MONOTONIC should be monotonic");
}

static void sched_yield_(fd_t dir) {
    (void)dir;
    CK(__wasi_sched_yield(), "sched_yield");
}

static void dangling_fd(fd_t dir) {
    if (cfg("NO_DANGLING_FILESYSTEM"))
        return;
    const char *F = "dangling_fd_file.cleanup", *D = "dangling_fd_subdir.cleanup";
    fd_t fd, file_fd, sub;
    CK(open_(dir, 0, F, CREAT, 0, 0, 0, &fd), "create");
    CK(__wasi_fd_close(fd), "close");
    CK(open_(dir, 0, F, 0, 0, 0, 0, &file_fd), "failed to open");
    TRUE(file_fd > 2, "file descriptor range check");
    CK(__wasi_path_unlink_file(dir, F), "failed to unlink");
    CK(open_(dir, 0, F, CREAT, 0, 0, 0, &fd), "recreate");
    CK(__wasi_fd_close(fd), "close");
    CK(__wasi_path_create_directory(dir, D), "failed to create dir");
    CK(open_(dir, 0, D, DIRECTORY, 0, 0, 0, &sub), "failed to open dir");
    TRUE(sub > 2, "file descriptor range check");
    CK(__wasi_path_remove_directory(dir, D), "failed to remove dir 2");
    CK(__wasi_path_create_directory(dir, D), "failed to create dir 2");
}

static void dangling_symlink(fd_t dir) {
    if (cfg("NO_DANGLING_FILESYSTEM"))
        return;
    const char *S = "dangling_symlink_symlink.cleanup";
    fd_t fd;
    CK(__wasi_path_symlink("target", dir, S), "creating a symlink");
    ERR(open_(dir, 0, S, DIRECTORY, 0, 0, 0, &fd), "opening a dangling symlink as a directory",
        E(NOTDIR), E(LOOP));
    ERR(open_(dir, 0, S, 0, 0, 0, 0, &fd), "opening a dangling symlink as a file", E(LOOP));
    CK(__wasi_path_unlink_file(dir, S), "failed to remove file");
}

static void dir_fd_op_failures(fd_t dir) {
    __wasi_filestat_t st;
    CK(__wasi_fd_filestat_get(dir, &st), "failed to fdstat");
    TRUE(st.filetype == __WASI_FILETYPE_DIRECTORY, "filetype");
    fd_t pr = 3;
    __wasi_prestat_t ps;
    for (;; pr++) {
        CK(__wasi_fd_prestat_get(pr, &ps), "failed to find preopen directory");
        if (ps.tag == __WASI_PREOPENTYPE_DIR)
            break;
    }
    uint8_t name[300];
    ERR(__wasi_fd_prestat_dir_name(pr, name, 0), "fd_prestat_dir_name error", E(INVAL),
        E(NAMETOOLONG));
    CK(__wasi_fd_prestat_dir_name(pr, name, ps.u.dir.pr_name_len + 1), "larger buffer");
    uint8_t buf[128] = {0};
    __wasi_size_t n;
    __wasi_iovec_t iov = {buf, sizeof buf};
    __wasi_ciovec_t ciov = {buf, sizeof buf};
    __wasi_filesize_t off;
    ERR(read_(dir, buf, sizeof buf, &n), "fd_read error", E(ISDIR), E(BADF), E(NOTCAPABLE));
    ERR(__wasi_fd_pread(dir, &iov, 1, 0, &n), "fd_pread error", E(ISDIR), E(BADF),
        E(NOTCAPABLE));
    ERR(write_(dir, buf, sizeof buf, &n), "fd_write error", E(ISDIR), E(BADF), E(NOTCAPABLE));
    ERR(__wasi_fd_pwrite(dir, &ciov, 1, 0, &n), "fd_pwrite error", E(ISDIR), E(BADF),
        E(NOTCAPABLE));
    ERR(__wasi_fd_seek(dir, 0, __WASI_WHENCE_CUR, &off), "fd_seek WHENCE_CUR error", E(ISDIR),
        E(BADF), E(NOTCAPABLE));
    ERR(__wasi_fd_seek(dir, 0, __WASI_WHENCE_SET, &off), "fd_seek WHENCE_SET error", E(ISDIR),
        E(BADF), E(NOTCAPABLE));
    ERR(__wasi_fd_seek(dir, 0, __WASI_WHENCE_END, &off), "fd_seek WHENCE_END error", E(ISDIR),
        E(BADF), E(NOTCAPABLE));
    ERR(__wasi_fd_tell(dir, &off), "fd_tell error", E(ISDIR), E(BADF), E(NOTCAPABLE));
    ERR(__wasi_fd_allocate(dir, 0, 0), "fd_allocate error", E(ISDIR), E(BADF), E(NOTCAPABLE));
    ERR(__wasi_fd_filestat_set_size(dir, 0), "fd_filestat_set_size error", E(ISDIR), E(INVAL),
        E(BADF), E(NOTCAPABLE));
}

static void directory_seek(fd_t dir) {
    const char *D = "directory_seek_dir.cleanup";
    fd_t fd;
    __wasi_filesize_t off;
    CK(__wasi_path_create_directory(dir, D), "failed to make directory");
    CK(open_(dir, 0, D, DIRECTORY, R(FD_SEEK), 0, 0, &fd), "failed to open file");
    TRUE(fd > 2, "file descriptor range check");
    ERR(__wasi_fd_seek(fd, 0, __WASI_WHENCE_CUR, &off), "seek on a directory", E(BADF));
    __wasi_fdstat_t st;
    CK(__wasi_fd_fdstat_get(fd, &st), "failed to fdstat");
    TRUE(st.fs_filetype == __WASI_FILETYPE_DIRECTORY, "expected a directory");
    TRUE((st.fs_rights_base & R(FD_SEEK)) == 0, "directory does NOT have the seek right");
    CK(__wasi_fd_close(fd), "failed to close fd");
    CK(__wasi_path_remove_directory(dir, D), "failed to remove dir");
}

static void fd_advise(fd_t dir) {
    const char *F = "fd_advise_file.cleanup";
    fd_t fd;
    __wasi_filestat_t st;
    CK(open_(dir, 0, F, CREAT,
             R(FD_READ) | R(FD_WRITE) | R(FD_ADVISE) | R(FD_FILESTAT_GET) |
                 R(FD_FILESTAT_SET_SIZE) | R(FD_ALLOCATE),
             0, 0, &fd),
       "failed to open file");
    CK(__wasi_fd_filestat_get(fd, &st), "failed to fdstat");
    TRUE(st.size == 0, "file size should be 0");
    CK(__wasi_fd_filestat_set_size(fd, 100), "setting size");
    CK(__wasi_fd_filestat_get(fd, &st), "failed to fdstat 2");
    TRUE(st.size == 100, "file size should be 100");
    CK(__wasi_fd_advise(fd, 10, 50, __WASI_ADVICE_NORMAL), "failed advise");
    CK(__wasi_fd_filestat_get(fd, &st), "failed to fdstat 3");
    TRUE(st.size == 100, "file size should be 100");
    if (!cfg("NO_FD_ALLOCATE")) {
        CK(__wasi_fd_allocate(fd, 100, 100), "allocating size");
        CK(__wasi_fd_filestat_get(fd, &st), "failed to fdstat 3");
        TRUE(st.size == 200, "file size should be 200");
    }
    CK(__wasi_fd_close(fd), "failed to close");
    CK(__wasi_path_unlink_file(dir, F), "failed to unlink");
}

static void fd_filestat_get(fd_t dir) {
    (void)dir;
    for (fd_t fd = 0; fd < 3; fd++) {
        __wasi_filestat_t st;
        CK(__wasi_fd_filestat_get(fd, &st), "failed filestat");
        TRUE(st.size == 0, "stdio size should be 0");
        TRUE(st.atim == 0 && st.mtim == 0 && st.ctim == 0, "stdio times should be 0");
    }
}

static void fd_filestat_set(fd_t dir) {
    fd_t fd;
    __wasi_filestat_t st;
    CK(open_(dir, 0, "file", CREAT, R(FD_READ) | R(FD_WRITE), 0, 0, &fd),
       "failed to create file");
    CK(__wasi_fd_filestat_get(fd, &st), "failed filestat");
    TRUE(st.size == 0, "file size should be 0");
    CK(__wasi_fd_filestat_set_size(fd, 100), "fd_filestat_set_size");
    CK(__wasi_fd_filestat_get(fd, &st), "failed filestat 2");
    TRUE(st.size == 100, "file size should be 100");
    __wasi_timestamp_t old_atim = st.atim, new_mtim = st.mtim - 100;
    CK(__wasi_fd_filestat_set_times(fd, new_mtim, new_mtim, __WASI_FSTFLAGS_MTIM),
       "fd_filestat_set_times");
    CK(__wasi_fd_filestat_get(fd, &st), "failed filestat 3");
    TRUE(st.size == 100, "file size should remain unchanged at 100");
    TRUE(st.mtim == new_mtim, "mtim should change");
    TRUE(st.atim == old_atim, "atim should not change");
    CK(__wasi_fd_close(fd), "failed to close fd");
    CK(__wasi_path_unlink_file(dir, "file"), "failed to remove dir");
}

static void fd_flags_set(fd_t dir) {
    fd_t fd;
    uint8_t data[100], buf[100];
    __wasi_size_t n;
    __wasi_filesize_t off;
    CK(open_(dir, 0, "file", CREAT, R(FD_READ) | R(FD_WRITE), 0, __WASI_FDFLAGS_APPEND, &fd),
       "opening a file");
    for (int round = 0; round < 3; round++) {
        memset(data, round, sizeof data);
        if (round == 2)
            CK(__wasi_fd_fdstat_set_flags(fd, 0), "disabling flags");
        if (round)  // seek back to the start: append mode must ignore it, then not
            CK(__wasi_fd_seek(fd, 0, __WASI_WHENCE_SET, &off), "seeking file");
        CK(write_(fd, data, sizeof data, &n), "writing to a file");
        TRUE(n == sizeof data, "should write 100 bytes");
        CK(__wasi_fd_seek(fd, round == 1 ? 100 : 0, __WASI_WHENCE_SET, &off), "seeking file");
        CK(read_(fd, buf, sizeof buf, &n), "reading file");
        TRUE(n == sizeof buf, "should read 100 bytes");
        TRUE(!memcmp(data, buf, sizeof buf), "read back what was written");
    }
    CK(__wasi_fd_close(fd), "close file");
    __wasi_filestat_t st;
    CK(__wasi_path_filestat_get(dir, 0, "file", &st), "stat path");
    TRUE(st.size == 200, "expected a file size of 200");
    CK(__wasi_path_unlink_file(dir, "file"), "unlinking file");
}

static void file_pread_pwrite(fd_t dir) {
    fd_t fd;
    __wasi_size_t n;
    CK(open_(dir, 0, "file", CREAT, R(FD_READ) | R(FD_SEEK) | R(FD_WRITE), 0, 0, &fd),
       "opening a file");
    uint8_t w1[4] = {0, 1, 2, 3}, w2[2] = {1, 0}, r[4];
    __wasi_ciovec_t c1 = {w1, 4}, c2 = {w2, 2};
    __wasi_iovec_t iv = {r, 4};
    CK(__wasi_fd_pwrite(fd, &c1, 1, 0, &n), "writing bytes at offset 0");
    TRUE(n == 4, "nwritten bytes check");
    memset(r, 0, 4);
    CK(__wasi_fd_pread(fd, &iv, 1, 0, &n), "reading bytes at offset 0");
    TRUE(n == 4 && !memcmp(r, "\0\1\2\3", 4), "written bytes equal read bytes");
    memset(r, 0, 4);
    CK(__wasi_fd_pread(fd, &iv, 1, 2, &n), "reading bytes at offset 2");
    TRUE(n == 2 && !memcmp(r, "\2\3\0\0", 4), "file cursor was overwritten");
    CK(__wasi_fd_pwrite(fd, &c2, 1, 2, &n), "writing bytes at offset 2");
    TRUE(n == 2, "nwritten bytes check");
    memset(r, 0, 4);
    CK(__wasi_fd_pread(fd, &iv, 1, 0, &n), "reading bytes at offset 0");
    TRUE(n == 4 && !memcmp(r, "\0\1\1\0", 4), "file cursor was overwritten");
    CK(__wasi_fd_close(fd), "closing");
    CK(__wasi_path_unlink_file(dir, "file"), "cleanup");
}

static void file_seek_tell(fd_t dir) {
    fd_t fd;
    __wasi_filesize_t off;
    __wasi_size_t n;
    uint8_t buf[100] = {0};
    CK(open_(dir, 0, "file", CREAT, R(FD_READ) | R(FD_WRITE) | R(FD_SEEK) | R(FD_TELL), 0, 0,
             &fd),
       "opening a file");
    CK(__wasi_fd_tell(fd, &off), "getting initial file offset");
    TRUE(off == 0, "current offset should be 0");
    CK(write_(fd, buf, 100, &n), "writing to a file");
    TRUE(n == 100, "should write 100 bytes to file");
    CK(__wasi_fd_tell(fd, &off), "getting file offset after writing");
    TRUE(off == 100, "offset after writing should be 100");
    CK(__wasi_fd_seek(fd, -50, __WASI_WHENCE_CUR, &off), "seeking to the middle of a file");
    TRUE(off == 50, "offset after seeking to the middle should be at 50");
    CK(__wasi_fd_seek(fd, 0, __WASI_WHENCE_SET, &off), "seeking to the beginning");
    TRUE(off == 0, "offset should be at 0");
    CK(__wasi_fd_seek(fd, 1000, __WASI_WHENCE_CUR, &off), "seeking beyond the end of the file");
    ERR(__wasi_fd_seek(fd, -2000, __WASI_WHENCE_CUR, &off), "seeking before byte 0", E(INVAL));
    CK(__wasi_fd_close(fd), "closing a file");
    CK(__wasi_path_unlink_file(dir, "file"), "deleting a file");
}

static void file_truncation(fd_t dir) {
    const char *F = "test.txt", *text = "this content will be truncated!";
    fd_t fd;
    __wasi_size_t n;
    uint8_t buf[100];
    CK(open_(dir, 0, F, CREAT, R(FD_WRITE), 0, 0, &fd), "creating a file for writing");
    CK(write_(fd, text, strlen(text), &n), "writing file content");
    TRUE(n == strlen(text), "nwritten bytes check");
    CK(__wasi_fd_close(fd), "closing the file");
    CK(open_(dir, 0, F, CREAT | __WASI_OFLAGS_TRUNC, R(FD_WRITE) | R(FD_READ), 0, 0, &fd),
       "creating a truncated file for reading");
    CK(read_(fd, buf, sizeof buf, &n), "reading file content");
    TRUE(n == 0, "expected an empty file after truncation");
    CK(__wasi_fd_close(fd), "closing the file");
}

static void file_unbuffered_write(fd_t dir) {
    fd_t fr, fw;
    __wasi_size_t n;
    uint8_t one = 1, got = 0;
    CK(open_(dir, 0, "file", CREAT, R(FD_READ), 0, 0, &fr), "create and open file for reading");
    CK(open_(dir, 0, "file", 0, R(FD_WRITE), 0, 0, &fw), "opening file for writing");
    CK(write_(fw, &one, 1, &n), "writing byte to file");
    TRUE(n == 1, "nwritten bytes check");
    CK(read_(fr, &got, 1, &n), "reading bytes from file");
    TRUE(n == 1 && got == 1, "written bytes equal read bytes");
    CK(__wasi_fd_close(fw), "closing a file");
    CK(__wasi_fd_close(fr), "closing a file");
    CK(__wasi_path_unlink_file(dir, "file"), "removing a file");
}

static void fstflags_validate(fd_t dir) {
    fd_t fd;
    CK(open_(dir, 0, "fstflags_validate.cleanup", CREAT,
             R(FD_READ) | R(FD_FILESTAT_SET_TIMES), 0, 0, &fd),
       "failed to create file");
    ERR(__wasi_fd_filestat_set_times(fd, 100, 200,
                                     __WASI_FSTFLAGS_MTIM | __WASI_FSTFLAGS_MTIM_NOW),
        "MTIM and MTIM_NOW", E(INVAL));
    ERR(__wasi_fd_filestat_set_times(fd, 100, 200,
                                     __WASI_FSTFLAGS_ATIM | __WASI_FSTFLAGS_ATIM_NOW),
        "ATIM and ATIM_NOW", E(INVAL));
    CK(__wasi_fd_close(fd), "failed to close fd");
}

static void nofollow_errors(fd_t dir) {
    fd_t fd;
    CK(__wasi_path_create_directory(dir, "target"), "creating a dir");
    CK(__wasi_path_symlink("target", dir, "symlink"), "creating a symlink");
    ERR(open_(dir, 0, "symlink", DIRECTORY, 0, 0, 0, &fd), "NOFOLLOW dir symlink as dir",
        E(LOOP), E(NOTDIR));
    ERR(open_(dir, 0, "symlink", 0, 0, 0, 0, &fd), "NOFOLLOW dir symlink", E(LOOP));
    CK(open_(dir, FOLLOW, "symlink", DIRECTORY, 0, 0, 0, &fd), "opening a symlink as a dir");
    CK(__wasi_fd_close(fd), "closing a file");
    CK(__wasi_path_unlink_file(dir, "symlink"), "removing a file");
    CK(__wasi_path_remove_directory(dir, "target"), "remove_directory");
    CK(open_(dir, 0, "target", CREAT, 0, 0, 0, &fd), "creating a file");
    CK(__wasi_fd_close(fd), "closing a file");
    CK(__wasi_path_symlink("target", dir, "symlink"), "creating a symlink");
    ERR(open_(dir, 0, "symlink", DIRECTORY, 0, 0, 0, &fd), "NOFOLLOW file symlink as dir",
        E(LOOP), E(NOTDIR));
    ERR(open_(dir, 0, "symlink", 0, 0, 0, 0, &fd), "NOFOLLOW file symlink", E(LOOP));
    ERR(open_(dir, FOLLOW, "symlink", DIRECTORY, 0, 0, 0, &fd), "file symlink as a directory",
        E(NOTDIR));
    CK(__wasi_path_unlink_file(dir, "target"), "removing a file");
    CK(__wasi_path_unlink_file(dir, "symlink"), "removing a file");
}

static void path_exists(fd_t dir) {
    __wasi_filestat_t st;
#define STAT(flags, path, type)                                                                   \
    CK(__wasi_path_filestat_get(dir, flags, path, &st), "reading stats of " path);                \
    TRUE(st.filetype == __WASI_FILETYPE_##type, path " should be " #type)
    CK(__wasi_path_create_directory(dir, "subdir"), "create directory");
    STAT(0, "subdir", DIRECTORY);
    STAT(FOLLOW, "subdir", DIRECTORY);
    CK(create_file(dir, "subdir/file"), "create file");
    STAT(0, "subdir/file", REGULAR_FILE);
    STAT(FOLLOW, "subdir/file", REGULAR_FILE);
    CK(__wasi_path_symlink("subdir/file", dir, "link1"), "create symlink");
    STAT(0, "link1", SYMBOLIC_LINK);
    STAT(FOLLOW, "link1", REGULAR_FILE);
    CK(__wasi_path_symlink("subdir", dir, "link2"), "create symlink");
    STAT(0, "link2", SYMBOLIC_LINK);
    STAT(FOLLOW, "link2", DIRECTORY);
#undef STAT
    CK(__wasi_path_unlink_file(dir, "link1"), "clean up");
    CK(__wasi_path_unlink_file(dir, "link2"), "clean up");
    CK(__wasi_path_unlink_file(dir, "subdir/file"), "clean up");
    CK(__wasi_path_remove_directory(dir, "subdir"), "clean up");
}

static void path_open_create_existing(fd_t dir) {
    fd_t fd;
    CK(create_file(dir, "file"), "create file");
    ERR(open_(dir, 0, "file", CREAT | __WASI_OFLAGS_EXCL, 0, 0, 0, &fd),
        "creating a file that already exists", E(EXIST));
    CK(__wasi_path_unlink_file(dir, "file"), "removing a file");
}

static void path_open_missing(fd_t dir) {
    fd_t fd;
    ERR(open_(dir, 0, "file", 0, 0, 0, 0, &fd), "opening a file that doesn't exist", E(NOENT));
}

static void path_open_nonblock(fd_t dir) {
    fd_t fd;
    CK(open_(dir, 0, ".", 0, 0, 0, __WASI_FDFLAGS_NONBLOCK, &fd), "opening the dir");
}

static void path_open_read_write(fd_t dir) {
    fd_t fd;
    __wasi_size_t n;
    uint8_t buf[100], w1[50], w2[25];
    memset(w1, 1, sizeof w1);
    memset(w2, 2, sizeof w2);
    CK(create_file(dir, "file"), "create file");
    CK(open_(dir, 0, "file", 0, R(FD_READ), 0, 0, &fd), "open file readonly");
    __wasi_fdstat_t st = fdstat(fd);
    TRUE(st.fs_rights_base & R(FD_READ), "readonly has read right");
    TRUE(!(st.fs_rights_base & R(FD_WRITE)), "readonly does not have write right");
    CK(read_(fd, buf, sizeof buf, &n), "reading readonly file");
    TRUE(n == 0, "readonly file is empty");
    ERR(write_(fd, w1, sizeof w1, &n), "write of readonly fails", E(PERM), E(BADF));
    CK(__wasi_fd_close(fd), "close readonly");
    CK(open_(dir, 0, "file", 0, R(FD_WRITE), 0, 0, &fd), "open file writeonly");
    st = fdstat(fd);
    TRUE(!(st.fs_rights_base & R(FD_READ)), "writeonly does not have read right");
    TRUE(!(st.fs_rights_base & R(FD_READDIR)), "writeonly does not have readdir right");
    TRUE(st.fs_rights_base & R(FD_WRITE), "writeonly has write right");
    ERR(read_(fd, buf, sizeof buf, &n), "read of writeonly fails", E(PERM), E(BADF));
    CK(write_(fd, w1, sizeof w1, &n), "write to writeonly");
    TRUE(n == sizeof w1, "wrote all");
    CK(__wasi_fd_close(fd), "close writeonly");
    CK(open_(dir, 0, "file", 0, R(FD_READ) | R(FD_WRITE), 0, 0, &fd), "open file readwrite");
    st = fdstat(fd);
    TRUE((st.fs_rights_base & (R(FD_READ) | R(FD_WRITE))) == (R(FD_READ) | R(FD_WRITE)),
         "readwrite has read and write rights");
    CK(read_(fd, buf, sizeof buf, &n), "reading readwrite file");
    TRUE(n == sizeof w1, "readwrite file contains contents from writeonly open");
    CK(write_(fd, w2, sizeof w2, &n), "write to readwrite");
    TRUE(n == sizeof w2, "wrote all");
    __wasi_filestat_t fst;
    CK(__wasi_fd_filestat_get(fd, &fst), "get filestat readwrite");
    TRUE(fst.size == sizeof w1 + sizeof w2, "total written is both write buffers");
    CK(__wasi_fd_close(fd), "close readwrite");
    CK(__wasi_path_unlink_file(dir, "file"), "removing a file");
}

static void path_open_preopen(fd_t dir) {
    (void)dir;
    fd_t pre = 3, fd;
    __wasi_prestat_t ps;
    for (;; pre++) {  // find_first_preopened_fd: skips fds that are not preopens
        if (pre > 1024) {
            fail("Failed to find a preopened directory", 0);
            return;
        }
        char name[64];
        if (__wasi_fd_prestat_get(pre, &ps) || ps.tag != __WASI_PREOPENTYPE_DIR ||
            ps.u.dir.pr_name_len != strlen(SCRATCH) ||
            __wasi_fd_prestat_dir_name(pre, (uint8_t *)name, ps.u.dir.pr_name_len))
            continue;
        if (!memcmp(name, SCRATCH, strlen(SCRATCH)))
            break;
    }
    __wasi_fdstat_t st;
    CK(__wasi_fd_fdstat_get(pre, &st), "get fdstat");
    const __wasi_rights_t dir_base =
        R(PATH_CREATE_DIRECTORY) | R(PATH_CREATE_FILE) | R(PATH_LINK_SOURCE) |
        R(PATH_LINK_TARGET) | R(PATH_OPEN) | R(FD_READDIR) | R(PATH_READLINK) |
        R(PATH_RENAME_SOURCE) | R(PATH_RENAME_TARGET) | R(PATH_SYMLINK) |
        R(PATH_REMOVE_DIRECTORY) | R(PATH_UNLINK_FILE) | R(PATH_FILESTAT_GET) |
        R(PATH_FILESTAT_SET_TIMES) | R(FD_FILESTAT_GET) | R(FD_FILESTAT_SET_TIMES);
    const __wasi_rights_t dir_inh =
        dir_base | R(FD_DATASYNC) | R(FD_READ) | R(FD_SEEK) | R(FD_FDSTAT_SET_FLAGS) |
        R(FD_SYNC) | R(FD_TELL) | R(FD_WRITE) | R(FD_ADVISE) | R(FD_ALLOCATE) |
        R(FD_FILESTAT_SET_SIZE) | R(POLL_FD_READWRITE);
    TRUE((st.fs_rights_base & dir_base) == dir_base, "fs_rights_base lacks a required right");
    TRUE((st.fs_rights_inheriting & dir_inh) == dir_inh,
         "fs_rights_inheriting lacks a required right");
    CK(open_(pre, 0, ".", 0, st.fs_rights_base, st.fs_rights_inheriting, 0, &fd),
       "open with same rights");
    CK(open_(pre, 0, ".", 0, 0, 0, 0, &fd), "open with empty rights");
    CK(open_(pre, 0, ".", DIRECTORY, 0, 0, 0, &fd), "open with O_DIRECTORY empty rights");
    CK(open_(pre, 0, ".", DIRECTORY, R(FD_READ), 0, 0, &fd), "open with O_DIRECTORY and read");
    ERR(open_(pre, 0, ".", DIRECTORY, R(FD_READ) | R(FD_WRITE), 0, 0, &fd),
        "opening directory read/write should fail with ISDIR", E(ISDIR));
}

static void path_rename_dir_trailing_slashes(fd_t dir) {
    CK(__wasi_path_create_directory(dir, "source"), "creating a directory");
    CK(__wasi_path_rename(dir, "source/", dir, "target"), "slash in the source name");
    CK(__wasi_path_rename(dir, "target", dir, "source/"), "slash in the destination name");
    CK(__wasi_path_rename(dir, "source/", dir, "target/"), "slash in both names");
    CK(__wasi_path_rename(dir, "target", dir, "source"), "no trailing slashes");
    CK(__wasi_path_remove_directory(dir, "source"), "removing the directory");
}

static void poll_oneoff_stdio(fd_t dir) {
    (void)dir;
    const __wasi_userdata_t CLOCK_ID = 0x012345678, STDIN_ID = 0x876543210;
    __wasi_subscription_t in[3];
    __wasi_event_t out[3];
    __wasi_size_t n;
    memset(in, 0, sizeof in);
    in[0].userdata = CLOCK_ID;
    in[0].u.tag = __WASI_EVENTTYPE_CLOCK;
    in[0].u.u.clock.id = __WASI_CLOCKID_MONOTONIC;
    in[0].u.u.clock.timeout = 200000000;
    in[1].userdata = STDIN_ID;
    in[1].u.tag = __WASI_EVENTTYPE_FD_READ;
    in[1].u.u.fd_read.file_descriptor = 0;
    CK(__wasi_poll_oneoff(in, out, 2, &n), "stdin poll");
    TRUE(n >= 1, "stdin read should return at least 1 event");
    for (__wasi_size_t i = 0; i < n; i++) {
        TRUE(out[i].error == 0, "event error");
        TRUE(out[i].type == __WASI_EVENTTYPE_CLOCK ? out[i].userdata == CLOCK_ID
             : out[i].type == __WASI_EVENTTYPE_FD_READ ? out[i].userdata == STDIN_ID
                                                       : 0,
             "unexpected event");
    }
    // stdout (userdata 1) and stderr (2) must both report writable before the timeout.
    int pending = 3, timed_out = 0;
    while (pending) {
        TRUE(!timed_out, "timed out with pending stdout/stderr subscriptions");
        __wasi_size_t k = 0;
        for (int fd = 1; fd <= 2; fd++)
            if (pending & fd) {
                memset(&in[k], 0, sizeof in[k]);
                in[k].userdata = fd;
                in[k].u.tag = __WASI_EVENTTYPE_FD_WRITE;
                in[k].u.u.fd_write.file_descriptor = fd;
                k++;
            }
        memset(&in[k], 0, sizeof in[k]);
        in[k].userdata = CLOCK_ID;
        in[k].u.tag = __WASI_EVENTTYPE_CLOCK;
        in[k].u.u.clock.id = __WASI_CLOCKID_MONOTONIC;
        in[k].u.u.clock.timeout = 200000000;
        CK(__wasi_poll_oneoff(in, out, k + 1, &n), "stdout/stderr poll");
        for (__wasi_size_t i = 0; i < n; i++) {
            if (out[i].userdata == CLOCK_ID) {
                timed_out = 1;
                continue;
            }
            TRUE(out[i].userdata < 3 && (pending & (int)out[i].userdata), "unknown userdata");
            pending &= ~(int)out[i].userdata;
            TRUE(out[i].type == __WASI_EVENTTYPE_FD_WRITE, "event type");
            TRUE(out[i].error == 0, "event error");
        }
    }
}

static void remove_directory_trailing_slashes(fd_t dir) {
    CK(__wasi_path_create_directory(dir, "dir"), "creating a directory");
    CK(__wasi_path_remove_directory(dir, "dir"), "remove_directory on a directory");
    CK(__wasi_path_create_directory(dir, "dir"), "creating a directory");
    CK(create_file(dir, "file"), "create file");
    ERR(__wasi_path_remove_directory(dir, "file"), "remove_directory on a file", E(NOTDIR));
    ERR(__wasi_path_remove_directory(dir, "file/"), "remove_directory on a file/", E(NOTDIR),
        E(NOENT));
    CK(__wasi_path_unlink_file(dir, "file"), "removing a file");
    // The Rust test leaves "dir" to the suite's cleanup; remove it so later tests start clean.
    CK(__wasi_path_remove_directory(dir, "dir"), "removing dir");
}

static void symlink_create(fd_t dir) {
    fd_t fd;
    CK(open_(dir, 0, "target", CREAT, 0, 0, 0, &fd), "creating a file");
    CK(__wasi_fd_close(fd), "closing file");
    CK(__wasi_path_symlink("target", dir, "symlink"), "creating a symlink");
    CK(open_(dir, FOLLOW, "symlink", 0, 0, 0, 0, &fd), "opening a symlink to a file");
    TRUE(fd > 2, "file descriptor range check");
    CK(__wasi_fd_close(fd), "close the symlink file");
    CK(__wasi_path_unlink_file(dir, "symlink"), "removing the symlink");
    CK(__wasi_path_unlink_file(dir, "target"), "removing the target file");
    CK(__wasi_path_create_directory(dir, "target"), "creating a dir");
    CK(__wasi_path_symlink("target", dir, "symlink"), "creating a symlink");
    CK(open_(dir, FOLLOW, "symlink", DIRECTORY, 0, 0, 0, &fd), "opening a symlink as a dir");
    CK(__wasi_fd_close(fd), "closing a file");
    CK(__wasi_path_unlink_file(dir, "symlink"), "remove symlink to directory");
    CK(__wasi_path_remove_directory(dir, "target"), "remove_directory");
    ANYERR(__wasi_path_symlink("/", dir, "symlink"), "creating a symlink to an absolute path");
}

static void symlink_filestat(fd_t dir) {
    fd_t fd;
    __wasi_filestat_t file_st, sym_st, st;
    CK(open_(dir, 0, "file", CREAT, R(FD_READ) | R(FD_WRITE), 0, 0, &fd), "opening a file");
    CK(__wasi_path_filestat_get(dir, 0, "file", &file_st), "reading file stats");
    TRUE(file_st.size == 0, "file size should be 0");
    CK(__wasi_path_symlink("file", dir, "symlink"), "creating symlink to a file");
    CK(__wasi_path_filestat_get(dir, 0, "symlink", &sym_st), "reading symlink stats");
    __wasi_timestamp_t sym_new_mtim = sym_st.mtim - 200;
    CK(__wasi_path_filestat_set_times(dir, 0, "symlink", 0, sym_new_mtim, __WASI_FSTFLAGS_MTIM),
       "path_filestat_set_times should succeed on symlink");
    CK(__wasi_path_filestat_get(dir, 0, "symlink", &st), "reading symlink stats");
    TRUE(st.mtim == sym_new_mtim, "symlink mtim should change");
    CK(__wasi_path_filestat_get(dir, 0, "file", &st), "reading file stats");
    TRUE(st.mtim == file_st.mtim, "file mtim should not change");
    CK(__wasi_path_filestat_get(dir, FOLLOW, "symlink", &st), "stats of the dereferenced link");
    TRUE(st.mtim == file_st.mtim, "symlink mtim should be equal to pointee's when dereferenced");
    CK(__wasi_path_filestat_set_times(dir, FOLLOW, "symlink", 0, sym_st.mtim,
                                      __WASI_FSTFLAGS_MTIM),
       "path_filestat_set_times through the symlink");
    CK(__wasi_path_filestat_get(dir, 0, "file", &st), "reading file stats");
    TRUE(st.mtim == sym_st.mtim, "mtim should change");
    CK(__wasi_fd_close(fd), "closing a file");
    CK(__wasi_path_unlink_file(dir, "symlink"), "removing a symlink");
    CK(__wasi_path_unlink_file(dir, "file"), "removing a file");
}

static void symlink_loop(fd_t dir) {
    if (cfg("NO_DANGLING_FILESYSTEM"))
        return;
    fd_t fd;
    CK(__wasi_path_symlink("symlink", dir, "symlink"), "creating a symlink");
    ERR(open_(dir, 0, "symlink", 0, 0, 0, 0, &fd), "opening a self-referencing symlink",
        E(LOOP));
    CK(__wasi_path_unlink_file(dir, "symlink"), "removing a file");
}

// --- tests in their own fresh subdirectory (create_tmp_dir) ---

static void fd_fdstat_set_rights(fd_t dir) {
    const char *F = "file.cleanup";
    fd_t fd;
    __wasi_size_t n;
    __wasi_filesize_t off;
    uint8_t w[4] = {0, 1, 2, 3}, r[4];
    const __wasi_rights_t four = R(FD_READ) | R(FD_WRITE) | R(FD_SEEK) | R(FD_TELL);
    CK(open_(dir, 0, F, CREAT, four, 0, 0, &fd), "creating a new file");
    CK(write_(fd, w, 4, &n), "failed to write to file");
    CK(__wasi_fd_seek(fd, 0, __WASI_WHENCE_SET, &off), "seeking file to beginning");
    CK(read_(fd, r, 4, &n), "failed to read file");
    TRUE(n == 4 && !memcmp(w, r, 4), "written bytes equal read bytes");
    CK(drop_rights(fd, R(FD_READ) | R(FD_WRITE), 0), "dropping fd rights");
    __wasi_fdstat_t st = fdstat(fd);
    TRUE(!(st.fs_rights_base & (R(FD_READ) | R(FD_WRITE))), "base rights keep READ|WRITE");
    TRUE(st.fs_rights_base & R(FD_SEEK), "base rights should have FD_SEEK");
    ERR(read_(fd, r, 4, &n), "fd_read with insufficient rights", E(BADF), E(NOTCAPABLE));
    ERR(write_(fd, w, 4, &n), "fd_write with insufficient rights", E(BADF), E(NOTCAPABLE));
    ERR(__wasi_fd_fdstat_set_rights(fd, st.fs_rights_base | four,
                                    st.fs_rights_inheriting | four),
        "granting additional rights to an fd should fail", E(NOTCAPABLE));
    CK(__wasi_fd_close(fd), "closing fd");
    CK(__wasi_path_unlink_file(dir, F), "failed to remove file");
}

struct entry {
    __wasi_dirent_t d;
    char name[32];
};

// exec_fd_readdir: up to `max` entries from one 256-byte fd_readdir, and whether it hit EOF.
static int readdir_(fd_t fd, __wasi_dircookie_t cookie, struct entry *ents, int max, int *count,
                    int *eof) {
    uint8_t buf[256];
    __wasi_size_t used;
    int e = __wasi_fd_readdir(fd, buf, sizeof buf, cookie, &used);
    if (e)
        return e;
    *count = 0;
    for (size_t p = 0; p + sizeof(__wasi_dirent_t) <= used && *count < max;) {
        struct entry *x = &ents[*count];
        memcpy(&x->d, buf + p, sizeof x->d);
        if (p + sizeof x->d + x->d.d_namlen > used)
            break;
        size_t nl = x->d.d_namlen < sizeof x->name - 1 ? x->d.d_namlen : sizeof x->name - 1;
        memcpy(x->name, buf + p + sizeof x->d, nl);
        x->name[nl] = 0;
        p += sizeof x->d + x->d.d_namlen;
        (*count)++;
    }
    *eof = used < sizeof buf;
    return 0;
}

static int by_name(const void *a, const void *b) {
    return strcmp(((const struct entry *)a)->name, ((const struct entry *)b)->name);
}

static void fd_readdir(fd_t dir) {
    struct entry ents[16];
    int count, eof;
    __wasi_filestat_t st;
    CK(__wasi_fd_filestat_get(dir, &st), "failed filestat");
    CK(readdir_(dir, 0, ents, 16, &count, &eof), "failed fd_readdir");
    TRUE(eof, "expected to read the entire directory");
    qsort(ents, count, sizeof ents[0], by_name);
    TRUE(count == 2, "expected two entries in an empty directory");
    TRUE(!strcmp(ents[0].name, ".") && ents[0].d.d_type == __WASI_FILETYPE_DIRECTORY,
         "first entry is .");
    TRUE(ents[0].d.d_ino == st.ino, ". has the directory's inode");
    TRUE(ents[0].d.d_namlen == 1, ". name length");
    TRUE(!strcmp(ents[1].name, "..") && ents[1].d.d_type == __WASI_FILETYPE_DIRECTORY,
         "second entry is ..");
    fd_t fd;
    CK(open_(dir, 0, "file", CREAT,
             R(FD_READ) | R(FD_WRITE) | R(FD_READDIR) | R(FD_FILESTAT_GET), 0, 0, &fd),
       "failed to create file");
    CK(__wasi_fd_filestat_get(fd, &st), "failed filestat");
    CK(__wasi_fd_close(fd), "closing a file");
    CK(readdir_(dir, 0, ents, 16, &count, &eof), "failed fd_readdir");
    TRUE(eof, "expected to read the entire directory");
    TRUE(count == 3, "expected three entries");
    __wasi_dircookie_t lastfile_cookie = ents[1].d.d_next;
    char lastfile_name[32];
    strcpy(lastfile_name, ents[2].name);
    qsort(ents, count, sizeof ents[0], by_name);
    TRUE(!strcmp(ents[0].name, ".") && !strcmp(ents[1].name, ".."), ". and ..");
    TRUE(!strcmp(ents[2].name, "file"), "file name doesn't match");
    TRUE(ents[2].d.d_type == __WASI_FILETYPE_REGULAR_FILE, "type for the real file");
    TRUE(ents[2].d.d_ino == st.ino, "inode of the real file");
    CK(readdir_(dir, lastfile_cookie, ents, 16, &count, &eof), "failed fd_readdir");
    TRUE(eof, "expected to read the entire directory");
    TRUE(count == 1, "expected one entry");
    TRUE(!strcmp(ents[0].name, lastfile_name), "name of the only entry");
    CK(__wasi_path_unlink_file(dir, "file"), "removing a file");

    // test_fd_readdir_lots
    char name[32];
    for (int i = 0; i < 1000; i++) {
        snprintf(name, sizeof name, "file.%d", i);
        CK(open_(dir, 0, name, CREAT,
                 R(FD_READ) | R(FD_WRITE) | R(FD_READDIR) | R(FD_FILESTAT_GET), 0, 0, &fd),
           "failed to create file");
        CK(__wasi_fd_close(fd), "closing a file");
    }
    int total = 0;
    __wasi_dircookie_t cookie = 0;
    for (;;) {
        CK(readdir_(dir, cookie, ents, 16, &count, &eof), "failed fd_readdir");
        total += count;
        if (eof)
            break;
        TRUE(count > 0, "no progress");
        cookie = ents[count - 1].d.d_next;
    }
    TRUE(total == 1002, "expected 1000 entries plus . and ..");
    for (int i = 0; i < 1000; i++) {
        snprintf(name, sizeof name, "file.%d", i);
        CK(__wasi_path_unlink_file(dir, name), "removing a file");
    }
}

static void file_allocate(fd_t dir) {
    fd_t fd;
    __wasi_filestat_t st;
    CK(open_(dir, 0, "file", CREAT,
             R(FD_READ) | R(FD_WRITE) | R(FD_ALLOCATE) | R(FD_FILESTAT_GET), 0, 0, &fd),
       "opening a file");
    CK(__wasi_fd_filestat_get(fd, &st), "reading file stats");
    TRUE(st.size == 0, "file size should be 0");
    if (!cfg("NO_FD_ALLOCATE")) {
        CK(__wasi_fd_allocate(fd, 0, 100), "allocating size");
        CK(__wasi_fd_filestat_get(fd, &st), "reading file stats");
        TRUE(st.size == 100, "file size should be 100");
        CK(__wasi_fd_allocate(fd, 10, 10), "allocating size less than current size");
        CK(__wasi_fd_filestat_get(fd, &st), "reading file stats");
        TRUE(st.size == 100, "file size should remain unchanged at 100");
        CK(__wasi_fd_allocate(fd, 90, 20), "allocating size larger than current size");
        CK(__wasi_fd_filestat_get(fd, &st), "reading file stats");
        TRUE(st.size == 110, "file size should increase from 100 to 110");
    }
    CK(__wasi_fd_close(fd), "closing a file");
    CK(__wasi_path_unlink_file(dir, "file"), "removing a file");
}

static void interesting_paths(fd_t dir) {
    fd_t fd;
    CK(__wasi_path_create_directory(dir, "dir"), "creating dir");
    CK(__wasi_path_create_directory(dir, "dir/nested"), "creating a nested dir");
    CK(create_file(dir, "dir/nested/file"), "create file");
    ERR(open_(dir, 0, "/dir/nested/file", 0, 0, 0, 0, &fd), "absolute path", E(PERM));
    CK(open_(dir, 0, "dir/.//nested/../../dir/nested/../nested///./file", 0, 0, 0, 0, &fd),
       "opening a file with \"..\" in the path");
    CK(__wasi_fd_close(fd), "closing a file");
    static const char nul_path[] = "dir/nested/file";  // passed with its NUL
    ERR(raw_path_open(dir, 0, (int32_t)nul_path, sizeof nul_path, 0, 0, 0, 0, (int32_t)&fd),
        "opening a file with a trailing NUL", E(INVAL), E(ILSEQ));
    ERR(open_(dir, 0, "dir/nested/file/", 0, 0, 0, 0, &fd), "file with a trailing slash",
        E(NOTDIR), E(NOENT));
    ERR(open_(dir, 0, "dir/nested/file///", 0, 0, 0, 0, &fd), "file with trailing slashes",
        E(NOTDIR), E(NOENT));
    CK(open_(dir, 0, "dir/nested/", 0, 0, 0, 0, &fd), "directory with a trailing slash");
    CK(__wasi_fd_close(fd), "closing a file");
    CK(open_(dir, 0, "dir/nested///", 0, 0, 0, 0, &fd), "directory with trailing slashes");
    CK(__wasi_fd_close(fd), "closing a file");
    ERR(open_(dir, 0, "dir/nested/../../../" SCRATCH "/dir/nested/file", 0, 0, 0, 0, &fd),
        "too many \"..\"s", E(PERM));
    CK(__wasi_path_unlink_file(dir, "dir/nested/file"), "unlink_file");
    CK(__wasi_path_remove_directory(dir, "dir/nested"), "remove_directory");
    CK(__wasi_path_remove_directory(dir, "dir"), "remove_directory");
}

static void isatty_(fd_t dir) {
    fd_t fd;
    CK(open_(dir, 0, "file", CREAT, 0, 0, 0, &fd), "opening a file");
    // libc isatty: a character device without seek/tell rights
    __wasi_fdstat_t st = fdstat(fd);
    TRUE(!(st.fs_filetype == __WASI_FILETYPE_CHARACTER_DEVICE &&
           !(st.fs_rights_base & (R(FD_SEEK) | R(FD_TELL)))),
         "file is a tty");
    CK(__wasi_fd_close(fd), "closing a file");
    CK(__wasi_path_unlink_file(dir, "file"), "removing a file");
}

static int stats_equal(fd_t a, fd_t b) {
    __wasi_filestat_t x, y;
    __wasi_fdstat_t p = fdstat(a), q = fdstat(b);
    if (__wasi_fd_filestat_get(a, &x) || __wasi_fd_filestat_get(b, &y))
        return 0;
    return x.dev == y.dev && x.ino == y.ino && x.atim == y.atim && x.ctim == y.ctim &&
           x.mtim == y.mtim && x.size == y.size && x.nlink == y.nlink &&
           x.filetype == y.filetype && p.fs_flags == q.fs_flags &&
           p.fs_filetype == q.fs_filetype && p.fs_rights_base == q.fs_rights_base &&
           p.fs_rights_inheriting == q.fs_rights_inheriting;
}

static void path_link(fd_t dir) {
    const __wasi_rights_t TR = R(FD_READ) | R(PATH_LINK_SOURCE) | R(PATH_LINK_TARGET) |
                               R(FD_FILESTAT_GET) | R(PATH_OPEN) | R(PATH_UNLINK_FILE);
    fd_t file_fd, link_fd, sub;
    CK(open_(dir, 0, "file", CREAT, TR, TR, 0, &file_fd), "opening 'file'");
    CK(__wasi_path_link(dir, 0, "file", dir, "link"), "creating a link in the same directory");
    CK(open_(dir, 0, "link", 0, TR, TR, 0, &link_fd), "opening a link");
    TRUE(stats_equal(file_fd, link_fd), "link and source stats differ");
    CK(__wasi_fd_close(link_fd), "Closing link_fd");
    CK(__wasi_path_unlink_file(dir, "link"), "removing a link");
    CK(__wasi_path_create_directory(dir, "subdir"), "creating a subdirectory");
    CK(open_(dir, 0, "subdir", DIRECTORY, TR, TR, 0, &sub), "opening 'subdir'");
    CK(__wasi_path_link(dir, 0, "file", sub, "link"), "creating a link in subdirectory");
    CK(open_(sub, 0, "link", 0, TR, TR, 0, &link_fd), "opening a link in subdirectory");
    TRUE(stats_equal(file_fd, link_fd), "link in subdirectory and source stats differ");
    CK(__wasi_path_unlink_file(sub, "link"), "removing a link");
    CK(__wasi_fd_close(sub), "Closing subdir_fd");
    CK(__wasi_fd_close(link_fd), "Closing link_fd");
    CK(__wasi_fd_close(file_fd), "Closing file_fd");
    CK(__wasi_path_remove_directory(dir, "subdir"), "removing a subdirectory");
    CK(create_file(dir, "link"), "create file");
    ERR(__wasi_path_link(dir, 0, "file", dir, "link"), "link to existing path", E(EXIST));
    CK(__wasi_path_unlink_file(dir, "link"), "removing a file");
    ERR(__wasi_path_link(dir, 0, "file", dir, "file"), "link to itself", E(EXIST));
    CK(__wasi_path_create_directory(dir, "link"), "creating a dir");
    ERR(__wasi_path_link(dir, 0, "file", dir, "link"), "link where target is a dir", E(EXIST));
    CK(__wasi_path_remove_directory(dir, "link"), "removing a dir");
    CK(__wasi_path_create_directory(dir, "subdir"), "creating a subdirectory");
    CK(open_(dir, 0, "subdir", DIRECTORY, TR, TR, 0, &sub), "opening 'subdir'");
    ERR(__wasi_path_link(dir, 0, "subdir", dir, "link"), "link to a directory", E(PERM),
        E(ACCES));
    CK(__wasi_fd_close(sub), "close subdir before deleting it");
    CK(__wasi_path_remove_directory(dir, "subdir"), "removing a subdirectory");
    ERR(__wasi_path_link(dir, 0, "file", dir, "link/"), "link with trailing slash", E(NOENT));
    if (!cfg("NO_DANGLING_FILESYSTEM")) {
        CK(__wasi_path_symlink("target", dir, "symlink"), "creating a dangling symlink");
        CK(__wasi_path_link(dir, 0, "symlink", dir, "link"), "link to a dangling symlink");
        CK(__wasi_path_unlink_file(dir, "symlink"), "removing a symlink");
        CK(__wasi_path_unlink_file(dir, "link"), "removing a hardlink");
        CK(__wasi_path_symlink("symlink", dir, "symlink"), "creating a symlink loop");
        CK(__wasi_path_link(dir, 0, "symlink", dir, "link"), "link to a symlink loop");
        CK(__wasi_path_unlink_file(dir, "symlink"), "removing a symlink");
        CK(__wasi_path_unlink_file(dir, "link"), "removing a hardlink");
        CK(__wasi_path_symlink("target", dir, "symlink"), "creating a dangling symlink");
        ERR(__wasi_path_link(dir, 0, "file", dir, "symlink"), "target is a dangling symlink",
            E(EXIST));
        CK(__wasi_path_unlink_file(dir, "symlink"), "removing a symlink");
        CK(__wasi_path_symlink("target", dir, "symlink"), "creating a dangling symlink");
        ERR(__wasi_path_link(dir, FOLLOW, "symlink", dir, "link"), "path_link with FOLLOW",
            E(INVAL), E(NOENT));
        CK(__wasi_path_unlink_file(dir, "symlink"), "removing a symlink");
    }
    CK(__wasi_path_unlink_file(dir, "file"), "removing a file");
}

static void path_filestat(fd_t dir) {
    int sync = !cfg("NO_FDFLAGS_SYNC_SUPPORT");
    __wasi_fdstat_t st = fdstat(dir);
    TRUE(st.fs_rights_base & R(PATH_FILESTAT_GET), "dir lacks PATH_FILESTAT_GET");
    int fdflags = __WASI_FDFLAGS_APPEND | (sync ? __WASI_FDFLAGS_SYNC : 0);
    const __wasi_rights_t rights = R(FD_READ) | R(FD_WRITE) | R(PATH_FILESTAT_GET);
    fd_t fd;
    CK(open_(dir, 0, "file", CREAT, rights, 0, fdflags, &fd), "opening a file");
    st = fdstat(fd);
    TRUE(!(st.fs_rights_base & R(PATH_FILESTAT_GET)), "files shouldn't have path_* rights");
    TRUE(!(st.fs_rights_inheriting & R(PATH_FILESTAT_GET)), "files shouldn't inherit path_*");
    TRUE(st.fs_flags & __WASI_FDFLAGS_APPEND, "file should have the APPEND fdflag");
    if (sync)
        TRUE(st.fs_flags & __WASI_FDFLAGS_SYNC, "file should have the SYNC fdflag");
    else {
        fd_t fd2;
        ERR(open_(dir, 0, "file", 0, rights, 0, __WASI_FDFLAGS_SYNC, &fd2),
            "FDFLAGS_SYNC not supported by platform", E(NOTSUP));
    }
    __wasi_filestat_t fst;
    CK(__wasi_path_filestat_get(dir, 0, "file", &fst), "reading file stats");
    TRUE(fst.size == 0, "file size should be 0");
    __wasi_timestamp_t new_mtim = fst.mtim - 100;
    CK(__wasi_path_filestat_set_times(dir, 0, "file", 0, new_mtim, __WASI_FSTFLAGS_MTIM),
       "path_filestat_set_times should succeed");
    CK(__wasi_path_filestat_get(dir, 0, "file", &fst), "reading file stats");
    TRUE(fst.mtim == new_mtim, "mtim should change");
    ERR(__wasi_path_filestat_set_times(dir, 0, "file", 0, new_mtim,
                                       __WASI_FSTFLAGS_MTIM | __WASI_FSTFLAGS_MTIM_NOW),
        "MTIM and MTIM_NOW can't both be set", E(INVAL));
    CK(__wasi_path_filestat_get(dir, 0, "file", &fst), "reading file stats");
    TRUE(fst.mtim == new_mtim, "mtim should not change");
    ERR(__wasi_path_filestat_set_times(dir, 0, "file", 0, 0,
                                       __WASI_FSTFLAGS_ATIM | __WASI_FSTFLAGS_ATIM_NOW),
        "ATIM & ATIM_NOW can't both be set", E(INVAL));
    CK(__wasi_fd_close(fd), "closing a file");
    CK(__wasi_path_unlink_file(dir, "file"), "removing a file");
}

static void path_open_dirfd_not_dir(fd_t dir) {
    fd_t fd, fd2;
    CK(open_(dir, 0, "file", CREAT, 0, 0, 0, &fd), "opening a file");
    ERR(open_(fd, 0, "foo", CREAT, 0, 0, 0, &fd2), "non-directory base fd", E(NOTDIR));
    CK(__wasi_fd_close(fd), "closing a file");
    CK(__wasi_path_unlink_file(dir, "file"), "removing a file");
}

static void path_open_read_without_rights(fd_t dir) {
    CK(create_file(dir, "file"), "create file");
    CK(drop_rights(dir, R(FD_READ), R(FD_READ)), "dropping fd rights");
    __wasi_fdstat_t st = fdstat(dir);
    TRUE(!(st.fs_rights_base & R(FD_READ)), "dir should not have base RIGHTS_FD_READ");
    TRUE(!(st.fs_rights_inheriting & R(FD_READ)), "dir should not inherit RIGHTS_FD_READ");
    fd_t fd;
    CK(open_(dir, 0, "file", 0, 0, 0, 0, &fd), "opening the file");
    st = fdstat(fd);
    TRUE(!(st.fs_rights_base & R(FD_READ)), "should not have base RIGHTS_FD_READ");
    TRUE(!(st.fs_rights_inheriting & R(FD_READ)), "should not have inheriting RIGHTS_FD_READ");
    uint8_t b;
    __wasi_size_t n;
    ERR(read_(fd, &b, 1, &n), "reading bytes from file should fail", E(BADF));
    CK(__wasi_path_unlink_file(dir, "file"), "removing readable_file");
}

static void path_rename(fd_t dir) {
    fd_t fd;
    int empty_ok = !cfg("NO_RENAME_DIR_TO_EMPTY_DIR");
    CK(__wasi_path_create_directory(dir, "source"), "creating a directory");
    CK(__wasi_path_rename(dir, "source", dir, "target"), "renaming a directory");
    ERR(open_(dir, 0, "source", DIRECTORY, 0, 0, 0, &fd), "source still exists", E(NOENT));
    CK(open_(dir, 0, "target", DIRECTORY, 0, 0, 0, &fd), "opening renamed path as a dir");
    CK(__wasi_fd_close(fd), "closing a file");
    CK(__wasi_path_remove_directory(dir, "target"), "removing a directory");
    CK(__wasi_path_create_directory(dir, "source"), "creating a directory");
    CK(__wasi_path_create_directory(dir, "target"), "creating a directory");
    if (empty_ok) {
        CK(__wasi_path_rename(dir, "source", dir, "target"), "renaming dir to an empty dir");
        ERR(open_(dir, 0, "source", DIRECTORY, 0, 0, 0, &fd), "source still exists", E(NOENT));
        CK(open_(dir, 0, "target", DIRECTORY, 0, 0, 0, &fd), "opening renamed path as a dir");
        CK(__wasi_fd_close(fd), "closing a file");
        CK(__wasi_path_remove_directory(dir, "target"), "removing a directory");
    } else {
        ANYERR(__wasi_path_rename(dir, "source", dir, "target"), "renaming dir to empty dir");
        CK(__wasi_path_remove_directory(dir, "target"), "removing a directory");
        CK(__wasi_path_remove_directory(dir, "source"), "removing a directory");
    }
    CK(__wasi_path_create_directory(dir, "source"), "creating a directory");
    CK(__wasi_path_create_directory(dir, "target"), "creating a directory");
    CK(create_file(dir, "target/file"), "create file");
    ERR(__wasi_path_rename(dir, "source", dir, "target"), "dir to a nonempty dir", E(ACCES),
        E(NOTEMPTY));
    if (empty_ok) {
        ERR(__wasi_path_rename(dir, "source", dir, "target/file"), "dir to a file", E(NOTDIR));
        CK(__wasi_path_unlink_file(dir, "target/file"), "removing a file");
        CK(__wasi_path_remove_directory(dir, "source"), "removing a directory");
    } else {
        CK(__wasi_path_rename(dir, "source", dir, "target/file"), "dir to a file");
        CK(__wasi_path_remove_directory(dir, "target/file"), "removing a file");
    }
    CK(__wasi_path_remove_directory(dir, "target"), "removing a directory");
    CK(create_file(dir, "source"), "create file");
    CK(__wasi_path_rename(dir, "source", dir, "target"), "renaming a file");
    ERR(open_(dir, 0, "source", 0, 0, 0, 0, &fd), "source still exists", E(NOENT));
    CK(open_(dir, 0, "target", 0, 0, 0, 0, &fd), "opening renamed path");
    CK(__wasi_fd_close(fd), "closing a file");
    CK(__wasi_path_unlink_file(dir, "target"), "removing a file");
    CK(create_file(dir, "source"), "create file");
    CK(create_file(dir, "target"), "create file");
    CK(__wasi_path_rename(dir, "source", dir, "target"), "file to another existing file");
    ERR(open_(dir, 0, "source", 0, 0, 0, 0, &fd), "source still exists", E(NOENT));
    CK(open_(dir, 0, "target", 0, 0, 0, 0, &fd), "opening renamed path");
    CK(__wasi_fd_close(fd), "closing a file");
    CK(__wasi_path_unlink_file(dir, "target"), "removing a file");
    CK(create_file(dir, "source"), "create file");
    CK(__wasi_path_create_directory(dir, "target"), "creating a directory");
    ERR(__wasi_path_rename(dir, "source", dir, "target"), "file to an existing directory",
        E(ACCES), E(ISDIR));
    CK(__wasi_path_remove_directory(dir, "target"), "removing a directory");
    CK(__wasi_path_unlink_file(dir, "source"), "removing a file");
}

static void path_symlink_trailing_slashes(fd_t dir) {
    if (!cfg("NO_DANGLING_FILESYSTEM")) {
        ERR(__wasi_path_symlink("source", dir, "target/"), "dangling link ending with a slash",
            E(NOENT));
        CK(__wasi_path_symlink("source", dir, "target"), "dangling link");
        CK(__wasi_path_unlink_file(dir, "target"), "removing a file");
    }
    CK(__wasi_path_create_directory(dir, "target"), "creating a directory");
    ERR(__wasi_path_symlink("source", dir, "target/"), "dir exists, slash", E(EXIST), E(NOENT));
    CK(__wasi_path_remove_directory(dir, "target"), "removing a directory");
    CK(__wasi_path_create_directory(dir, "target"), "creating a directory");
    ERR(__wasi_path_symlink("source", dir, "target"), "dir exists", E(EXIST), E(NOENT));
    CK(__wasi_path_remove_directory(dir, "target"), "removing a directory");
    CK(create_file(dir, "target"), "create file");
    ERR(__wasi_path_symlink("source", dir, "target/"), "file exists, slash", E(NOTDIR),
        E(NOENT));
    CK(__wasi_path_unlink_file(dir, "target"), "removing a file");
    CK(create_file(dir, "target"), "create file");
    ERR(__wasi_path_symlink("source", dir, "target"), "file exists", E(EXIST), E(NOENT));
    CK(__wasi_path_unlink_file(dir, "target"), "removing a file");
}

static void readlink_(fd_t dir) {
    uint8_t buf[10] = {0};
    __wasi_size_t used;
    CK(create_file(dir, "target"), "create file");
    CK(__wasi_path_symlink("target", dir, "symlink"), "creating a symlink");
    CK(__wasi_path_readlink(dir, "symlink", buf, 10, &used), "readlink should succeed");
    TRUE(used == 6, "should use 6 bytes of the buffer");
    TRUE(!memcmp(buf, "target\0\0\0\0", 10), "buffer should contain 'target' and zeros");
    uint8_t small[4];
    CK(__wasi_path_readlink(dir, "symlink", small, 4, &used), "readlink into a small buffer");
    TRUE(used == 4, "should use 4 bytes of the buffer");
    TRUE(!memcmp(small, "targ", 4), "buffer should contain 'targ'");
    CK(__wasi_path_unlink_file(dir, "target"), "removing a file");
    CK(__wasi_path_unlink_file(dir, "symlink"), "removing a file");
}

static void remove_nonempty_directory(fd_t dir) {
    CK(__wasi_path_create_directory(dir, "dir"), "creating a directory");
    CK(__wasi_path_create_directory(dir, "dir/nested"), "creating a subdirectory");
    ERR(__wasi_path_remove_directory(dir, "dir"), "remove_directory on a nonempty dir",
        E(NOTEMPTY));
    CK(__wasi_path_remove_directory(dir, "dir/nested"), "remove a nested directory");
    CK(__wasi_path_remove_directory(dir, "dir"), "removing a directory");
}

static void renumber(fd_t dir) {
    fd_t from, to;
    TRUE(dir > 3, "dir_fd number");
    CK(open_(dir, 0, "file1", CREAT, R(FD_READ) | R(FD_WRITE), 0, 0, &from), "opening a file");
    __wasi_fdstat_t a = fdstat(from);
    CK(open_(dir, 0, "file2", CREAT, R(FD_READ) | R(FD_WRITE), 0, 0, &to), "opening a file");
    CK(__wasi_fd_renumber(from, to), "renumbering two descriptors");
    ERR(__wasi_fd_close(from), "closing already closed file descriptor", E(BADF));
    __wasi_fdstat_t b;
    CK(__wasi_fd_fdstat_get(to, &b), "fd_fdstat on the open file descriptor");
    TRUE(a.fs_filetype == b.fs_filetype && a.fs_flags == b.fs_flags &&
             a.fs_rights_base == b.fs_rights_base &&
             a.fs_rights_inheriting == b.fs_rights_inheriting,
         "expected fd_to have the same fdstat as fd_from");
    CK(__wasi_fd_close(to), "closing a file");
    CK(__wasi_path_unlink_file(dir, "file1"), "removing a file");
    CK(__wasi_path_unlink_file(dir, "file2"), "removing a file");
}

static void truncation_rights(fd_t dir) {
    fd_t fd;
    CK(create_file(dir, "file"), "create file");
    __wasi_fdstat_t st;
    CK(__wasi_fd_fdstat_get(dir, &st), "fd_fdstat on the scratch directory");
    TRUE(st.fs_filetype == __WASI_FILETYPE_DIRECTORY, "expected a directory");
    TRUE(st.fs_flags == 0, "expected no special flags");
    TRUE(!(st.fs_rights_base & R(FD_FILESTAT_SET_SIZE)), "directory has fd_filestat_set_size");
    if (st.fs_rights_base & R(PATH_FILESTAT_SET_SIZE)) {
        CK(open_(dir, 0, "file", __WASI_OFLAGS_TRUNC, 0, 0, 0, &fd), "truncating a file");
        CK(__wasi_fd_close(fd), "closing a file");
        __wasi_rights_t base = st.fs_rights_base, inh = st.fs_rights_inheriting;
        if (inh & R(FD_FILESTAT_SET_SIZE)) {
            inh &= ~R(FD_FILESTAT_SET_SIZE);
            CK(__wasi_fd_fdstat_set_rights(dir, base, inh), "dropping fd_filestat_set_size");
        }
        CK(open_(dir, 0, "file", __WASI_OFLAGS_TRUNC, 0, 0, 0, &fd),
           "truncating a file without fd_filestat_set_size right");
        CK(__wasi_fd_close(fd), "closing a file");
        base &= ~R(PATH_FILESTAT_SET_SIZE);
        CK(__wasi_fd_fdstat_set_rights(dir, base, inh), "dropping path_filestat_set_size");
        CK(__wasi_fd_fdstat_get(dir, &st), "reading the fdstat from a directory");
        TRUE(!(st.fs_rights_base & R(PATH_FILESTAT_SET_SIZE)), "right was not dropped");
        ERR(open_(dir, 0, "file", __WASI_OFLAGS_TRUNC, 0, 0, 0, &fd),
            "truncating a file without path_filestat_set_size right", E(PERM));
    }
    CK(__wasi_path_unlink_file(dir, "file"), "removing a file");
}

static void unlink_file_trailing_slashes(fd_t dir) {
    CK(__wasi_path_create_directory(dir, "dir"), "creating a directory");
    ERR(__wasi_path_unlink_file(dir, "dir"), "unlink_file on a directory", E(PERM), E(ISDIR),
        E(ACCES));
    ERR(__wasi_path_unlink_file(dir, "dir/"), "unlink_file on a directory/", E(PERM), E(ISDIR),
        E(ACCES));
    CK(__wasi_path_remove_directory(dir, "dir"), "removing a directory");
    CK(create_file(dir, "file"), "create file");
    ERR(__wasi_path_unlink_file(dir, "file/"), "unlink_file with a trailing slash", E(NOTDIR),
        E(NOENT));
    CK(__wasi_path_unlink_file(dir, "file"), "unlink_file with no trailing slash");
}

// --- tests that take preopens or stdio away: run last ---

static void overwrite_preopen(fd_t dir) {
    fd_t pre = 3;
    TRUE(dir > pre, "dir_fd number");
    __wasi_filestat_t old, now;
    CK(__wasi_fd_filestat_get(dir, &old), "failed fd_filestat_get");
    CK(__wasi_fd_renumber(dir, pre), "renumbering over a preopened file descriptor");
    CK(__wasi_fd_filestat_get(pre, &now), "failed fd_filestat_get");
    TRUE(old.dev == now.dev && old.ino == now.ino, "renumbered");
    __wasi_fdstat_t st;
    ERR(__wasi_fd_fdstat_get(dir, &st), "dir_fd is still open", E(BADF));
}

static void close_preopen(fd_t dir) {
    fd_t pre = 3;
    TRUE(dir > pre, "dir_fd number");
    CK(__wasi_fd_close(pre), "closing a preopened file descriptor");
    __wasi_fdstat_t st;
    CK(__wasi_fd_fdstat_get(dir, &st), "failed fd_fdstat_get");
    TRUE(st.fs_filetype == __WASI_FILETYPE_DIRECTORY, "expected a directory");
    ERR(__wasi_fd_fdstat_get(pre, &st), "pre_fd is still open", E(BADF));
}

static void stdio(fd_t dir) {
    // The Rust test unlinks "file" after creating "file.cleanup"; this one unlinks what it made.
    const char *F = "file.cleanup";
    for (fd_t from = 0; from < 3; from++) {
        fd_t to;
        CK(open_(dir, 0, F, CREAT, 0, 0, 0, &to), "open file");
        CK(__wasi_fd_renumber(from, to), "renumbering stdio");
        if (from == 1)
            out_fd = to;  // stdout now lives at `to`
        __wasi_fdstat_t st;
        CK(__wasi_fd_fdstat_get(to, &st), "fd_fdstat_get failed");
        ANYERR(__wasi_fd_fdstat_get(from, &st), "stdio_from_fd is not closed");
        CK(__wasi_path_unlink_file(dir, F), "failed to remove file");
    }
}

// overwrite_preopen's subdirectory takes fd 3 for good; the runner removes it after.
static const struct test {
    const char *name;
    void (*fn)(fd_t);
    const char *tmp;  // run in this fresh subdirectory (create_tmp_dir), else in the scratch dir
} TESTS[] = {
    {"big_random_buf", big_random_buf, 0},
    {"clock_time_get", clock_time_get, 0},
    {"dangling_fd", dangling_fd, 0},
    {"dangling_symlink", dangling_symlink, 0},
    {"dir_fd_op_failures", dir_fd_op_failures, 0},
    {"directory_seek", directory_seek, 0},
    {"fd_advise", fd_advise, 0},
    {"fd_fdstat_set_rights", fd_fdstat_set_rights, "rights_dir.cleanup"},
    {"fd_filestat_get", fd_filestat_get, 0},
    {"fd_filestat_set", fd_filestat_set, 0},
    {"fd_flags_set", fd_flags_set, 0},
    {"fd_readdir", fd_readdir, "fd_readdir_dir.cleanup"},
    {"file_allocate", file_allocate, "file_allocate_dir.cleanup"},
    {"file_pread_pwrite", file_pread_pwrite, 0},
    {"file_seek_tell", file_seek_tell, 0},
    {"file_truncation", file_truncation, 0},
    {"file_unbuffered_write", file_unbuffered_write, 0},
    {"fstflags_validate", fstflags_validate, 0},
    {"interesting_paths", interesting_paths, "interesting_paths_dir.cleanup"},
    {"isatty", isatty_, "isatty_dir.cleanup"},
    {"nofollow_errors", nofollow_errors, 0},
    {"path_exists", path_exists, 0},
    {"path_filestat", path_filestat, "path_filestat_dir.cleanup"},
    {"path_link", path_link, "path_link_dir.cleanup"},
    {"path_open_create_existing", path_open_create_existing, 0},
    {"path_open_dirfd_not_dir", path_open_dirfd_not_dir, "path_open_dirfd_not_dir_dir.cleanup"},
    {"path_open_missing", path_open_missing, 0},
    {"path_open_nonblock", path_open_nonblock, 0},
    {"path_open_preopen", path_open_preopen, 0},
    {"path_open_read_without_rights", path_open_read_without_rights,
     "path_open_read_without_rights_dir.cleanup"},
    {"path_open_read_write", path_open_read_write, 0},
    {"path_rename", path_rename, "path_rename_dir.cleanup"},
    {"path_rename_dir_trailing_slashes", path_rename_dir_trailing_slashes, 0},
    {"path_symlink_trailing_slashes", path_symlink_trailing_slashes,
     "path_symlink_trailing_slashes_dir.cleanup"},
    {"poll_oneoff_stdio", poll_oneoff_stdio, 0},
    {"readlink", readlink_, "readlink_dir.cleanup"},
    {"remove_directory_trailing_slashes", remove_directory_trailing_slashes, 0},
    {"remove_nonempty_directory", remove_nonempty_directory,
     "remove_nonempty_directory_dir.cleanup"},
    {"renumber", renumber, "renumber_dir.cleanup"},
    {"sched_yield", sched_yield_, 0},
    {"symlink_create", symlink_create, 0},
    {"symlink_filestat", symlink_filestat, 0},
    {"symlink_loop", symlink_loop, 0},
    {"truncation_rights", truncation_rights, "truncation_rights_dir.cleanup"},
    {"unlink_file_trailing_slashes", unlink_file_trailing_slashes,
     "unlink_file_trailing_slashes_dir.cleanup"},
    {"overwrite_preopen", overwrite_preopen, "overwrite_preopen_dir.cleanup"},
    {"close_preopen", close_preopen, 0},
    {"stdio", stdio, "stdio_dir.cleanup"},
};

// Empties `dir` (recursively) after a failed test so the next ones start clean.
static void rm_contents(fd_t dir) {
    uint8_t buf[4096];
    __wasi_size_t used;
    for (int pass = 0; pass < 8; pass++) {
        if (__wasi_fd_readdir(dir, buf, sizeof buf, 0, &used) || used == 0)
            return;
        int removed = 0;
        for (size_t p = 0; p + sizeof(__wasi_dirent_t) <= used;) {
            __wasi_dirent_t d;
            memcpy(&d, buf + p, sizeof d);
            char name[256];
            size_t nl = d.d_namlen < 255 ? d.d_namlen : 255;
            memcpy(name, buf + p + sizeof d, nl);
            name[nl] = 0;
            p += sizeof d + d.d_namlen;
            if (!strcmp(name, ".") || !strcmp(name, ".."))
                continue;
            if (d.d_type == __WASI_FILETYPE_DIRECTORY) {
                fd_t sub;
                if (!open_(dir, 0, name, DIRECTORY, 0x1FFFFFFF, 0x1FFFFFFF, 0, &sub)) {
                    rm_contents(sub);
                    (void)__wasi_fd_close(sub);
                }
                removed += !__wasi_path_remove_directory(dir, name);
            } else
                removed += !__wasi_path_unlink_file(dir, name);
        }
        if (!removed)
            return;
    }
}

static void run(const struct test *t, fd_t base) {
    T = t->name;
    bad = 0;
    fd_t dir = base;
    if (t->tmp) {
        int e = __wasi_path_create_directory(base, t->tmp);
        if (!e)
            e = open_(base, 0, t->tmp, DIRECTORY,
                      R(FD_FILESTAT_GET) | R(FD_READDIR) | R(PATH_CREATE_FILE) | R(PATH_OPEN) |
                          R(PATH_UNLINK_FILE),
                      R(FD_READ) | R(FD_WRITE) | R(FD_READDIR) | R(FD_FILESTAT_GET) | R(FD_SEEK),
                      0, &dir);
        if (e) {
            fail("create_tmp_dir", e);
            rm_contents(base);
            return;
        }
    }
    t->fn(dir);
    if (t->tmp && !bad) {
        int e = __wasi_path_remove_directory(base, t->tmp);
        if (e)
            fail("failed to remove dir", e);
    }
    if (bad)
        rm_contents(base);
    else
        say("ok %s\n", T);
    if (dir != base)
        (void)__wasi_fd_close(dir);
}

int main(int argc, char **argv) {
    fd_t base = open_scratch_directory(SCRATCH);
    if (base == (fd_t)-1) {
        say("failed to find scratch dir\n");
        return 1;
    }
    int failed = 0, n = sizeof TESTS / sizeof TESTS[0];
    for (int i = 0; i < n; i++) {
        int chosen = argc < 2;
        for (int a = 1; a < argc; a++)
            chosen |= !strcmp(argv[a], TESTS[i].name);
        if (chosen) {
            run(&TESTS[i], base);
            failed += bad;
        }
    }
    return failed ? 1 : 0;
}
