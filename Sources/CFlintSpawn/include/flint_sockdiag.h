#ifndef FLINT_SOCKDIAG_H
#define FLINT_SOCKDIAG_H

/// The inode of the IPv4 TCP socket bound to 127.0.0.1:local_port and connected to
/// 127.0.0.1:remote_port, asked of the kernel by its 4-tuple over NETLINK_SOCK_DIAG (one exact
/// lookup: reading /proc/net/tcp walks every hash bucket and takes milliseconds). Returns the
/// inode, 0 when there is no such socket, -1 when the kernel could not be asked.
long long flint_loopback_tcp_inode(unsigned short local_port, unsigned short remote_port);

#endif
