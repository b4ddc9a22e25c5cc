//go:build unix && !linux

package harden

func noCoreDumps() error { return zeroCoreLimit() }
