package replay

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
)

// tempPattern names files being written; they start with a dot so no listing of *.replay
// ever shows a half-written file, and NewDir removes any a crash left behind.
const tempPattern = ".writing-*" + Ext + ".tmp"

// Dir is a directory of replays bounded by a retention policy: after every save the oldest
// replays (by modification time) are deleted while there are more than Keep of them or they
// take more than MaxBytes together. The replay just saved is never deleted. Dir is safe for
// concurrent use.
type Dir struct {
	path     string
	keep     int
	maxBytes int64
	mu       sync.Mutex // serialises pruning
}

// NewDir opens the replay directory at path (created at the first Save), keeping at most
// keep replays (0: no count bound) and maxBytes bytes of them (0: no size bound). It removes
// temporary files a crashed writer left.
func NewDir(path string, keep int, maxBytes int64) (*Dir, error) {
	if path == "" {
		return nil, errors.New("replay: empty directory path")
	}
	if keep < 0 || maxBytes < 0 {
		return nil, fmt.Errorf("replay: negative retention (%d replays, %d bytes)", keep, maxBytes)
	}
	stale, _ := filepath.Glob(filepath.Join(path, tempPattern))
	for _, f := range stale {
		_ = os.Remove(f)
	}
	return &Dir{path: path, keep: keep, maxBytes: maxBytes}, nil
}

// Path returns the directory.
func (d *Dir) Path() string { return d.path }

// Save writes the file named name (a base name ending in Ext) atomically: the bytes go to a
// temporary file that is synced and then renamed, so a crash leaves no partial file under
// name. Then it applies the retention policy.
func (d *Dir) Save(name string, src io.WriterTo) error {
	if name != filepath.Base(name) || !strings.HasSuffix(name, Ext) || strings.HasPrefix(name, ".") {
		return fmt.Errorf("replay: bad file name %q", name)
	}
	if err := os.MkdirAll(d.path, 0o755); err != nil {
		return fmt.Errorf("replay: %w", err)
	}
	f, err := os.CreateTemp(d.path, tempPattern)
	if err != nil {
		return fmt.Errorf("replay: %w", err)
	}
	tmp := f.Name()
	err = f.Chmod(0o644) // CreateTemp makes it 0600; replays are for players and tools to read
	if err == nil {
		_, err = src.WriteTo(f)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, filepath.Join(d.path, name))
	}
	if err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("replay: save %s: %w", name, err)
	}
	return d.prune(name)
}

// List returns the replays' base names, oldest first.
func (d *Dir) List() ([]string, error) {
	files, err := d.list()
	if err != nil {
		return nil, err
	}
	names := make([]string, len(files))
	for i, f := range files {
		names[i] = f.Name()
	}
	return names, nil
}

func (d *Dir) list() ([]fs.FileInfo, error) {
	entries, err := os.ReadDir(d.path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil // nothing saved yet
	}
	if err != nil {
		return nil, fmt.Errorf("replay: %w", err)
	}
	var files []fs.FileInfo
	for _, e := range entries {
		if !e.Type().IsRegular() || !strings.HasSuffix(e.Name(), Ext) || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		info, err := e.Info()
		if err != nil {
			continue // deleted meanwhile
		}
		files = append(files, info)
	}
	slices.SortFunc(files, func(a, b fs.FileInfo) int {
		if c := a.ModTime().Compare(b.ModTime()); c != 0 {
			return c
		}
		return cmp.Compare(a.Name(), b.Name())
	})
	return files, nil
}

// prune deletes the oldest replays beyond the retention bounds, never keep (just saved).
func (d *Dir) prune(keep string) error {
	if d.keep == 0 && d.maxBytes == 0 {
		return nil
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	files, err := d.list()
	if err != nil {
		return err
	}
	var total int64
	for _, f := range files {
		total += f.Size()
	}
	count := len(files)
	for _, f := range files {
		over := (d.keep > 0 && count > d.keep) || (d.maxBytes > 0 && total > d.maxBytes)
		if !over {
			break
		}
		if f.Name() == keep {
			continue
		}
		if err := os.Remove(filepath.Join(d.path, f.Name())); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("replay: retention: %w", err)
		}
		count--
		total -= f.Size()
	}
	return nil
}
