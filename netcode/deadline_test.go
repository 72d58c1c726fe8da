package netcode

import (
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
)

// TestDeadline: the zero value never fires; a deadline fires at its time (virtual clock); a
// waiter that took the channel earlier sees a deadline set later; clearing and moving work.
func TestDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var d Deadline
		assert.False(t, d.Exceeded(), "zero value has no deadline")

		start := time.Now()
		w := d.Wait() // taken before the deadline is set
		d.Set(start.Add(50 * time.Millisecond))
		<-w
		assert.Equal(t, 50*time.Millisecond, time.Since(start))
		assert.True(t, d.Exceeded())

		d.Set(time.Time{})
		assert.False(t, d.Exceeded(), "cleared")
		d.Set(time.Now().Add(time.Hour))
		d.Set(time.Now().Add(10 * time.Millisecond)) // moved earlier
		<-d.Wait()
		assert.Equal(t, 60*time.Millisecond, time.Since(start))

		d.Set(time.Now().Add(-time.Second))
		assert.True(t, d.Exceeded(), "a past deadline fires at once")
		d.Set(time.Now().Add(time.Second))
		d.Stop()
		synctest.Wait()
		assert.False(t, d.Exceeded(), "stopped")
	})
}
