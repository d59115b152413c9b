// Package redesign is the seller's redesign use case: variants of the
// seller's own photo that a consumer segment would prefer. Package gan
// does the computing at the generator's size; package transfer puts each
// variant's change onto the photo at the photo's resolution.
//
// Run is the one recipe, from the request's knobs to gan.Redesign's
// configuration and the transfer, that both `atelier redesign` (files on
// disk) and the service's redesign jobs (Engine: records, blobs, model
// versions) call, so the two cannot drift apart: given the same models,
// photo, segment and seed they produce the same variants. PreparePhoto
// frames a photo the same way for both, and CheckPhoto refuses, before a
// job is queued, a photo that shows no product.
//
// Besides the generator's scores, a result places the base and each
// variant among the catalog's items for the segment (the share of the
// catalog the segment likes as much), which is how the seller page says
// what a variant would gain.
package redesign
