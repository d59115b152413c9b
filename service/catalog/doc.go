// Package catalog is the one home of what several use cases read the same
// way: a model-size image from the blob store, a segment's taste θ, the
// reference images the realism check is calibrated on, and model versions
// (resolving, loading, registering). Redesigns, reports, training and
// serving call these functions rather than keeping copies with slightly
// different rules, and the command-line tools that work on dataset files
// follow the same rules through the functions that take a dataset.
package catalog
