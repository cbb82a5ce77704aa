#ifndef FLINT_THREAD_H
#define FLINT_THREAD_H

#include <sys/types.h>

/// The calling thread's id (gettid(2), which Swift's Glibc module does not export): what a
/// cgroup v1 `tasks` file takes to move one thread.
pid_t flint_gettid(void);

#endif
