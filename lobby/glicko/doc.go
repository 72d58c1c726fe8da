// Package glicko implements Glicko-2 ratings (Glickman, "Example of the Glicko-2 system", 2013)
// for the lobby's matchmaker: every player has a rating, a rating deviation (how unsure the
// rating is) and a volatility. Each finished match is one rating period; a multi-player match is
// scored as the pairwise games between players of different teams (higher rank wins, equal
// ranks draw), the usual way to apply a two-player system to free-for-all and team games.
package glicko
