#include "flint_memory.h"
#include <limits.h>
#include <malloc.h>

int flint_release_free_memory(void) {
    return malloc_trim(0);
}

int flint_keep_free_memory(size_t bytes) {
    if (bytes > INT_MAX) return 0;
    return mallopt(M_TRIM_THRESHOLD, (int)bytes);
}

int flint_map_blocks_above(size_t bytes) {
    if (bytes > INT_MAX) return 0;
    return mallopt(M_MMAP_THRESHOLD, (int)bytes);
}
