// Package harden limits what a crash of tykportal can reveal. The process
// holds Dashboard secrets and, while issuing, keys in memory: a core dump
// would write them to disk, so the process asks the kernel for none.
package harden

// NoCoreDumps makes the process write no core file, whatever the shell's
// `ulimit -c` (best effort: an error means the platform refused, and the
// caller carries on; on platforms without core files it does nothing).
func NoCoreDumps() error { return noCoreDumps() }
