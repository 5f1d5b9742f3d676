-- Stitches the flows of sharded conversions (docs/scaling.md): a flow that
-- was still open when its shard's input ended (end_reason 'eof') and a flow
-- of the same connection (community_id, vlan, tunnel_id) that starts in the
-- next shard within the idle timeout are one flow. Expects a table or view
-- `shards` holding every shard's flows rows; creates `flow_map` (each
-- flow_id -> the flow_id of the stitched flow: its first piece's, so packet
-- rows join with `JOIN flow_map USING (flow_id)`) and `flows_merged`.
CREATE OR REPLACE TABLE flow_map AS
WITH ordered AS (
  SELECT flow_id, community_id, vlan, tunnel_id, ts_start, ts_end, ip_proto,
         lag(ts_end) OVER w AS prev_end, lag(end_reason) OVER w AS prev_reason
  FROM shards
  WINDOW w AS (PARTITION BY community_id, vlan, tunnel_id ORDER BY ts_start, flow_id)
), marked AS (
  SELECT *, CASE WHEN prev_reason = 'eof'
                  AND ts_start - prev_end <= CASE WHEN ip_proto = 6 THEN INTERVAL 5 MINUTE ELSE INTERVAL 1 MINUTE END
                 THEN 0 ELSE 1 END AS starts
  FROM ordered
), grouped AS (
  SELECT *, sum(starts) OVER (PARTITION BY community_id, vlan, tunnel_id ORDER BY ts_start, flow_id
                              ROWS UNBOUNDED PRECEDING) AS piece_group
  FROM marked
)
SELECT flow_id,
       first_value(flow_id) OVER (PARTITION BY community_id, vlan, tunnel_id, piece_group
                                  ORDER BY ts_start, flow_id) AS merged_flow_id
FROM grouped;

-- The stitched flows: counters are summed, each piece's counts taken from
-- the first piece's originator's point of view (a piece that began without
-- a handshake may have seen the connection the other way round), history
-- concatenated, conn_state and end_reason from the last piece. The
-- per-direction size and timing statistics are not merged.
CREATE OR REPLACE TABLE flows_merged AS
WITH pieces AS (
  SELECT m.merged_flow_id, s.*,
         first_value(s.src_ip) OVER (PARTITION BY m.merged_flow_id ORDER BY s.ts_start, s.flow_id) AS first_src,
         first_value(s.src_port) OVER (PARTITION BY m.merged_flow_id ORDER BY s.ts_start, s.flow_id) AS first_sport
  FROM shards s JOIN flow_map m USING (flow_id)
), oriented AS (
  SELECT *, (src_ip = first_src AND src_port IS NOT DISTINCT FROM first_sport) AS same FROM pieces
)
SELECT merged_flow_id AS flow_id,
       any_value(community_id) AS community_id,
       min(ts_start) AS ts_start, max(ts_end) AS ts_end,
       epoch_us(max(ts_end)) / 1e6 - epoch_us(min(ts_start)) / 1e6 AS duration,
       any_value(proto) AS proto, any_value(ip_proto) AS ip_proto,
       arg_min(src_ip, ts_start) AS src_ip, arg_min(src_port, ts_start) AS src_port,
       arg_min(dst_ip, ts_start) AS dst_ip, arg_min(dst_port, ts_start) AS dst_port,
       any_value(vlan) AS vlan, any_value(tunnel) AS tunnel, any_value(tunnel_id) AS tunnel_id,
       sum(CASE WHEN same THEN orig_pkts ELSE resp_pkts END)::UBIGINT AS orig_pkts,
       sum(CASE WHEN same THEN resp_pkts ELSE orig_pkts END)::UBIGINT AS resp_pkts,
       sum(CASE WHEN same THEN orig_bytes ELSE resp_bytes END)::UBIGINT AS orig_bytes,
       sum(CASE WHEN same THEN resp_bytes ELSE orig_bytes END)::UBIGINT AS resp_bytes,
       sum(CASE WHEN same THEN orig_ip_bytes ELSE resp_ip_bytes END)::UBIGINT AS orig_ip_bytes,
       sum(CASE WHEN same THEN resp_ip_bytes ELSE orig_ip_bytes END)::UBIGINT AS resp_ip_bytes,
       arg_max(conn_state, ts_end) AS conn_state,
       string_agg(history, '' ORDER BY ts_start) AS history,
       sum(missed_bytes)::UBIGINT AS missed_bytes,
       sum(retransmits)::UBIGINT AS retransmits,
       sum(out_of_order)::UBIGINT AS out_of_order,
       max(service) AS service,
       arg_max(end_reason, ts_end) AS end_reason,
       count(*)::INTEGER AS pieces
FROM oriented
GROUP BY merged_flow_id;
