package main

import (
	"os"
	"runtime/pprof"
)

func init() {
	if p := os.Getenv("ZZPROF"); p != "" {
		f, _ := os.Create(p)
		pprof.StartCPUProfile(f)
		go func() {}()
		stopProf = func() { pprof.StopCPUProfile(); f.Close() }
	}
}

var stopProf = func() {}
