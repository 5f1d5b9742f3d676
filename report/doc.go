// Package report writes a capture's report: one self-contained HTML page
// that opens without a network and runs no script.
//
// Write runs pcap2table.Convert for the flows, dns, http, tls and beacons
// tables into a temporary folder as Arrow IPC files, reads them back by
// column name (so columns a table gains later are seen, and columns it
// lacks read as null), removes the folder, and renders the page with
// html/template, which escapes every string that came from a capture. The
// page shows the capture summary (pcap2table.Stats), the top hosts and
// services by bytes, a timeline of bytes and flow starts, the beacon
// candidates with a histogram of the intervals between each one's
// connection starts, and the top DNS names, TLS server names and HTTP
// hosts and user agents. Its charts are inline SVG drawn from Go; its
// only style sheet is inline; a Content-Security-Policy meta tag forbids
// any script, any fetch and any image but data: URLs.
//
// The output is written under a temporary name and renamed into place
// (writers.Create), and Write refuses to write over one of its inputs.
// docs/report.md describes the page.
package report
