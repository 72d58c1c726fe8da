//go:build linux || freebsd || netbsd || openbsd || dragonfly

package xdisplay

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestMissing(t *testing.T) {
	up := func(path string) bool { return path == "/tmp/.X11-unix/X7" }
	assert.Equal(t, "no display (DISPLAY is not set)", Missing("", up))
	assert.Empty(t, Missing(":7", up))
	assert.Empty(t, Missing(":7.0", up))
	assert.Empty(t, Missing("unix:7", up))
	assert.Equal(t, "cannot open display :8 (no X server at /tmp/.X11-unix/X8)", Missing(":8", up))
	assert.Empty(t, Missing("otherhost:0", up), "a remote display is left to Ebiten")
	assert.Empty(t, Missing("garbage", up), "a form we do not know is left to Ebiten")
	abstract := func(path string) bool { return path == "@/tmp/.X11-unix/X3" }
	assert.Empty(t, Missing(":3", abstract), "Linux's abstract socket")
}

func TestWantsHelp(t *testing.T) {
	assert.True(t, WantsHelp([]string{"-h"}))
	assert.True(t, WantsHelp([]string{"-name", "x", "--help"}))
	assert.False(t, WantsHelp(nil))
	assert.False(t, WantsHelp([]string{"--", "-h"}))
}

func TestArgs(t *testing.T) {
	a := Args()
	assert.NotEmpty(t, a, "a test binary has -test.* arguments")
}
