#include "flint_sockdiag.h"

#include <arpa/inet.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <errno.h>
#include <unistd.h>

long long flint_loopback_tcp_inode(unsigned short local_port, unsigned short remote_port) {
    int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
    if (fd < 0) return -1;

    struct {
        struct nlmsghdr header;
        struct inet_diag_req_v2 request;
    } message;
    memset(&message, 0, sizeof(message));
    message.header.nlmsg_len = sizeof(message);
    message.header.nlmsg_type = SOCK_DIAG_BY_FAMILY;
    message.header.nlmsg_flags = NLM_F_REQUEST;  // no NLM_F_DUMP: one socket, found by its id
    message.request.sdiag_family = AF_INET;
    message.request.sdiag_protocol = IPPROTO_TCP;
    message.request.idiag_states = ~0U;
    message.request.id.idiag_sport = htons(local_port);
    message.request.id.idiag_dport = htons(remote_port);
    message.request.id.idiag_src[0] = htonl(INADDR_LOOPBACK);
    message.request.id.idiag_dst[0] = htonl(INADDR_LOOPBACK);
    message.request.id.idiag_cookie[0] = INET_DIAG_NOCOOKIE;
    message.request.id.idiag_cookie[1] = INET_DIAG_NOCOOKIE;

    struct sockaddr_nl kernel;
    memset(&kernel, 0, sizeof(kernel));
    kernel.nl_family = AF_NETLINK;
    if (sendto(fd, &message, sizeof(message), 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0) {
        close(fd);
        return -1;
    }
    long buffer[1024];  // aligned for nlmsghdr
    ssize_t received = recv(fd, buffer, sizeof(buffer), 0);
    close(fd);
    if (received < 0) return -1;

    struct nlmsghdr *reply = (struct nlmsghdr *)buffer;
    if (!NLMSG_OK(reply, (size_t)received)) return -1;
    if (reply->nlmsg_type == NLMSG_ERROR) {
        struct nlmsgerr *error = NLMSG_DATA(reply);
        return error->error == 0 ? 0 : (error->error == -ENOENT ? 0 : -1);
    }
    if (reply->nlmsg_type != SOCK_DIAG_BY_FAMILY) return -1;
    struct inet_diag_msg *socket_info = NLMSG_DATA(reply);
    return (long long)socket_info->idiag_inode;
}
