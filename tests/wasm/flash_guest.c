// A guest for the wasi-flash end-to-end tests (tests/host/test_wasi_flash.py). No printf, so
// it stays small (wasi-libc's vfprintf is ~19 KB): every mode writes with write(2).
//   flash_guest exit N        print "exiting N", exit with status N
//   flash_guest trap          print "about to trap", then hit `unreachable`
//   flash_guest sleep MS      print "first", sleep MS ms (poll_oneoff), print "second"
//   flash_guest spin          print "spinning", then loop forever without any WASI call
//   flash_guest bytes         write the 256 byte values 0..255 to stdout, twice
//   flash_guest streams       interleave "out1" "err1" "out2" "err2" on stdout and stderr
//   flash_guest echo ARGS...  print each argument and then each environment entry, one a line
//   flash_guest file PATH     write PATH (text: PATH) in a preopen, read it back, print it
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static void put(int fd, const char *s) { write(fd, s, strlen(s)); }

static void line(const char *s) {
    put(1, s);
    put(1, "\n");
}

static int to_int(const char *s) {
    int n = 0;
    while (*s >= '0' && *s <= '9') n = n * 10 + (*s++ - '0');
    return n;
}

int main(int argc, char **argv) {
    const char *mode = argc > 1 ? argv[1] : "";
    if (!strcmp(mode, "exit") && argc > 2) {
        put(1, "exiting ");
        line(argv[2]);
        return to_int(argv[2]);
    }
    if (!strcmp(mode, "trap")) {
        line("about to trap");
        __builtin_trap();
    }
    if (!strcmp(mode, "sleep") && argc > 2) {
        int ms = to_int(argv[2]);
        struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
        line("first");
        nanosleep(&ts, 0);
        line("second");
        return 0;
    }
    if (!strcmp(mode, "spin")) {
        volatile unsigned n = 0;
        line("spinning");
        for (;;) n++;
    }
    if (!strcmp(mode, "bytes")) {
        unsigned char b[256];
        for (int i = 0; i < 256; i++) b[i] = (unsigned char)i;
        write(1, b, 256);
        write(1, b, 256);
        return 0;
    }
    if (!strcmp(mode, "streams")) {
        put(1, "out1\n");
        put(2, "err1\n");
        put(1, "out2\n");
        put(2, "err2\n");
        return 0;
    }
    if (!strcmp(mode, "echo")) {
        for (int i = 2; i < argc; i++) line(argv[i]);
        for (char **e = environ; *e; e++) line(*e);
        return 0;
    }
    if (!strcmp(mode, "file") && argc > 2) {
        char buf[256];
        int fd = open(argv[2], O_CREAT | O_TRUNC | O_WRONLY, 0644);
        if (fd < 0) { line("open failed"); return 3; }
        put(fd, argv[2]);
        close(fd);
        fd = open(argv[2], O_RDONLY);
        int n = read(fd, buf, sizeof buf - 1);
        close(fd);
        buf[n > 0 ? n : 0] = 0;
        line(buf);
        return 0;
    }
    put(2, "usage: flash_guest exit N | trap | sleep MS | spin | bytes | streams | echo ARGS | file PATH\n");
    return 64;
}
