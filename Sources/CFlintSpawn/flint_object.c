#define _GNU_SOURCE
#include "flint_object.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

int flint_open_beneath(const char *root, const char *relative) {
#ifdef SYS_openat2
    int dirfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (dirfd < 0) return -1;
    struct open_how how;
    memset(&how, 0, sizeof how);
    how.flags = O_PATH | O_CLOEXEC | O_NOFOLLOW;
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
    int fd = (int)syscall(SYS_openat2, dirfd, relative, &how, sizeof how);
    int saved = errno;
    close(dirfd);
    errno = saved;
    return fd;
#else
    (void)root;
    (void)relative;
    errno = ENOSYS;
    return -1;
#endif
}
