package writers

import (
	"strconv"
	"time"
)

// appendTime appends a timestamp (ns since the epoch, UTC) in format tf.
// RFC 3339 always has 9 fractional digits, unlike time.RFC3339Nano.
func appendTime(b []byte, ns int64, tf TimeFormat) []byte {
	switch tf {
	case EpochNs:
		return strconv.AppendInt(b, ns, 10)
	case EpochUs:
		us := ns / 1000
		if ns < 0 && ns%1000 != 0 {
			us--
		}
		return strconv.AppendInt(b, us, 10)
	case Epoch:
		sec, frac := ns/1e9, ns%1e9
		if frac < 0 {
			sec--
			frac += 1e9
		}
		if sec < 0 && frac != 0 {
			// -0.5 s is sec -1 + 0.5: write it as a negative decimal.
			b = append(b, '-')
			sec, frac = -sec-1, 1e9-frac
		}
		b = strconv.AppendInt(b, sec, 10)
		b = append(b, '.')
		return appendFrac9(b, frac)
	}
	return time.Unix(0, ns).UTC().AppendFormat(b, "2006-01-02T15:04:05.000000000Z07:00")
}

func appendFrac9(b []byte, frac int64) []byte {
	var d [9]byte
	for i := 8; i >= 0; i-- {
		d[i] = byte('0' + frac%10)
		frac /= 10
	}
	return append(b, d[:]...)
}
