// Package redesign is the seller's redesign use case: variants of an
// item's photo that a consumer segment would prefer (package gan does the
// computing). Run is the one recipe, from the request's knobs to
// gan.Redesign's configuration, that both `atelier redesign` (files on
// disk) and the service's redesign jobs (Engine: records, blobs, model
// versions) call, so the two cannot drift apart: given the same models,
// photo, segment and seed they produce the same variants.
package redesign
