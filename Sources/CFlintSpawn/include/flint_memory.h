#ifndef FLINT_MEMORY_H
#define FLINT_MEMORY_H

#include <stddef.h>

/// Returns free heap memory to the kernel (glibc's malloc_trim(0), which Swift's Glibc module
/// does not export). Returns 1 when memory was released.
int flint_release_free_memory(void);

/// Lets each malloc heap keep up to `keep_bytes` of free memory at its top for reuse, instead of
/// giving everything over 128 KiB back to the kernel at each free (M_TRIM_THRESHOLD), and serves
/// blocks up to `heap_block_bytes` from the heap rather than from a mapping of their own
/// (M_MMAP_THRESHOLD, which glibc stops raising by itself once the first is set). Through
/// mallopt, which Swift's Glibc module does not export. Returns 1 when both were accepted.
int flint_keep_free_memory(size_t keep_bytes, size_t heap_block_bytes);

#endif
