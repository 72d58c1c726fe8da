//go:build linux || freebsd || netbsd || openbsd || dragonfly

package needdisplay

import (
	"syscall"

	"github.com/skirmish-go/skirmish/cmd/client/internal/xdisplay"
)

func init() {
	why := xdisplay.Missing(xdisplay.Getenv("DISPLAY"), xdisplay.CanConnect)
	if why == "" {
		return
	}
	if xdisplay.WantsHelp(xdisplay.Args()) {
		xdisplay.Write(2, Usage)
		syscall.Exit(0)
	}
	xdisplay.Write(2, "client: "+why+"; the client needs an X display to open its window (on a machine without one, run it under xvfb-run -a)\n")
	syscall.Exit(1)
}
