package sqlite

import "sync"

// idCache keeps the span id hashes of the latest blocks this Store wrote,
// so that the duplicate check of the next writes, which compares with the
// blocks of overlapping time (mostly the latest ones), reads nothing from
// the file. It is only a first filter: a match is confirmed by decoding the
// block. Block ids are never reused (AUTOINCREMENT) and blocks only ever
// lose spans (retention), so a cached entry can be stale only by holding
// more hashes than its block: a wasted decode, never a missed duplicate.
type idCache struct {
	mu    sync.Mutex
	max   int
	ids   map[int64][]byte
	order []int64 // insertion order, for eviction
}

// cachedIDs is a block's id and its encoded id hashes.
type cachedIDs struct {
	block int64
	ids   []byte
}

func newIDCache(max int) *idCache {
	return &idCache{max: max, ids: make(map[int64][]byte, max)}
}

func (c *idCache) get(block int64) ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	ids, ok := c.ids[block]
	return ids, ok
}

func (c *idCache) put(block int64, ids []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.ids[block]; ok {
		return
	}
	if len(c.order) >= c.max {
		delete(c.ids, c.order[0])
		c.order = c.order[1:]
	}
	c.ids[block] = ids
	c.order = append(c.order, block)
}
