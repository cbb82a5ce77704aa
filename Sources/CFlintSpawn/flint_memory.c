#include "flint_memory.h"
#include <limits.h>
#include <malloc.h>

int flint_release_free_memory(void) {
    return malloc_trim(0);
}

int flint_keep_free_memory(size_t keep_bytes, size_t heap_block_bytes) {
    if (keep_bytes > INT_MAX || heap_block_bytes > INT_MAX) return 0;
    return mallopt(M_MMAP_THRESHOLD, (int)heap_block_bytes) == 1 && mallopt(M_TRIM_THRESHOLD, (int)keep_bytes) == 1;
}
