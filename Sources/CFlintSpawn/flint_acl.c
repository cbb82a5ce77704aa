#include "flint_acl.h"
#include <sys/xattr.h>

int flint_has_access_acl(const char *path) {
    return getxattr(path, "system.posix_acl_access", 0, 0) > 0;
}
