package view

import (
	"fmt"
	"strings"

	"github.com/skirmish-go/skirmish/client"
	"github.com/skirmish-go/skirmish/lobby/proto"
)

// ResultSubtitle is the line under the results screen's title: in team modes the teams'
// final scores first ("Red 50 : 41 Blue"), then why the match ended and its mode (titled as
// modes, the lobby's list, names it).
func ResultSubtitle(s *client.Scene, modes []proto.ModeInfo) string {
	line := EndReasonText(s.EndReason) + " · " + ModeName(modes, s.Mode)
	if !IsTeamMode(s) || len(s.TeamScores) < 2 {
		return line
	}
	parts := make([]string, len(s.TeamScores))
	for i, v := range s.TeamScores {
		parts[i] = fmt.Sprintf("%s %d", TeamName(i), v)
	}
	if len(parts) == 2 {
		return fmt.Sprintf("%s %d : %d %s · %s", TeamName(0), s.TeamScores[0], s.TeamScores[1], TeamName(1), line)
	}
	return strings.Join(parts, " · ") + " · " + line
}
