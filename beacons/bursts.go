package beacons

import "time"

// BurstGap is the silence that makes the originator's next payload a
// call-out of its own inside a session (flows.Tracker.NoteBursts): a
// heartbeat over one TCP session (a RAT's), a poll over one kept-alive
// connection. Two seconds of no payload either way: a beacon sleeping
// 5 s (Empire's and Covenant's default) still has its every poll
// counted, while a request and its answer, which follows within a round
// trip or the server's work, stay one burst (docs/beacons.md,
// "Call-outs").
const BurstGap = 2 * time.Second
