// Filesystem behaviour through wasi-libc, as a POSIX program sees it: run with a scratch
// directory preopened as "/t". Each check compares a result and errno with what Linux and
// wasmtime give; prints FAIL lines and a summary "fs: N checks, F failed".
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int checks, failed;

#define EXPECT_OK(expr) check_ok((expr) >= 0, #expr, __LINE__)
#define EXPECT_ERR(expr, err) check_err((expr), err, #expr, __LINE__)
#define EXPECT(cond) check_ok((cond), #cond, __LINE__)

static void check_ok(int ok, const char *what, int line) {
    checks++;
    if (!ok) {
        failed++;
        printf("FAIL %d: %s (errno %d %s)\n", line, what, errno, strerror(errno));
    }
}

static void check_err(long r, int err, const char *what, int line) {
    checks++;
    if (r != -1 || errno != err) {
        failed++;
        printf("FAIL %d: %s -> %ld errno %d (%s), expected %d (%s)\n", line, what, r, errno,
               strerror(errno), err, strerror(err));
    }
}

static int put(const char *path, const char *data) {
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0)
        return -1;
    ssize_t n = write(fd, data, strlen(data));
    close(fd);
    return n == (ssize_t)strlen(data) ? 0 : -1;
}

static int names(const char *path, char *out, size_t size) {
    DIR *d = opendir(path);
    if (!d)
        return -1;
    out[0] = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        strncat(out, e->d_name, size - strlen(out) - 2);
        strcat(out, ",");
    }
    closedir(d);
    return 0;
}

static void files(void) {
    char buf[64];
    int fd;
    EXPECT_OK(put("/t/f", "hello"));
    EXPECT_ERR(open("/t/f", O_CREAT | O_EXCL | O_WRONLY, 0644), EEXIST);
    EXPECT_ERR(open("/t/missing", O_RDONLY), ENOENT);
    EXPECT_ERR(open("/t/f/", O_RDONLY), ENOTDIR);
    EXPECT_ERR(open("/t/f/x", O_RDONLY), ENOTDIR);
    EXPECT_ERR(open("/t/f", O_RDONLY | O_DIRECTORY), ENOTDIR);
    EXPECT_ERR(open("/t/new/", O_CREAT | O_WRONLY, 0644), EISDIR);
    EXPECT_ERR(open("/t", O_WRONLY), EISDIR);
    EXPECT_ERR(open("/t", O_RDWR), EISDIR);
    // O_TRUNC empties, O_APPEND appends wherever the offset is
    EXPECT_OK(fd = open("/t/f", O_WRONLY | O_TRUNC));
    EXPECT(lseek(fd, 0, SEEK_END) == 0);
    close(fd);
    EXPECT_OK(put("/t/f", "abc"));
    EXPECT_OK(fd = open("/t/f", O_WRONLY | O_APPEND));
    EXPECT(lseek(fd, 0, SEEK_SET) == 0);
    EXPECT(write(fd, "def", 3) == 3);
    EXPECT(lseek(fd, 0, SEEK_CUR) == 6);
    close(fd);
    // read on a write-only descriptor is refused, and write on a read-only one (the runtime
    // says ENOTCAPABLE, which wasi-libc's read/write report as EBADF, as Linux does)
    EXPECT_OK(fd = open("/t/f", O_WRONLY));
    EXPECT_ERR(read(fd, buf, 1), EBADF);
    close(fd);
    EXPECT_OK(fd = open("/t/f", O_RDONLY));
    EXPECT_ERR(write(fd, "x", 1), EBADF);
    EXPECT(read(fd, buf, sizeof buf) == 6 && !memcmp(buf, "abcdef", 6));
    EXPECT(read(fd, buf, sizeof buf) == 0);
    // seek past the end, then write: a hole of zeros
    EXPECT(lseek(fd, 100, SEEK_SET) == 100);
    EXPECT(read(fd, buf, sizeof buf) == 0);
    EXPECT_ERR(lseek(fd, -1, SEEK_SET), EINVAL);
    EXPECT_ERR(lseek(fd, 0, 42), EINVAL);
    close(fd);
    EXPECT_OK(fd = open("/t/f", O_RDWR));
    EXPECT(lseek(fd, 10, SEEK_END) == 16);
    EXPECT(write(fd, "Z", 1) == 1);
    struct stat st;
    EXPECT_OK(fstat(fd, &st));
    EXPECT(st.st_size == 17 && S_ISREG(st.st_mode));
    EXPECT(pread(fd, buf, 4, 6) == 4 && !memcmp(buf, "\0\0\0\0", 4));
    EXPECT(pwrite(fd, "XY", 2, 1) == 2);
    EXPECT(lseek(fd, 0, SEEK_CUR) == 17);
    EXPECT(pread(fd, buf, 4, 0) == 4 && !memcmp(buf, "aXYd", 4));
    EXPECT_ERR(close(fd) + close(fd), EBADF);
    EXPECT_ERR(read(fd, buf, 1), EBADF);
    EXPECT_ERR(lseek(1, 0, SEEK_CUR), ESPIPE);
    EXPECT_OK(stat("/t/f", &st));
    EXPECT(st.st_size == 17);
    EXPECT_ERR(stat("/t/f/", &st), ENOTDIR);
    EXPECT_ERR(stat("/t/nope", &st), ENOENT);
}

static void directories(void) {
    struct stat st;
    char list[256];
    EXPECT_OK(mkdir("/t/d", 0755));
    EXPECT_ERR(mkdir("/t/d", 0755), EEXIST);
    EXPECT_ERR(mkdir("/t/f", 0755), EEXIST);
    EXPECT_ERR(mkdir("/t/x/y", 0755), ENOENT);
    EXPECT_OK(mkdir("/t/d/sub/", 0755));
    EXPECT_OK(stat("/t/d/", &st));
    EXPECT(S_ISDIR(st.st_mode));
    EXPECT_ERR(rmdir("/t/d"), ENOTEMPTY);
    EXPECT_ERR(rmdir("/t/f"), ENOTDIR);
    EXPECT_ERR(rmdir("/t/nope"), ENOENT);
    EXPECT_ERR(unlink("/t/d"), EISDIR);
    EXPECT_ERR(unlink("/t/d/"), EISDIR);
    EXPECT_ERR(unlink("/t/f/"), ENOTDIR);
    EXPECT_ERR(unlink("/t/nope"), ENOENT);
    EXPECT_OK(put("/t/d/file", "x"));
    EXPECT_OK(names("/t/d", list, sizeof list));
    EXPECT(!strcmp(list, ".,..,file,sub,"));
    // rename rules
    EXPECT_ERR(rename("/t/d", "/t/f"), ENOTDIR);
    EXPECT_ERR(rename("/t/f", "/t/d"), EISDIR);
    EXPECT_ERR(rename("/t/nope", "/t/x"), ENOENT);
    EXPECT_ERR(rename("/t/f", "/t/g/"), ENOTDIR);
    EXPECT_OK(mkdir("/t/e", 0755));
    EXPECT_ERR(rename("/t/e", "/t/d"), ENOTEMPTY);
    EXPECT_OK(rename("/t/e", "/t/d/sub"));  // replaces the empty directory
    EXPECT_OK(put("/t/g", "g"));
    EXPECT_OK(rename("/t/g", "/t/d/file"));  // replaces the file
    EXPECT_ERR(stat("/t/g", &st), ENOENT);
    EXPECT_OK(rename("/t/d/sub/", "/t/moved"));
    EXPECT_OK(unlink("/t/d/file"));
    EXPECT_OK(rmdir("/t/d/"));
    EXPECT_OK(rmdir("/t/moved"));
}

static void readdir_cookies(void) {
    char name[16];
    for (int i = 0; i < 40; i++) {
        snprintf(name, sizeof name, "/t/many/%02d", i);
        if (i == 0)
            EXPECT_OK(mkdir("/t/many", 0755));
        EXPECT_OK(put(name, ""));
    }
    DIR *d = opendir("/t/many");
    EXPECT(d != NULL);
    struct dirent *e;
    int count = 0;
    long pos10 = -1;
    char at10[64] = "";
    while ((e = readdir(d))) {
        if (count == 10) {
            strcpy(at10, e->d_name);
        }
        count++;
        if (count == 10)
            pos10 = telldir(d);
    }
    EXPECT(count == 42);
    seekdir(d, pos10);
    e = readdir(d);
    EXPECT(e && !strcmp(e->d_name, at10));
    rewinddir(d);
    e = readdir(d);
    EXPECT(e && !strcmp(e->d_name, "."));
    closedir(d);
}

static void links(void) {
    char buf[64];
    struct stat st;
    if (symlink("f", "/t/ln") != 0) {
        EXPECT(errno == ENOTSUP);
        printf("symlinks: unsupported\n");
        return;
    }
    printf("symlinks: supported\n");
    EXPECT_ERR(symlink("f", "/t/ln"), EEXIST);
    EXPECT(readlink("/t/ln", buf, sizeof buf) == 1 && buf[0] == 'f');
    EXPECT_ERR(readlink("/t/f", buf, sizeof buf), EINVAL);
    EXPECT_OK(lstat("/t/ln", &st));
    EXPECT(S_ISLNK(st.st_mode));
    EXPECT_OK(stat("/t/ln", &st));
    EXPECT(S_ISREG(st.st_mode) && st.st_size == 17);
    EXPECT_ERR(open("/t/ln", O_RDONLY | O_NOFOLLOW), ELOOP);
    EXPECT_OK(symlink("nowhere", "/t/dangling"));
    EXPECT_ERR(stat("/t/dangling", &st), ENOENT);
    EXPECT_ERR(unlink("/t/dangling/"), ENOENT);  // the slash follows the link, as wasmtime
    EXPECT_OK(unlink("/t/dangling"));
    EXPECT_OK(symlink("loop", "/t/loop"));
    EXPECT_ERR(stat("/t/loop", &st), ELOOP);
    EXPECT_OK(link("/t/f", "/t/hard"));
    EXPECT_OK(stat("/t/hard", &st));
    EXPECT(st.st_nlink == 2);
    EXPECT_ERR(link("/t/f", "/t/hard"), EEXIST);
    EXPECT_OK(unlink("/t/hard"));
    EXPECT_OK(unlink("/t/ln"));
    EXPECT_OK(unlink("/t/loop"));
}

int main(void) {
    files();
    directories();
    readdir_cookies();
    links();
    printf("fs: %d checks, %d failed\n", checks, failed);
    return failed != 0;
}
