/* Links libmobilenmt.a and a second Rust static library with --whole-archive (what Xcode's
 * -all_load or -ObjC does) and calls both. Usage: main [MODEL.gguf] */
#include <stdio.h>
#include <string.h>

#include <mobilenmt.h>

unsigned second_answer(unsigned x);

int main(int argc, char **argv) {
    struct mnmt_translator *t = NULL;
    const char *v = mnmt_version();
    if (v == NULL || strlen(v) == 0) {
        fprintf(stderr, "mnmt_version failed\n");
        return 1;
    }
    if (second_answer(41) != 8) {
        fprintf(stderr, "second_answer(41) = %u\n", second_answer(41));
        return 1;
    }
    if (argc > 1) {
        char out[512];
        size_t n = 0;
        if (mnmt_load(argv[1], &t) != MNMT_OK ||
            mnmt_translate(t, "Two dogs.", 9, NULL, out, sizeof out, &n) != MNMT_OK) {
            fprintf(stderr, "translate failed: %s\n", mnmt_last_error());
            mnmt_free(t);
            return 1;
        }
        mnmt_free(t);
    }
    printf("static link with a second Rust library: ok (mobilenmt %s)\n", v);
    return 0;
}
