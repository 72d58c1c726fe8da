package main

import (
	"fmt"
	"image/png"
	"os"

	"github.com/skirmish-go/skirmish/client/render/view"
)

func main() {
	for _, p := range os.Args[1:] {
		f, _ := os.Open(p)
		img, err := png.Decode(f)
		if err != nil {
			panic(err)
		}
		st := view.AnalyzeScreenshot(img)
		fmt.Printf("%s: floor %.3f wall %.3f menu %.3f one %.3f players %d teams %d blobs %d\n", p, st.Floor, st.Wall, st.Menu, st.OneColour, st.Players, st.Teams, len(st.Blobs))
		for _, b := range st.Blobs {
			if b.Area > 100 {
				fmt.Printf("   blob team %d area %d bounds %v fill %.2f aspect %.2f player %v\n", b.Team, b.Area, b.Bounds, b.Fill, b.Aspect, b.PlayerSized)
			}
		}
		fmt.Println("  check:", view.CheckMatchScreenshot(img))
	}
}
