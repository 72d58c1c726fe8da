package assets

import (
	"embed"
	"fmt"
	"io/fs"
	"strings"
)

// mapFiles holds the arena maps, one JSON file per map (the format of sim.ParseMap).
//
//go:embed maps/*.json
var mapFiles embed.FS

// DefaultMap is the name of the map matches use unless their mode says otherwise.
const DefaultMap = "arena"

// Map returns the JSON source of the named map (the file name under maps/ without ".json").
// Callers parse it with sim.ParseMap; the bytes are shared, so do not modify them.
func Map(name string) ([]byte, error) {
	if name == "" || strings.ContainsAny(name, "/\\.") {
		return nil, fmt.Errorf("assets: bad map name %q", name)
	}
	b, err := mapFiles.ReadFile("maps/" + name + ".json")
	if err != nil {
		return nil, fmt.Errorf("assets: map %q: %w", name, err)
	}
	return b, nil
}

// MapNames lists the embedded maps, sorted.
func MapNames() []string {
	entries, err := fs.ReadDir(mapFiles, "maps")
	if err != nil {
		return nil
	}
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		names = append(names, strings.TrimSuffix(e.Name(), ".json"))
	}
	return names
}
