/// A python3 handler that allocates 1 MiB at a time until its memory limit stops it.
enum MemoryHog {
    static let script = """
        #!/usr/bin/python3
        chunks = []
        while True:
            chunks.append(b"x" * (1 << 20))
        """
}
