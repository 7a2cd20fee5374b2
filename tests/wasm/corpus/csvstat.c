// A CSV summariser: reads a table with a header row (e.g. /data/weather.csv: day,temp,...)
// into malloc'd columns, prints per column count, min, max, mean, standard deviation and
// median, and writes the same report to /data/report.txt.
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_COLS 16

typedef struct {
    char name[32];
    double *v;
    size_t n, cap;
} column;

static int cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void push(column *c, double x) {
    if (c->n == c->cap) {
        c->cap = c->cap ? 2 * c->cap : 16;
        c->v = realloc(c->v, c->cap * sizeof *c->v);
        if (!c->v) { fputs("out of memory\n", stderr); exit(1); }
    }
    c->v[c->n++] = x;
}

static void report(FILE *out, column *c) {
    double min = INFINITY, max = -INFINITY, sum = 0, sq = 0;
    for (size_t i = 0; i < c->n; i++) {
        double x = c->v[i];
        if (x < min) min = x;
        if (x > max) max = x;
        sum += x;
    }
    double mean = sum / c->n;
    for (size_t i = 0; i < c->n; i++) sq += (c->v[i] - mean) * (c->v[i] - mean);
    qsort(c->v, c->n, sizeof *c->v, cmp);
    double median = c->n % 2 ? c->v[c->n / 2] : (c->v[c->n / 2 - 1] + c->v[c->n / 2]) / 2;
    fprintf(out, "%-10s %4zu %9.2f %9.2f %10.3f %8.3f %9.2f\n", c->name, c->n, min, max, mean,
            c->n > 1 ? sqrt(sq / (c->n - 1)) : 0.0, median);
}

int main(int argc, char **argv) {
    const char *path = argc > 1 ? argv[1] : "/data/weather.csv";
    FILE *f = fopen(path, "r");
    if (!f) { perror(path); return 2; }
    char line[512];
    column cols[MAX_COLS];
    int ncols = 0, rows = 0, bad = 0;
    memset(cols, 0, sizeof cols);
    if (!fgets(line, sizeof line, f)) { fprintf(stderr, "%s: empty\n", path); return 2; }
    for (char *tok = strtok(line, ",\r\n"); tok && ncols < MAX_COLS; tok = strtok(NULL, ",\r\n"))
        snprintf(cols[ncols++].name, sizeof cols[0].name, "%s", tok);
    while (fgets(line, sizeof line, f)) {
        double row[MAX_COLS];
        int k = 0;
        char *p = line, *end;
        for (; k < ncols; k++) {
            row[k] = strtod(p, &end);
            if (end == p) break;
            p = end;
            if (*p == ',') p++;
        }
        if (k != ncols) { bad++; continue; }
        for (k = 0; k < ncols; k++) push(&cols[k], row[k]);
        rows++;
    }
    fclose(f);
    FILE *out = fopen("/data/report.txt", "w");
    if (!out) { perror("/data/report.txt"); return 2; }
    FILE *both[2] = {stdout, out};
    for (int i = 0; i < 2; i++) {
        fprintf(both[i], "%s: %d rows, %d bad\n", path, rows, bad);
        fprintf(both[i], "%-10s %4s %9s %9s %10s %8s %9s\n", "column", "n", "min", "max", "mean",
                "stddev", "median");
        for (int k = 0; k < ncols; k++) report(both[i], &cols[k]);
    }
    fclose(out);
    for (int k = 0; k < ncols; k++) free(cols[k].v);
    return 0;
}
