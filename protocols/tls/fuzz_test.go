package tls_test

import (
	"testing"

	"github.com/pcap2table/pcap2table/flows"
	"github.com/pcap2table/pcap2table/internal/plugintest"
	"github.com/pcap2table/pcap2table/internal/reftest"
	"github.com/pcap2table/pcap2table/parsers"
	"github.com/pcap2table/pcap2table/protocols/tls"
	"github.com/pcap2table/pcap2table/table"
)

// FuzzTLS feeds arbitrary bytes as a client stream (split at an
// arbitrary point) and a server stream, and as the body of a ClientHello
// and a ServerHello: no panic, every row whole. Seeded with the TCP
// payloads of the real captures' TLS flows.
func FuzzTLS(f *testing.F) {
	seeds := reftest.Payloads(f, capturesDir, []string{
		"pcapplusplus--Tests--Packet__Test--PacketExamples--SSL-ClientHello1.pcap",
		"zeek--testing--btest--Traces--tls--tls13_wolfssl.pcap",
		"arkime--tests--pcap--pppoe.pcap",
		"pcapplusplus--Tests--Pcap__Test--PcapExamples--many_interfaces-1.pcapng",
	}, func(r *parsers.PacketRow) bool { return r.IPProto == 6 })
	for _, p := range seeds {
		f.Add(p, uint8(len(p)/3))
	}
	f.Add(record(22, clientHello(chrome)), uint8(7))
	f.Fuzz(func(t *testing.T, data []byte, cut uint8) {
		var h tls.Hello
		var scratch []uint16
		if tls.ParseClientHello(data, &h) == nil {
			h.JA3(nil)
			h.JA4(nil, &scratch)
		}
		if tls.ParseServerHello(data, &h) == nil {
			h.JA3S(nil)
		}
		_ = tls.ParseSSLv2ClientHello(data, &h)

		b := table.NewBatch(tls.Schema, 4)
		p := tls.New(flows.NewOutput(b))
		conn := &flows.Conn{ID: 1, IPProto: 6, OrigIP: client, RespIP: server, OrigPort: 1, RespPort: 443, HasPorts: true}
		k := min(int(cut), len(data))
		for _, ev := range []flows.StreamEvent{
			{Dir: flows.FromOrig, Data: data[:k]},
			{Dir: flows.FromResp, Data: data},
			{Dir: flows.FromOrig, Offset: uint64(k), Data: data[k:]},
			{Dir: flows.FromResp, Offset: uint64(len(data)), Data: data},
		} {
			if len(ev.Data) > 0 {
				p.Stream(conn, &ev)
			}
		}
		p.FlowEnd(conn, nil)
		plugintest.Read(t, b)
	})
}

// FuzzQUIC feeds arbitrary bytes as the datagrams of a UDP flow, and as
// the frames of a client's and a server's Initial packet (protected as
// RFC 9001 says, so that they decrypt): no panic, every row whole.
// Seeded with the real QUIC capture's datagrams.
func FuzzQUIC(f *testing.F) {
	for _, p := range reftest.Payloads(f, capturesDir, []string{"ndpi--tests--cfgs--default--pcap--dlt_ppp.pcap"},
		func(r *parsers.PacketRow) bool { return r.IPProto == 17 }) {
		f.Add(p, uint8(0))
	}
	f.Add(append(crypto(0, clientHello(chrome)), 0x02, 0, 0, 1, 0, 0, 0), uint8(1))
	dcid := []byte("fuzzing!")
	f.Fuzz(func(t *testing.T, data []byte, mode uint8) {
		if mode&1 == 0 {
			quic(t, datagram{true, data}, datagram{false, data}, datagram{true, data})
			return
		}
		data = data[:min(len(data), 4000)]
		quic(t, datagram{true, initial(t, dcid, false, 0, dcid, nil, 0, data)},
			datagram{false, initial(t, dcid, true, 0, nil, dcid, 0, data)},
			datagram{true, initial(t, dcid, false, 0, dcid, nil, 1, data)})
	})
}

// FuzzDTLS feeds arbitrary bytes as DTLS datagrams of a UDP flow after a
// ClientHello (mode 0), or as the handshake fragments of records (mode
// 1): no panic, every row whole.
func FuzzDTLS(f *testing.F) {
	ch := clientHello(chrome)
	f.Add(dtlsRecord(22, 0, dtlsFragment(ch, 0, 0, len(ch)-4)), uint8(0))
	f.Add(dtlsFragment(ch, 0, 0, 20), uint8(1))
	f.Fuzz(func(t *testing.T, data []byte, mode uint8) {
		first := dtlsRecord(22, 0, dtlsFragment(ch, 0, 0, 10))
		if mode&1 == 0 {
			quic(t, datagram{true, first}, datagram{true, data}, datagram{false, data})
			return
		}
		data = data[:min(len(data), 4000)]
		quic(t, datagram{true, first}, datagram{true, dtlsRecord(22, 0, data)}, datagram{false, dtlsRecord(22, 0, data)})
	})
}
