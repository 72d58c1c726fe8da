package netsim

import (
	"testing"
	"time"
)

// BenchmarkWriteTo measures one datagram through a Conn onto the in-memory
// network and out of the receiver.
func BenchmarkWriteTo(b *testing.B) {
	for _, bc := range []struct {
		name string
		im   Impairment
	}{
		{"passthrough", Impairment{}},
		{"impaired", Impairment{Loss: 0.1, Duplicate: 0.05, Reorder: 0.05, Latency: time.Microsecond}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			n := NewNetwork()
			src, _ := n.Listen("127.0.0.1:0")
			dst, _ := n.Listen("127.0.0.1:0")
			w := Wrap(src, Config{Send: bc.im, Seed: 1})
			defer w.Close()
			defer dst.Close()
			to := dst.LocalAddr()
			msg := make([]byte, 200)
			buf := make([]byte, 2048)
			done := make(chan struct{})
			go func() { // drain
				defer close(done)
				for {
					if _, _, err := dst.ReadFrom(buf); err != nil {
						return
					}
				}
			}()
			b.ReportAllocs()
			b.SetBytes(int64(len(msg)))
			for b.Loop() {
				if _, err := w.WriteTo(msg, to); err != nil {
					b.Fatal(err)
				}
			}
			dst.Close()
			<-done
		})
	}
}
