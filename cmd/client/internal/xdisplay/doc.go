// Package xdisplay finds out, with nothing but package syscall, whether an X display can be
// opened, and what the command line asks: the checks package needdisplay runs before
// Ebiten's initialiser (see there for why only syscall).
package xdisplay
