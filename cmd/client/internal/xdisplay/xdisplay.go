//go:build linux || freebsd || netbsd || openbsd || dragonfly

package xdisplay

import "syscall"

// Getenv is syscall.Getenv without the ok.
func Getenv(k string) string {
	v, _ := syscall.Getenv(k)
	return v
}

// Missing says why the display named by DISPLAY (value d) cannot be used, or "" when it can
// (or may: a display on another host is left to Ebiten). connect tries a Unix socket path.
func Missing(d string, connect func(path string) bool) string {
	if d == "" {
		return "no display (DISPLAY is not set)"
	}
	host, num, ok := splitDisplay(d)
	if !ok || (host != "" && host != "unix") {
		return ""
	}
	path := "/tmp/.X11-unix/X" + num
	if connect(path) || connect("@"+path) {
		return ""
	}
	return "cannot open display " + d + " (no X server at " + path + ")"
}

// splitDisplay splits "host:N.S" into host and N.
func splitDisplay(d string) (host, num string, ok bool) {
	i := len(d) - 1
	for i >= 0 && d[i] != ':' {
		i--
	}
	if i < 0 {
		return "", "", false
	}
	host, rest := d[:i], d[i+1:]
	n := 0
	for n < len(rest) && rest[n] >= '0' && rest[n] <= '9' {
		n++
	}
	if n == 0 || (n < len(rest) && rest[n] != '.') {
		return "", "", false
	}
	return host, rest[:n], true
}

// CanConnect reports whether a stream socket connects to the Unix socket at path ("@..." is
// Linux's abstract namespace).
func CanConnect(path string) bool {
	fd, err := syscall.Socket(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return true // cannot tell: let Ebiten try
	}
	defer syscall.Close(fd)
	return syscall.Connect(fd, &syscall.SockaddrUnix{Name: path}) == nil
}

// WantsHelp reports whether the command line asks for usage (-h, -help, --help) before "--".
func WantsHelp(args []string) bool {
	for _, a := range args {
		switch a {
		case "--":
			return false
		case "-h", "-help", "--h", "--help":
			return true
		}
	}
	return false
}

// Args returns the process's arguments after the program name, from /proc/self/cmdline
// (nil where there is no /proc).
func Args() []string {
	fd, err := syscall.Open("/proc/self/cmdline", syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return nil
	}
	defer syscall.Close(fd)
	var buf []byte
	chunk := make([]byte, 4096)
	for len(buf) < 1<<20 {
		n, err := syscall.Read(fd, chunk)
		if n <= 0 || err != nil {
			break
		}
		buf = append(buf, chunk[:n]...)
	}
	var out []string
	start := 0
	for i, b := range buf {
		if b == 0 {
			out = append(out, string(buf[start:i]))
			start = i + 1
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out[1:]
}

// Write writes s to the file descriptor fd, all of it unless it fails.
func Write(fd int, s string) {
	b := []byte(s)
	for len(b) > 0 {
		n, err := syscall.Write(fd, b)
		if n <= 0 || err != nil {
			return
		}
		b = b[n:]
	}
}
