package glicko

import "math"

// Defaults of a new player and of the system.
const (
	DefaultRating     = 1500.0
	DefaultRD         = 350.0
	DefaultVolatility = 0.06
	// Tau constrains how fast volatility changes (0.3..1.2; smaller is steadier).
	Tau = 0.5

	scale   = 173.7178
	epsilon = 0.000001
	minRD   = 30.0 // keep a little uncertainty so ratings can still move
)

// Rating is one player's Glicko-2 state on the Glicko scale.
type Rating struct {
	Rating     float64
	RD         float64
	Volatility float64
}

// New is the rating of a player never seen before.
func New() Rating { return Rating{DefaultRating, DefaultRD, DefaultVolatility} }

// Outcome is one game against an opponent: Score is 1 win, 0.5 draw, 0 loss.
type Outcome struct {
	Opponent Rating
	Score    float64
}

func g(phi float64) float64 { return 1 / math.Sqrt(1+3*phi*phi/(math.Pi*math.Pi)) }

func e(mu, muj, phij float64) float64 { return 1 / (1 + math.Exp(-g(phij)*(mu-muj))) }

// Update returns r after one rating period with the given outcomes. With no outcomes only the
// deviation grows (the player did not play).
func Update(r Rating, outcomes []Outcome) Rating {
	mu := (r.Rating - DefaultRating) / scale
	phi := r.RD / scale
	sigma := r.Volatility
	if len(outcomes) == 0 {
		phiStar := math.Sqrt(phi*phi + sigma*sigma)
		return Rating{r.Rating, math.Min(phiStar*scale, DefaultRD), sigma}
	}
	var vInv, deltaSum float64
	for _, o := range outcomes {
		muj := (o.Opponent.Rating - DefaultRating) / scale
		phij := o.Opponent.RD / scale
		gj := g(phij)
		ej := e(mu, muj, phij)
		vInv += gj * gj * ej * (1 - ej)
		deltaSum += gj * (o.Score - ej)
	}
	v := 1 / vInv
	delta := v * deltaSum

	// New volatility by the Illinois algorithm (step 5 of the paper).
	a := math.Log(sigma * sigma)
	f := func(x float64) float64 {
		ex := math.Exp(x)
		d := phi*phi + v + ex
		return ex*(delta*delta-phi*phi-v-ex)/(2*d*d) - (x-a)/(Tau*Tau)
	}
	A := a
	var B float64
	if delta*delta > phi*phi+v {
		B = math.Log(delta*delta - phi*phi - v)
	} else {
		k := 1.0
		for f(a-k*Tau) < 0 && k < 100 {
			k++
		}
		B = a - k*Tau
	}
	fA, fB := f(A), f(B)
	for i := 0; math.Abs(B-A) > epsilon && i < 100; i++ {
		C := A + (A-B)*fA/(fB-fA)
		fC := f(C)
		if fC*fB <= 0 {
			A, fA = B, fB
		} else {
			fA /= 2
		}
		B, fB = C, fC
	}
	sigmaNew := math.Exp(A / 2)

	phiStar := math.Sqrt(phi*phi + sigmaNew*sigmaNew)
	phiNew := 1 / math.Sqrt(1/(phiStar*phiStar)+1/v)
	muNew := mu + phiNew*phiNew*deltaSum
	out := Rating{muNew*scale + DefaultRating, math.Max(phiNew*scale, minRD), sigmaNew}
	if math.IsNaN(out.Rating) || math.IsNaN(out.RD) || math.IsNaN(out.Volatility) {
		return r
	}
	return out
}

// Player is one player's place in a finished match.
type Player struct {
	Rating Rating
	Team   int // players of one team do not score against each other (free for all: distinct teams)
	Rank   int // 1 is best; equal ranks draw
}

// UpdateMatch returns every player's new rating after one match, in the order given.
func UpdateMatch(players []Player) []Rating {
	out := make([]Rating, len(players))
	for i, p := range players {
		var outcomes []Outcome
		for j, q := range players {
			if i == j || p.Team == q.Team {
				continue
			}
			s := 0.5
			if p.Rank < q.Rank {
				s = 1
			} else if p.Rank > q.Rank {
				s = 0
			}
			outcomes = append(outcomes, Outcome{Opponent: q.Rating, Score: s})
		}
		out[i] = Update(p.Rating, outcomes)
	}
	return out
}
