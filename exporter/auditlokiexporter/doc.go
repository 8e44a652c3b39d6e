// Package auditlokiexporter pushes normalised audit records to Grafana Loki with the protobuf
// push API: few bounded labels, high-cardinality fields in structured metadata, one request per
// tenant, and a dead-letter file for every entry Loki or the local validation refuses.
package auditlokiexporter
