#ifndef FLINT_OBJECT_H
#define FLINT_OBJECT_H

/// Opens `relative` beneath the directory `root` as an O_PATH descriptor (close-on-exec) without
/// following any symbolic link below `root`, itself included (openat2 with RESOLVE_BENEATH and
/// RESOLVE_NO_SYMLINKS): what a bucket's uploaders name cannot lead out of the bucket. `root`
/// itself is resolved as usual. Returns the descriptor, or -1 with errno (ELOOP for a link,
/// ENOSYS before Linux 5.6).
int flint_open_beneath(const char *root, const char *relative);

#endif
