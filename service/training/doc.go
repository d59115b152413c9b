// Package training is the service's model-training use case: the recipes
// of train-recommender and train-gan jobs over what the store holds (the
// catalog's model-size images, consumers and interactions, exported in
// memory in the layout the trainers read), with the training state saved
// to the blob store under a key named by the job, so that an attempt that
// follows a dead one resumes from the last save. New model versions are
// recorded inactive: an operator activates one after reading its metrics.
package training
