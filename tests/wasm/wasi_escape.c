// Escape attempts from the preopened directory (fd 3), through raw WASI calls so that wasi-libc
// path handling cannot hide anything. The host test (tests/host/test_wasi_escape.py) lays out
// symlinks pointing outside before the run. Prints one line per attempt and a summary.
#include <stdio.h>
#include <string.h>
#include <wasi/api.h>

#define ALL ((__wasi_rights_t)0x1FFFFFFF)
#define FOLLOW __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW

static int attempts, escapes;

static void report(const char *what, int escaped, int err) {
    attempts++;
    if (escaped) {
        escapes++;
        printf("%s: ESCAPED\n", what);
    } else {
        printf("%s: blocked (%d)\n", what, err);
    }
}

// Open for reading; an escape is an open that yields the secret.
static void try_open(const char *what, __wasi_fd_t dir, const char *path, int oflags, int follow) {
    __wasi_fd_t fd;
    __wasi_errno_t e = __wasi_path_open(dir, follow ? FOLLOW : 0, path, oflags, ALL, ALL, 0, &fd);
    int escaped = 0;
    if (e == 0) {
        char buf[64] = {0};
        __wasi_iovec_t iov = {(uint8_t *)buf, sizeof buf - 1};
        __wasi_size_t n = 0;
        if (__wasi_fd_read(fd, &iov, 1, &n) == 0 && strstr(buf, "top secret"))
            escaped = 1;
        // creating a file outside is an escape too: the host test checks the outside tree
        (void)__wasi_fd_close(fd);
    }
    report(what, escaped, e);
}

static void try_errno(const char *what, __wasi_errno_t e) { report(what, e == 0, e); }

int main(void) {
    try_open("dotdot", 3, "../../outside/secret.txt", 0, 1);
    try_open("single dotdot", 3, "../file", 0, 1);
    try_open("absolute", 3, "/etc/passwd", 0, 1);
    try_open("dotdot after subdir", 3, "sub/../../outside/secret.txt", 0, 1);
    try_open("dot dotdot", 3, "./../outside/secret.txt", 0, 1);
    try_open("absolute symlink", 3, "abs", 0, 1);
    try_open("absolute dir symlink", 3, "absdir/secret.txt", 0, 1);
    try_open("symlink to /", 3, "absroot/etc/passwd", 0, 1);
    try_open("relative symlink out", 3, "rel_out", 0, 1);
    try_open("symlink up", 3, "up/../outside/secret.txt", 0, 1);
    try_open("symlink up slash", 3, "upslash/outside/secret.txt", 0, 1);
    try_open("symlink with dotdot", 3, "deep/secret.txt", 0, 1);
    try_open("nested uplink", 3, "sub/uplink/outside/secret.txt", 0, 1);
    try_open("deep uplink", 3, "sub/deeper/up3", 0, 1);
    try_open("chain", 3, "chain1/secret.txt", 0, 1);
    try_open("tricky", 3, "tricky", 0, 1);
    try_open("inside link then out", 3, "inside_ok/../../../outside/secret.txt", 0, 1);
    try_open("create through dangling", 3, "dang", __WASI_OFLAGS_CREAT, 1);
    try_open("create outside", 3, "../../outside/new", __WASI_OFLAGS_CREAT, 1);
    try_open("truncate outside", 3, "absdir/secret.txt", __WASI_OFLAGS_TRUNC, 1);
    try_open("open dir up", 3, "up", __WASI_OFLAGS_DIRECTORY, 1);
    try_open("loop", 3, "loop1", 0, 1);
    try_open("nofollow abs", 3, "abs", 0, 0);
    try_open("forged fd", 77, "file", 0, 1);
    try_open("stdout as dir", 1, "file", 0, 1);
    try_open("dotdot_dir", 3, "dotdot_dir/../../outside/secret.txt", 0, 1);

    __wasi_fd_t sub;
    if (__wasi_path_open(3, 0, "sub", __WASI_OFLAGS_DIRECTORY, __WASI_RIGHTS_PATH_OPEN, ALL, 0,
                         &sub) == 0) {
        try_open("subdir dotdot", sub, "../file", 0, 1);
        try_open("subdir uplink", sub, "uplink/outside/secret.txt", 0, 1);
        (void)__wasi_fd_close(sub);
        try_open("closed subdir", sub, "deeper", __WASI_OFLAGS_DIRECTORY, 1);
    }

    __wasi_filestat_t st;
    try_errno("stat outside", __wasi_path_filestat_get(3, FOLLOW, "../../outside/secret.txt", &st));
    try_errno("stat abs link", __wasi_path_filestat_get(3, FOLLOW, "abs", &st));
    try_errno("mkdir outside", __wasi_path_create_directory(3, "absdir/newdir"));
    try_errno("mkdir up", __wasi_path_create_directory(3, "up/newdir"));
    try_errno("rmdir outside", __wasi_path_remove_directory(3, "absdir/emptydir"));
    try_errno("unlink outside", __wasi_path_unlink_file(3, "../../outside/secret.txt"));
    try_errno("unlink chain", __wasi_path_unlink_file(3, "chain1/secret.txt"));
    try_errno("rename out", __wasi_path_rename(3, "file", 3, "absdir/moved"));
    try_errno("rename in", __wasi_path_rename(3, "absdir/secret.txt", 3, "stolen"));
    try_errno("link outside", __wasi_path_link(3, 0, "../../outside/secret.txt", 3, "hard"));
    try_errno("link via abs", __wasi_path_link(3, FOLLOW, "abs", 3, "hard2"));
    try_errno("times outside", __wasi_path_filestat_set_times(3, FOLLOW, "absdir/secret.txt", 0,
                                                             0, __WASI_FSTFLAGS_MTIM_NOW));

    // symlinks made by the guest (may be unsupported: then nothing to follow)
    (void)__wasi_path_symlink("../../outside/secret.txt", 3, "g1");
    try_open("guest symlink out", 3, "g1", 0, 1);
    (void)__wasi_path_symlink("/etc/passwd", 3, "g2");
    try_open("guest symlink abs", 3, "g2", 0, 1);
    try_errno("symlink planted outside", __wasi_path_symlink("x", 3, "absdir/planted"));

    printf("attempts: %d, escapes: %d\n", attempts, escapes);
    return 0;
}
