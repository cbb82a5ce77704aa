import Foundation
import Glibc

/// Who holds the other end of a Runtime API connection. An instance's port is on the host's
/// loopback, where any local process could connect — another function's handler among them — and
/// ask for that instance's events; only the instance's own processes may. Flint starts each
/// instance in a session of its own, so they are the processes of the session its leader leads.
enum RuntimeAPIPeer {
    /// Whether the client end of the IPv4 loopback connection from `clientPort` to `serverPort` is
    /// held by a process of session `session`.
    static func isInSession(_ session: pid_t, clientPort: Int, serverPort: Int) -> Bool {
        guard let inode = clientSocketInode(clientPort: clientPort, serverPort: serverPort) else { return false }
        let socket = "socket:[\(inode)]"
        // Most runtimes talk to the API from their first process, which leads the session; a
        // runtime that runs a client per request (curl from a shell) needs the whole session.
        if holds(session, socket) { return true }
        return sessionMembers(session).contains { $0 != session && holds($0, socket) }
    }

    /// Whether process `pid` holds the client end of the loopback connection from `clientPort`
    /// to `serverPort`.
    static func isHeld(by pid: pid_t, clientPort: Int, serverPort: Int) -> Bool {
        guard let inode = clientSocketInode(clientPort: clientPort, serverPort: serverPort) else { return false }
        return holds(pid, "socket:[\(inode)]")
    }

    /// The inode of the loopback socket bound to `clientPort` and connected to `serverPort`, from
    /// the kernel's table of this network namespace's TCP sockets.
    static func clientSocketInode(clientPort: Int, serverPort: Int) -> String? {
        guard let table = wholeFile("/proc/net/tcp") else { return nil }
        let local = "0100007F:" + hexPort(clientPort)
        let remote = "0100007F:" + hexPort(serverPort)
        // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode
        for line in table.split(separator: "\n").dropFirst() {
            let fields = line.split(separator: " ")
            guard fields.count > 9, fields[1] == local, fields[2] == remote else { continue }
            return String(fields[9])
        }
        return nil
    }

    /// The processes of session `session` (from /proc/PID/stat: the sixth field).
    static func sessionMembers(_ session: pid_t) -> [pid_t] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { entry -> pid_t? in
            guard let pid = pid_t(entry), let stat = statLine(entry), let close = stat.lastIndex(of: ")") else { return nil }
            // After the command (which may hold spaces and parentheses): state ppid pgrp session.
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            guard fields.count > 3, pid_t(fields[3]) == session else { return nil }
            return pid
        }
    }

    /// Whether process `pid` has `socket` (`socket:[INODE]`) among its open descriptors.
    static func holds(_ pid: pid_t, _ socket: String) -> Bool {
        let directory = "/proc/\(pid)/fd"
        let descriptors = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return descriptors.contains { (try? FileManager.default.destinationOfSymbolicLink(atPath: directory + "/" + $0)) == socket }
    }

    /// /proc/PID/stat: one line of a few hundred bytes.
    private static func statLine(_ pid: String) -> String? {
        guard let fd = try? Sys.open("/proc/\(pid)/stat", flags: O_RDONLY | O_CLOEXEC) else { return nil }
        defer { Sys.close(fd) }
        return FileText.read(fd: fd, capacity: 1024)
    }

    private static func hexPort(_ port: Int) -> String {
        let digits = String(port, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }

    /// A /proc file of any length (FileText reads at most 64 KiB; a busy host has more sockets).
    private static func wholeFile(_ path: String) -> String? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        guard let data = try? handle.readToEnd() else { return nil }
        return String(decoding: data, as: UTF8.self)
    }
}
