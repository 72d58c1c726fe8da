package client

import (
	"fmt"
	"math"
	"time"

	"github.com/skirmish-go/skirmish/gameserver/arena"
	"github.com/skirmish-go/skirmish/gameserver/sim"
	"github.com/skirmish-go/skirmish/gameserver/snapshot"
	"github.com/skirmish-go/skirmish/gameserver/wire"
)

// arenaRules is [Rules] for Arena (packages gameserver/sim and gameserver/arena). Scene units
// are pixels: sim world units divided by sim.SubPixels.
type arenaRules struct {
	cfg        sim.Config
	m          *sim.Map
	schema     *snapshot.Schema
	tickDur    time.Duration
	teams      int // the mode's team count; 0 is free for all
	walls      []Wall
	timeLimit  time.Duration
	scoreLimit int
	world      Vec
}

// NewArenaRules returns the client rules of the Arena game for a match: its schema, its
// input encoding, sim.PredictPlayer on the match's map, and the conversion of its entities
// and events into a Scene.
func NewArenaRules(w wire.Welcome) (Rules, error) {
	rate := int(w.TickRate)
	if rate <= 0 {
		rate = arena.DefaultTickRate
	}
	cfg, err := arena.ModeConfig(w.Mode, max(int(w.Players), 1), rate)
	if err != nil {
		return nil, fmt.Errorf("client: arena rules: %w", err)
	}
	m, err := arena.LoadMap(w.Mode)
	if err != nil {
		return nil, fmt.Errorf("client: arena rules: %w", err)
	}
	r := &arenaRules{cfg: cfg, m: m, schema: arena.Schema(), tickDur: time.Second / time.Duration(rate)}
	mode, _ := arena.FindMode(w.Mode)
	r.teams = mode.Teams
	r.timeLimit = time.Duration(mode.TimeLimit) * time.Second
	r.scoreLimit = mode.ScoreLimit
	r.world = Vec{float64(m.Width), float64(m.Height)}
	for _, wl := range m.Walls {
		r.walls = append(r.walls, Wall{float64(wl.X), float64(wl.Y), float64(wl.W), float64(wl.H)})
	}
	return r, nil
}

func (r *arenaRules) Schema() *snapshot.Schema { return r.schema }

// aimUnits converts radians (0 = +x, clockwise on screen) to sim aim units.
func aimUnits(rad float64) uint16 {
	turns := rad / (2 * math.Pi)
	turns -= math.Floor(turns)
	return uint16(int64(math.Round(turns*65536)) & 0xffff)
}

// aimRadians converts sim aim units to radians.
func aimRadians(a uint16) float64 { return float64(a) / 65536 * 2 * math.Pi }

func (r *arenaRules) AppendInput(dst []byte, c Controls, viewTick float64) []byte {
	mv := c.Move
	if l := mv.Len(); l > 1 {
		mv = mv.Scale(1 / l)
	}
	q := func(v float64) int8 { return int8(math.Round(max(-1, min(1, v)) * sim.MaxMove)) }
	in := sim.Input{MoveX: q(mv.X), MoveY: q(mv.Y), Aim: aimUnits(c.Aim), Fire: c.Fire, AltFire: c.AltFire}
	if viewTick > 0 {
		t := math.Floor(viewTick)
		in.ViewTick = uint16(uint64(t))
		in.ViewFrac = uint8(min(255, (viewTick-t)*256))
	}
	b, _ := in.AppendBinary(dst)
	return b
}

func (r *arenaRules) Player(s *snapshot.Snapshot, slot uint8) (PlayerState, bool) {
	e, ok := s.Find(uint16(slot))
	if !ok || e.Kind != arena.KindPlayer {
		return PlayerState{}, false
	}
	p := arena.PlayerFromEntity(e)
	return PlayerState{X: p.X, Y: p.Y, VX: p.VX, VY: p.VY, Aim: p.Aim, Alive: p.Alive}, true
}

func (r *arenaRules) Step(ps PlayerState, input []byte) PlayerState {
	in, _, err := sim.ParseInput(input)
	if err != nil {
		return ps
	}
	p := sim.Player{X: ps.X, Y: ps.Y, VX: ps.VX, VY: ps.VY, Aim: ps.Aim, Alive: ps.Alive}
	sim.PredictPlayer(r.cfg, r.m, &p, in)
	ps.X, ps.Y, ps.VX, ps.VY, ps.Aim, ps.Alive = p.X, p.Y, p.VX, p.VY, p.Aim, p.Alive
	return ps
}

func (r *arenaRules) Position(p PlayerState) Vec {
	return Vec{float64(p.X) / sim.SubPixels, float64(p.Y) / sim.SubPixels}
}

// teleport is how far (in px) a player may move between two snapshots before the renderer
// treats it as a respawn rather than motion to interpolate.
const teleport = 96

func (r *arenaRules) FillScene(sc *Scene, from, to *snapshot.Snapshot, alpha float64, names *[256]string) {
	sc.World, sc.Walls, sc.Teams = r.world, r.walls, r.teams
	rt := float64(from.Tick) + alpha*float64(to.Tick-from.Tick) // shown tick
	if to.Tick == from.Tick {
		rt = float64(to.Tick)
	}
	var teamOf [256]uint8
	for i := range to.Entities {
		e := &to.Entities[i]
		if e.Kind != arena.KindPlayer {
			continue
		}
		p := arena.PlayerFromEntity(e)
		teamOf[p.Slot] = p.Team
		pos := Vec{float64(p.X) / sim.SubPixels, float64(p.Y) / sim.SubPixels}
		ang := aimRadians(p.Aim)
		if fe, ok := from.Find(e.ID); ok && fe != e {
			fp := arena.PlayerFromEntity(fe)
			fpos := Vec{float64(fp.X) / sim.SubPixels, float64(fp.Y) / sim.SubPixels}
			if fp.Alive == p.Alive && fpos.Sub(pos).Len() < teleport {
				pos = fpos.Lerp(pos, alpha)
				d := float64(int16(p.Aim - fp.Aim)) // shortest way round
				ang = aimRadians(fp.Aim) + d/65536*2*math.Pi*min(alpha, 1)
			}
		}
		sc.Players = append(sc.Players, ScenePlayer{
			Slot: p.Slot, Name: names[p.Slot], Team: p.Team, Pos: pos, Angle: ang,
			Radius: sim.PlayerRadius, Health: int(p.Health), MaxHealth: 100, Alive: p.Alive,
			RespawnIn: time.Duration(p.RespawnIn) * r.tickDur,
			Score:     int(p.Score), Kills: int(p.Kills), Deaths: int(p.Deaths),
		})
	}
	for i := range to.Entities {
		e := &to.Entities[i]
		switch e.Kind {
		case arena.KindProjectile:
			s := arena.ProjectileFromEntity(e, to.Tick)
			age := rt - float64(s.SpawnTick)
			if age < 0 {
				continue // fired after the moment shown
			}
			pos := Vec{float64(s.X0) + float64(s.VX)*age, float64(s.Y0) + float64(s.VY)*age}.Scale(1.0 / sim.SubPixels)
			team := s.Owner
			if r.teams > 1 {
				team = teamOf[s.Owner]
			}
			sc.Projectiles = append(sc.Projectiles, SceneProjectile{Pos: pos, Angle: math.Atan2(float64(s.VY), float64(s.VX)),
				Team: team, Owner: s.Owner})
		case arena.KindBeam:
			b := arena.BeamFromEntity(e, to.Tick)
			age := rt - float64(b.SpawnTick)
			if age < 0 {
				continue
			}
			team := b.Owner
			if r.teams > 1 {
				team = teamOf[b.Owner]
			}
			sc.Effects = append(sc.Effects, SceneEffect{Kind: EffectBeam,
				Pos:  Vec{float64(b.X0), float64(b.Y0)}.Scale(1.0 / sim.SubPixels),
				To:   Vec{float64(b.X1), float64(b.Y1)}.Scale(1.0 / sim.SubPixels),
				Team: team, Age: time.Duration(age * float64(r.tickDur)), Life: 150 * time.Millisecond})
		}
	}
	sc.TimeLeft = 0
	if r.timeLimit > 0 {
		sc.TimeLeft = max(r.timeLimit-time.Duration(rt*float64(r.tickDur)), 0)
	}
	sc.ScoreLimit = r.scoreLimit
	sc.TeamScores = sc.TeamScores[:0]
	if r.teams > 1 {
		for range r.teams {
			sc.TeamScores = append(sc.TeamScores, 0)
		}
		for _, p := range sc.Players {
			if int(p.Team) < r.teams {
				sc.TeamScores[p.Team] += p.Score
			}
		}
	}
}

// weaponName names Arena's weapons for the kill feed.
func weaponName(w sim.Weapon) string {
	switch w {
	case sim.WeaponLauncher:
		return "bolt"
	case sim.WeaponRail:
		return "rail"
	}
	return ""
}

func (r *arenaRules) Event(sc *Scene, data []byte, names *[256]string, latest *snapshot.Snapshot) {
	e, _, err := arena.ParseEvent(data)
	if err != nil {
		return
	}
	team := func(slot uint8) uint8 {
		if latest != nil {
			if pe, ok := latest.Find(uint16(slot)); ok && pe.Kind == arena.KindPlayer {
				if r.teams > 1 {
					return uint8(pe.Fields[arena.PlayerTeam])
				}
			}
		}
		return slot
	}
	pos := func(slot uint8) (Vec, bool) {
		if latest != nil {
			if pe, ok := latest.Find(uint16(slot)); ok && pe.Kind == arena.KindPlayer {
				return Vec{float64(pe.Fields[arena.PlayerX]), float64(pe.Fields[arena.PlayerY])}.Scale(1.0 / sim.SubPixels), true
			}
		}
		return Vec{}, false
	}
	switch e.Type {
	case arena.EventKill:
		sc.KillFeed = append(sc.KillFeed, KillFeedEntry{Killer: names[e.Player], Victim: names[e.Victim],
			KillerTeam: team(e.Player), VictimTeam: team(e.Victim), Weapon: weaponName(e.Weapon)})
		if p, ok := pos(e.Victim); ok {
			sc.Effects = append(sc.Effects, SceneEffect{Kind: EffectDeath, Pos: p, Team: team(e.Victim)})
		}
	case arena.EventHit:
		if p, ok := pos(e.Victim); ok {
			sc.Effects = append(sc.Effects, SceneEffect{Kind: EffectHit, Pos: p, Team: team(e.Player)})
		}
	case arena.EventSpawn:
		sc.Effects = append(sc.Effects, SceneEffect{Kind: EffectSpawn,
			Pos: Vec{float64(e.X), float64(e.Y)}.Scale(1.0 / sim.SubPixels), Team: team(e.Player)})
	}
}
