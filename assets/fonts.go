package assets

import _ "embed" // for the go:embed font files

// The Go fonts by Bigelow & Holmes, copied from golang.org/x/image/font/gofont/ttfs (see
// fonts/LICENSE). Load them with golang.org/x/image/font/opentype or Ebiten's
// text/v2.NewGoTextFaceSource.
var (
	//go:embed fonts/Go-Regular.ttf
	GoRegular []byte
	//go:embed fonts/Go-Bold.ttf
	GoBold []byte
	//go:embed fonts/Go-Mono-Bold.ttf
	GoMonoBold []byte
)
