// WASI preview1 edge cases through the raw API (exact errnos, no wasi-libc translation), on the
// preopened scratch directory fd 3 (guest name /t). Prints one line per case: its name, the
// errno and what the call returned. Run under wasmtime and under wasi_micro and diffed by
// tests/host/test_wasi_edge.py. Every case uses fresh names so one divergence cannot cascade.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wasi/api.h>

#define D 3
#define ALL ((__wasi_rights_t)0x1FFFFFFF)
#define FOLLOW __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW
#define R_READ __WASI_RIGHTS_FD_READ
#define R_WRITE __WASI_RIGHTS_FD_WRITE
#define CREAT __WASI_OFLAGS_CREAT
#define DIRECTORY __WASI_OFLAGS_DIRECTORY
#define EXCL __WASI_OFLAGS_EXCL
#define TRUNC __WASI_OFLAGS_TRUNC
#define APPEND __WASI_FDFLAGS_APPEND
#define R_FSTAT __WASI_RIGHTS_FD_FILESTAT_GET

static int op(const char *path, int dirflags, int oflags, __wasi_rights_t base, int fdflags,
              __wasi_fd_t *fd) {
    return __wasi_path_open(D, dirflags, path, oflags, base, ALL, fdflags, fd);
}

static __wasi_size_t wr(__wasi_fd_t fd, const char *s, int *err) {
    __wasi_ciovec_t v = {(const uint8_t *)s, strlen(s)};
    __wasi_size_t n = 0;
    *err = __wasi_fd_write(fd, &v, 1, &n);
    return n;
}

static __wasi_size_t rd(__wasi_fd_t fd, char *buf, int len, int *err) {
    __wasi_iovec_t v = {(uint8_t *)buf, len};
    __wasi_size_t n = 0;
    *err = __wasi_fd_read(fd, &v, 1, &n);
    return n;
}

static void mkfile(const char *path, const char *data) {
    __wasi_fd_t fd;
    int e = op(path, 0, CREAT | TRUNC, ALL, 0, &fd);
    if (e) {
        printf("SETUP %s %d\n", path, e);
        return;
    }
    wr(fd, data, &e);
    (void)__wasi_fd_close(fd);
}

static void mkdir_(const char *path) {
    int e = __wasi_path_create_directory(D, path);
    if (e)
        printf("SETUP mkdir %s %d\n", path, e);
}

// Bytes as printable text, others as \xNN.
static void show(const char *buf, int n) {
    putchar('"');
    for (int i = 0; i < n; i++) {
        unsigned char c = buf[i];
        if (c >= 32 && c < 127 && c != '"' && c != '\\')
            putchar(c);
        else
            printf("\\x%02x", c);
    }
    putchar('"');
}

// The content of `path` (read through a fresh descriptor).
static void content(const char *what, const char *path) {
    __wasi_fd_t fd;
    char buf[64];
    int e = op(path, 0, 0, R_READ, 0, &fd), n = 0;
    if (!e) {
        n = rd(fd, buf, sizeof buf, &e);
        (void)__wasi_fd_close(fd);
    }
    printf("%s content: %d ", what, e);
    show(buf, e ? 0 : n);
    putchar('\n');
}

static int ftype_of(const char *path, int follow) {
    __wasi_filestat_t st;
    int e = __wasi_path_filestat_get(D, follow, path, &st);
    return e ? -e : st.filetype;
}

// path_open: every oflags combination on a missing name, a file and a directory, read-only
// and read-write.
static void oflags_matrix(void) {
    const char *kinds[] = {"missing", "file", "dir"};
    for (int rw = 0; rw < 2; rw++) {
        for (int o = 0; o < 16; o++) {
            for (int k = 0; k < 3; k++) {
                char p[64];
                snprintf(p, sizeof p, "om_%d_%d_%d", rw, o, k);
                if (k == 1)
                    mkfile(p, "abc");
                if (k == 2)
                    mkdir_(p);
                __wasi_fd_t fd;
                __wasi_rights_t base = (rw ? R_READ | R_WRITE : R_READ) | R_FSTAT;
                int e = op(p, 0, o, base, 0, &fd);
                printf("open %s oflags=%s%s%s%s %s: %d", rw ? "rw" : "ro",
                       o & CREAT ? "C" : "", o & DIRECTORY ? "D" : "", o & EXCL ? "E" : "",
                       o & TRUNC ? "T" : "", kinds[k], e);
                if (!e) {
                    __wasi_fdstat_t fs;
                    __wasi_filestat_t st;
                    (void)__wasi_fd_fdstat_get(fd, &fs);
                    (void)__wasi_fd_filestat_get(fd, &st);
                    printf(" ft=%d size=%llu", fs.fs_filetype,
                           st.filetype == 4 ? (unsigned long long)st.size : 0ULL);
                    (void)__wasi_fd_close(fd);
                }
                printf(" now=%d\n", ftype_of(p, 0));
            }
        }
    }
}

static void open_case(const char *what, const char *path, int dirflags, int oflags,
                      __wasi_rights_t base) {
    __wasi_fd_t fd;
    int e = op(path, dirflags, oflags, base, 0, &fd);
    printf("%s: %d", what, e);
    if (!e) {
        __wasi_fdstat_t fs;
        (void)__wasi_fd_fdstat_get(fd, &fs);
        printf(" ft=%d", fs.fs_filetype);
        (void)__wasi_fd_close(fd);
    }
    putchar('\n');
}

static void paths(void) {
    mkfile("pf", "file");
    mkdir_("pd");
    mkfile("pd/inner", "inner");
    open_case("open file/", "pf/", 0, 0, R_READ);
    open_case("open file/.", "pf/.", 0, 0, R_READ);
    open_case("open dir/", "pd/", 0, 0, R_READ);
    open_case("open dir//", "pd//", 0, 0, R_READ);
    open_case("open missing/ creat", "pmiss/", 0, CREAT, R_READ | R_WRITE);
    open_case("open missing/ creat dir", "pmiss2/", 0, CREAT | DIRECTORY, R_READ);
    open_case("open dir creat", "pd", 0, CREAT, R_READ);
    open_case("open ./file", "./pf", 0, 0, R_READ);
    open_case("open dir/../file", "pd/../pf", 0, 0, R_READ);
    open_case("open dir/./inner", "pd/./inner", 0, 0, R_READ);
    open_case("open file/../file", "pf/../pf", 0, 0, R_READ);
    open_case("open missing/../file", "nope/../pf", 0, 0, R_READ);
    open_case("open .", ".", 0, 0, R_READ);
    open_case("open . directory", ".", 0, DIRECTORY, R_READ);
    open_case("open ./", "./", 0, 0, R_READ);
    open_case("open ..", "..", 0, 0, R_READ);
    open_case("open ../x", "../x", 0, 0, R_READ);
    open_case("open dir/../..", "pd/../..", 0, 0, R_READ);
    open_case("open dir/../../pf", "pd/../../pf", 0, 0, R_READ);
    open_case("open dir/..", "pd/..", 0, 0, R_READ);
    open_case("open /abs", "/pf", 0, 0, R_READ);
    open_case("open /", "/", 0, 0, R_READ);
    open_case("open empty", "", 0, 0, R_READ);
    open_case("open empty creat", "", 0, CREAT, R_READ | R_WRITE);
    open_case("open . creat", ".", 0, CREAT, R_READ);
    open_case("open . trunc", ".", 0, TRUNC, R_READ);
    open_case("open dir trunc", "pd", 0, TRUNC, R_READ);
    open_case("open dir rw", "pd", 0, 0, R_READ | R_WRITE);
    open_case("open missing dir/x creat", "nodir/x", 0, CREAT, R_READ | R_WRITE);
    open_case("open file/x creat", "pf/x", 0, CREAT, R_READ | R_WRITE);
    __wasi_fd_t fd;
    printf("open sync fdflags: %d\n", op("pf", 0, 0, R_READ | R_WRITE, __WASI_FDFLAGS_SYNC, &fd));
    (void)__wasi_fd_close(fd);
    printf("open on file fd: %d\n", __wasi_path_open(0, 0, "x", 0, R_READ, 0, 0, &fd));
    printf("open on fd 99: %d\n", __wasi_path_open(99, 0, "x", 0, R_READ, 0, 0, &fd));
    int e = op("pf", 0, 0, R_READ, 0, &fd);
    __wasi_fd_t fd2;
    printf("open relative to file fd: %d\n", __wasi_path_open(fd, 0, "x", 0, R_READ, 0, 0, &fd2));
    (void)e;
    (void)__wasi_fd_close(fd);
    e = op("pd", 0, DIRECTORY, __WASI_RIGHTS_PATH_OPEN, 0, &fd);
    printf("open relative to opened dir: %d",
           __wasi_path_open(fd, 0, "inner", 0, R_READ, 0, 0, &fd2));
    if (!e) {
        char buf[16];
        int n = rd(fd2, buf, sizeof buf, &e);
        printf(" read %d ", e);
        show(buf, n);
        (void)__wasi_fd_close(fd2);
    }
    putchar('\n');
    printf("open .. from opened dir: %d\n", __wasi_path_open(fd, 0, "../pf", 0, R_READ, 0, 0, &fd2));
    (void)__wasi_fd_close(fd);
}

static void append_seek(void) {
    __wasi_fd_t fd;
    __wasi_filesize_t pos = 0;
    int e;
    mkfile("ap", "abc");
    e = op("ap", 0, 0, R_READ | R_WRITE | __WASI_RIGHTS_FD_SEEK | __WASI_RIGHTS_FD_TELL |
           __WASI_RIGHTS_FD_FDSTAT_SET_FLAGS, APPEND, &fd);
    printf("append open: %d\n", e);
    printf("append tell0: %d", __wasi_fd_tell(fd, &pos));
    printf(" %llu\n", (unsigned long long)pos);
    wr(fd, "xyz", &e);
    printf("append write: %d", e);
    printf(" tell %d", __wasi_fd_tell(fd, &pos));
    printf(" %llu\n", (unsigned long long)pos);
    printf("append seek0: %d", __wasi_fd_seek(fd, 0, __WASI_WHENCE_SET, &pos));
    wr(fd, "Q", &e);
    printf(" write %d", e);
    printf(" tell %d", __wasi_fd_tell(fd, &pos));
    printf(" %llu\n", (unsigned long long)pos);
    __wasi_ciovec_t v = {(const uint8_t *)"P", 1};
    __wasi_size_t n = 0;
    printf("append pwrite@0: %d", __wasi_fd_pwrite(fd, &v, 1, 0, &n));
    printf(" n=%lu\n", n);
    __wasi_fdstat_t fs;
    printf("append fdstat: %d", __wasi_fd_fdstat_get(fd, &fs));
    printf(" flags=%d\n", fs.fs_flags);
    printf("append clear: %d", __wasi_fd_fdstat_set_flags(fd, 0));
    (void)__wasi_fd_fdstat_get(fd, &fs);
    printf(" flags=%d", fs.fs_flags);
    (void)__wasi_fd_seek(fd, 0, __WASI_WHENCE_SET, &pos);
    wr(fd, "S", &e);
    printf(" write@0 %d\n", e);
    printf("set append: %d", __wasi_fd_fdstat_set_flags(fd, APPEND));
    wr(fd, "T", &e);
    printf(" write %d\n", e);
    printf("set nonblock: %d\n", __wasi_fd_fdstat_set_flags(fd, __WASI_FDFLAGS_NONBLOCK));
    printf("set sync: %d\n", __wasi_fd_fdstat_set_flags(fd, __WASI_FDFLAGS_SYNC));
    printf("set dsync: %d\n", __wasi_fd_fdstat_set_flags(fd, __WASI_FDFLAGS_DSYNC));
    printf("set rsync: %d\n", __wasi_fd_fdstat_set_flags(fd, __WASI_FDFLAGS_RSYNC));
    (void)__wasi_fd_fdstat_get(fd, &fs);
    printf("flags after: %d\n", fs.fs_flags);
    (void)__wasi_fd_close(fd);
    content("append", "ap");
    printf("set flags on dir: %d\n", __wasi_fd_fdstat_set_flags(D, 0));
    printf("set flags on stdout: %d\n", __wasi_fd_fdstat_set_flags(1, 0));

    mkfile("sk", "0123456789");
    e = op("sk", 0, 0, ALL, 0, &fd);
    struct {
        const char *what;
        __wasi_filedelta_t off;
        int whence;
    } seeks[] = {
        {"set 5", 5, 0}, {"cur -2", -2, 1}, {"cur 0", 0, 1}, {"end 0", 0, 2},
        {"end -1", -1, 2}, {"cur -100", -100, 1}, {"set -1", -1, 0}, {"end -11", -11, 2},
        {"set max", 0x7FFFFFFFFFFFFFFFLL, 0},
        {"end max", 0x7FFFFFFFFFFFFFFFLL, 2}, {"set 20", 20, 0},
    };
    for (unsigned i = 0; i < sizeof seeks / sizeof seeks[0]; i++) {
        pos = 12345;
        e = __wasi_fd_seek(fd, seeks[i].off, seeks[i].whence, &pos);
        printf("seek %s: %d %llu", seeks[i].what, e, e ? 0ULL : (unsigned long long)pos);
        printf(" tell %d", __wasi_fd_tell(fd, &pos));
        printf(" %llu\n", (unsigned long long)pos);
        if (i == 8) // back to a sane place after a huge seek
            (void)__wasi_fd_seek(fd, 7, 0, &pos);
    }
    wr(fd, "Z", &e);
    printf("write past eof: %d\n", e);
    char buf[32];
    (void)__wasi_fd_seek(fd, 8, 0, &pos);
    int k = rd(fd, buf, sizeof buf, &e);
    printf("hole read: %d ", e);
    show(buf, k);
    putchar('\n');
    k = rd(fd, buf, sizeof buf, &e);
    printf("read at eof: %d %d\n", e, k);
    __wasi_filestat_t st;
    (void)__wasi_fd_filestat_get(fd, &st);
    printf("size after hole: %llu\n", (unsigned long long)st.size);

    // pread/pwrite leave the offset alone
    (void)__wasi_fd_seek(fd, 2, 0, &pos);
    __wasi_iovec_t iv = {(uint8_t *)buf, 4};
    printf("pread: %d", __wasi_fd_pread(fd, &iv, 1, 5, &n));
    printf(" n=%lu ", n);
    show(buf, n);
    printf(" tell %d", __wasi_fd_tell(fd, &pos));
    printf(" %llu\n", (unsigned long long)pos);
    printf("pread past eof: %d", __wasi_fd_pread(fd, &iv, 1, 100, &n));
    printf(" n=%lu\n", n);
    v.buf = (const uint8_t *)"WW";
    v.buf_len = 2;
    printf("pwrite: %d", __wasi_fd_pwrite(fd, &v, 1, 0, &n));
    printf(" n=%lu tell %d", n, __wasi_fd_tell(fd, &pos));
    printf(" %llu\n", (unsigned long long)pos);
    printf("pwrite past eof: %d", __wasi_fd_pwrite(fd, &v, 1, 30, &n));
    printf(" n=%lu tell %d", n, __wasi_fd_tell(fd, &pos));
    printf(" %llu\n", (unsigned long long)pos);
    printf("pread neg: %d\n", __wasi_fd_pread(fd, &iv, 1, (__wasi_filesize_t)-1, &n));
    printf("pwrite neg: %d\n", __wasi_fd_pwrite(fd, &v, 1, (__wasi_filesize_t)-1, &n));
    printf("zero iovecs write: %d", __wasi_fd_write(fd, &v, 0, &n));
    printf(" n=%lu\n", n);
    printf("zero iovecs read: %d", __wasi_fd_read(fd, &iv, 0, &n));
    printf(" n=%lu\n", n);
    (void)__wasi_fd_close(fd);
    content("pwrite", "sk");
    printf("seek on dir: %d\n", __wasi_fd_seek(D, 0, 0, &pos));
    printf("tell on dir: %d\n", __wasi_fd_tell(D, &pos));
    printf("pread on dir: %d\n", __wasi_fd_pread(D, &iv, 1, 0, &n));
    printf("pwrite on dir: %d\n", __wasi_fd_pwrite(D, &v, 1, 0, &n));
}

static void rights(void) {
    __wasi_fd_t fd;
    __wasi_fdstat_t fs;
    __wasi_size_t used;
    char buf[8];
    int e;
    mkfile("rt", "data");
    printf("read on preopen: %d\n", (rd(D, buf, 8, &e), e));
    printf("write on preopen: %d\n", (wr(D, "x", &e), e));
    e = op("rt", 0, DIRECTORY, R_READ, 0, &fd);
    printf("open file as dir: %d\n", e);
    mkdir_("rtd");
    e = op("rtd", 0, 0, R_READ, 0, &fd);
    printf("read on dir: %d\n", (rd(fd, buf, 8, &e), e));
    (void)__wasi_fd_close(fd);

    e = op("rt", 0, 0, R_READ, 0, &fd);
    printf("write on ro: %d\n", (wr(fd, "x", &e), e));
    printf("fdstat ro: %d", __wasi_fd_fdstat_get(fd, &fs));
    printf(" ft=%d flags=%d base=%llx inh=%llx\n", fs.fs_filetype, fs.fs_flags,
           (unsigned long long)fs.fs_rights_base, (unsigned long long)fs.fs_rights_inheriting);
    __wasi_filesize_t pos;
    printf("seek without right: %d\n", __wasi_fd_seek(fd, 1, 0, &pos));
    printf("tell without right: %d\n", __wasi_fd_tell(fd, &pos));
    __wasi_filestat_t st;
    printf("filestat without right: %d\n", __wasi_fd_filestat_get(fd, &st));
    printf("set_size on ro: %d\n", __wasi_fd_filestat_set_size(fd, 1));
    printf("set_flags without right: %d\n", __wasi_fd_fdstat_set_flags(fd, APPEND));
    printf("sync on ro: %d\n", __wasi_fd_sync(fd));
    printf("datasync on ro: %d\n", __wasi_fd_datasync(fd));
    printf("advise: %d\n", __wasi_fd_advise(fd, 0, 10, __WASI_ADVICE_SEQUENTIAL));
    printf("allocate: %d\n", __wasi_fd_allocate(fd, 0, 10));
    printf("readdir on file: %d\n", __wasi_fd_readdir(fd, (uint8_t *)buf, 8, 0, &used));
    (void)__wasi_fd_close(fd);

    e = op("rt", 0, 0, ALL, 0, &fd);
    printf("fdstat all: %d", __wasi_fd_fdstat_get(fd, &fs));
    printf(" ft=%d flags=%d base=%llx inh=%llx\n", fs.fs_filetype, fs.fs_flags,
           (unsigned long long)fs.fs_rights_base, (unsigned long long)fs.fs_rights_inheriting);
    printf("set_rights shrink: %d", __wasi_fd_fdstat_set_rights(fd, R_READ, 0));
    (void)__wasi_fd_fdstat_get(fd, &fs);
    printf(" base=%llx inh=%llx\n", (unsigned long long)fs.fs_rights_base,
           (unsigned long long)fs.fs_rights_inheriting);
    printf("write after shrink: %d\n", (wr(fd, "x", &e), e));
    printf("set_rights grow: %d\n", __wasi_fd_fdstat_set_rights(fd, ALL, ALL));
    (void)__wasi_fd_close(fd);
    e = op("rt", 0, 0, R_WRITE, 0, &fd);
    printf("read on wo: %d\n", (rd(fd, buf, 8, &e), e));
    (void)__wasi_fd_close(fd);

    printf("fdstat preopen: %d", __wasi_fd_fdstat_get(D, &fs));
    printf(" ft=%d flags=%d base=%llx inh=%llx\n", fs.fs_filetype, fs.fs_flags,
           (unsigned long long)fs.fs_rights_base, (unsigned long long)fs.fs_rights_inheriting);
    e = op("rtd", 0, DIRECTORY, ALL, 0, &fd);
    printf("fdstat opened dir: %d", __wasi_fd_fdstat_get(fd, &fs));
    printf(" ft=%d flags=%d base=%llx inh=%llx\n", fs.fs_filetype, fs.fs_flags,
           (unsigned long long)fs.fs_rights_base, (unsigned long long)fs.fs_rights_inheriting);
    (void)__wasi_fd_close(fd);
    e = op("rtd", 0, DIRECTORY, __WASI_RIGHTS_PATH_OPEN, 0, &fd);
    printf("dir reduced rights: %d\n", e);
    printf("readdir without right: %d\n", __wasi_fd_readdir(fd, (uint8_t *)buf, 8, 0, &used));
    printf("mkdir without right: %d\n", __wasi_path_create_directory(fd, "sub"));
    (void)__wasi_fd_close(fd);
}

static void filestat(void) {
    __wasi_fd_t fd;
    __wasi_filestat_t st;
    int e;
    mkfile("fsz", "hello world");
    e = op("fsz", 0, 0, ALL, 0, &fd);
    e = __wasi_fd_filestat_get(fd, &st);
    printf("filestat: %d ft=%d size=%llu nlink=%llu\n", e, st.filetype,
           (unsigned long long)st.size, (unsigned long long)st.nlink);
    printf("set_size 5: %d", __wasi_fd_filestat_set_size(fd, 5));
    (void)__wasi_fd_filestat_get(fd, &st);
    printf(" size=%llu\n", (unsigned long long)st.size);
    printf("set_size 8: %d", __wasi_fd_filestat_set_size(fd, 8));
    (void)__wasi_fd_filestat_get(fd, &st);
    printf(" size=%llu\n", (unsigned long long)st.size);
    __wasi_filesize_t pos;
    printf("tell after set_size: %d", __wasi_fd_tell(fd, &pos));
    printf(" %llu\n", (unsigned long long)pos);
    printf("set_size huge: %d\n", __wasi_fd_filestat_set_size(fd, 0x8000000000000000ULL));
    printf("set_times mtim: %d",
           __wasi_fd_filestat_set_times(fd, 0, 1000000123456789ULL, __WASI_FSTFLAGS_MTIM));
    (void)__wasi_fd_filestat_get(fd, &st);
    printf(" mtim=%llu\n", (unsigned long long)st.mtim);
    printf("set_times atim: %d",
           __wasi_fd_filestat_set_times(fd, 2000000000000000000ULL, 0, __WASI_FSTFLAGS_ATIM));
    (void)__wasi_fd_filestat_get(fd, &st);
    printf(" atim=%llu mtim=%llu\n", (unsigned long long)st.atim, (unsigned long long)st.mtim);
    printf("set_times none: %d\n", __wasi_fd_filestat_set_times(fd, 0, 0, 0));
    printf("set_times mtim+now: %d\n",
           __wasi_fd_filestat_set_times(fd, 0, 5, __WASI_FSTFLAGS_MTIM | __WASI_FSTFLAGS_MTIM_NOW));
    printf("set_times atim+now: %d\n",
           __wasi_fd_filestat_set_times(fd, 5, 0, __WASI_FSTFLAGS_ATIM | __WASI_FSTFLAGS_ATIM_NOW));
    printf("set_times now: %d", __wasi_fd_filestat_set_times(fd, 0, 0, __WASI_FSTFLAGS_MTIM_NOW));
    (void)__wasi_fd_filestat_get(fd, &st);
    printf(" recent=%d\n", st.mtim > 1600000000000000000ULL);
    (void)__wasi_fd_close(fd);
    printf("set_times preopen: %d\n", __wasi_fd_filestat_set_times(D, 0, 3000000000, __WASI_FSTFLAGS_MTIM));
    printf("set_size preopen: %d\n", __wasi_fd_filestat_set_size(D, 0));
    e = __wasi_fd_filestat_get(D, &st);
    printf("filestat preopen: %d ft=%d\n", e, st.filetype);
    e = __wasi_fd_filestat_get(1, &st);
    printf("filestat stdout: %d\n", e);

    e = __wasi_path_filestat_get(D, 0, "fsz", &st);
    printf("path_filestat: %d ft=%d size=%llu\n", e, st.filetype, (unsigned long long)st.size);
    printf("path_filestat missing: %d\n", __wasi_path_filestat_get(D, 0, "nope", &st));
    printf("path_filestat file/: %d\n", __wasi_path_filestat_get(D, 0, "fsz/", &st));
    printf("path_filestat .: %d ft=%d\n", __wasi_path_filestat_get(D, 0, ".", &st), st.filetype);
    printf("path_filestat ..: %d\n", __wasi_path_filestat_get(D, 0, "..", &st));
    printf("path_filestat empty: %d\n", __wasi_path_filestat_get(D, 0, "", &st));
    printf("path_set_times: %d",
           __wasi_path_filestat_set_times(D, 0, "fsz", 0, 4000000000ULL, __WASI_FSTFLAGS_MTIM));
    (void)__wasi_path_filestat_get(D, 0, "fsz", &st);
    printf(" mtim=%llu\n", (unsigned long long)st.mtim);
    printf("path_set_times bad: %d\n", __wasi_path_filestat_set_times(
               D, 0, "fsz", 0, 0, __WASI_FSTFLAGS_MTIM | __WASI_FSTFLAGS_MTIM_NOW));
    printf("path_set_times missing: %d\n",
           __wasi_path_filestat_set_times(D, 0, "nope", 0, 0, __WASI_FSTFLAGS_MTIM));
    printf("path_set_times missing bad: %d\n", __wasi_path_filestat_set_times(
               D, 0, "nope", 0, 0, __WASI_FSTFLAGS_MTIM | __WASI_FSTFLAGS_MTIM_NOW));
}

// Reads all entries of `dfd` with buffers of `len` bytes, resuming at the last whole entry.
static void readdir_all(const char *what, __wasi_fd_t dfd, int len) {
    uint8_t buf[512];
    __wasi_dircookie_t cookie = 0;
    char names[64][32];
    int types[64], count = 0, calls = 0, truncated = 0;
    unsigned long long cookies = 0;
    for (;;) {
        __wasi_size_t used = 0;
        int e = __wasi_fd_readdir(dfd, buf, len, cookie, &used);
        calls++;
        if (e) {
            printf("%s: readdir %d\n", what, e);
            return;
        }
        __wasi_size_t off = 0;
        int whole = 0;
        while (off + sizeof(__wasi_dirent_t) <= used) {
            __wasi_dirent_t d;
            memcpy(&d, buf + off, sizeof d);
            if (off + sizeof d + d.d_namlen > used)
                break;
            if (count < 64) {
                int n = d.d_namlen < 31 ? d.d_namlen : 31;
                memcpy(names[count], buf + off + sizeof d, n);
                names[count][n] = 0;
                types[count] = d.d_type;
                count++;
            }
            cookies = cookies * 31 + d.d_next;
            cookie = d.d_next;
            off += sizeof d + d.d_namlen;
            whole++;
        }
        if (used < (__wasi_size_t)len)
            break;
        if (!whole) { // not even one entry fits
            printf("%s: stuck used=%lu\n", what, used);
            return;
        }
        truncated++;
        if (calls > 100)
            break;
    }
    // entries in name order: the host's order is its own
    for (int i = 0; i < count; i++)
        for (int j = i + 1; j < count; j++)
            if (strcmp(names[j], names[i]) < 0) {
                char t[32];
                int tt = types[i];
                strcpy(t, names[i]);
                strcpy(names[i], names[j]);
                strcpy(names[j], t);
                types[i] = types[j];
                types[j] = tt;
            }
    printf("%s:", what);
    for (int i = 0; i < count; i++)
        printf(" %s/%d", names[i], types[i]);
    printf(" (%d entries, last cookie %llu)\n", count, (unsigned long long)cookie);
}

static void readdir_cases(void) {
    __wasi_fd_t fd;
    mkdir_("rd");
    mkfile("rd/a", "");
    mkfile("rd/bb", "");
    mkfile("rd/ccccccccccccccccccccccccc", "");
    mkdir_("rd/sub");
    (void)__wasi_path_symlink("a", D, "rd/ln");
    int e = op("rd", 0, DIRECTORY, ALL, 0, &fd);
    printf("open rd: %d\n", e);
    readdir_all("readdir big", fd, 512);
    readdir_all("readdir 40", fd, 40);
    readdir_all("readdir 60", fd, 60);
    uint8_t buf[64];
    __wasi_size_t used = 0;
    e = __wasi_fd_readdir(fd, buf, 30, 0, &used);
    printf("readdir 30: %d used=%lu\n", e, used);
    e = __wasi_fd_readdir(fd, buf, 10, 0, &used);
    printf("readdir 10: %d used=%lu\n", e, used);
    e = __wasi_fd_readdir(fd, buf, 0, 0, &used);
    printf("readdir 0: %d used=%lu\n", e, used);
    e = __wasi_fd_readdir(fd, buf, 64, 1000, &used);
    printf("readdir past end: %d used=%lu\n", e, used);
    // first entry's cookie and where cookie 1 resumes
    __wasi_dirent_t d0, d1;
    e = __wasi_fd_readdir(fd, buf, 64, 0, &used);
    memcpy(&d0, buf, sizeof d0);
    e = __wasi_fd_readdir(fd, buf, 64, d0.d_next, &used);
    memcpy(&d1, buf, sizeof d1);
    printf("readdir cookies: first next=%llu then next=%llu\n", (unsigned long long)d0.d_next,
           (unsigned long long)d1.d_next);
    // an entry added after the first pass shows up after a rewind
    mkfile("rd/new", "");
    readdir_all("readdir after add", fd, 512);
    (void)__wasi_fd_close(fd);
    mkdir_("rde");
    e = op("rde", 0, DIRECTORY, ALL, 0, &fd);
    readdir_all("readdir empty", fd, 512);
    // `.`'s inode is the directory's
    __wasi_filestat_t st;
    (void)__wasi_fd_filestat_get(fd, &st);
    e = __wasi_fd_readdir(fd, buf, 64, 0, &used);
    memcpy(&d0, buf, sizeof d0);
    printf("readdir dot ino matches: %d name=%c\n", d0.d_ino == st.ino, buf[sizeof d0]);
    (void)__wasi_fd_close(fd);
}

static void dirs(void) {
    __wasi_fd_t fd;
    mkdir_("dx");
    mkfile("dxf", "f");
    printf("mkdir existing dir: %d\n", __wasi_path_create_directory(D, "dx"));
    printf("mkdir existing file: %d\n", __wasi_path_create_directory(D, "dxf"));
    printf("mkdir trailing slash: %d\n", __wasi_path_create_directory(D, "dnew/"));
    printf("mkdir missing parent: %d\n", __wasi_path_create_directory(D, "dnope/x"));
    printf("mkdir under file: %d\n", __wasi_path_create_directory(D, "dxf/x"));
    printf("mkdir .: %d\n", __wasi_path_create_directory(D, "."));
    printf("mkdir ..: %d\n", __wasi_path_create_directory(D, ".."));
    printf("mkdir empty: %d\n", __wasi_path_create_directory(D, ""));
    printf("mkdir /abs: %d\n", __wasi_path_create_directory(D, "/dabs"));
    printf("mkdir dx/../dy: %d ft=%d\n", __wasi_path_create_directory(D, "dx/../dy"),
           ftype_of("dy", 0));
    mkdir_("dne");
    mkfile("dne/f", "");
    printf("rmdir non-empty: %d\n", __wasi_path_remove_directory(D, "dne"));
    printf("rmdir file: %d\n", __wasi_path_remove_directory(D, "dxf"));
    printf("rmdir missing: %d\n", __wasi_path_remove_directory(D, "dnope"));
    printf("rmdir .: %d\n", __wasi_path_remove_directory(D, "."));
    printf("rmdir dx/..: %d\n", __wasi_path_remove_directory(D, "dx/.."));
    printf("rmdir dx/.: %d\n", __wasi_path_remove_directory(D, "dx/."));
    printf("rmdir empty: %d\n", __wasi_path_remove_directory(D, ""));
    printf("rmdir file/: %d\n", __wasi_path_remove_directory(D, "dxf/"));
    printf("rmdir trailing slash: %d ft=%d\n", __wasi_path_remove_directory(D, "dx/"),
           ftype_of("dx", 0));
    printf("unlink dir: %d\n", __wasi_path_unlink_file(D, "dne"));
    printf("unlink dir/: %d\n", __wasi_path_unlink_file(D, "dne/"));
    printf("unlink file/: %d\n", __wasi_path_unlink_file(D, "dxf/"));
    printf("unlink missing: %d\n", __wasi_path_unlink_file(D, "unope"));
    printf("unlink .: %d\n", __wasi_path_unlink_file(D, "."));
    printf("unlink empty: %d\n", __wasi_path_unlink_file(D, ""));
    printf("unlink file: %d ft=%d\n", __wasi_path_unlink_file(D, "dxf"), ftype_of("dxf", 0));
    // an open file survives its unlink
    mkfile("uo", "still here");
    int e = op("uo", 0, 0, ALL, 0, &fd);
    printf("unlink open file: %d\n", __wasi_path_unlink_file(D, "uo"));
    char buf[16];
    int n = rd(fd, buf, sizeof buf, &e);
    printf("read unlinked: %d ", e);
    show(buf, n);
    putchar('\n');
    (void)__wasi_fd_close(fd);
    // remove an opened directory
    mkdir_("dopen");
    e = op("dopen", 0, DIRECTORY, ALL, 0, &fd);
    printf("rmdir open dir: %d\n", __wasi_path_remove_directory(D, "dopen"));
    printf("mkdir in removed dir: %d\n", __wasi_path_create_directory(fd, "x"));
    (void)__wasi_fd_close(fd);
}

static void renames(void) {
    mkfile("rf1", "one");
    mkfile("rf2", "two");
    printf("rename file over file: %d ft=%d\n", __wasi_path_rename(D, "rf1", D, "rf2"),
           ftype_of("rf1", 0));
    content("rename file over file", "rf2");
    mkdir_("rd1");
    mkfile("rd1/x", "x");
    mkdir_("rd2");
    printf("rename dir over empty dir: %d\n", __wasi_path_rename(D, "rd1", D, "rd2"));
    content("rename dir over empty dir", "rd2/x");
    mkdir_("rd3");
    mkdir_("rd4");
    mkfile("rd4/y", "");
    printf("rename dir over non-empty: %d\n", __wasi_path_rename(D, "rd3", D, "rd4"));
    mkfile("rf3", "");
    mkdir_("rd5");
    printf("rename file over dir: %d\n", __wasi_path_rename(D, "rf3", D, "rd5"));
    printf("rename dir over file: %d\n", __wasi_path_rename(D, "rd5", D, "rf3"));
    mkdir_("rd6");
    mkdir_("rd6/sub");
    printf("rename dir into own subdir: %d\n", __wasi_path_rename(D, "rd6", D, "rd6/sub/x"));
    printf("rename dir onto itself: %d\n", __wasi_path_rename(D, "rd6", D, "rd6"));
    printf("rename file onto itself: %d\n", __wasi_path_rename(D, "rf3", D, "rf3"));
    printf("rename missing: %d\n", __wasi_path_rename(D, "rnope", D, "rnope2"));
    printf("rename to missing parent: %d\n", __wasi_path_rename(D, "rf3", D, "rnope/x"));
    printf("rename file to name/: %d\n", __wasi_path_rename(D, "rf3", D, "rf4/"));
    printf("rename file/ : %d\n", __wasi_path_rename(D, "rf3/", D, "rf4"));
    printf("rename dir to name/: %d ft=%d\n", __wasi_path_rename(D, "rd6/", D, "rd7/"),
           ftype_of("rd7", 0));
    printf("rename .: %d\n", __wasi_path_rename(D, ".", D, "rdot"));
    printf("rename to .: %d\n", __wasi_path_rename(D, "rf3", D, "."));
    printf("rename ..: %d\n", __wasi_path_rename(D, "rd7/..", D, "rdot"));
    printf("rename empty: %d\n", __wasi_path_rename(D, "", D, "rx"));
    printf("rename to empty: %d\n", __wasi_path_rename(D, "rf3", D, ""));
    printf("rename to /abs: %d\n", __wasi_path_rename(D, "rf3", D, "/rx"));
    printf("rename to ../: %d\n", __wasi_path_rename(D, "rf3", D, "../rx"));
    printf("rename bad fd: %d\n", __wasi_path_rename(D, "rf3", 99, "rx"));
    printf("rename into subdir: %d ft=%d\n", __wasi_path_rename(D, "rf3", D, "rd7/rf3"),
           ftype_of("rd7/rf3", 0));
}

static void links(void) {
    __wasi_fd_t fd;
    char buf[64];
    __wasi_size_t n;
    mkfile("lt", "target data");
    printf("symlink: %d\n", __wasi_path_symlink("lt", D, "ln1"));
    n = 0;
    int e = __wasi_path_readlink(D, "ln1", (uint8_t *)buf, sizeof buf, &n);
    printf("readlink: %d n=%lu ", e, n);
    show(buf, e ? 0 : n);
    putchar('\n');
    n = 0;
    memset(buf, '-', 8);
    e = __wasi_path_readlink(D, "ln1", (uint8_t *)buf, 1, &n);
    printf("readlink small: %d n=%lu ", e, n);
    show(buf, 4);
    putchar('\n');
    e = __wasi_path_readlink(D, "ln1", (uint8_t *)buf, 0, &n);
    printf("readlink zero: %d n=%lu\n", e, n);
    printf("readlink file: %d\n", __wasi_path_readlink(D, "lt", (uint8_t *)buf, 64, &n));
    printf("readlink missing: %d\n", __wasi_path_readlink(D, "lnope", (uint8_t *)buf, 64, &n));
    printf("readlink dir: %d\n", __wasi_path_readlink(D, ".", (uint8_t *)buf, 64, &n));
    printf("readlink link/: %d\n", __wasi_path_readlink(D, "ln1/", (uint8_t *)buf, 64, &n));
    printf("filestat link nofollow: ft=%d\n", ftype_of("ln1", 0));
    printf("filestat link follow: ft=%d\n", ftype_of("ln1", FOLLOW));
    __wasi_filestat_t st;
    (void)__wasi_path_filestat_get(D, 0, "ln1", &st);
    printf("filestat link size: %llu\n", (unsigned long long)st.size);
    open_case("open link follow", "ln1", FOLLOW, 0, R_READ);
    open_case("open link nofollow", "ln1", 0, 0, R_READ);
    open_case("open link nofollow dir", "ln1", 0, DIRECTORY, R_READ);
    open_case("open link nofollow creat", "ln1", 0, CREAT, R_READ | R_WRITE);
    open_case("open link nofollow creat excl", "ln1", 0, CREAT | EXCL, R_READ | R_WRITE);
    printf("symlink existing: %d\n", __wasi_path_symlink("lt", D, "lt"));
    printf("symlink existing link: %d\n", __wasi_path_symlink("x", D, "ln1"));
    printf("symlink trailing slash: %d\n", __wasi_path_symlink("lt", D, "ln2/"));
    printf("symlink empty target: %d\n", __wasi_path_symlink("", D, "ln3"));
    printf("symlink empty name: %d\n", __wasi_path_symlink("lt", D, ""));
    printf("symlink abs name: %d\n", __wasi_path_symlink("lt", D, "/ln4"));
    printf("symlink to abs: %d\n", __wasi_path_symlink("/etc/passwd", D, "lnabs"));
    open_case("open abs link", "lnabs", FOLLOW, 0, R_READ);
    printf("filestat abs link follow: ft=%d\n", ftype_of("lnabs", FOLLOW));
    printf("symlink outside: %d\n", __wasi_path_symlink("../outside", D, "lnout"));
    open_case("open outside link", "lnout", FOLLOW, 0, R_READ);
    open_case("open outside link creat", "lnout", FOLLOW, CREAT, R_READ | R_WRITE);
    printf("filestat outside link follow: ft=%d\n", ftype_of("lnout", FOLLOW));
    printf("symlink dir: %d\n", __wasi_path_symlink(".", D, "lndot"));
    open_case("open through dir link", "lndot/lt", 0, 0, R_READ);
    open_case("open dir link follow", "lndot", FOLLOW, DIRECTORY, R_READ);
    open_case("open dir link/ nofollow", "lndot/", 0, DIRECTORY, R_READ);
    printf("symlink loop: %d", __wasi_path_symlink("lp2", D, "lp1"));
    printf(" %d\n", __wasi_path_symlink("lp1", D, "lp2"));
    open_case("open loop", "lp1", FOLLOW, 0, R_READ);
    open_case("open loop/x", "lp1/x", 0, 0, R_READ);
    printf("filestat loop follow: ft=%d\n", ftype_of("lp1", FOLLOW));
    printf("symlink self: %d\n", __wasi_path_symlink("lself", D, "lself"));
    open_case("open self", "lself", FOLLOW, 0, R_READ);
    printf("symlink dangling: %d\n", __wasi_path_symlink("ldang_t", D, "ldang"));
    open_case("open dangling", "ldang", FOLLOW, 0, R_READ);
    open_case("open dangling creat", "ldang", FOLLOW, CREAT, R_READ | R_WRITE);
    printf("dangling target now: ft=%d\n", ftype_of("ldang_t", 0));
    (void)__wasi_path_symlink("ldang2_t", D, "ldang2");
    printf("unlink dangling/: %d\n", __wasi_path_unlink_file(D, "ldang2/"));
    printf("rmdir dangling/: %d\n", __wasi_path_remove_directory(D, "ldang2/"));
    printf("filestat dangling/: ft=%d\n", ftype_of("ldang2/", 0));
    printf("mkdir dangling/: %d\n", __wasi_path_create_directory(D, "ldang2/"));
    printf("filestat dangling follow: ft=%d\n", ftype_of("ldang", FOLLOW));
    printf("unlink link: %d lt=%d\n", __wasi_path_unlink_file(D, "ln1"), ftype_of("lt", 0));
    printf("symlink to dir/: %d\n", __wasi_path_symlink("lt/", D, "lnslash"));
    open_case("open link to file/", "lnslash", FOLLOW, 0, R_READ);
    printf("rmdir dir link: %d\n", __wasi_path_remove_directory(D, "lndot"));
    printf("unlink dir link/: %d\n", __wasi_path_unlink_file(D, "lndot/"));
    printf("rename link: %d ft=%d\n", __wasi_path_rename(D, "lndot", D, "lndot2"),
           ftype_of("lndot2", 0));

    mkfile("hl", "hard");
    printf("link: %d", __wasi_path_link(D, 0, "hl", D, "hl2"));
    (void)__wasi_path_filestat_get(D, 0, "hl", &st);
    printf(" nlink=%llu\n", (unsigned long long)st.nlink);
    content("link", "hl2");
    printf("link existing: %d\n", __wasi_path_link(D, 0, "hl", D, "hl2"));
    printf("link dir: %d\n", __wasi_path_link(D, 0, "rd", D, "hl3"));
    printf("link missing: %d\n", __wasi_path_link(D, 0, "hlnope", D, "hl4"));
    printf("link to missing parent: %d\n", __wasi_path_link(D, 0, "hl", D, "hlnope/x"));
    printf("link file/: %d\n", __wasi_path_link(D, 0, "hl/", D, "hl5"));
    printf("link to name/: %d\n", __wasi_path_link(D, 0, "hl", D, "hl6/"));
    printf("link to /abs: %d\n", __wasi_path_link(D, 0, "hl", D, "/hl7"));
    (void)__wasi_path_symlink("hl", D, "hls");
    printf("link symlink nofollow: %d ft=%d\n", __wasi_path_link(D, 0, "hls", D, "hl8"),
           ftype_of("hl8", 0));
    printf("link symlink follow: %d ft=%d\n", __wasi_path_link(D, FOLLOW, "hls", D, "hl9"),
           ftype_of("hl9", 0));
    (void)fd;
}

static void descriptors(void) {
    __wasi_fd_t a, b;
    __wasi_fdstat_t fs;
    mkfile("ra", "A");
    mkfile("rb", "B");
    int e = op("ra", 0, 0, ALL, 0, &a);
    e = op("rb", 0, 0, ALL, 0, &b);
    printf("first fds: %u %u\n", a, b);
    printf("renumber onto open: %d\n", __wasi_fd_renumber(a, b));
    char buf[4];
    int n = rd(b, buf, 4, &e);
    printf("read renumbered: %d ", e);
    show(buf, n);
    putchar('\n');
    printf("old fd closed: %d\n", __wasi_fd_fdstat_get(a, &fs));
    printf("renumber onto closed: %d\n", __wasi_fd_renumber(b, 50));
    printf("renumber from closed: %d\n", __wasi_fd_renumber(50, b));
    printf("renumber to self: %d\n", __wasi_fd_renumber(b, b));
    printf("close: %d\n", __wasi_fd_close(b));
    printf("close again: %d\n", __wasi_fd_close(b));
    e = op("ra", 0, 0, ALL, 0, &a);
    printf("reused fd: %u\n", a);
    (void)__wasi_fd_close(a);
    __wasi_filesize_t pos;
    __wasi_filestat_t st;
    __wasi_prestat_t ps;
    __wasi_size_t used;
    printf("fd99 read: %d\n", (rd(99, buf, 4, &e), e));
    printf("fd99 write: %d\n", (wr(99, "x", &e), e));
    printf("fd99 seek: %d\n", __wasi_fd_seek(99, 0, 0, &pos));
    printf("fd99 tell: %d\n", __wasi_fd_tell(99, &pos));
    printf("fd99 close: %d\n", __wasi_fd_close(99));
    printf("fd99 fdstat: %d\n", __wasi_fd_fdstat_get(99, &fs));
    printf("fd99 filestat: %d\n", __wasi_fd_filestat_get(99, &st));
    printf("fd99 prestat: %d\n", __wasi_fd_prestat_get(99, &ps));
    printf("fd99 readdir: %d\n", __wasi_fd_readdir(99, (uint8_t *)buf, 4, 0, &used));
    printf("fd99 sync: %d\n", __wasi_fd_sync(99));
    printf("fd99 set_flags: %d\n", __wasi_fd_fdstat_set_flags(99, 0));
    printf("fd99 set_size: %d\n", __wasi_fd_filestat_set_size(99, 0));
    printf("fd99 renumber: %d\n", __wasi_fd_renumber(99, 98));
    printf("fd99 advise: %d\n", __wasi_fd_advise(99, 0, 0, 0));
    printf("fd99 mkdir: %d\n", __wasi_path_create_directory(99, "x"));
    printf("fd huge: %d\n", __wasi_fd_close(0x7FFFFFFF));

    e = __wasi_fd_prestat_get(D, &ps);
    printf("prestat 3: %d tag=%d len=%lu\n", e, ps.tag, ps.u.dir.pr_name_len);
    printf("prestat 0: %d\n", __wasi_fd_prestat_get(0, &ps));
    printf("prestat 1: %d\n", __wasi_fd_prestat_get(1, &ps));
    e = op("ra", 0, 0, R_READ, 0, &a);
    printf("prestat file: %d\n", __wasi_fd_prestat_get(a, &ps));
    printf("prestat_dir_name file: %d\n", __wasi_fd_prestat_dir_name(a, (uint8_t *)buf, 4));
    (void)__wasi_fd_close(a);
    e = op(".", 0, DIRECTORY, R_READ, 0, &a);
    printf("prestat opened dir: %d\n", __wasi_fd_prestat_get(a, &ps));
    (void)__wasi_fd_close(a);
    memset(buf, '-', 4);
    e = __wasi_fd_prestat_dir_name(D, (uint8_t *)buf, 1);
    printf("prestat_dir_name small: %d ", e);
    show(buf, 4);
    putchar('\n');
    memset(buf, '-', 4);
    e = __wasi_fd_prestat_dir_name(D, (uint8_t *)buf, 2);
    printf("prestat_dir_name exact: %d ", e);
    show(buf, 4);
    putchar('\n');
    memset(buf, '-', 4);
    e = __wasi_fd_prestat_dir_name(D, (uint8_t *)buf, 4);
    printf("prestat_dir_name big: %d ", e);
    show(buf, 4);
    putchar('\n');
    printf("prestat_dir_name stdin: %d\n", __wasi_fd_prestat_dir_name(0, (uint8_t *)buf, 4));
    printf("prestat_dir_name 99: %d\n", __wasi_fd_prestat_dir_name(99, (uint8_t *)buf, 4));
    printf("close preopen dup: ");
    e = op(".", 0, DIRECTORY, ALL, 0, &a);
    printf("%d %d\n", e, __wasi_fd_close(a));
}

static void misc(void) {
    __wasi_timestamp_t t;
    for (int c = 0; c < 4; c++) {
        printf("clock_time_get %d: %d", c, __wasi_clock_time_get(c, 1, &t));
        printf(" res %d\n", __wasi_clock_res_get(c, &t));
    }
    __wasi_timestamp_t t1, t2;
    (void)__wasi_clock_time_get(1, 1, &t1);
    (void)__wasi_clock_time_get(1, 1, &t2);
    printf("monotonic: %d\n", t2 >= t1);
    (void)__wasi_clock_time_get(0, 1, &t);
    printf("realtime sane: %d\n", t > 1600000000000000000ULL);
    (void)__wasi_clock_res_get(1, &t);
    printf("monotonic res sane: %d\n", t > 0 && t <= 1000000000ULL);

    __wasi_subscription_t sub[2];
    __wasi_event_t ev[2];
    __wasi_size_t n = 99;
    printf("poll 0 subs: %d n=%lu\n", __wasi_poll_oneoff(sub, ev, 0, &n), n);
    memset(sub, 0, sizeof sub);
    memset(ev, 0xAA, sizeof ev);
    sub[0].userdata = 0x1234;
    sub[0].u.tag = __WASI_EVENTTYPE_CLOCK;
    sub[0].u.u.clock.id = __WASI_CLOCKID_MONOTONIC;
    sub[0].u.u.clock.timeout = 1000000;
    (void)__wasi_clock_time_get(1, 1, &t1);
    int e = __wasi_poll_oneoff(sub, ev, 1, &n);
    (void)__wasi_clock_time_get(1, 1, &t2);
    printf("poll relative: %d n=%lu ud=%llx err=%d type=%d waited=%d\n", e, n,
           (unsigned long long)ev[0].userdata, ev[0].error, ev[0].type, t2 - t1 >= 1000000);
    (void)__wasi_clock_time_get(0, 1, &t);
    sub[0].u.u.clock.id = __WASI_CLOCKID_REALTIME;
    sub[0].u.u.clock.timeout = t - 1000000000ULL;
    sub[0].u.u.clock.flags = __WASI_SUBCLOCKFLAGS_SUBSCRIPTION_CLOCK_ABSTIME;
    e = __wasi_poll_oneoff(sub, ev, 1, &n);
    printf("poll abs past: %d n=%lu err=%d type=%d\n", e, n, ev[0].error, ev[0].type);
    sub[0].u.u.clock.id = 2;
    sub[0].u.u.clock.flags = 0;
    sub[0].u.u.clock.timeout = 0;
    e = __wasi_poll_oneoff(sub, ev, 1, &n);
    printf("poll process clock: %d n=%lu err=%d\n", e, n, e ? 0 : ev[0].error);
    __wasi_fd_t fd;
    mkfile("pollf", "12345");
    e = op("pollf", 0, 0, ALL, 0, &fd);
    memset(sub, 0, sizeof sub);
    sub[0].userdata = 1;
    sub[0].u.tag = __WASI_EVENTTYPE_CLOCK;
    sub[0].u.u.clock.id = __WASI_CLOCKID_MONOTONIC;
    sub[0].u.u.clock.timeout = 5000000000ULL;
    sub[1].userdata = 2;
    sub[1].u.tag = __WASI_EVENTTYPE_FD_READ;
    sub[1].u.u.fd_read.file_descriptor = fd;
    // one fd subscription at a time: wasmtime may report only some of several ready ones
    for (int t = 0; t < 2; t++) {
        sub[1].u.tag = t ? __WASI_EVENTTYPE_FD_WRITE : __WASI_EVENTTYPE_FD_READ;
        e = __wasi_poll_oneoff(sub, ev, 2, &n);
        printf("poll file %s: %d n=%lu", t ? "write" : "read", e, n);
        for (unsigned i = 0; i < n && i < 2; i++)
            printf(" [ud=%llu err=%d type=%d]", (unsigned long long)ev[i].userdata,
                   ev[i].error, ev[i].type);
        putchar('\n');
    }
    sub[1].u.u.fd_read.file_descriptor = D;
    printf("poll dir: %d\n", __wasi_poll_oneoff(sub, ev, 2, &n));
    sub[1].u.tag = __WASI_EVENTTYPE_FD_READ;
    sub[1].u.u.fd_read.file_descriptor = 1;
    printf("poll read stdout: %d\n", __wasi_poll_oneoff(sub, ev, 2, &n));
    sub[1].u.u.fd_read.file_descriptor = 99;
    e = __wasi_poll_oneoff(sub, ev, 2, &n);
    printf("poll fd99: %d n=%lu", e, n);
    for (unsigned i = 0; i < n && i < 2; i++)
        printf(" [ud=%llu err=%d type=%d]", (unsigned long long)ev[i].userdata, ev[i].error,
               ev[i].type);
    putchar('\n');
    (void)__wasi_fd_close(fd);

    uint8_t rnd[64];
    memset(rnd, 0, sizeof rnd);
    printf("random 0: %d\n", __wasi_random_get(rnd, 0));
    e = __wasi_random_get(rnd, 64);
    int nz = 0;
    for (int i = 0; i < 64; i++)
        nz += rnd[i] != 0;
    printf("random 64: %d nonzero=%d\n", e, nz > 32);
    printf("sched_yield: %d\n", __wasi_sched_yield());

    __wasi_size_t argc = 0, argsz = 0, envc = 0, envsz = 0;
    e = __wasi_args_sizes_get(&argc, &argsz);
    printf("args_sizes: %d argc=%lu\n", e, argc);
    if (argc > 1 && argc < 8) {
        uint8_t *argv[8];
        uint8_t *abuf = malloc(argsz);
        (void)__wasi_args_get(argv, abuf);
        for (unsigned i = 1; i < argc; i++)
            printf("arg %u: %s\n", i, argv[i]);
        free(abuf);
    }
    e = __wasi_environ_sizes_get(&envc, &envsz);
    printf("environ_sizes: %d count=%lu size=%lu\n", e, envc, envsz);
    if (envc && envc < 8) {
        uint8_t *env[8];
        uint8_t *ebuf = malloc(envsz);
        (void)__wasi_environ_get(env, ebuf);
        for (unsigned i = 0; i < envc; i++)
            printf("env %u: %s\n", i, env[i]);
        free(ebuf);
    }

    __wasi_iovec_t iv = {rnd, 4};
    __wasi_ciovec_t cv = {rnd, 4};
    __wasi_size_t len;
    __wasi_roflags_t rof;
    for (int f = 0; f < 4; f++) {
        __wasi_fd_t sfd = f == 3 ? 99 : f == 2 ? D : 0;
        if (f == 1)
            sfd = 1;
        printf("sock_recv %u: %d\n", sfd, __wasi_sock_recv(sfd, &iv, 1, 0, &len, &rof));
        printf("sock_send %u: %d\n", sfd, __wasi_sock_send(sfd, &cv, 1, 0, &len));
        printf("sock_shutdown %u: %d\n", sfd, __wasi_sock_shutdown(sfd, __WASI_SDFLAGS_RD));
        printf("sock_accept %u: %d\n", sfd, __wasi_sock_accept(sfd, 0, &fd));
    }
}

int main(void) {
    oflags_matrix();
    paths();
    append_seek();
    rights();
    filestat();
    readdir_cases();
    dirs();
    renames();
    links();
    descriptors();
    misc();
    printf("done\n");
    fflush(stdout);
    __wasi_proc_exit(7);
}
