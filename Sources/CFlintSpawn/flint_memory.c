#include "flint_memory.h"
#include <malloc.h>

int flint_release_free_memory(void) {
    return malloc_trim(0);
}
