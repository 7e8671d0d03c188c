// The header must compile as C++11 with every warning on, and its symbols must link with C
// linkage (extern "C" guards).
#include <mobilenmt.h>

#include <cstdio>
#include <cstring>

int main() {
    mnmt_status s = MNMT_OK;
    if (std::strcmp(mnmt_status_string(s), "ok") != 0) return 1;
    if (mnmt_abi_version() != MNMT_ABI_VERSION) return 1;
    std::printf("C++ include test: mobilenmt %s\n", mnmt_version());
    return 0;
}
