#!/usr/bin/env bash
# Checks the example CLI's command line: --help, rejected arguments (with a message and exit 2),
# files as arguments, "-" and no argument for stdin, a missing file (exit 1, the rest still
# translated), the document's structure (as many lines, blank lines blank, indentation kept),
# --lines (one sentence per line, blank lines blank), and protected spans (kept verbatim once,
# --no-protect accepted).
# Usage: ctest/cli_test.sh MNMT_TRANSLATE MODEL.gguf
set -uo pipefail
cli=$1
model=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0
failed=0
check() { # check NAME CONDITION...
    local name=$1
    shift
    if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAILED: $name" >&2; fi
}

"$cli" --help >"$tmp/help" 2>&1
check "--help exits 0" test $? -eq 0
check "--help prints the usage" grep -q "usage: mnmt-translate" "$tmp/help"
for args in "-b abc" "-b 0" "-b -3" "-n 2x" "-n 0" "-b" "--bogus" "no-model"; do
    if [ "$args" = no-model ]; then
        "$cli" </dev/null >"$tmp/out" 2>"$tmp/err"
    else
        # shellcheck disable=SC2086
        "$cli" -m "$model" $args </dev/null >"$tmp/out" 2>"$tmp/err"
    fi
    check "'$args' exits 2" test $? -eq 2
    check "'$args' says why" grep -q "mnmt-translate: .*" "$tmp/err"
    check "'$args' prints nothing on stdout" test ! -s "$tmp/out"
done

printf 'Hello {name}, see https://example.com/x now.\n' >"$tmp/spans.txt"
for mode in "" "--lines"; do
    # shellcheck disable=SC2086
    "$cli" -m "$model" $mode "$tmp/spans.txt" >"$tmp/out" 2>"$tmp/err"
    check "spans $mode exit 0" test $? -eq 0
    check "spans $mode: {name} once" test "$(grep -o '{name}' "$tmp/out" | wc -l)" -eq 1
    check "spans $mode: the URL once" test "$(grep -o 'https://example.com/x' "$tmp/out" | wc -l)" -eq 1
    # shellcheck disable=SC2086
    "$cli" -m "$model" $mode --no-protect "$tmp/spans.txt" >"$tmp/out" 2>"$tmp/err"
    check "--no-protect $mode exit 0" test $? -eq 0
    check "--no-protect $mode: one line" test "$(wc -l <"$tmp/out")" -eq 1
done

printf 'Two dogs play.\n\nA man rides a bike.\n' >"$tmp/a.txt"
printf 'A woman reads.\n' >"$tmp/b.txt"
"$cli" -m "$model" "$tmp/a.txt" "$tmp/b.txt" >"$tmp/out" 2>"$tmp/err"
check "two files exit 0" test $? -eq 0
check "two files give 4 lines" test "$(wc -l <"$tmp/out")" -eq 4
"$cli" -m "$model" <"$tmp/a.txt" >"$tmp/stdin"
check "no file reads stdin" cmp -s "$tmp/stdin" <(head -3 "$tmp/out")
"$cli" -m "$model" "$tmp/missing.txt" - "$tmp/b.txt" <"$tmp/a.txt" >"$tmp/out" 2>"$tmp/err"
check "a missing file exits 1" test $? -eq 1
check "a missing file is named" grep -q "missing.txt" "$tmp/err"
check "the other inputs are still translated" test "$(wc -l <"$tmp/out")" -eq 4
"$cli" -m "$model" "$tmp/a.txt" >/dev/null 2>"$tmp/err"
check "no progress when stderr is not a terminal" test ! -s "$tmp/err"

printf '  Two dogs play. A man rides a bike.\n\n\n\t- A woman reads.\n42\n' >"$tmp/doc.txt"
"$cli" -m "$model" "$tmp/doc.txt" >"$tmp/out" 2>"$tmp/err"
check "a document exits 0" test $? -eq 0
check "a document keeps its line count" test "$(wc -l <"$tmp/out")" -eq 5
check "blank lines stay blank" test "$(sed -n 2,3p "$tmp/out" | tr -d '\n')" = ""
check "indentation is kept" grep -q "^  " "$tmp/out"
check "a line without letters is copied" test "$(sed -n 5p "$tmp/out")" = "42"
"$cli" -m "$model" --lines "$tmp/doc.txt" >"$tmp/out" 2>"$tmp/err"
check "--lines exits 0" test $? -eq 0
check "--lines gives one line per line" test "$(wc -l <"$tmp/out")" -eq 5
check "--lines keeps blank lines blank" test "$(sed -n 2,3p "$tmp/out" | tr -d '\n')" = ""
printf 'No newline at the end.' | "$cli" -m "$model" >"$tmp/out"
check "no newline added at the end of a document" test "$(wc -l <"$tmp/out")" -eq 0

echo "cli_test: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
