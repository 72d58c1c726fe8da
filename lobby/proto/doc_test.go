package proto

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Every message type, error code and end reason is documented in lobby/PROTOCOL.md.
func TestProtocolDocCoversConstants(t *testing.T) {
	doc, err := os.ReadFile("../PROTOCOL.md")
	require.NoError(t, err)
	f, err := parser.ParseFile(token.NewFileSet(), "proto.go", nil, 0)
	require.NoError(t, err)
	n := 0
	for _, d := range f.Decls {
		gd, ok := d.(*ast.GenDecl)
		if !ok || gd.Tok != token.CONST {
			continue
		}
		for _, spec := range gd.Specs {
			vs := spec.(*ast.ValueSpec)
			for i, name := range vs.Names {
				if !strings.HasPrefix(name.Name, "Type") && !strings.HasPrefix(name.Name, "Code") && !strings.HasPrefix(name.Name, "Reason") {
					continue
				}
				lit, ok := vs.Values[i].(*ast.BasicLit)
				require.True(t, ok, name.Name)
				v, err := strconv.Unquote(lit.Value)
				require.NoError(t, err)
				assert.True(t, strings.Contains(string(doc), "`"+v+"`"), "%s (%q) undocumented", name.Name, v)
				n++
			}
		}
	}
	assert.Greater(t, n, 50)
}
