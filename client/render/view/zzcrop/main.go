package main

import (
	"image"
	"image/png"
	"os"
	"strconv"
)

func main() {
	f, _ := os.Open(os.Args[1])
	src, _ := png.Decode(f)
	a := func(i int) int { v, _ := strconv.Atoi(os.Args[i]); return v }
	x, y, w, h, k := a(3), a(4), a(5), a(6), a(7)
	out := image.NewRGBA(image.Rect(0, 0, w*k, h*k))
	for j := 0; j < h*k; j++ {
		for i := 0; i < w*k; i++ {
			out.Set(i, j, src.At(x+i/k, y+j/k))
		}
	}
	o, _ := os.Create(os.Args[2])
	png.Encode(o, out)
	o.Close()
}
