package stack

import (
	"fmt"
	"net/http"
	"net/http/pprof"
	"os"
	runpprof "runtime/pprof"
)

// StartCPUProfile writes a CPU profile of the process to path until the returned stop is
// called; stop flushes and closes the file (the mains defer it, so a SIGTERM or SIGINT that
// ends run also completes the profile). An empty path profiles nothing and stop does nothing.
func StartCPUProfile(path string) (stop func() error, err error) {
	if path == "" {
		return func() error { return nil }, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	if err := runpprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	return func() error {
		runpprof.StopCPUProfile()
		if err := f.Close(); err != nil {
			return fmt.Errorf("cpu profile: %w", err)
		}
		return nil
	}, nil
}

// PprofPrefix is where MountPprof serves net/http/pprof.
const PprofPrefix = "/debug/pprof/"

// MountPprof adds net/http/pprof's handlers under /debug/pprof/ to mux: the index, cmdline,
// profile (CPU, ?seconds=N), symbol, trace and the named profiles (heap, goroutine, allocs,
// block, mutex, threadcreate). The mains mount it only with -pprof: the endpoints reveal the
// process's internals and a CPU profile costs CPU, so they stay off by default.
func MountPprof(mux *http.ServeMux) {
	mux.HandleFunc(PprofPrefix, pprof.Index)
	mux.HandleFunc(PprofPrefix+"cmdline", pprof.Cmdline)
	mux.HandleFunc(PprofPrefix+"profile", pprof.Profile)
	mux.HandleFunc(PprofPrefix+"symbol", pprof.Symbol)
	mux.HandleFunc(PprofPrefix+"trace", pprof.Trace)
}
