package client

import (
	"cmp"
	"slices"
	"strings"
)

// CompareScores orders two scoreboard lines best first: the higher score, then more kills,
// then fewer deaths, then the name (so equal lines keep one order on every screen). It is
// the one ranking of the client: the HUD's rank, the Tab scoreboard, the results table and
// its winner all use it, whatever order the server sent the lines in (slot order).
func CompareScores(a, b ScoreLine) int {
	return cmp.Or(
		cmp.Compare(b.Score, a.Score),
		cmp.Compare(b.Kills, a.Kills),
		cmp.Compare(a.Deaths, b.Deaths),
		strings.Compare(a.Name, b.Name),
	)
}

// SortScores sorts scoreboard lines best first (see [CompareScores]).
func SortScores(lines []ScoreLine) { slices.SortStableFunc(lines, CompareScores) }
