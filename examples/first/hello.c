// A first WASI program in C: greets $NAME, echoes its arguments, writes a file into the
// preopened directory /data and reads it back, and exits with the number of arguments.
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
    const char *name = getenv("NAME");
    if (!name) name = "stranger";
    printf("hello %s from C, args:", name);
    for (int i = 1; i < argc; i++) printf(" %s", argv[i]);
    printf("\n");

    FILE *f = fopen("/data/hello.txt", "w");
    if (!f) { perror("/data/hello.txt"); return 100; }
    fprintf(f, "hello %s\n", name);
    fclose(f);

    char line[100] = "";
    f = fopen("/data/hello.txt", "r");
    if (!f || !fgets(line, sizeof line, f)) { perror("/data/hello.txt"); return 100; }
    fclose(f);
    printf("/data/hello.txt: %s", line);
    return argc - 1;
}
