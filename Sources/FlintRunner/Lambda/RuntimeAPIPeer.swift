import CFlintSpawn
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
    /// the kernel by its address (sock_diag); nil when there is none or it cannot be asked.
    static func clientSocketInode(clientPort: Int, serverPort: Int) -> String? {
        guard let local = UInt16(exactly: clientPort), let remote = UInt16(exactly: serverPort) else { return nil }
        let inode = flint_loopback_tcp_inode(local, remote)
        return inode > 0 ? String(inode) : nil
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
    /// (readdir and readlink directly: this runs on the event loop for each new connection.)
    static func holds(_ pid: pid_t, _ socket: String) -> Bool {
        let directory = "/proc/\(pid)/fd"
        guard let stream = opendir(directory) else { return false }
        defer { closedir(stream) }
        var target = [CChar](repeating: 0, count: 64)
        while let entry = readdir(stream) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            guard name.first?.isNumber == true else { continue }
            let count = readlink(directory + "/" + name, &target, target.count - 1)
            guard count > 0 else { continue }
            if String(decoding: target[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self) == socket { return true }
        }
        return false
    }

    /// /proc/PID/stat: one line of a few hundred bytes.
    private static func statLine(_ pid: String) -> String? {
        guard let fd = try? Sys.open("/proc/\(pid)/stat", flags: O_RDONLY | O_CLOEXEC) else { return nil }
        defer { Sys.close(fd) }
        return FileText.read(fd: fd, capacity: 1024)
    }


}
