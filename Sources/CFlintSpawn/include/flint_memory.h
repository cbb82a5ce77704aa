#ifndef FLINT_MEMORY_H
#define FLINT_MEMORY_H

/// Returns free heap memory to the kernel (glibc's malloc_trim(0), which Swift's Glibc module
/// does not export). Returns 1 when memory was released.
int flint_release_free_memory(void);

#endif
