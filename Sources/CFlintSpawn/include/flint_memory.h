#ifndef FLINT_MEMORY_H
#define FLINT_MEMORY_H

#include <stddef.h>

/// Returns free heap memory to the kernel (glibc's malloc_trim(0), which Swift's Glibc module
/// does not export). Returns 1 when memory was released.
int flint_release_free_memory(void);

/// Lets each malloc heap keep up to `bytes` of free memory at its top for reuse, instead of
/// giving everything over 128 KiB back to the kernel at each free (glibc's M_TRIM_THRESHOLD,
/// through mallopt, which Swift's Glibc module does not export). Returns 1 on success.
int flint_keep_free_memory(size_t bytes);

/// Serves blocks up to `bytes` from the heap rather than from a mapping of their own (glibc's
/// M_MMAP_THRESHOLD). Setting M_TRIM_THRESHOLD stops glibc from raising this one by itself from
/// its initial 128 KiB. Returns 1 on success.
int flint_map_blocks_above(size_t bytes);

#endif
