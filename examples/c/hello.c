/* hello.c: load a model, translate one sentence with beam search, print it.
 *   ./hello MODEL.gguf ["Text to translate."] */
#include <mobilenmt.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv) {
    const char *src = argc > 2 ? argv[2] : "Where is the train station?";
    mnmt_translator *t = NULL;
    mnmt_options opts = mnmt_options_default(); /* or pass NULL for the defaults */
    char buf[256], *out = buf;
    size_t len = 0;
    mnmt_status s;

    if (argc < 2) {
        fprintf(stderr, "usage: %s MODEL.gguf [TEXT]\n", argv[0]);
        return 2;
    }
    if (mnmt_load(argv[1], &t) != MNMT_OK) {
        fprintf(stderr, "%s\n", mnmt_last_error());
        return 1;
    }
    opts.beam_size = 4;
    s = mnmt_translate(t, src, strlen(src), &opts, out, sizeof buf, &len);
    if (s == MNMT_BUFFER_TOO_SMALL) { /* len is the size needed, without the NUL */
        out = malloc(len + 1);
        s = out ? mnmt_translate(t, src, strlen(src), &opts, out, len + 1, &len) : MNMT_OUT_OF_MEMORY;
    }
    if (s == MNMT_OK) {
        puts(out);
    } else {
        fprintf(stderr, "%s: %s\n", mnmt_status_string(s), mnmt_last_error());
    }
    if (out != buf) free(out);
    mnmt_free(t);
    return s == MNMT_OK ? 0 : 1;
}
