#include <mobilenmt.h>
