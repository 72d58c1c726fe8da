// Package needdisplay stops cmd/client with one clear line, before Ebiten starts, when there
// is no X display to open a window on.
//
// Ebiten opens its window system in a package initialiser: without a display it panics
// before main runs, so the client could not even print its usage. This package's init runs
// first. Go initialises packages in import-path order among those whose imports are done,
// and this package imports only syscall and package xdisplay (itself only syscall), while
// Ebiten's window package needs os, which depends on syscall and sorts after this package's
// path: so this init always runs before Ebiten's. That is also why xdisplay reads the
// arguments from /proc/self/cmdline and prints with syscall.Write rather than through os and
// fmt.
//
// With no display, "client -h" prints [Usage] (cmd/client's flags, kept equal to them by a
// test) and exits 0; anything else prints one line saying what is missing and exits 1.
package needdisplay
