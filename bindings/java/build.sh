#!/usr/bin/env bash
# Builds the Java binding on the host and, with `test`, runs its tests on the host JVM.
#
# Usage: bindings/java/build.sh OUTDIR LIBMOBILENMT.a [test TINY.gguf SHIPPED.gguf SHIPPED.rs]
#
# - compiles the Java sources for Java 8 (`--release 8`: the API level Android's desugaring
#   covers), so an API newer than Android can use fails here;
# - regenerates the JNI header with `javac -h` and fails if it differs from the committed
#   bindings/java/jni/org_mobilenmt_Translator.h (the Android build compiles against that one);
# - builds libmobilenmt_jni.so: the C shim with the static library inside, under the same
#   warnings as the C tests, exporting only the JNI entry points;
# - `test`: runs TranslatorTest (a plain main) with -Xcheck:jni, which makes the JVM check every
#   JNI call of the shim (pending exceptions, reference types, array releases).
set -euo pipefail
out=$1
lib=$2
here=$(cd "$(dirname "$0")" && pwd)

javac=$(command -v javac) || { echo "javac not found: apt-get install default-jdk-headless" >&2; exit 1; }
java_home=${JAVA_HOME:-$(dirname "$(dirname "$(readlink -f "$javac")")")}
[ -f "$java_home/include/jni.h" ] || { echo "no jni.h under $java_home/include (set JAVA_HOME)" >&2; exit 1; }

rm -rf "$out"
mkdir -p "$out/classes" "$out/test-classes" "$out/jni-header"
"$javac" --release 8 -Xlint:all,-options -Werror -encoding UTF-8 -d "$out/classes" \
    -h "$out/jni-header" "$here"/src/main/java/org/mobilenmt/*.java
diff -u "$here/jni/org_mobilenmt_Translator.h" "$out/jni-header/org_mobilenmt_Translator.h" || {
    echo "bindings/java/jni/org_mobilenmt_Translator.h is stale: copy $out/jni-header/org_mobilenmt_Translator.h over it" >&2
    exit 1
}

# The version script (shared with the Android build) exports the JNI entry points only: the
# Rust library inside stays private, so two libraries that embed mobilenmt cannot clash.
# shellcheck disable=SC2086
${CC:-cc} -std=c99 -O2 -Wall -Wextra -Werror -pedantic -Wconversion -fPIC -shared \
    -I"$here/../../include" -I"$here/jni" -I"$java_home/include" -I"$java_home/include/linux" \
    "$here/jni/mobilenmt_jni.c" "$lib" -Wl,--version-script="$here/jni/exports.map" -Wl,--gc-sections \
    -Wl,-z,defs ${STATIC_LIBS:--lpthread -lm -ldl} -o "$out/libmobilenmt_jni.so"
(cd "$out/classes" && jar cf ../mobilenmt.jar org)

# The shim is also compiled (not linked) by the 32- and 64-bit ARM cross compilers when they are
# installed (`make test-armv7`/`test-aarch64` install them), so that pointer-size and jlong
# conversions stay warning-free on the Android ABIs.
for cross in arm-linux-gnueabihf-gcc aarch64-linux-gnu-gcc; do
    if command -v "$cross" >/dev/null; then
        "$cross" -std=c99 -O2 -Wall -Wextra -Werror -pedantic -Wconversion -fPIC -c \
            -I"$here/../../include" -I"$here/jni" -I"$java_home/include" -I"$java_home/include/linux" \
            "$here/jni/mobilenmt_jni.c" -o "$out/mobilenmt_jni-$cross.o"
        echo "the JNI shim compiles with $cross"
    else
        echo "note: $cross not installed; the shim was not compiled for ARM"
    fi
done
echo "built $out/mobilenmt.jar and $out/libmobilenmt_jni.so"

if [ "${3:-}" = test ]; then
    "$javac" --release 8 -Xlint:all,-options -Werror -encoding UTF-8 -cp "$out/classes" \
        -d "$out/test-classes" "$here"/src/test/java/org/mobilenmt/*.java
    "$(dirname "$javac")/java" -Xcheck:jni -ea -Djava.library.path="$out" \
        -cp "$out/classes:$out/test-classes" org.mobilenmt.TranslatorTest "$4" "$5" "$6"
fi
