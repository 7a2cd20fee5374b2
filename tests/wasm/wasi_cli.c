// A small command for the CLI tests: argv[1] picks what it does.
//   args A...      print each argument on its own line
//   env            print the environment, one variable a line
//   exit N         exit with status N
//   trap           execute `unreachable`
//   stream         print a line, sleep 2 s, print another (tests that output streams)
//   ls DIR         list DIR's entries (sorted by the host), then "."
//   cat FILE       copy FILE to stdout
//   stdin          copy stdin to stdout
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

extern char **environ;

static int cat(FILE *f) {
    char buf[256];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        fwrite(buf, 1, n, stdout);
    return 0;
}

__attribute__((noinline)) static void crash(void) { __builtin_trap(); }

int main(int argc, char **argv) {
    if (argc < 2)
        return 64;
    const char *cmd = argv[1];
    if (!strcmp(cmd, "args")) {
        for (int i = 2; i < argc; i++)
            printf("%s\n", argv[i]);
    } else if (!strcmp(cmd, "env")) {
        for (char **e = environ; *e; e++)
            printf("%s\n", *e);
    } else if (!strcmp(cmd, "exit") && argc > 2) {
        exit(atoi(argv[2]));
    } else if (!strcmp(cmd, "trap")) {
        crash();
    } else if (!strcmp(cmd, "stream")) {
        printf("first\n");
        fflush(stdout);
        struct timespec ts = {2, 0};
        nanosleep(&ts, NULL);
        printf("second\n");
    } else if (!strcmp(cmd, "ls") && argc > 2) {
        DIR *d = opendir(argv[2]);
        if (!d) {
            perror("opendir");
            return 1;
        }
        struct dirent *e;
        while ((e = readdir(d)))
            printf("%s\n", e->d_name);
        closedir(d);
    } else if (!strcmp(cmd, "cat") && argc > 2) {
        FILE *f = fopen(argv[2], "rb");
        if (!f) {
            perror("fopen");
            return 1;
        }
        return cat(f);
    } else if (!strcmp(cmd, "stdin")) {
        return cat(stdin);
    } else {
        return 64;
    }
    return 0;
}
