// Package evaluation holds the offline evaluations of the models on a
// dataset directory: the recommender against its baselines on the DVBPR
// split, and the redesign methods on (item, segment) pairs judged by the
// synthetic world's oracle, which the methods never see. `atelier eval`
// parses flags, calls these functions and prints their reports.
package evaluation
