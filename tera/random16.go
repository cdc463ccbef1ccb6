package tera

import "math/bits"

// uint128 is an unsigned 128-bit integer; arithmetic wraps modulo 2^128.
type uint128 struct{ hi, lo uint64 }

func (x uint128) mul(y uint128) uint128 {
	hi, lo := bits.Mul64(x.lo, y.lo)
	hi += x.hi*y.lo + x.lo*y.hi
	return uint128{hi, lo}
}

func (x uint128) add(y uint128) uint128 {
	lo, carry := bits.Add64(x.lo, y.lo, 0)
	return uint128{x.hi + y.hi + carry, lo}
}

// The Random16 generator of Hadoop's TeraGen and gensort (Nyberg's rand16):
// X(n+1) = a·X(n) + c mod 2^128, X(0) = 0.
var (
	lcgA = uint128{0x2360ed051fc65da4, 0x4385df649fccf645}
	lcgC = uint128{0x4a696d4772617952, 0x4950202020202001}
)

// next advances the generator one step.
func (x uint128) next() uint128 { return lcgA.mul(x).add(lcgC) }

// skip advances x by n steps in O(log n) multiplications, composing the
// affine map f(x) = a·x + c with itself: f∘f has a' = a², c' = a·c + c.
func skip(x uint128, n uint64) uint128 {
	a, c := lcgA, lcgC
	for ; n != 0; n >>= 1 {
		if n&1 != 0 {
			x = a.mul(x).add(c)
		}
		c = a.mul(c).add(c)
		a = a.mul(a)
	}
	return x
}

// randomAt returns the random value of a row: X(row+1).
func randomAt(row uint64) uint128 { return skip(uint128{}, row).next() }
