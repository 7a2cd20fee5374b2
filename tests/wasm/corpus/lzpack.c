// A compression tool: packs a file with a small LZ77 (hash-chained matches of 3..18 bytes in
// a 1 KiB window; the tables, 8 KB, sized for a board; one flag bit per item), writes the
// packed file, reads it back, unpacks it and checks the round trip with CRC-32.
// Usage: lzpack IN OUT
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WINDOW 1024
#define MIN_MATCH 3
#define MAX_MATCH 18
#define HASH_BITS 10

static uint32_t crc32(const uint8_t *p, size_t n) {
    static uint32_t table[256];
    if (!table[1])
        for (uint32_t i = 0; i < 256; i++) {
            uint32_t c = i;
            for (int k = 0; k < 8; k++) c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            table[i] = c;
        }
    uint32_t c = 0xFFFFFFFFu;
    while (n--) c = table[(c ^ *p++) & 0xFF] ^ (c >> 8);
    return c ^ 0xFFFFFFFFu;
}

static uint8_t *read_file(const char *path, size_t *n) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 1024, len = 0;
    uint8_t *buf = malloc(cap);
    size_t got;
    while (buf && (got = fread(buf + len, 1, cap - len, f)) > 0) {
        len += got;
        if (len == cap) buf = realloc(buf, cap *= 2);
    }
    fclose(f);
    *n = len;
    return buf;
}

static unsigned hash3(const uint8_t *p) {
    return ((p[0] << 8 ^ p[1] << 4 ^ p[2]) * 2654435761u) >> (32 - HASH_BITS);
}

// Output: groups of a flag byte and 8 items; an item is a literal byte (flag bit 0) or a
// 2-byte match: 12-bit distance - 1, 4-bit length - MIN_MATCH.
static size_t pack(const uint8_t *in, size_t n, uint8_t *out) {
    int *head = malloc(sizeof(int) << HASH_BITS), *prev = malloc(sizeof(int) * WINDOW);
    for (int i = 0; i < 1 << HASH_BITS; i++) head[i] = -1;
    size_t o = 0, flags = 0;
    int bit = 8;
    for (size_t i = 0; i < n;) {
        if (bit == 8) { flags = o++; out[flags] = 0; bit = 0; }
        size_t best = 0, dist = 0;
        if (i + MIN_MATCH <= n) {
            unsigned h = hash3(in + i);
            for (int c = head[h], tries = 16; c >= 0 && i - c <= WINDOW && tries--;
                 c = prev[c % WINDOW]) {
                size_t len = 0;
                while (len < MAX_MATCH && i + len < n && in[c + len] == in[i + len]) len++;
                if (len > best) { best = len; dist = i - c; }
            }
        }
        size_t step = best >= MIN_MATCH ? best : 1;
        if (best >= MIN_MATCH) {
            out[flags] |= 1 << bit;
            out[o++] = (dist - 1) >> 4;
            out[o++] = (dist - 1) << 4 | (best - MIN_MATCH);
        } else {
            out[o++] = in[i];
        }
        bit++;
        for (; step--; i++)
            if (i + MIN_MATCH <= n) {
                unsigned h = hash3(in + i);
                prev[i % WINDOW] = head[h];
                head[h] = i;
            }
    }
    free(head);
    free(prev);
    return o;
}

static size_t unpack(const uint8_t *in, size_t n, uint8_t *out, size_t cap) {
    size_t o = 0;
    for (size_t i = 0; i < n;) {
        uint8_t flags = in[i++];
        for (int bit = 0; bit < 8 && i < n; bit++) {
            if (flags >> bit & 1) {
                size_t dist = ((size_t)in[i] << 4 | in[i + 1] >> 4) + 1;
                size_t len = (in[i + 1] & 15) + MIN_MATCH;
                i += 2;
                if (dist > o || o + len > cap) return (size_t)-1;
                for (; len--; o++) out[o] = out[o - dist];
            } else {
                if (o == cap) return (size_t)-1;
                out[o++] = in[i++];
            }
        }
    }
    return o;
}

int main(int argc, char **argv) {
    if (argc != 3) { fprintf(stderr, "usage: lzpack IN OUT\n"); return 2; }
    size_t n, m;
    uint8_t *in = read_file(argv[1], &n);
    if (!in) { perror(argv[1]); return 2; }
    uint8_t *packed = malloc(n + n / 8 + 1);
    size_t p = pack(in, n, packed);
    FILE *f = fopen(argv[2], "wb");
    if (!f || fwrite(packed, 1, p, f) != p || fclose(f)) { perror(argv[2]); return 2; }
    free(packed);
    packed = read_file(argv[2], &m);
    if (!packed || m != p) { fprintf(stderr, "%s: read back %zu bytes\n", argv[2], m); return 1; }
    uint8_t *back = malloc(n + 1);
    size_t u = unpack(packed, m, back, n);
    uint32_t c_in = crc32(in, n), c_back = u == n ? crc32(back, n) : 0;
    printf("%s: %zu bytes, crc32 %08x\n", argv[1], n, (unsigned)c_in);
    printf("%s: %zu bytes (%.1f%% of the input, %.3f bits/byte)\n", argv[2], p,
           100.0 * p / n, 8.0 * p / n);
    printf("round trip: %s (crc32 %08x)\n", c_back == c_in ? "ok" : "MISMATCH", (unsigned)c_back);
    return c_back == c_in ? 0 : 1;
}
