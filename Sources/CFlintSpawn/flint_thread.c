#define _GNU_SOURCE
#include "flint_thread.h"
#include <unistd.h>

pid_t flint_gettid(void) {
    return gettid();
}
