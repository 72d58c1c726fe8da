package sim

// MaxPlayers is the most players a World can seat (slots 0..MaxPlayers-1): Arena plays 2–16
// on its default map and up to 64 on the large one.
const MaxPlayers = 64

// MaxTeams is the most teams a [Config] may have (one colour each in assets/palette).
const MaxTeams = 8

// Tuning in pixels and seconds; [Config] turns it into world units per tick.
const (
	playerRadiusPx   = 14
	maxSpeedPx       = 270  // px/s
	accelPx          = 2200 // px/s²
	frictionPx       = 2600 // px/s², applied when there is no move input
	maxHealth        = 100
	projectileRadius = 4 * SubPixels
	projectileSpeed  = 800  // px/s
	projectileLife   = 1500 // ms
	projectileDamage = 20
	fireCooldown     = 150 // ms between projectiles
	hitscanDamage    = 50
	hitscanRangePx   = 1400
	altCooldown      = 1500 // ms between hitscan shots
	beamLife         = 150  // ms a hitscan beam stays visible
	respawnDelay     = 2000 // ms
	spawnProtection  = 1000 // ms of invulnerability after spawning, ended by firing

	// MaxRewind is the furthest back lag compensation rewinds other players for a hitscan
	// shot. A shooter whose view is older (very high latency, or a forged ViewTick) is
	// resolved against the world MaxRewind ago, so a 400 ms player must lead targets by
	// 150 ms and cannot shoot victims who have long since reached cover.
	MaxRewindMillis = 250
	// HistoryMillis is how much position history a World keeps for lag compensation.
	HistoryMillis = 1000
)

// playerRadius is a player's collision radius in world units.
const playerRadius = playerRadiusPx * SubPixels

// PlayerRadius is a player's collision radius in pixels.
const PlayerRadius = playerRadiusPx

// MaxHealth is a player's health at spawn.
const MaxHealth = maxHealth

// BeamMillis is how long a hitscan [Beam] stays in the world (and in snapshots).
const BeamMillis = beamLife

// ProjectileRadius is a projectile's collision radius in pixels.
const ProjectileRadius = projectileRadius / SubPixels

// Config is the rules of one match. The zero value is the default deathmatch at 60 Hz.
type Config struct {
	TickRate   int // simulation ticks per second; default 60
	MaxPlayers int // seats, 1..MaxPlayers; default 16
	ScoreLimit int // kills that win the match (a team's total in team play); default 20, negative for none
	TimeLimit  int // seconds; default 300, negative for none
	// Teams is the number of teams, 2..MaxTeams; 0 (or 1) is every player for themselves.
	// See [World.Join] for how players are put on teams.
	Teams int
	// FriendlyFire lets players of one team damage each other. Without it a teammate is not a
	// target at all: projectiles and rails pass through them.
	FriendlyFire bool
}

// rules is Config in ticks and world units, computed once.
type rules struct {
	tickRate                   int32
	maxPlayers                 int
	teams                      int // 0 = free for all, else 2..MaxTeams
	friendlyFire               bool
	scoreLimit                 int32 // 0 = none
	timeLimit                  uint32
	maxSpeed, accel, friction  int32
	projSpeed, projLife        int32
	fireCooldown, altCooldown  int32
	beamLife, respawn, protect int32
	maxRewind, history         int32
}

func msToTicks(ms, rate int) int32 { return int32((ms*rate + 999) / 1000) }

func (c Config) rules() rules {
	rate := c.TickRate
	if rate <= 0 {
		rate = 60
	}
	rate = min(rate, 1000)
	r := rules{tickRate: int32(rate), maxPlayers: c.MaxPlayers}
	if r.maxPlayers <= 0 {
		r.maxPlayers = 16
	}
	r.maxPlayers = min(r.maxPlayers, MaxPlayers)
	if c.Teams >= 2 {
		r.teams = min(c.Teams, MaxTeams)
		r.friendlyFire = c.FriendlyFire
	}
	switch {
	case c.ScoreLimit == 0:
		r.scoreLimit = 20
	case c.ScoreLimit > 0:
		r.scoreLimit = int32(min(c.ScoreLimit, 1<<20))
	}
	switch {
	case c.TimeLimit == 0:
		r.timeLimit = uint32(300 * rate)
	case c.TimeLimit > 0:
		r.timeLimit = uint32(min(c.TimeLimit, 1<<20) * rate)
	}
	perTick := func(pxPerSec int) int32 { return max(1, int32(pxPerSec*SubPixels/rate)) }
	perTick2 := func(pxPerSec2 int) int32 { return max(1, int32(pxPerSec2*SubPixels/(rate*rate))) }
	r.maxSpeed = perTick(maxSpeedPx)
	r.accel = perTick2(accelPx)
	r.friction = perTick2(frictionPx)
	r.projSpeed = perTick(projectileSpeed)
	r.projLife = msToTicks(projectileLife, rate)
	r.fireCooldown = msToTicks(fireCooldown, rate)
	r.altCooldown = msToTicks(altCooldown, rate)
	r.beamLife = msToTicks(beamLife, rate)
	r.respawn = msToTicks(respawnDelay, rate)
	r.protect = msToTicks(spawnProtection, rate)
	r.maxRewind = int32(MaxRewindMillis * rate / 1000)
	r.history = max(msToTicks(HistoryMillis, rate), r.maxRewind+2)
	return r
}

// MaxRewindTicks is MaxRewindMillis in ticks at the config's tick rate (15 at 60 Hz).
func (c Config) MaxRewindTicks() int { return int(c.rules().maxRewind) }
