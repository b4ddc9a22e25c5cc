//go:build !unix

package harden

// Windows writes no core files of its own accord.
func noCoreDumps() error { return nil }
