// Package api is Atelier's HTTP interface: a Gin router under /api/v1 with one
// handler file per resource, authentication, the mapping of domain errors to
// HTTP statuses (errors.go, the only place that does it), health and
// readiness probes, Prometheus metrics and the OpenAPI document.
//
// Handlers never write raw error text to clients: a domain error's kind picks
// the status and its client-safe message is returned as
// {"error":{"kind":"invalid","field":"n","message":"..."}}, while internal
// errors are logged with the request id and answered with a generic message.
package api
