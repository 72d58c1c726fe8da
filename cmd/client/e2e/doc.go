// Package e2e holds the end-to-end test of the Skirmish client: it runs a lobby and a game
// server (package cmd/internal/stack) and three bots (package client/bot) in the test process,
// builds the real cmd/client binary, runs it unattended (-autoplay -screenshot FILE -after 10s)
// against them, and checks the saved frame shows a match in progress
// (view.CheckMatchScreenshotFile). TestClientReplayScreenshot does the same for a replay
// (a match recorded in-process with the replay writer, played with -replay FILE -screenshot
// FILE -after 5s), and TestClientReplayBadFile checks a bad replay file is one line and exit 1.
//
// It is its own package, apart from cmd/client, because this test process imports no Ebiten:
// only the client it starts needs a display. Ebiten needs one already when it is initialised,
// so a test linked with it could not report a missing DISPLAY; this one does, and fails. Run it
// under a virtual X server:
//
//	xvfb-run -a go test ./cmd/client/e2e
//	xvfb-run -a go test ./cmd/client/e2e -shot /tmp/match.png   # keep the frame to look at
package e2e
