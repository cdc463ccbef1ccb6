package tera

import (
	"math/big"
	"math/rand/v2"
	"testing"

	"github.com/shoenig/test/must"
)

func toBig(x uint128) *big.Int {
	b := new(big.Int).SetUint64(x.hi)
	return b.Lsh(b, 64).Or(b, new(big.Int).SetUint64(x.lo))
}

func TestUint128ArithmeticMatchesBigInt(t *testing.T) {
	mod := new(big.Int).Lsh(big.NewInt(1), 128)
	r := rand.New(rand.NewPCG(1, 2))
	for range 1000 {
		x := uint128{r.Uint64(), r.Uint64()}
		y := uint128{r.Uint64(), r.Uint64()}
		wantMul := new(big.Int).Mul(toBig(x), toBig(y))
		wantAdd := new(big.Int).Add(toBig(x), toBig(y))
		must.Eq(t, wantMul.Mod(wantMul, mod).String(), toBig(x.mul(y)).String())
		must.Eq(t, wantAdd.Mod(wantAdd, mod).String(), toBig(x.add(y)).String())
	}
}

func TestFirstValueIsC(t *testing.T) {
	must.Eq(t, lcgC, randomAt(0))
}

func TestSkipAheadEqualsStepping(t *testing.T) {
	x := uint128{}
	for row := range uint64(5000) {
		x = x.next()
		if got := randomAt(row); got != x {
			t.Fatalf("row %d: skip ahead gives %x, stepping gives %x", row, toBig(got), toBig(x))
		}
	}
}

func TestSkipAheadFarRows(t *testing.T) {
	for _, row := range []uint64{1 << 32, 1<<40 + 12345, 1<<63 - 1, 1<<64 - 1000} {
		x := randomAt(row)
		for k := range uint64(1000) {
			must.Eq(t, x, randomAt(row+k), must.Sprintf("row %d", row+k))
			x = x.next()
		}
	}
}

func TestSkipComposes(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for range 200 {
		m, n := r.Uint64N(1<<40), r.Uint64N(1<<40)
		must.Eq(t, skip(uint128{}, m+n), skip(skip(uint128{}, m), n))
	}
}
