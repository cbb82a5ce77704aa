#ifndef FLINT_ACL_H
#define FLINT_ACL_H

/// Whether `path` has a POSIX access ACL (the `system.posix_acl_access` extended attribute,
/// which Swift's Glibc module does not reach): 1 if so, 0 if not or when it cannot be told.
int flint_has_access_acl(const char *path);

#endif
