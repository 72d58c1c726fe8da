package stack

import (
	"fmt"
	"io"
	"log/slog"

	"github.com/skirmish-go/skirmish/netcode/secure"
)

// NewLogger returns the processes' logger: text lines (JSON lines when json is set) on w, at
// level ("debug", "info", "warn" or "error"; empty means info).
func NewLogger(w io.Writer, json bool, level string) (*slog.Logger, error) {
	var l slog.Level
	if level != "" {
		if err := l.UnmarshalText([]byte(level)); err != nil {
			return nil, fmt.Errorf("log level: %w", err)
		}
	}
	opts := &slog.HandlerOptions{Level: l}
	if json {
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return slog.New(slog.NewTextHandler(w, opts)), nil
}

// LoadKey returns the key lobby and game servers share: the hex in flagValue, else in the
// SKIRMISH_KEY environment variable, else a freshly generated one (generated reports that, so
// the caller can print it for the other processes).
func LoadKey(flagValue string, getenv func(string) string) (key secure.Key, generated bool, err error) {
	h := flagValue
	if h == "" {
		h = getenv("SKIRMISH_KEY")
	}
	if h == "" {
		key, err = secure.GenerateKey()
		return key, true, err
	}
	key, err = secure.ParseKey(h)
	if err != nil {
		return key, false, fmt.Errorf("key: %w", err)
	}
	return key, false, nil
}
