// Package dataimport loads a marketplace dataset directory into the
// metadata store and the blob store: the CSV layout that `atelier synth`
// writes (see package synth: images/<item_id>.png, items.csv,
// consumers.csv, interactions.csv; the oracle folder is never read), and
// Amazon review dumps (JSON lines with reviewerID, asin and
// unixReviewTime, an images folder named by asin, an optional meta file).
// `atelier import DIR` and the service's import jobs both call Import.
//
// # Streaming
//
// Files are read a line at a time and written in batches (Options.BatchSize
// rows). Memory is bounded by one batch, one image per worker and a
// bounded cache of ids known to exist; it does not grow with the number of
// rows.
//
// # Idempotence
//
// Items, consumers and interactions are identified by their external ids
// (interactions by consumer, item, kind and time), and the store skips
// records it already has, so importing the same directory twice adds
// nothing. An item already in the catalog is skipped before its image is
// even read: rows are never rewritten, and a changed image of a known item
// is not picked up. Images are stored under keys derived from the item's
// external id and the SHA-256 of the file (ImageKeys), so the same file
// always lands on the same keys.
//
// # Batches, blobs and failures
//
// Each batch of rows is one transaction: all of it is written or none. The
// blobs of a batch are written before its rows, so a row never names a
// missing blob. A failure between the two leaves orphan blobs; they are
// harmless (nothing refers to them) and a retry finds them under the same
// keys and reuses them instead of writing them again.
//
// # Bad rows
//
// A row that cannot be imported (a missing column value, an unknown
// consumer or item, a bad timestamp, an image that cannot be decoded or is
// over a limit) is reported as an Issue with its file and line, e.g.
// `interactions.csv:17: unknown item_id "it99999"`, and skipped; an item
// whose image is refused is skipped too, so its interactions then report an
// unknown item. With Options.Strict the first bad row stops the import
// with an error, before anything of its batch is written; earlier batches
// stay imported.
//
// # Images
//
// An image is refused when its file is larger than Options.MaxImageBytes
// or its header announces more than Options.MaxImagePixels pixels; the
// header is read with image.DecodeConfig before anything is decoded, so a
// small file claiming an enormous size (a decompression bomb) costs
// nothing. Each accepted image is stored twice: the original bytes with
// their sniffed content type, and a ModelSize×ModelSize PNG for the
// models. PNG is always decodable; JPEG, WebP and other formats only when
// the program registers their decoders (the atelier command registers JPEG
// and WebP). Conversion runs on Options.Workers goroutines; results are
// collected in row order, so output does not depend on scheduling.
//
// Files are opened through an os.Root of the dataset directory, so no name
// in the data and no symbolic link reaches a file outside it.
package dataimport
