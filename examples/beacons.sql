-- The beacon ranking of examples/beacons.ipynb, in DuckDB, on pcap2table's
-- Parquet output:
--   pcap2table CAPTURE --tables flows,beacons -o out/
--   duckdb -c "SET VARIABLE dir = 'out';" -c ".read examples/beacons.sql"
-- The beacons table is already scored (docs/beacons.md): the ten pairs
-- with the highest score, pairs without a score last, ties broken by the
-- pair so that the order is total. A pair's destination is the name its
-- connections reached the server by (dst_name: TLS server name, HTTP
-- Host, DNS answer), else its address.
SELECT src_ip, coalesce(dst_name, dst_ip) AS destination, dst_port, proto, score
FROM read_parquet(getvariable('dir') || '/beacons.parquet')
ORDER BY score DESC NULLS LAST, src_ip, destination, dst_port, proto
LIMIT 10;
