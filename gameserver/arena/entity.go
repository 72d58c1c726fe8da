package arena

import (
	"github.com/skirmish-go/skirmish/gameserver/sim"
	"github.com/skirmish-go/skirmish/gameserver/snapshot"
)

// Entity kinds of Arena's snapshots (indexes into [Schema]'s Kinds).
const (
	KindPlayer     uint8 = 0 // ID = slot (0..63)
	KindProjectile uint8 = 1 // ID ≥ 64
	KindBeam       uint8 = 2 // ID ≥ 64
)

// Player entity fields. Positions and velocities are sim world units (1/16 px) and exact,
// so a client can predict from them; the rest is for drawing and the HUD.
const (
	PlayerX           = iota // 16 bits
	PlayerY                  // 16 bits
	PlayerVX                 // signed 10 bits, world units per tick
	PlayerVY                 // signed 10 bits
	PlayerAim                // 10 bits: aim >> 6
	PlayerHealth             // 7 bits
	PlayerFlags              // 2 bits: FlagAlive | FlagProtected
	PlayerScore              // 12 bits (clamped)
	PlayerDeaths             // 12 bits (clamped)
	PlayerAltCooldown        // 8 bits, ticks (clamped)
	PlayerRespawn            // 9 bits, ticks until respawn (clamped)
	PlayerTeam               // 8 bits
)

// Player flags.
const (
	FlagAlive     = 1 << 0
	FlagProtected = 1 << 1
)

// Projectile entity fields: where and when it was fired and its constant velocity, none of
// which change in flight, so a flying projectile costs one bit per delta snapshot. Its
// position at a tick is [sim.Projectile.At].
const (
	ShotX0    = iota // 16 bits
	ShotY0           // 16 bits
	ShotVX           // signed 12 bits, world units per tick
	ShotVY           // signed 12 bits
	ShotTick         // 16 bits: the low 16 bits of the spawn tick
	ShotOwner        // 6 bits: slot
)

// Beam entity fields: a hitscan trace, visible for a few ticks.
const (
	BeamX0     = iota // 16 bits
	BeamY0            // 16 bits
	BeamX1            // 16 bits
	BeamY1            // 16 bits
	BeamTick          // 16 bits: the low 16 bits of the tick it was fired
	BeamOwner         // 6 bits: slot
	BeamVictim        // signed 7 bits: slot hit, or -1
)

// Schema returns Arena's snapshot schema. Each call returns a new copy.
func Schema() *snapshot.Schema {
	u := func(name string, bits uint8) snapshot.FieldSpec { return snapshot.FieldSpec{Name: name, Bits: bits} }
	s := func(name string, bits uint8) snapshot.FieldSpec {
		return snapshot.FieldSpec{Name: name, Bits: bits, Signed: true}
	}
	x, y := u("x", 16), u("y", 16)
	x.RateField, y.RateField = PlayerVX+1, PlayerVY+1
	return &snapshot.Schema{Kinds: []snapshot.KindSpec{
		{Name: "player", Fields: []snapshot.FieldSpec{x, y, s("vx", 10), s("vy", 10), u("aim", 10),
			u("health", 7), u("flags", 2), u("score", 12), u("deaths", 12), u("alt_cooldown", 8),
			u("respawn", 9), u("team", 8)}},
		{Name: "projectile", Fields: []snapshot.FieldSpec{u("x0", 16), u("y0", 16), s("vx", 12), s("vy", 12),
			u("tick", 16), u("owner", 6)}},
		{Name: "beam", Fields: []snapshot.FieldSpec{u("x0", 16), u("y0", 16), u("x1", 16), u("y1", 16),
			u("tick", 16), u("owner", 6), s("victim", 7)}},
	}}
}

func clampField(v, lo, hi int32) int32 { return max(lo, min(v, hi)) }

// PlayerEntity is a player as sent in snapshots.
func PlayerEntity(p *sim.Player) snapshot.Entity {
	e := snapshot.Entity{ID: uint16(p.Slot), Kind: KindPlayer}
	var flags int32
	if p.Alive {
		flags |= FlagAlive
	}
	if p.Protected > 0 {
		flags |= FlagProtected
	}
	e.Fields = [snapshot.MaxFields]int32{
		PlayerX: clampField(p.X, 0, 0xffff), PlayerY: clampField(p.Y, 0, 0xffff),
		PlayerVX: clampField(p.VX, -512, 511), PlayerVY: clampField(p.VY, -512, 511),
		PlayerAim: int32(p.Aim >> 6), PlayerHealth: clampField(p.Health, 0, 127), PlayerFlags: flags,
		PlayerScore: clampField(p.Score, 0, 4095), PlayerDeaths: clampField(p.Deaths, 0, 4095),
		PlayerAltCooldown: clampField(p.AltCooldown, 0, 255), PlayerRespawn: clampField(p.RespawnIn, 0, 511),
		PlayerTeam: int32(p.Team),
	}
	return e
}

// PlayerFromEntity is the inverse of PlayerEntity: the sim state a client predicts from
// (position, velocity and Alive are exact) and draws. Aim has 10 bits; Kills equals Score;
// Protected is 1 while the flag is set; cooldowns other than AltCooldown read as zero.
func PlayerFromEntity(e *snapshot.Entity) sim.Player {
	f := &e.Fields
	p := sim.Player{
		Slot: uint8(e.ID), Team: uint8(f[PlayerTeam]), Alive: f[PlayerFlags]&FlagAlive != 0,
		X: f[PlayerX], Y: f[PlayerY], VX: f[PlayerVX], VY: f[PlayerVY], Aim: uint16(f[PlayerAim] << 6),
		Health: f[PlayerHealth], Score: f[PlayerScore], Kills: f[PlayerScore], Deaths: f[PlayerDeaths],
		AltCooldown: f[PlayerAltCooldown], RespawnIn: f[PlayerRespawn],
	}
	if f[PlayerFlags]&FlagProtected != 0 {
		p.Protected = 1
	}
	return p
}

// ProjectileEntity is a projectile as sent in snapshots.
func ProjectileEntity(s *sim.Projectile) snapshot.Entity {
	return snapshot.Entity{ID: s.ID, Kind: KindProjectile, Fields: [snapshot.MaxFields]int32{
		ShotX0: clampField(s.X0, 0, 0xffff), ShotY0: clampField(s.Y0, 0, 0xffff),
		ShotVX: clampField(s.VX, -2048, 2047), ShotVY: clampField(s.VY, -2048, 2047),
		ShotTick: int32(uint16(s.SpawnTick)), ShotOwner: int32(s.Owner & 63),
	}}
}

// ProjectileFromEntity rebuilds a projectile from a snapshot of tick snapTick (the spawn
// tick's high bits come from it); draw it at p.At(renderTick).
func ProjectileFromEntity(e *snapshot.Entity, snapTick uint32) sim.Projectile {
	f := &e.Fields
	return sim.Projectile{ID: e.ID, Owner: uint8(f[ShotOwner]), X0: f[ShotX0], Y0: f[ShotY0],
		VX: f[ShotVX], VY: f[ShotVY], SpawnTick: fullTick(snapTick, f[ShotTick])}
}

// BeamEntity is a hitscan beam as sent in snapshots.
func BeamEntity(b *sim.Beam) snapshot.Entity {
	return snapshot.Entity{ID: b.ID, Kind: KindBeam, Fields: [snapshot.MaxFields]int32{
		BeamX0: clampField(b.X0, 0, 0xffff), BeamY0: clampField(b.Y0, 0, 0xffff),
		BeamX1: clampField(b.X1, 0, 0xffff), BeamY1: clampField(b.Y1, 0, 0xffff),
		BeamTick: int32(uint16(b.SpawnTick)), BeamOwner: int32(b.Owner & 63), BeamVictim: int32(max(b.Victim, -1)),
	}}
}

// BeamFromEntity rebuilds a beam from a snapshot of tick snapTick.
func BeamFromEntity(e *snapshot.Entity, snapTick uint32) sim.Beam {
	f := &e.Fields
	return sim.Beam{ID: e.ID, Owner: uint8(f[BeamOwner]), Victim: int16(f[BeamVictim]),
		X0: f[BeamX0], Y0: f[BeamY0], X1: f[BeamX1], Y1: f[BeamY1], SpawnTick: fullTick(snapTick, f[BeamTick])}
}

// fullTick returns the latest tick at or before ref whose low 16 bits are low.
func fullTick(ref uint32, low int32) uint32 {
	return ref - uint32(uint16(ref)-uint16(low))
}
