// Package ingest runs vigil's inputs besides the node agent: UDP datagrams
// from in-process agents (port 51712) and OTLP/HTTP traces. Both turn what
// they receive into spans, filter them (redaction) and hand them in batches
// to a sink, the spool in front of the store, so a store outage loses
// nothing that was accepted.
package ingest
